"""The first contact preferences, from the communication needs a concern was raised with."""

from __future__ import annotations

import pytest

from services.notification.domain.communication_needs import preferences_from_concern
from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import Route, decide_routes, route_flags
from shared.events.intake import AllegedSourceOfRisk as IntakeSourceOfRisk
from shared.events.intake import ConcernRaised, ContactPoints, Representative
from shared.events.notification import (
    AllegedSourceOfRisk,
    Channel,
    ClashKind,
    MessageFormat,
    RecipientChoice,
    RecipientRole,
)
from shared.events.notification import ContactPoints as NotificationContactPoints
from shared.sac import RiskLocation, RiskSource
from tests.unit.notification.confirming import by_recipient, seen_and_confirmed
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
    recorded = preferences.recipient(RecipientRole.ADVOCATE)
    assert recorded is not None
    assert (recorded.inform, recorded.chosen) == (False, RecipientChoice.NAMED_BY_REFERRER)


def test_the_alleged_source_of_risks_contact_points_are_kept_so_they_are_never_used() -> None:
    story = Story()
    mistaken = ContactPoints(email=story.john_email, address=mary_address())
    preferences = first_preferences(story, contact=mistaken)
    [source] = preferences.alleged_sources_of_risk
    assert (source.name, source.contact.email) == ("John Smith", story.john_email)
    flags = {(f.role, f.channel): f for f in route_flags(preferences)}
    assert flags[(RecipientRole.PERSON, Channel.EMAIL)].never_usable
    letter = seen_and_confirmed(preferences, (RecipientRole.PERSON, Channel.LETTER))
    [route] = decide_routes(preferences, by_recipient(letter), advocate_told=False)
    assert isinstance(route, Route)
    assert route.channel is Channel.LETTER


def test_the_alleged_source_of_risk_is_kept_with_their_relationship_and_the_risk() -> None:
    story = Story()
    preferences = first_preferences(
        story, risk_source=RiskSource.KNOWN_TO_INDIVIDUAL, risk_location=RiskLocation.OWN_HOME
    )
    [source] = preferences.alleged_sources_of_risk
    assert (source.name, source.relationship, source.risk_source, source.risk_location) == (
        "John Smith",
        "son",
        RiskSource.KNOWN_TO_INDIVIDUAL,
        RiskLocation.OWN_HOME,
    )
    assert source.contact.phone == story.john_phone


def test_a_source_known_only_by_relationship_is_kept_by_it() -> None:
    son = IntakeSourceOfRisk(relationship="son")
    [source] = first_preferences(Story(), source=son).alleged_sources_of_risk
    assert (source.name, source.relationship) == (None, "son")


@pytest.mark.parametrize(
    "risk_source", [RiskSource.SERVICE_PROVIDER, RiskSource.KNOWN_TO_INDIVIDUAL]
)
def test_a_concern_naming_nobody_still_gives_a_source_when_the_risk_has_one(
    risk_source: RiskSource,
) -> None:
    preferences = first_preferences(
        Story(),
        nobody_named=True,
        risk_source=risk_source,
        risk_location=RiskLocation.CARE_HOME_RESIDENTIAL,
    )
    assert preferences.alleged_sources_of_risk == (
        AllegedSourceOfRisk(
            name=None,
            relationship=None,
            contact=NotificationContactPoints(),
            risk_source=risk_source,
            risk_location=RiskLocation.CARE_HOME_RESIDENTIAL,
        ),
    )


def test_a_risk_from_a_stranger_naming_nobody_gives_no_source() -> None:
    preferences = first_preferences(
        Story(), nobody_named=True, risk_source=RiskSource.UNKNOWN_TO_INDIVIDUAL
    )
    assert preferences.alleged_sources_of_risk == ()


def test_a_representative_named_by_the_referrer_is_recorded_with_their_relationship_not_told() -> (
    None
):
    daughter = Representative(
        name="Ruth Smith", relationship="daughter", contact=ContactPoints(email="ruth@example.org")
    )
    preferences = first_preferences(Story(), representative=daughter)
    ruth = preferences.recipient(RecipientRole.REPRESENTATIVE)
    assert ruth is not None
    assert (ruth.relationship, ruth.inform, ruth.chosen) == (
        "daughter",
        False,
        RecipientChoice.NAMED_BY_REFERRER,
    )
    assert [r.role for r in preferences.recipients_to_inform] == [RecipientRole.PERSON]


def test_a_representative_who_is_the_named_source_of_risk_is_flagged_for_the_practitioner() -> None:
    story = Story()
    son = Representative(
        name="John Smith", relationship="son", contact=ContactPoints(email="js@work.example")
    )
    preferences = first_preferences(story, representative=son)
    flags = {(f.role, f.channel): f for f in route_flags(preferences)}
    kinds = {c.kind for c in flags[(RecipientRole.REPRESENTATIVE, Channel.EMAIL)].clashes}
    assert {ClashKind.NAME_LIKE_SOURCE, ClashKind.RELATIONSHIP_LIKE_SOURCE} <= kinds


@pytest.mark.parametrize("language", ["English", "english", "en", " English "])
def test_english_is_recorded_as_its_language_code_however_it_was_typed(language: str) -> None:
    assert first_preferences(Story(), language=language).language == "en"


def test_another_language_is_kept_as_given() -> None:
    assert first_preferences(Story(), language="Polish").language == "Polish"


def test_the_town_becomes_an_address_line() -> None:
    preferences = first_preferences(Story())
    person = preferences.recipient(RecipientRole.PERSON)
    assert person is not None
    assert person.contact.address is not None
    assert person.contact.address.lines == ("14 Orchard Close", "Worcester")
