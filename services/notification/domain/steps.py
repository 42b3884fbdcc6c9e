"""Steps in a person's case as notification sees them: whose case, which rule of the informing
policy applies, and the facts a message about it may use.

Intake and outcomes events reach notification in their own words; this module turns each into a
`Step` (or nothing, for events that are not steps in someone's case) and keeps, per case and per
concern, the few facts messages need (the reference, the lead worker, the advocate, agreed dates),
which of the person's wishes were overridden without telling them, and whom the concern is about
now (a practitioner may move it to another person).

What a message may say about a step is taken here, once, as `StepFacts`: typed values only. A
name or contact detail that is not plainly a name or a phone number or email is left out rather
than passed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from services.notification.domain import plain_words
from services.notification.domain.messages import (
    UK_TIME,
    ContactDetail,
    OrganisationName,
    Ratings,
    StaffName,
    StepFacts,
)
from services.notification.domain.policy import FIRST_CONTACT, rule_for
from services.notification.domain.preferences import ContactPreferences
from shared.events import Actor, DomainEvent, Envelope
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    RepeatConcernLinked,
    S42DecisionMade,
)
from shared.events.outcomes import (
    AdvocateAppointed,
    CaseAllocated,
    CaseEvent,
    CaseOpened,
    EnquiryConcluded,
    FormalActionTaken,
    LeadWorkerAssigned,
    MeetingArranged,
    MentalCapacityAssessed,
    NextContactAgreed,
    OutcomesReviewed,
    ReviewDateAgreed,
    ReviewStage,
    WishesOverridden,
)
from shared.sac import Achievement

UNTOLD_OVERRIDE_REVIEW_DAYS = 28
"""When a manager decides telling the person of an override is unsafe, the withholding is
reviewed after this many days, like any other withholding."""


class Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConcernFacts(Facts):
    """What notification keeps about one concern (stream `concern-<uuid>`)."""

    concern_id: str
    person_id: str
    reference: str | None = None
    case_id: str | None = None
    repeat_of: str | None = None
    """The open concern this one repeats: it is told with that one, never twice."""
    needs: ContactPreferences | None = None
    """The first contact preferences the concern gave, kept for the person it is moved to."""
    version: int = 0
    """The concern stream's version last applied: a redelivered older event changes nothing."""

    def after(self, envelope: Envelope) -> ConcernFacts:
        payload = envelope.payload
        changes: dict[str, object] = {"version": envelope.stream_version}
        if isinstance(payload, ConcernRaised):
            changes |= {
                "person_id": payload.person_id,
                "reference": payload.reference,
                "repeat_of": payload.repeat_of_concern_id,
            }
        elif isinstance(payload, ConcernLinkedToPerson):
            changes["person_id"] = payload.person_id
        elif isinstance(payload, ConcernUnlinkedFromPerson):
            changes["person_id"] = payload.new_person_id
        elif isinstance(payload, RepeatConcernLinked):
            changes["repeat_of"] = payload.repeat_of_concern_id
        elif isinstance(payload, S42DecisionMade):
            changes |= {"person_id": payload.person_id, "reference": payload.reference}
        return self.model_copy(update=changes)


class CaseFacts(Facts):
    """What notification keeps about one case (stream `case-<uuid>`)."""

    case_id: str
    person_id: str
    concern_id: str | None = None
    reference: str | None = None
    team: str | None = None
    """The team the case is allocated to (None until a manager allocates it): whose staff see
    its work in the work queues."""
    lead_worker_name: str | None = None
    lead_worker_contact: str | None = None
    advocate_name: str | None = None
    advocate_organisation: str | None = None
    next_contact_on: date | None = None
    review_on: date | None = None
    untold_overrides: dict[str, str] = {}
    """Formal action kind -> why a manager decided telling the person is unsafe."""
    lacking_capacity: tuple[str, ...] = ()
    """Capacity assessments in the case that found the person lacks capacity for a decision."""
    version: int = 0

    def after(self, envelope: Envelope) -> CaseFacts:
        payload = envelope.payload
        changes: dict[str, object] = {"version": envelope.stream_version}
        if isinstance(payload, CaseEvent):
            changes["person_id"] = payload.person_id
        if isinstance(payload, CaseOpened):
            changes |= {"concern_id": payload.concern_id, "reference": payload.reference}
        elif isinstance(payload, CaseAllocated):
            changes["team"] = payload.team
        elif isinstance(payload, LeadWorkerAssigned):
            changes |= {"lead_worker_name": payload.name, "lead_worker_contact": payload.contact}
        elif isinstance(payload, AdvocateAppointed):
            changes |= {
                "advocate_name": payload.name,
                "advocate_organisation": payload.organisation,
            }
        elif isinstance(payload, NextContactAgreed):
            changes["next_contact_on"] = payload.contact_on
        elif isinstance(payload, ReviewDateAgreed):
            changes["review_on"] = payload.review_on
        elif isinstance(payload, MentalCapacityAssessed) and payload.lacks_capacity:
            changes["lacking_capacity"] = (*self.lacking_capacity, payload.assessment_id)
        elif isinstance(payload, WishesOverridden):
            untold = dict(self.untold_overrides)
            if payload.person_told:
                untold.pop(payload.action.value, None)
            else:
                untold[payload.action.value] = payload.why_not_told or "telling them is unsafe"
            changes["untold_overrides"] = untold
        return self.model_copy(update=changes)


@dataclass(frozen=True)
class UnsafeToTell:
    """A manager decided that telling the person about this step is itself unsafe."""

    why: str
    review_date: date


@dataclass(frozen=True)
class Step:
    """One step in a person's case and what the informing policy says about telling them."""

    source_event_id: str
    source_event_type: str
    person_id: str
    case_id: str | None
    concern_id: str | None
    occurred_at: datetime
    correlation_id: str
    actor: Actor
    """Who caused the step (a manager who judged telling the person unsafe, for instance)."""
    tell: bool
    template: str | None
    deadline: datetime | None
    why_not: str | None
    unsafe_to_tell: UnsafeToTell | None = None
    advocate_told: bool = False
    """Whether an appointed advocate is told about this step too (the informing policy)."""
    facts: StepFacts | None = None
    """What a message about the step may say; None when nobody is messaged about it."""

    @property
    def told_about(self) -> str:
        """What the recipient learns, in plain words (for practitioners and the log)."""
        return plain_words.what_they_are_told(self.template, self.source_event_type)


def step_for(
    envelope: Envelope,
    *,
    person_id: str | None,
    case: CaseFacts | None,
    concern: ConcernFacts | None,
) -> Step | None:
    """The step this event is in the person's case, or None when it is not one (no rule, or
    no person to tell)."""
    payload = envelope.payload
    event_type = FIRST_CONTACT if moves_concern(payload) else envelope.event_type
    rule = rule_for(event_type)
    if rule is None or person_id is None:
        return None
    case_id = case.case_id if case else getattr(payload, "case_id", None)
    concern_id = getattr(payload, "concern_id", None) or (case.concern_id if case else None)
    if concern_id is None and concern is not None:
        concern_id = concern.concern_id
    tell, why_not, unsafe = rule.tell, rule.why_not, None
    if isinstance(payload, MeetingArranged) and not payload.person_invited:
        # Only meetings the person is invited to are theirs to hear about.
        tell, why_not = False, "the person is not invited to this meeting"
    elif isinstance(payload, WishesOverridden) and not payload.person_told:
        unsafe = _unsafe(payload.why_not_told or "telling them is unsafe", envelope.occurred_at)
    elif isinstance(payload, FormalActionTaken) and case is not None:
        # Telling them the action was taken would tell them of the override the manager judged
        # unsafe to tell them about.
        why = case.untold_overrides.get(payload.action.value)
        if why is not None:
            unsafe = _unsafe(why, envelope.occurred_at)
    elif isinstance(payload, ConcernRaised) and concern is not None and concern.repeat_of:
        tell, why_not = False, "a repeat of a concern the person is told about"
    return Step(
        source_event_id=envelope.event_id,
        source_event_type=envelope.event_type,
        person_id=person_id,
        case_id=case_id,
        concern_id=concern_id,
        occurred_at=envelope.occurred_at,
        correlation_id=envelope.correlation_id,
        actor=envelope.actor,
        tell=tell,
        template=rule.template if tell else None,
        deadline=rule.deadline(envelope.occurred_at) if tell else None,
        why_not=why_not,
        unsafe_to_tell=unsafe,
        advocate_told=rule.advocate,
        facts=step_facts(envelope, case, reference_for(envelope, case, concern)) if tell else None,
    )


def moves_concern(payload: DomainEvent) -> bool:
    """True for a practitioner's relink or unlink: the concern is now about another person, who
    has not been told anything about it yet."""
    if isinstance(payload, ConcernUnlinkedFromPerson):
        return True
    return isinstance(payload, ConcernLinkedToPerson) and payload.previous_person_id not in (
        None,
        payload.person_id,
    )


def _unsafe(why: str, occurred_at: datetime) -> UnsafeToTell:
    return UnsafeToTell(
        why=why,
        review_date=uk_today(occurred_at + timedelta(days=UNTOLD_OVERRIDE_REVIEW_DAYS)),
    )


def person_of(
    payload: DomainEvent, case: CaseFacts | None, concern: ConcernFacts | None
) -> str | None:
    """Whose case the event is about. The concern's current person comes first: after a
    practitioner moves a concern to another person, a case event recorded before the case caught
    up still names the old person, who must not hear any more about it."""
    if isinstance(payload, ConcernUnlinkedFromPerson):
        return payload.new_person_id
    if isinstance(payload, ConcernLinkedToPerson):
        return payload.person_id
    if concern is not None:
        return concern.person_id
    if case is not None:
        return case.person_id
    person_id = getattr(payload, "person_id", None)
    return person_id if isinstance(person_id, str) else None


_STAFF_NAME: TypeAdapter[str] = TypeAdapter(StaffName)
_ORGANISATION: TypeAdapter[str] = TypeAdapter(OrganisationName)
_CONTACT: TypeAdapter[str] = TypeAdapter(ContactDetail)


def _kept(adapter: TypeAdapter[str], value: str | None) -> str | None:
    """The value when it is what the field says it is; otherwise nothing (never the raw text)."""
    if value is None:
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _ratings(achieved: list[Achievement]) -> Ratings:
    return Ratings(
        fully=achieved.count(Achievement.FULLY),
        partly=achieved.count(Achievement.PARTIALLY),
        not_achieved=achieved.count(Achievement.NOT_ACHIEVED),
    )


def step_facts(envelope: Envelope, case: CaseFacts | None, reference: str) -> StepFacts:
    """What a message about this step may say: the step's own typed values, and the case's
    lead worker, advocate and agreed dates. Free text (a manager's reasons, where a meeting is,
    what it is for) is never taken."""
    payload = envelope.payload
    details: dict[str, object] = {"reference": reference}
    lead_name = case.lead_worker_name if case else None
    lead_contact = case.lead_worker_contact if case else None
    advocate = case.advocate_name if case else None
    organisation = case.advocate_organisation if case else None
    if case is not None:
        details |= {"next_contact_on": case.next_contact_on, "review_on": case.review_on}
    if isinstance(payload, S42DecisionMade):
        details |= {"s42_decision": payload.decision, "no_further_action_route": payload.route}
    elif isinstance(payload, LeadWorkerAssigned):
        lead_name, lead_contact = payload.name, payload.contact
    elif isinstance(payload, AdvocateAppointed):
        advocate, organisation = payload.name, payload.organisation
    elif isinstance(payload, MeetingArranged):
        details |= {"meeting_at": payload.meets_at, "meeting_format": payload.format}
    elif isinstance(payload, WishesOverridden):
        details |= {"formal_action": payload.action, "override_grounds": payload.grounds}
    elif isinstance(payload, FormalActionTaken):
        details["formal_action"] = payload.action
    elif isinstance(payload, OutcomesReviewed):
        details |= {
            "ratings": _ratings([rating.achievement for rating in payload.ratings]),
            "feels_safer": payload.experience.feels_safer,
            "final_review": payload.stage is ReviewStage.CLOSURE,
        }
    elif isinstance(payload, EnquiryConcluded):
        details |= {
            "conclusion": payload.case_details.action_taken_and_result,
            "risk_outcome": payload.case_details.risk_outcome,
            "ratings": _ratings([a.achievement for a in payload.achievements]),
        }
    details |= {
        "lead_worker_name": _kept(_STAFF_NAME, lead_name),
        "lead_worker_contact": _kept(_CONTACT, lead_contact),
        "advocate_name": _kept(_STAFF_NAME, advocate),
        "advocate_organisation": _kept(_ORGANISATION, organisation),
    }
    return StepFacts.model_validate(details)


def reference_for(envelope: Envelope, case: CaseFacts | None, concern: ConcernFacts | None) -> str:
    """The reference the person quotes: the concern's human reference when known."""
    reference = getattr(envelope.payload, "reference", None)
    if isinstance(reference, str) and reference:
        return reference
    if case is not None and case.reference:
        return case.reference
    if concern is not None and concern.reference:
        return concern.reference
    return case.case_id if case is not None else envelope.stream_id


def uk_today(now: datetime) -> date:
    """Review dates are calendar dates in the UK."""
    return now.astimezone(UK_TIME).date()
