"""The informing reaction: every intake and outcomes event that is a step in someone's case ends
in a recorded decision about telling them.

For each step, in one MongoDB transaction with the consumer's batch: keep the case and concern
facts up to date; from a raised concern, record the person's first contact preferences
(including the alleged source of risk's contact points, so they are never used); then decide
with the person's informing record and the safety rules, and write the decision, one pending
delivery per recipient to be sent a message (its `_id` is the delivery reference, so a
redelivered event cannot create a second), and the events of anything not sent:
PractitionerContactRequired, InformingWithheld, or NotificationFailed when the message cannot be
written. The delivery worker sends what is pending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.notification.adapters.delivery import DeliveryFailed
from services.notification.application.informing_stream import append_once
from services.notification.application.unhandled import step_not_handled
from services.notification.domain.communication_needs import preferences_from_concern
from services.notification.domain.informing_record import (
    InformingRecord,
    NotTold,
    StepSeen,
    Tell,
    Withheld,
    delivery_reference,
    derived_event_id,
    practitioner_contact_required,
)
from services.notification.domain.messages import RenderedMessage, render
from services.notification.domain.safety import Route
from services.notification.domain.steps import (
    CaseFacts,
    ConcernFacts,
    Council,
    Step,
    message_context,
    person_of,
    reference_for,
    step_for,
    uk_today,
)
from services.notification.read_models.case_index import CaseIndex
from services.notification.read_models.decisions import (
    DecisionOutcome,
    Decisions,
    InformingDecision,
    RecipientDecision,
    RecipientOutcome,
)
from services.notification.read_models.deliveries import Deliveries, Delivery
from shared.events import DecodeError, Envelope, Metadata, decode
from shared.events import intake as _intake_events  # noqa: F401  (registers intake's events)
from shared.events import outcomes as _outcomes_events  # noqa: F401  (registers outcomes' events)
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ConcernRaised
from shared.events.notification import Channel, MessageFormat, RecipientRole, informing_stream
from shared.events.outcomes import CaseEvent, CaseOpened
from shared.eventstore import EventStore
from shared.mongo import Session
from shared.projection import Record
from shared.topics import INTAKE_EVENTS, OUTCOMES_EVENTS

log = logging.getLogger(__name__)


@dataclass
class InformingReaction:
    """A `MessageHandler` over intake's and outcomes' events."""

    store: EventStore
    index: CaseIndex
    decisions: Decisions
    deliveries: Deliveries
    council: Council
    default_channel: Channel
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    name: str = "informing"
    topics: Sequence[str] = (INTAKE_EVENTS, OUTCOMES_EVENTS)
    batch_size: int = 50
    """Each event costs several reads and writes: keep a batch's transaction short."""

    def decode(self, record: Record) -> Envelope:
        if record.value is None:
            raise DecodeError("empty message")
        return decode(record.value)

    async def apply(self, messages: Sequence[Envelope], session: Session) -> None:
        for envelope in messages:
            await self.handle(envelope, session)

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        return None

    async def could_not_handle(self, event: Envelope, reason: str, session: Session) -> None:
        await step_not_handled(self.store, self.index, event, reason, session)

    async def handle(self, envelope: Envelope, session: Session) -> None:
        case, concern = await self._facts(envelope, session)
        payload = envelope.payload
        person_id = person_of(payload, case, concern)
        step = step_for(envelope, person_id=person_id, case=case, concern=concern)
        if step is None:
            return
        if await self.decisions.get(step.source_event_id, session) is not None:
            return  # a redelivered step: decided already
        metadata = Metadata(
            actor=SYSTEM_ACTOR,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
        )
        if isinstance(payload, ConcernRaised):
            await self._record_preferences(payload, envelope, metadata, session)
        history = await self.store.load(informing_stream(step.person_id), session)
        record = InformingRecord.from_history(step.person_id, history)
        now = self.clock()
        decision = record.decide(step, uk_today(now))
        if isinstance(decision, NotTold):
            await self._decided(step, now, session, DecisionOutcome.NOT_TOLD, why_not=decision.why)
        elif isinstance(decision, Withheld):
            if decision.event is not None:
                await append_once(
                    self.store,
                    step.person_id,
                    decision.event,
                    event_id=derived_event_id("withheld", step.source_event_id),
                    metadata=metadata,
                    session=session,
                )
            await self._decided(step, now, session, DecisionOutcome.WITHHELD)
        else:
            await self._tell(step, decision, envelope, case, concern, metadata, now, session)

    async def _tell(
        self,
        step: Step,
        decision: Tell,
        envelope: Envelope,
        case: CaseFacts | None,
        concern: ConcernFacts | None,
        metadata: Metadata,
        now: datetime,
        session: Session,
    ) -> None:
        rendered, not_written = await self._render(step, decision, envelope, case, concern, session)
        recipients: list[RecipientDecision] = []
        pending: list[RecipientRole] = []
        for route in decision.routes:
            reference = delivery_reference(step.source_event_id, route.role)
            if not isinstance(route, Route):
                await append_once(
                    self.store,
                    step.person_id,
                    practitioner_contact_required(
                        StepSeen.of(step), step.person_id, route, step.told_about
                    ),
                    event_id=derived_event_id(
                        "practitioner-contact", step.source_event_id, route.role.value
                    ),
                    metadata=metadata,
                    session=session,
                )
                recipients.append(
                    RecipientDecision(
                        role=route.role, outcome=RecipientOutcome.PRACTITIONER_CONTACT
                    )
                )
                continue
            pending.append(route.role)
            fallback = route.fallback.channel if route.fallback else None
            if rendered is None:
                failed = DeliveryFailed(
                    role=route.role,
                    channel=route.channel,
                    permanent=True,
                    error=f"the message could not be written: {not_written}",
                    attempts=0,
                    fallback_channel_tried=None,
                )
                await append_once(
                    self.store,
                    step.person_id,
                    failed.as_event(
                        person_id=step.person_id,
                        source_event_id=step.source_event_id,
                        source_event_type=step.source_event_type,
                        case_id=step.case_id,
                        concern_id=step.concern_id,
                    ),
                    event_id=derived_event_id("failed", reference),
                    metadata=metadata,
                    session=session,
                )
                recipients.append(
                    RecipientDecision(
                        role=route.role,
                        outcome=RecipientOutcome.NOT_WRITTEN,
                        channel=route.channel,
                        fallback_channel=fallback,
                    )
                )
                continue
            await self.deliveries.add(
                Delivery(
                    reference=reference,
                    person_id=step.person_id,
                    source_event_id=step.source_event_id,
                    source_event_type=step.source_event_type,
                    case_id=step.case_id,
                    concern_id=step.concern_id,
                    role=route.role,
                    format=rendered.format,
                    template=rendered.template,
                    subject=rendered.subject,
                    body=rendered.body,
                    told_about=step.told_about,
                    channel=route.channel,
                    correlation_id=step.correlation_id,
                    created_at=now,
                    next_attempt_at=now,
                ),
                session,
            )
            recipients.append(
                RecipientDecision(
                    role=route.role,
                    outcome=RecipientOutcome.SENDING,
                    channel=route.channel,
                    fallback_channel=fallback,
                )
            )
        await self._decided(
            step,
            now,
            session,
            DecisionOutcome.TELLING,
            recipients=tuple(recipients),
            pending=tuple(pending),
            format=decision.format,
        )

    async def _render(
        self,
        step: Step,
        decision: Tell,
        envelope: Envelope,
        case: CaseFacts | None,
        concern: ConcernFacts | None,
        session: Session,
    ) -> tuple[RenderedMessage | None, str | None]:
        if step.template is None or not any(isinstance(r, Route) for r in decision.routes):
            return None, None
        name = decision.greeting_name or await self.index.person_name(step.person_id, session)
        try:
            context = message_context(
                envelope,
                greeting_name=name or "",
                reference=reference_for(envelope, case, concern),
                format=decision.format,
                case=case,
                council=self.council,
            )
            return render(step.template, decision.format, context), None
        except ValueError as error:
            log.warning(
                "message could not be written",
                extra={"source_event_id": step.source_event_id, "error": str(error)},
            )
            return None, str(error)

    async def _decided(
        self,
        step: Step,
        now: datetime,
        session: Session,
        outcome: DecisionOutcome,
        *,
        why_not: str | None = None,
        recipients: tuple[RecipientDecision, ...] = (),
        pending: tuple[RecipientRole, ...] = (),
        format: MessageFormat | None = None,
    ) -> None:
        await self.decisions.add(
            InformingDecision(
                source_event_id=step.source_event_id,
                source_event_type=step.source_event_type,
                person_id=step.person_id,
                case_id=step.case_id,
                concern_id=step.concern_id,
                occurred_at=step.occurred_at,
                correlation_id=step.correlation_id,
                decided_at=now,
                outcome=outcome,
                why_not=why_not,
                template=step.template,
                told_about=step.told_about,
                format=format,
                deadline=step.deadline,
                recipients=recipients,
                pending_roles=pending,
            ),
            session,
        )

    async def _record_preferences(
        self, concern: ConcernRaised, envelope: Envelope, metadata: Metadata, session: Session
    ) -> None:
        history = await self.store.load(informing_stream(concern.person_id), session)
        record = InformingRecord.from_history(concern.person_id, history)
        recorded = record.preferences_from_intake(
            preferences_from_concern(concern, default_channel=self.default_channel)
        )
        if recorded is not None:
            await append_once(
                self.store,
                concern.person_id,
                recorded,
                event_id=derived_event_id("preferences", envelope.event_id),
                metadata=metadata,
                session=session,
            )

    async def _facts(
        self, envelope: Envelope, session: Session
    ) -> tuple[CaseFacts | None, ConcernFacts | None]:
        """Bring the case and concern facts up to date with this event, and return them."""
        payload = envelope.payload
        case: CaseFacts | None = None
        concern: ConcernFacts | None = None
        if isinstance(payload, CaseEvent):
            case = await self.index.case(payload.case_id, session) or CaseFacts(
                case_id=payload.case_id, person_id=payload.person_id
            )
            if envelope.stream_version > case.version:
                case = case.after(envelope)
                await self.index.save_case(case, session)
            concern_id = case.concern_id
            if concern_id is not None:
                concern = await self.index.concern(concern_id, session)
            if isinstance(payload, CaseOpened):
                concern = (
                    concern
                    or ConcernFacts(
                        concern_id=payload.concern_id,
                        person_id=payload.person_id,
                        reference=payload.reference,
                    )
                ).model_copy(update={"case_id": payload.case_id})
                await self.index.save_concern(concern, session)
            return case, concern
        concern_id = getattr(payload, "concern_id", None)
        if not isinstance(concern_id, str):
            return None, None
        concern = await self.index.concern(concern_id, session)
        if concern is None:
            person_id = getattr(payload, "person_id", None)
            if not isinstance(person_id, str):
                return None, None
            concern = ConcernFacts(concern_id=concern_id, person_id=person_id)
        if envelope.stream_version > concern.version:
            concern = concern.after(envelope)
            await self.index.save_concern(concern, session)
        if isinstance(payload, ConcernRaised):
            await self.index.name_person(payload.person_id, payload.person.name, session)
        if concern.case_id is not None:
            case = await self.index.case(concern.case_id, session)
        return case, concern
