"""Contact preferences: built from intake's communication needs, then changed by practitioners."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notification.domain.preferences import (
    ContactPreferences,
    PreferencesChange,
    has_reviewed_messages,
    may_be_told,
)
from shared.events.notification import (
    AllegedSourceOfRisk,
    Channel,
    ContactPoints,
    MessageFormat,
    PreferencesSource,
    Recipient,
    RecipientChoice,
    RecipientRole,
    UnsafeContactPoint,
)

PERSON = "person-5b0f1c1e-8a53-4c57-9f3e-2d9f0c1a7e44"
MARY = ContactPoints(email="mary@example.org", phone="07700 900456")
SON = AllegedSourceOfRisk(
    name="John Smith", relationship="son", contact=ContactPoints(phone="07700 900123")
)
ASHA = Recipient(
    role=RecipientRole.ADVOCATE,
    name="Asha Patel",
    relationship="independent advocate",
    contact=ContactPoints(email="asha@advocacy.example"),
    inform=True,
    chosen=RecipientChoice.APPOINTED_ADVOCATE,
)


def ruth(
    *, inform: bool, chosen: RecipientChoice | None, assessment: str | None = None
) -> Recipient:
    return Recipient(
        role=RecipientRole.REPRESENTATIVE,
        name="Ruth Smith",
        relationship="daughter",
        contact=ContactPoints(email="ruth@example.org"),
        inform=inform,
        chosen=chosen,
        capacity_assessment_id=assessment,
    )


def from_intake(**needs: object) -> ContactPreferences:
    arguments: dict[str, object] = {
        "person_id": PERSON,
        "person_name": "Mary Smith",
        "person_contact": MARY,
        "default_channel": Channel.EMAIL,
    }
    return ContactPreferences.from_communication_needs(**(arguments | needs))  # type: ignore[arg-type]


def test_first_preferences_come_from_the_communication_needs_given_at_intake() -> None:
    preferences = from_intake(
        preferred_channel=Channel.SMS,
        language="en",
        advocate=ASHA,
        alleged_sources_of_risk=(SON,),
    )
    assert preferences.channel is Channel.SMS
    assert [r.role for r in preferences.recipients] == [
        RecipientRole.PERSON,
        RecipientRole.ADVOCATE,
    ]
    assert preferences.alleged_sources_of_risk == (SON,)


def test_an_easy_read_need_gives_easy_read_messages() -> None:
    assert from_intake(easy_read=True).format is MessageFormat.EASY_READ


def test_without_a_chosen_channel_the_council_default_is_used() -> None:
    assert from_intake().channel is Channel.EMAIL


def test_when_an_interpreter_is_needed_a_practitioner_makes_contact() -> None:
    preferences = from_intake(language="pa", interpreter_needed=True)
    assert preferences.channel is Channel.PRACTITIONER_CALL


def test_a_channel_the_person_asked_for_wins_over_the_interpreter_default() -> None:
    preferences = from_intake(language="pa", interpreter_needed=True, preferred_channel=Channel.SMS)
    assert preferences.channel is Channel.SMS


def test_a_representative_named_by_the_referrer_is_recorded_but_not_told() -> None:
    named = from_intake(representative=ruth(inform=False, chosen=RecipientChoice.NAMED_BY_REFERRER))
    assert [r.role for r in named.recipients] == [
        RecipientRole.PERSON,
        RecipientRole.REPRESENTATIVE,
    ]
    assert [r.role for r in named.recipients_to_inform] == [RecipientRole.PERSON]


def test_a_representative_named_by_the_referrer_is_not_told_even_when_marked_to_be() -> None:
    marked = from_intake(
        representative=ruth(inform=False, chosen=RecipientChoice.NAMED_BY_REFERRER),
        inform=[RecipientRole.PERSON, RecipientRole.REPRESENTATIVE],
    )
    assert [r.role for r in marked.recipients_to_inform] == [RecipientRole.PERSON]
    assert len(marked.refusals()) == 1
    assert "a referrer naming them is not enough" in marked.refusals()[0]


def test_a_representative_the_person_chose_is_told_when_marked_to_be() -> None:
    chose = from_intake(
        representative=ruth(inform=True, chosen=RecipientChoice.PERSON_CHOSE),
        inform=[RecipientRole.REPRESENTATIVE],
    )
    assert [r.role for r in chose.recipients_to_inform] == [RecipientRole.REPRESENTATIVE]
    assert chose.refusals() == []


def test_a_representative_the_person_chose_but_did_not_want_told_is_not_told() -> None:
    chose = from_intake(representative=ruth(inform=False, chosen=RecipientChoice.PERSON_CHOSE))
    assert [r.role for r in chose.recipients_to_inform] == [RecipientRole.PERSON]


@pytest.mark.parametrize(
    ("recipient", "told"),
    [
        (ruth(inform=True, chosen=None), False),
        (ruth(inform=True, chosen=RecipientChoice.NAMED_BY_REFERRER), False),
        (ruth(inform=True, chosen=RecipientChoice.APPOINTED_ADVOCATE), False),
        (ruth(inform=True, chosen=RecipientChoice.BEST_INTERESTS), False),
        (ruth(inform=True, chosen=RecipientChoice.BEST_INTERESTS, assessment=""), False),
        (ruth(inform=True, chosen=RecipientChoice.BEST_INTERESTS, assessment="mca-1"), True),
        (ruth(inform=True, chosen=RecipientChoice.PERSON_CHOSE), True),
        (ASHA, True),
        (ASHA.model_copy(update={"chosen": RecipientChoice.NAMED_BY_REFERRER}), False),
        (ASHA.model_copy(update={"chosen": None}), False),
    ],
)
def test_the_persons_own_wish_decides_who_else_may_be_told(
    recipient: Recipient, told: bool
) -> None:
    assert may_be_told(recipient) is told


def test_the_person_may_always_be_told() -> None:
    mary = Recipient(role=RecipientRole.PERSON, name="Mary Smith", contact=MARY, inform=True)
    assert may_be_told(mary)


def test_a_best_interests_choice_without_its_assessment_says_what_is_missing() -> None:
    marked = from_intake(
        representative=ruth(inform=True, chosen=RecipientChoice.BEST_INTERESTS),
        inform=[RecipientRole.PERSON, RecipientRole.REPRESENTATIVE],
    )
    assert marked.refusals() == [
        "a representative chosen in the person's best interests needs the capacity assessment "
        "behind that decision: give capacity_assessment_id"
    ]


@pytest.mark.parametrize(
    "language",
    [
        "en",
        "EN",
        "eng",
        "English",
        " english ",
        "en-GB",
        "en_gb",
        "British English",
        "UK English",
        "English (UK)",
    ],
)
def test_english_written_any_usual_way_has_reviewed_messages(language: str) -> None:
    assert has_reviewed_messages(language)


@pytest.mark.parametrize(
    "language",
    [
        "Polish",
        "pl",
        "pl-PL",
        "English and Polish",
        "English/Polish",
        "Polish, some English",
        "Welsh",
        "cy",
        "BSL",
        "British Sign Language",
        "Englisch",
        "not English",
    ],
)
def test_any_other_or_unclear_language_has_no_reviewed_messages(language: str) -> None:
    assert not has_reviewed_messages(language)


def test_a_practitioner_change_alters_only_what_it_names() -> None:
    before = from_intake()
    after = before.changed(PreferencesChange(format=MessageFormat.EASY_READ))
    assert after.format is MessageFormat.EASY_READ
    assert after.model_copy(update={"format": before.format}) == before


def test_a_practitioner_can_remove_the_fallback_channel() -> None:
    with_fallback = from_intake().changed(PreferencesChange(fallback_channel=Channel.SMS))
    without = with_fallback.changed(PreferencesChange(fallback_channel=None))
    assert with_fallback.fallback_channel is Channel.SMS
    assert without.fallback_channel is None


def test_a_practitioner_can_mark_a_contact_point_unsafe() -> None:
    unsafe = UnsafeContactPoint(
        contact=ContactPoints(phone="07700 900456"), reason="He checks her phone"
    )
    changed = from_intake().changed(PreferencesChange(unsafe_contact_points=(unsafe,)))
    assert changed.unsafe_contact_points == (unsafe,)


def test_the_channel_cannot_be_removed_only_changed() -> None:
    with pytest.raises(ValidationError, match="channel cannot be removed"):
        PreferencesChange(channel=None)


def test_an_alleged_source_of_risk_cannot_be_removed_by_a_practitioner_change() -> None:
    with pytest.raises(ValidationError, match="alleged_sources_of_risk"):
        PreferencesChange.model_validate({"alleged_sources_of_risk": []})


def test_preferences_must_leave_someone_to_inform() -> None:
    with pytest.raises(ValidationError, match="at least one recipient"):
        from_intake(inform=[])


def test_the_fallback_channel_must_differ_from_the_channel() -> None:
    with pytest.raises(ValidationError, match="must differ"):
        from_intake().changed(PreferencesChange(fallback_channel=Channel.EMAIL))


def test_a_practitioner_call_is_not_a_fallback() -> None:
    with pytest.raises(ValidationError, match="choose email, sms or letter"):
        from_intake().changed(PreferencesChange(fallback_channel=Channel.PRACTITIONER_CALL))


def test_preferences_survive_being_recorded_and_replayed() -> None:
    preferences = from_intake(
        alleged_sources_of_risk=(SON,),
        easy_read=True,
        representative=ruth(inform=False, chosen=RecipientChoice.NAMED_BY_REFERRER),
    )
    recorded = preferences.recorded(PreferencesSource.INTAKE)
    assert ContactPreferences.from_recorded(recorded) == preferences


def test_a_source_of_risk_named_in_a_later_concern_is_added_once() -> None:
    other = AllegedSourceOfRisk(name=None, contact=ContactPoints(email="landlord@example.com"))
    preferences = from_intake(alleged_sources_of_risk=(SON,)).with_alleged_source_of_risk(other)
    assert preferences.with_alleged_source_of_risk(other).alleged_sources_of_risk == (SON, other)


def test_adding_a_recipient_replaces_the_one_in_the_same_role() -> None:
    first = from_intake(advocate=ASHA)
    other = ASHA.model_copy(update={"name": "Ben Okafor"})
    changed = first.with_recipient(other)
    assert [r.name for r in changed.recipients] == ["Mary Smith", "Ben Okafor"]
    assert (
        first.with_recipient(ruth(inform=True, chosen=RecipientChoice.PERSON_CHOSE)).recipient(
            RecipientRole.ADVOCATE
        )
        == ASHA
    )
