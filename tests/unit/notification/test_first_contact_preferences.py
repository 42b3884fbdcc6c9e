"""The first contact preferences, from the communication needs a concern was raised with."""

from __future__ import annotations

from services.notification.domain.communication_needs import preferences_from_concern
from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import decide_routes
from shared.events.intake import ConcernRaised, ContactPoints, Representative
from shared.events.notification import Channel, MessageFormat, RecipientRole
from tests.unit.notification.story import Story, mary_address


def first_preferences(
    story: Story, default: Channel = Channel.EMAIL, **needs: object
) -> ContactPreferences:
    raised = story.concern_raised(**needs)  # type: ignore[arg-type]
    assert isinstance(raised.payload, ConcernRaised)
    return preferences_from_concern(raised.payload, default_channel=default)


def test_the_council_default_channel_is_used_when_the_person_can_be_reached_that_way() -> None:
    preferences = first_preferences(Story())
    assert (preferences.channel, preferences.fallback_channel) == (Channel.EMAIL, Channel.LETTER)


def test_a_person_without_email_is_written_to_and_texted_if_that_fails() -> None:
    story = Story()
    contact = ContactPoints(phone=story.mary_phone, address=mary_address())
    preferences = first_preferences(story, contact=contact)
    assert (preferences.channel, preferences.fallback_channel) == (Channel.LETTER, Channel.SMS)


def test_a_person_with_no_contact_point_keeps_the_default_and_no_fallback() -> None:
    preferences = first_preferences(Story(), contact=ContactPoints())
    assert (preferences.channel, preferences.fallback_channel) == (Channel.EMAIL, None)


def test_an_interpreter_need_means_a_practitioner_tells_them() -> None:
    preferences = first_preferences(Story(), interpreter_needed=True)
    assert (preferences.channel, preferences.fallback_channel) == (Channel.PRACTITIONER_CALL, None)


def test_an_easy_read_need_gives_easy_read_messages() -> None:
    assert first_preferences(Story(), easy_read=True).format is MessageFormat.EASY_READ


def test_a_representative_whose_relationship_says_advocate_is_the_advocate() -> None:
    advocate = Representative(
        name="Asha Patel",
        relationship="Independent advocate (Care Act)",
        contact=ContactPoints(email="asha@advocacy.example"),
    )
    preferences = first_preferences(Story(), representative=advocate)
    assert [r.role for r in preferences.recipients] == [
        RecipientRole.PERSON,
        RecipientRole.ADVOCATE,
    ]


def test_the_alleged_source_of_risks_contact_points_are_kept_so_they_are_never_used() -> None:
    story = Story()
    mistaken = ContactPoints(email=story.john_email, address=mary_address())
    preferences = first_preferences(story, contact=mistaken)
    [source] = preferences.alleged_sources_of_risk
    assert (source.name, source.contact.email) == ("John Smith", story.john_email)
    [route] = decide_routes(preferences)
    assert route.channel is Channel.LETTER  # type: ignore[union-attr]


def test_the_town_becomes_an_address_line() -> None:
    preferences = first_preferences(Story())
    person = preferences.recipient(RecipientRole.PERSON)
    assert person is not None
    assert person.contact.address is not None
    assert person.contact.address.lines == ("14 Orchard Close", "Worcester")


def test_english_is_recorded_as_its_language_code() -> None:
    assert first_preferences(Story()).language == "en"
