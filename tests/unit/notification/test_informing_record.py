"""The person's informing record decides what happens to each step: not messaged, withheld, or
told by safe routes; and what practitioners may record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.notification.domain.informing_record import (
    NO_PREFERENCES,
    AlreadyDone,
    AwaitingSafeContact,
    InformingRecord,
    InformingRefused,
    NotTold,
    PreferencesWanted,
    StepSeen,
    Tell,
    Withheld,
)
from services.notification.domain.safety import Route
from shared.events.intake import ContactPoints as IntakeContactPoints
from shared.events.notification import (
    Channel,
    ContactPoints,
    InformingWithheld,
    MessageFormat,
    PractitionerContactReason,
    PreferencesSource,
    Recipient,
    RecipientRole,
    WithholdingReason,
)
from shared.events.outcomes import FormalActionBasis
from tests.unit.notification.records import (
    case_facts,
    intake_preferences,
    record_after_concern,
    record_of,
    step_of,
)
from tests.unit.notification.story import MANAGER, WORKER, Story

TODAY = date(2026, 3, 3)


def withholding(story: Story, review_date: date, step_id: str | None = None) -> InformingWithheld:
    return InformingWithheld(
        person_id=story.person_id,
        source_event_id=step_id,
        source_event_type="ConcernRaised" if step_id else None,
        reason=WithholdingReason.POLICE_INVESTIGATION,
        reason_text="The police are interviewing her son.",
        review_date=review_date,
        decided_by=WORKER,
    )


def test_a_step_the_policy_does_not_message_is_recorded_as_not_told_with_the_reason() -> None:
    story = Story()
    decision = record_after_concern(story).decide(step_of(story.case_opened(), story), TODAY)
    assert decision == NotTold(why="told as the decision and the enquiry")


def test_the_person_is_told_by_their_safe_route_in_their_format() -> None:
    story = Story()
    record = record_after_concern(story, easy_read=True)
    decision = record.decide(step_of(story.s42_decision_made(), story), TODAY)
    assert isinstance(decision, Tell)
    [route] = decision.routes
    assert isinstance(route, Route)
    assert (route.role, route.channel, decision.format) == (
        RecipientRole.PERSON,
        Channel.EMAIL,
        MessageFormat.EASY_READ,
    )
    assert route.addressee.name == "Mary Smith"
    assert decision.preferences == record.preferences


def test_with_no_preferences_recorded_nothing_is_sent_and_a_practitioner_must_tell_them() -> None:
    story = Story()
    record = InformingRecord(person_id=story.person_id)
    decision = record.decide(step_of(story.s42_decision_made(), story), TODAY)
    assert decision == AwaitingSafeContact()
    assert record.route_now(RecipientRole.PERSON, story.concern_id) == NO_PREFERENCES
    assert record.route_now(RecipientRole.REPRESENTATIVE, story.concern_id) is None
    assert NO_PREFERENCES.reason is PractitionerContactReason.NO_CONTACT_POINT


def test_while_everything_is_withheld_a_new_step_is_recorded_as_withheld_not_sent() -> None:
    story = Story()
    everything = withholding(story, TODAY + timedelta(days=28))
    record = record_after_concern(story)
    record.withholdings.append(everything)
    decided = story.s42_decision_made()
    decision = record.decide(step_of(decided, story), TODAY)
    assert isinstance(decision, Withheld)
    assert decision.withholding == everything
    assert decision.event is not None
    assert decision.event.source_event_id == decided.event_id
    assert (decision.event.reason, decision.event.review_date) == (
        everything.reason,
        everything.review_date,
    )


def test_a_withholding_past_its_review_date_no_longer_holds_new_steps_back() -> None:
    story = Story()
    record = record_after_concern(story)
    record.withholdings.append(withholding(story, TODAY - timedelta(days=1)))
    assert isinstance(record.decide(step_of(story.s42_decision_made(), story), TODAY), Tell)


def test_withholding_one_step_holds_back_only_that_step() -> None:
    story = Story()
    record = record_after_concern(story)
    raised = story.concern_raised()
    record.withholdings.append(withholding(story, TODAY, step_id=raised.event_id))
    assert record.withholding_for(raised.event_id, TODAY + timedelta(days=60)) is not None
    assert record.withholding_for("another-step", TODAY) is None


def test_an_override_judged_unsafe_to_tell_is_withheld_for_risk_to_the_person() -> None:
    story = Story()
    record = record_after_concern(story)
    overridden = story.wishes_overridden(person_told=False)
    decision = record.decide(step_of(overridden, story, case=case_facts(story)), TODAY)
    assert isinstance(decision, Withheld)
    assert decision.event is not None
    assert decision.event.reason is WithholdingReason.RISK_TO_PERSON
    assert decision.event.reason_text == "Her son reads her post and would know."
    assert decision.event.decided_by == MANAGER


def test_a_later_concern_adds_its_source_of_risk_but_keeps_what_the_person_asked_for() -> None:
    story = Story()
    first = intake_preferences(story.concern_raised())
    wanted = PreferencesWanted(
        recipients=(
            Recipient(
                role=RecipientRole.PERSON,
                name="Mary Smith",
                contact=ContactPoints(phone="07700 900456"),
                inform=True,
            ),
        ),
        channel=Channel.SMS,
    )
    asked = record_of(story.person_id, first.recorded(PreferencesSource.INTAKE))
    assert first.alleged_sources_of_risk[0].contact.phone == "07700 900123"
    record = record_of(
        story.person_id,
        first.recorded(PreferencesSource.INTAKE),
        asked.preferences_set_by_practitioner(wanted),
    )
    later = story.concern_raised(source_contact=IntakeContactPoints(phone="07700 900999"))
    recorded = record.preferences_from_intake(intake_preferences(later))
    assert recorded is not None
    assert recorded.channel is Channel.SMS
    assert [s.contact.phone for s in recorded.alleged_sources_of_risk] == [
        "07700 900123",
        "07700 900999",
    ]


def test_a_concern_repeating_what_is_known_records_no_new_preferences() -> None:
    story = Story()
    record = record_after_concern(story)
    assert record.preferences_from_intake(intake_preferences(story.concern_raised())) is None


def test_a_practitioner_cannot_make_the_source_of_risk_contactable_again() -> None:
    story = Story()
    record = record_after_concern(story)
    recorded = record.preferences_set_by_practitioner(
        PreferencesWanted(
            recipients=record.preferences.recipients,  # type: ignore[union-attr]
            channel=Channel.EMAIL,
        )
    )
    assert [s.name for s in recorded.alleged_sources_of_risk] == ["John Smith"]
    assert recorded.source is PreferencesSource.PRACTITIONER


def test_a_withholding_whose_review_date_has_passed_is_refused() -> None:
    story = Story()
    with pytest.raises(InformingRefused, match="has passed"):
        InformingRecord(person_id=story.person_id).withhold(
            reason=WithholdingReason.OTHER,
            reason_text="Not yet.",
            review_date=TODAY - timedelta(days=1),
            decided_by=WORKER,
            today=TODAY,
        )


def test_withholding_a_step_everyone_was_told_about_is_refused() -> None:
    story = Story()
    told = StepSeen("step-1", "ConcernRaised", None, story.concern_id, told_everyone=True)
    with pytest.raises(AlreadyDone):
        InformingRecord(person_id=story.person_id).withhold(
            reason=WithholdingReason.OTHER,
            reason_text="Not yet.",
            review_date=TODAY,
            decided_by=WORKER,
            today=TODAY,
            step=told,
        )


def test_a_formal_action_the_person_wanted_is_told() -> None:
    story = Story()
    record = record_after_concern(story)
    taken = story.formal_action_taken(FormalActionBasis.PERSON_WANTS_IT)
    assert isinstance(record.decide(step_of(taken, story, case=case_facts(story)), TODAY), Tell)
