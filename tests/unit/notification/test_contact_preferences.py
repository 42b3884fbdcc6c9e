"""Contact preferences: built from intake's communication needs, then changed by practitioners."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notification.domain.preferences import ContactPreferences, PreferencesChange
from shared.events.notification import (
    AllegedSourceOfRisk,
    Channel,
    ContactPoints,
    MessageFormat,
    PreferencesSource,
    RecipientRole,
    UnsafeContactPoint,
)

PERSON = "person-5b0f1c1e-8a53-4c57-9f3e-2d9f0c1a7e44"
MARY = ContactPoints(email="mary@example.org", phone="07700 900456")
SON = AllegedSourceOfRisk(name="John Smith", contact=ContactPoints(phone="07700 900123"))


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
        advocate=("Asha Patel", ContactPoints(email="asha@advocacy.example")),
        alleged_source_of_risk=SON,
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


def test_everyone_named_at_intake_is_told_unless_the_person_chose_otherwise() -> None:
    representative = ("Ruth Smith", ContactPoints(email="ruth@example.org"))
    everyone = from_intake(representative=representative)
    chosen = from_intake(representative=representative, inform=[RecipientRole.REPRESENTATIVE])
    assert [r.role for r in everyone.recipients_to_inform] == [
        RecipientRole.PERSON,
        RecipientRole.REPRESENTATIVE,
    ]
    assert [r.role for r in chosen.recipients_to_inform] == [RecipientRole.REPRESENTATIVE]


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
    preferences = from_intake(alleged_source_of_risk=SON, easy_read=True)
    recorded = preferences.recorded(PreferencesSource.INTAKE)
    assert ContactPreferences.from_recorded(recorded) == preferences


def test_a_source_of_risk_named_in_a_later_concern_is_added_once() -> None:
    other = AllegedSourceOfRisk(name=None, contact=ContactPoints(email="landlord@example.com"))
    preferences = from_intake(alleged_source_of_risk=SON).with_alleged_source_of_risk(other)
    assert preferences.with_alleged_source_of_risk(other).alleged_sources_of_risk == (SON, other)
