"""The informing policy: for each step in a case, whether the person is told, with which message,
and within how many days.

MSP found people "were not kept informed". The person (and a representative they chose) is told
about: the concern being received and what happens next; the s42 decision; who
their lead worker and advocate are; meetings they are invited to; their plan; each review; any
override of their wishes and why; a formal action once it is taken (people were distressed when
it happened without their knowledge); the outcome; closure and who to contact. Steps they took
part in themselves, or that are internal to the council, are not messaged: the row says why.

An independent advocate is told what they need to support the person: every step the person is
told about from the decision on, but not the first "we have received a concern" letter, which is
for the person (an advocate is appointed later, in the enquiry).

Nothing here decides *how* or *whether it is safe*: the first message about a concern waits for a
practitioner's safe-contact decision, and every send is checked against the alleged sources of
risk (`informing_record`, `safety`).

Every event type in the catalogue has a row, so a new step cannot be added without deciding
whether the person hears about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.notification import RecipientRole


@dataclass(frozen=True)
class InformingRule:
    tell: bool
    template: str | None
    within_days: int | None
    """Days from the step within which the person must be told, or a decision not to tell them
    recorded; after that, InformingOverdue."""
    why_not: str | None
    advocate: bool = False
    """Whether an appointed advocate is told too."""

    def tells(self, role: RecipientRole) -> bool:
        """Whether a recipient in this role is told about the step (when they may be told at
        all: see `preferences.may_be_told`)."""
        if not self.tell:
            return False
        return self.advocate if role is RecipientRole.ADVOCATE else True

    def deadline(self, occurred_at: datetime) -> datetime | None:
        if self.within_days is None:
            return None
        return occurred_at + timedelta(days=self.within_days)


def _tell(template: str, within_days: int, *, advocate: bool = True) -> InformingRule:
    return InformingRule(
        tell=True, template=template, within_days=within_days, why_not=None, advocate=advocate
    )


def _not_told(why: str) -> InformingRule:
    return InformingRule(tell=False, template=None, within_days=None, why_not=why)


# fmt: off
INFORMING_POLICY: Mapping[str, InformingRule] = {
    # Told: event type               template                 within days
    "ConcernRaised":              _tell("concern_received",     2, advocate=False),
    "S42DecisionMade":            _tell("s42_decision",         3),
    "EnquiryStarted":             _tell("enquiry_started",      3),
    "LeadWorkerAssigned":         _tell("lead_worker_assigned", 2),
    "AdvocateAppointed":          _tell("advocate_appointed",   2),
    "MeetingArranged":            _tell("meeting_arranged",     1),
    "SafeguardingPlanAgreed":     _tell("plan_agreed",          3),
    "OutcomesReviewed":           _tell("outcomes_reviewed",    3),
    "WishesOverridden":           _tell("wishes_overridden",    1),
    "FormalActionTaken":          _tell("formal_action_taken",  2),
    "EnquiryConcluded":           _tell("enquiry_concluded",    3),
    "CaseClosed":                 _tell("case_closed",          3),
    # Not told: event type           why not
    "ConcernSubmissionRejected":  _not_told("invalid submission; nothing was recorded"),
    "ConcernLinkedToPerson":      _not_told("internal record keeping"),
    "ConcernUnlinkedFromPerson":  _not_told("internal record keeping"),
    "RepeatConcernLinked":        _not_told("a repeat is told with the concern it repeats"),
    "InformationGathered":        _not_told("internal fact finding"),
    "ReferrerFeedbackGiven":      _not_told("feedback to the referrer, not the person"),
    "PersonErased":               _not_told("her data was erased: nothing more is sent"),
    "LegalHoldPlaced":            _not_told("a hold on erasing records, not a step in her case"),
    "LegalHoldLifted":            _not_told("a hold on erasing records, not a step in her case"),
    "CaseOpened":                 _not_told("told as the decision and the enquiry"),
    "CaseMovedToPerson":          _not_told("the right person is told as the concern moves"),
    "ConversationHeld":           _not_told("the person took part"),
    "DesiredOutcomeExpressed":    _not_told("the person said it"),
    "DesiredOutcomeRevised":      _not_told("the person said it"),
    "DesiredOutcomeWithdrawn":    _not_told("the person said it"),
    "OutcomeAgreed":              _not_told("agreed with the person; told with the plan"),
    "FormalActionWishesRecorded": _not_told("the person said it"),
    "MentalCapacityAssessed":     _not_told("the person took part in the assessment"),
    "RiskDiscussionHeld":         _not_told("the person took part"),
    "NextContactAgreed":          _not_told("agreed with the person"),
    "ReviewDateAgreed":           _not_told("agreed with the person"),
    "AgreedDateMissed":           _not_told("a prompt for the practitioner"),
    "RepeatConcernJoined":        _not_told("the same incident: no second first-contact message"),
    "DemographicsRecorded":       _not_told("internal record keeping for the national return"),
    "CaseNoteRecorded":           _not_told("between professionals, for staff only"),
    "BestInterestsDecisionMade":  _not_told("representative consulted; the action is told"),
    "PlanActionCompleted":        _not_told("agreed with the person; told at review"),
    "EnquiryCeased":              _not_told("the end of the enquiry is told with closure"),
    "CaseAllocated":              _not_told("whose work it is, for staff; the lead worker is told"),
}
# fmt: on


FIRST_CONTACT = "ConcernRaised"
"""The step whose message is the first contact about a concern: also the one a person is told
when a concern is moved to them from someone it was wrongly linked to."""


def rule_for(event_type: str) -> InformingRule | None:
    """The rule for a step, or None for events that are not steps in a person's case."""
    return INFORMING_POLICY.get(event_type)


def templates_in_use() -> frozenset[str]:
    return frozenset(rule.template for rule in INFORMING_POLICY.values() if rule.template)
