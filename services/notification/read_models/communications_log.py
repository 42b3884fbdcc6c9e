"""The person's communications log: every informing decision, delivery, failure, withholding and
hand-over to a practitioner, in order, in plain words. It is the proof MSP asks for: whether the
person was kept informed, when, how and by whom, or why not.

Read from the person's informing stream (the record of what happened), the informing decisions
and the deliveries still waiting to be sent.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field

from services.notification.domain import plain_words
from services.notification.domain.messages import UK_TIME
from services.notification.read_models.decisions import (
    DecisionOutcome,
    Decisions,
    InformingDecision,
)
from services.notification.read_models.deliveries import Deliveries, Delivery, DeliveryStatus
from shared.events import Envelope, Role
from shared.events.notification import (
    Channel,
    ContactPreferencesRecorded,
    InformingOverdue,
    InformingWithheld,
    MessageFormat,
    NotificationFailed,
    PersonInformed,
    PractitionerContactRequired,
    PreferencesSource,
    RecipientRole,
    SafeContactDecided,
    WithholdingReason,
    informing_stream,
)
from shared.eventstore import EventStore


class EntryKind(StrEnum):
    """An entry for a recorded event is named by its event type; the others say what was
    decided about a step, or what is waiting to be sent."""

    DECIDED = "decided"
    NOT_MESSAGED = "not_messaged"
    WAITING_TO_SEND = "waiting_to_send"
    WAITING_FOR_SAFE_CONTACT = "waiting_for_safe_contact"
    MOVED = "moved"
    SAFE_CONTACT_DECIDED = "SafeContactDecided"
    CONTACT_PREFERENCES_RECORDED = "ContactPreferencesRecorded"
    PERSON_INFORMED = "PersonInformed"
    NOTIFICATION_FAILED = "NotificationFailed"
    INFORMING_WITHHELD = "InformingWithheld"
    PRACTITIONER_CONTACT_REQUIRED = "PractitionerContactRequired"
    INFORMING_OVERDUE = "InformingOverdue"


class LogEntry(BaseModel):
    at: AwareDatetime
    kind: EntryKind
    summary: str = Field(description="What happened, in plain words.")
    source_event_id: str | None = None
    source_event_type: str | None = None
    recipient_role: RecipientRole | None = None
    channel: Channel | None = None
    format: MessageFormat | None = None
    reason: WithholdingReason | None = None
    review_date: date | None = None
    recorded_by: str | None = Field(
        default=None, description="The member of staff who recorded it; none for the system."
    )
    event_id: str | None = None


class CommunicationsLog(BaseModel):
    person_id: str
    entries: list[LogEntry]


async def communications_log(
    person_id: str, store: EventStore, decisions: Decisions, deliveries: Deliveries
) -> CommunicationsLog | None:
    """The person's log, oldest first; None when nothing is recorded about them."""
    history = await store.load(informing_stream(person_id))
    decided = await decisions.for_person(person_id)
    waiting = [
        d for d in await deliveries.for_person(person_id) if d.status is DeliveryStatus.PENDING
    ]
    if not (history or decided):
        return None
    # At the same moment, a decision reads before what it caused, and both before what waits.
    ordered: list[tuple[datetime, int, LogEntry]] = []
    ordered += [(d.decided_at, 0, _decision_entry(d)) for d in decided]
    ordered += [(e.occurred_at, 1, _event_entry(e)) for e in history]
    ordered += [(d.created_at, 2, _waiting_entry(d)) for d in waiting]
    ordered.sort(key=lambda item: (item[0], item[1]))
    return CommunicationsLog(person_id=person_id, entries=[entry for _, _, entry in ordered])


def _long_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(UK_TIME).date()
    return f"{value.day} {value:%B %Y}"


def _by(channel: Channel, fallback: Channel | None = None) -> str:
    words = f"by {plain_words.CHANNEL_NAMES[channel]}"
    if fallback is not None:
        words += f" (or {plain_words.CHANNEL_NAMES[fallback]} if that fails)"
    return words


def _role(role: RecipientRole) -> str:
    return plain_words.ROLE_NAMES[role]


def _decision_entry(decision: InformingDecision) -> LogEntry:
    step = plain_words.step_name(decision.source_event_type)
    entry = LogEntry(
        at=decision.decided_at,
        kind=EntryKind.DECIDED,
        summary="",
        source_event_id=decision.source_event_id,
        source_event_type=decision.source_event_type,
        format=decision.format,
    )
    if decision.outcome is DecisionOutcome.NOT_TOLD:
        return entry.model_copy(
            update={
                "kind": EntryKind.NOT_MESSAGED,
                "summary": f"Not messaged when {step}: {decision.why_not}.",
            }
        )
    if decision.outcome is DecisionOutcome.AWAITING_SAFE_CONTACT:
        deadline = f" Decide by {_long_date(decision.deadline)}." if decision.deadline else ""
        return entry.model_copy(
            update={
                "kind": EntryKind.WAITING_FOR_SAFE_CONTACT,
                "summary": f"When {step}: nothing is sent about {decision.told_about} until a "
                f"practitioner records that contacting them is safe, and how.{deadline}",
            }
        )
    if decision.outcome is DecisionOutcome.MOVED:
        return entry.model_copy(
            update={
                "kind": EntryKind.MOVED,
                "summary": f"When {step}: the concern was moved to another person, so nothing "
                "more about it is sent to this person.",
            }
        )
    if decision.outcome is DecisionOutcome.WITHHELD:
        return entry.model_copy(
            update={
                "summary": f"When {step}, decided to withhold telling them about "
                f"{decision.told_about}."
            }
        )
    routes = [
        f"{_role(r.role)} {_by(r.channel, r.fallback_channel)}"
        if r.channel is not None
        else f"{_role(r.role)} by a practitioner"
        for r in decision.recipients
    ]
    easy = ", in easy read" if decision.format is MessageFormat.EASY_READ else ""
    deadline = f" by {_long_date(decision.deadline)}" if decision.deadline else ""
    return entry.model_copy(
        update={
            "summary": f"When {step}, decided to tell them about {decision.told_about}"
            f"{deadline}: {'; '.join(routes)}{easy}."
        }
    )


def _waiting_entry(delivery: Delivery) -> LogEntry:
    return LogEntry(
        at=delivery.created_at,
        kind=EntryKind.WAITING_TO_SEND,
        summary=f"Waiting to send to {_role(delivery.role)} {_by(delivery.channel)}: "
        # A message a provider accepted a moment ago is no longer kept: say what it is about.
        f"{delivery.subject or delivery.told_about}.",
        source_event_id=delivery.source_event_id,
        source_event_type=delivery.source_event_type,
        recipient_role=delivery.role,
        channel=delivery.channel,
        format=delivery.format,
    )


def _event_entry(envelope: Envelope) -> LogEntry:
    payload = envelope.payload
    staff = envelope.actor.id if envelope.actor.role is not Role.SYSTEM else None
    entry = LogEntry(
        at=envelope.occurred_at,
        kind=EntryKind.CONTACT_PREFERENCES_RECORDED,
        summary=envelope.event_type,
        recorded_by=staff,
        event_id=envelope.event_id,
    )
    if isinstance(payload, ContactPreferencesRecorded):
        return entry.model_copy(update={"summary": _preferences_words(payload)})
    if isinstance(payload, PersonInformed):
        who = f" ({staff})" if staff else ""
        reference = (
            f" Provider reference: {payload.provider_reference}."
            if payload.provider_reference
            else ""
        )
        return entry.model_copy(
            update={
                "kind": EntryKind.PERSON_INFORMED,
                "summary": f"Told {_role(payload.recipient_role)} {_by(payload.channel)}{who} "
                f"about {payload.message_summary}.{reference}",
                "source_event_id": payload.source_event_id,
                "source_event_type": payload.source_event_type,
                "recipient_role": payload.recipient_role,
                "channel": payload.channel,
                "format": payload.format,
            }
        )
    if isinstance(payload, NotificationFailed):
        tried = (
            f", then {plain_words.CHANNEL_NAMES[payload.fallback_channel_tried]}"
            if payload.fallback_channel_tried
            else ""
        )
        next_step = (
            "They have not been told; a practitioner should act."
            if payload.permanent
            else "It will be tried again."
        )
        return entry.model_copy(
            update={
                "kind": EntryKind.NOTIFICATION_FAILED,
                "summary": f"Could not send to {_role(payload.recipient_role)} "
                f"{_by(payload.channel)}{tried}: {payload.error}. {next_step}",
                "source_event_id": payload.source_event_id,
                "source_event_type": payload.source_event_type,
                "recipient_role": payload.recipient_role,
                "channel": payload.channel,
            }
        )
    if isinstance(payload, InformingWithheld):
        what = (
            f"telling them that {plain_words.step_name(payload.source_event_type)}"
            if payload.source_event_type
            else "telling them anything"
        )
        reason = plain_words.WITHHOLDING_REASONS[payload.reason]
        return entry.model_copy(
            update={
                "kind": EntryKind.INFORMING_WITHHELD,
                "summary": f"Withheld {what} because of {reason}: {payload.reason_text} "
                f"Review by {_long_date(payload.review_date)}. Decided by "
                f"{payload.decided_by.id}.",
                "source_event_id": payload.source_event_id,
                "source_event_type": payload.source_event_type,
                "reason": payload.reason,
                "review_date": payload.review_date,
            }
        )
    if isinstance(payload, SafeContactDecided):
        routes = "; ".join(
            f"{_role(route.role)} {_by(route.channel)}"
            + (
                f" (checked despite: {', '.join(k.value for k in route.despite)})"
                if route.despite
                else ""
            )
            for route in payload.routes
        )
        return entry.model_copy(
            update={
                "kind": EntryKind.SAFE_CONTACT_DECIDED,
                "summary": f"{payload.decided_by.id} judged contact safe about the concern "
                f"{payload.concern_id}: {routes}.",
            }
        )
    if isinstance(payload, PractitionerContactRequired):
        reason = plain_words.PRACTITIONER_CONTACT_REASONS[payload.reason]
        return entry.model_copy(
            update={
                "kind": EntryKind.PRACTITIONER_CONTACT_REQUIRED,
                "summary": f"Nothing sent to {_role(payload.recipient_role)}, because {reason}. "
                f"{payload.detail} A practitioner must tell them about "
                f"{payload.message_summary}.",
                "source_event_id": payload.source_event_id,
                "source_event_type": payload.source_event_type,
                "recipient_role": payload.recipient_role,
            }
        )
    if isinstance(payload, InformingOverdue):
        return entry.model_copy(
            update={
                "kind": EntryKind.INFORMING_OVERDUE,
                "summary": f"Overdue: when {plain_words.step_name(payload.source_event_type)}, "
                f"they should have been told by {_long_date(payload.deadline)}, and not "
                "everyone has been told.",
                "source_event_id": payload.source_event_id,
                "source_event_type": payload.source_event_type,
            }
        )
    return entry


def _preferences_words(recorded: ContactPreferencesRecorded) -> str:
    source = {
        PreferencesSource.INTAKE: "from the concern",
        PreferencesSource.PRACTITIONER: "by a practitioner",
        PreferencesSource.ADVOCACY: "when an advocate was appointed",
    }[recorded.source]
    told = [_role(r.role) for r in recorded.recipients if r.inform]
    if recorded.channel is Channel.PRACTITIONER_CALL:
        how = "by a practitioner's call"
    else:
        how = _by(recorded.channel, recorded.fallback_channel)
    easy = ", in easy read" if recorded.format is MessageFormat.EASY_READ else ""
    sources = len(recorded.alleged_sources_of_risk)
    unsafe = len(recorded.unsafe_contact_points)
    never = []
    if sources:
        never.append(f"the contact points of {sources} alleged source(s) of risk")
    if unsafe:
        never.append(f"{unsafe} contact point(s) marked unsafe")
    never_words = f" Never used: {' and '.join(never)}." if never else ""
    return (
        f"Contact preferences recorded {source}: tell {' and '.join(told)} {how}{easy}, "
        f"language {recorded.language}.{never_words}"
    )
