"""The informing policy, row by row: what the person is told, with which message, how soon."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notification.domain.messages import TEMPLATES, Audience, formats_for, template_file
from services.notification.domain.policy import (
    FIRST_CONTACT,
    INFORMING_POLICY,
    rule_for,
    templates_in_use,
)
from services.outcomes.domain.summary import DECISIONS_THE_PERSON_IS_TOLD_ABOUT
from shared.events import registered_events
from shared.events.notification import RecipientRole

CATALOGUE = {
    # intake
    "ConcernRaised",
    "ConcernSubmissionRejected",
    "ConcernLinkedToPerson",
    "ConcernUnlinkedFromPerson",
    "RepeatConcernLinked",
    "InformationGathered",
    "S42DecisionMade",
    "ReferrerFeedbackGiven",
    "PersonErased",
    "LegalHoldPlaced",
    "LegalHoldLifted",
    # outcomes
    "CaseOpened",
    "CaseMovedToPerson",
    "EnquiryStarted",
    "LeadWorkerAssigned",
    "CaseAllocated",
    "ConversationHeld",
    "DesiredOutcomeExpressed",
    "DesiredOutcomeRevised",
    "DesiredOutcomeWithdrawn",
    "OutcomeAgreed",
    "FormalActionWishesRecorded",
    "MentalCapacityAssessed",
    "AdvocateAppointed",
    "RiskDiscussionHeld",
    "MeetingArranged",
    "SafeguardingPlanAgreed",
    "WishesOverridden",
    "FormalActionTaken",
    "NextContactAgreed",
    "ReviewDateAgreed",
    "AgreedDateMissed",
    "OutcomesReviewed",
    "EnquiryConcluded",
    "CaseClosed",
    "RepeatConcernJoined",
    "DemographicsRecorded",
    "CaseNoteRecorded",
    "BestInterestsDecisionMade",
    "PlanActionCompleted",
    "EnquiryCeased",
}

TOLD = [
    ("ConcernRaised", "concern_received", 2),
    ("S42DecisionMade", "s42_decision", 3),
    ("EnquiryStarted", "enquiry_started", 3),
    ("LeadWorkerAssigned", "lead_worker_assigned", 2),
    ("AdvocateAppointed", "advocate_appointed", 2),
    ("MeetingArranged", "meeting_arranged", 1),
    ("SafeguardingPlanAgreed", "plan_agreed", 3),
    ("OutcomesReviewed", "outcomes_reviewed", 3),
    ("WishesOverridden", "wishes_overridden", 1),
    ("FormalActionTaken", "formal_action_taken", 2),
    ("EnquiryConcluded", "enquiry_concluded", 3),
    ("CaseClosed", "case_closed", 3),
]

NOT_TOLD = sorted(CATALOGUE - {event_type for event_type, _, _ in TOLD})


@pytest.mark.parametrize(("event_type", "template", "within_days"), TOLD)
def test_the_person_is_told_about_this_step(
    event_type: str, template: str, within_days: int
) -> None:
    rule = rule_for(event_type)
    assert rule is not None
    assert (rule.tell, rule.template, rule.within_days) == (True, template, within_days)


@pytest.mark.parametrize("event_type", NOT_TOLD)
def test_this_step_is_not_messaged_and_the_policy_says_why(event_type: str) -> None:
    rule = rule_for(event_type)
    assert rule is not None
    assert (rule.tell, rule.template, rule.within_days) == (False, None, None)
    assert rule.why_not


def test_every_step_in_the_catalogue_has_an_informing_decision() -> None:
    assert set(INFORMING_POLICY) == CATALOGUE


def test_the_persons_own_conversations_are_not_messaged_back_to_them() -> None:
    for event_type in ("InformationGathered", "ConversationHeld", "DesiredOutcomeExpressed"):
        rule = rule_for(event_type)
        assert rule is not None
        assert not rule.tell


def test_events_that_are_not_steps_in_a_case_have_no_rule() -> None:
    assert rule_for("PersonInformed") is None


@pytest.mark.parametrize("template", sorted(templates_in_use()))
@pytest.mark.parametrize("audience", list(Audience))
def test_every_message_exists_for_each_audience_in_each_format_it_is_written_in(
    template: str, audience: Audience
) -> None:
    for format in formats_for(audience):
        assert (TEMPLATES / template_file(template, audience, format)).is_file()


def test_every_event_intake_and_outcomes_publish_is_in_the_policy() -> None:
    published = {
        name
        for name, cls in registered_events().items()
        if cls.__module__ in ("shared.events.intake", "shared.events.outcomes")
    }
    assert published == set(INFORMING_POLICY)


@pytest.mark.parametrize(("event_type", "template", "within_days"), TOLD)
def test_the_person_and_a_representative_they_chose_are_told_every_told_step(
    event_type: str, template: str, within_days: int
) -> None:
    rule = rule_for(event_type)
    assert rule is not None
    assert rule.tells(RecipientRole.PERSON)
    assert rule.tells(RecipientRole.REPRESENTATIVE)


@pytest.mark.parametrize(("event_type", "template", "within_days"), TOLD)
def test_an_advocate_is_told_every_told_step_but_the_first_concern_letter(
    event_type: str, template: str, within_days: int
) -> None:
    rule = rule_for(event_type)
    assert rule is not None
    assert rule.tells(RecipientRole.ADVOCATE) is (event_type != FIRST_CONTACT)


@pytest.mark.parametrize("event_type", NOT_TOLD)
def test_nobody_is_told_a_step_the_policy_does_not_message(event_type: str) -> None:
    rule = rule_for(event_type)
    assert rule is not None
    assert not any(rule.tells(role) for role in RecipientRole)


def test_the_first_contact_about_a_concern_is_the_concern_received_letter() -> None:
    rule = rule_for(FIRST_CONTACT)
    assert rule is not None
    assert rule.template == "concern_received"


def test_the_deadline_counts_from_when_the_step_happened() -> None:
    rule = rule_for("WishesOverridden")
    assert rule is not None
    overridden_at = datetime(2026, 3, 3, 16, 45, tzinfo=UTC)
    assert rule.deadline(overridden_at) == datetime(2026, 3, 4, 16, 45, tzinfo=UTC)


@pytest.mark.parametrize("event_type", sorted(DECISIONS_THE_PERSON_IS_TOLD_ABOUT))
def test_the_person_is_told_of_every_decision_in_their_case_that_outcomes_counts(
    event_type: str,
) -> None:
    rule = rule_for(event_type)
    assert rule is not None
    assert rule.tell
