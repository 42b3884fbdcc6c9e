"""Steps in a person's case as notification sees them: whose case, which rule of the informing
policy applies, and the facts a message about it may use.

Intake and outcomes events reach notification in their own words; this module turns each into a
`Step` (or nothing, for events that are not steps in someone's case) and keeps, per case and per
concern, the few facts messages need (the reference, the lead worker, the advocate, agreed dates)
and which of the person's wishes were overridden without telling them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, ValidationError

from services.notification.domain import plain_words
from services.notification.domain.messages import UK_TIME, MeetingDetails, MessageContext
from services.notification.domain.policy import rule_for
from shared.events import Actor, DomainEvent, Envelope
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    S42DecisionMade,
)
from shared.events.notification import MessageFormat
from shared.events.outcomes import (
    AdvocateAppointed,
    CaseEvent,
    CaseOpened,
    EnquiryConcluded,
    FormalActionTaken,
    LeadWorkerAssigned,
    MeetingArranged,
    NextContactAgreed,
    OutcomesReviewed,
    ReviewDateAgreed,
    WishesOverridden,
)

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
    version: int = 0
    """The concern stream's version last applied: a redelivered older event changes nothing."""

    def after(self, envelope: Envelope) -> ConcernFacts:
        payload = envelope.payload
        changes: dict[str, object] = {"version": envelope.stream_version}
        if isinstance(payload, ConcernRaised):
            changes |= {"person_id": payload.person_id, "reference": payload.reference}
        elif isinstance(payload, ConcernLinkedToPerson):
            changes["person_id"] = payload.person_id
        elif isinstance(payload, ConcernUnlinkedFromPerson):
            changes["person_id"] = payload.new_person_id
        elif isinstance(payload, S42DecisionMade):
            changes |= {"person_id": payload.person_id, "reference": payload.reference}
        return self.model_copy(update=changes)


class CaseFacts(Facts):
    """What notification keeps about one case (stream `case-<uuid>`)."""

    case_id: str
    person_id: str
    concern_id: str | None = None
    reference: str | None = None
    lead_worker_name: str | None = None
    lead_worker_contact: str | None = None
    advocate_name: str | None = None
    advocate_organisation: str | None = None
    next_contact_on: date | None = None
    review_on: date | None = None
    untold_overrides: dict[str, str] = {}
    """Formal action kind -> why a manager decided telling the person is unsafe."""
    version: int = 0

    def after(self, envelope: Envelope) -> CaseFacts:
        payload = envelope.payload
        changes: dict[str, object] = {"version": envelope.stream_version}
        if isinstance(payload, CaseEvent):
            changes["person_id"] = payload.person_id
        if isinstance(payload, CaseOpened):
            changes |= {"concern_id": payload.concern_id, "reference": payload.reference}
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
    rule = rule_for(envelope.event_type)
    if rule is None or person_id is None:
        return None
    payload = envelope.payload
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
    )


def _unsafe(why: str, occurred_at: datetime) -> UnsafeToTell:
    return UnsafeToTell(
        why=why,
        review_date=uk_today(occurred_at + timedelta(days=UNTOLD_OVERRIDE_REVIEW_DAYS)),
    )


def person_of(
    payload: DomainEvent, case: CaseFacts | None, concern: ConcernFacts | None
) -> str | None:
    """Whose case the event is about: the event says so, or the case or concern it belongs to."""
    if isinstance(payload, ConcernUnlinkedFromPerson):
        return payload.new_person_id
    person_id = getattr(payload, "person_id", None)
    if isinstance(person_id, str):
        return person_id
    if case is not None:
        return case.person_id
    return concern.person_id if concern is not None else None


@dataclass(frozen=True)
class Council:
    """Who the messages come from and how to reach them."""

    name: str
    contact_team: str
    contact_details: str


def first_name(name: str) -> str:
    """The name a message greets them by: the first word of their name as given."""
    words = name.split()
    return words[0] if words else name


def message_context(
    envelope: Envelope,
    *,
    greeting_name: str,
    reference: str,
    format: MessageFormat,
    case: CaseFacts | None,
    council: Council,
) -> MessageContext:
    """Everything the message about this step may say. Raises ValueError when a detail does not
    fit a message (then the message is not sent and a practitioner is told)."""
    payload = envelope.payload
    details: dict[str, object] = {
        "first_name": first_name(greeting_name),
        "council_name": council.name,
        "reference": reference,
        "who_to_contact": council.contact_team,
        "how_to_contact": council.contact_details,
    }
    if case is not None:
        details |= {
            "lead_worker_name": case.lead_worker_name,
            "lead_worker_contact": case.lead_worker_contact,
            "advocate_name": case.advocate_name,
            "advocate_contact": case.advocate_organisation,
            "next_contact_on": case.next_contact_on,
            "review_on": case.review_on,
        }
    if isinstance(payload, S42DecisionMade):
        details["decision"] = plain_words.s42_decision(payload, format)
    elif isinstance(payload, LeadWorkerAssigned):
        details |= {"lead_worker_name": payload.name, "lead_worker_contact": payload.contact}
    elif isinstance(payload, AdvocateAppointed):
        details |= {"advocate_name": payload.name, "advocate_contact": payload.organisation}
    elif isinstance(payload, MeetingArranged):
        details["meeting"] = MeetingDetails(
            starts_at=payload.meets_at, place=payload.where_or_how, purpose=payload.purpose
        )
    elif isinstance(payload, WishesOverridden):
        details |= {
            "decision": plain_words.action_to_come(payload.action),
            "override_reason": payload.reason,
        }
    elif isinstance(payload, FormalActionTaken):
        details["decision"] = plain_words.action_taken(payload.action)
    elif isinstance(payload, OutcomesReviewed):
        details["decision"] = plain_words.review(payload, format)
    elif isinstance(payload, EnquiryConcluded):
        details["decision"] = plain_words.conclusion(payload, format)
    try:
        return MessageContext.model_validate(details)
    except ValidationError as error:
        raise ValueError(f"a detail does not fit the message: {error}") from error


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
