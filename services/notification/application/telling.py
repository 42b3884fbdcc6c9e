"""Settling what was decided about telling someone of a step: in one transaction, write the
decision, one pending delivery per recipient to be sent their own message (its `_id` is the
delivery reference, so a redelivered event or a second release cannot create a second), and the
events of anything not sent: PractitionerContactRequired, InformingWithheld, or
NotificationFailed when the message cannot be written. The delivery worker sends what is pending.

Used by the informing reaction when a step arrives, and by a practitioner's safe-contact decision,
which releases the steps that waited for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.notification.adapters.delivery import DeliveryFailed
from services.notification.application.informing_stream import append_once
from services.notification.domain.informing_record import (
    AwaitingSafeContact,
    NotTold,
    StepDecision,
    StepSeen,
    Tell,
    Withheld,
    delivery_reference,
    derived_event_id,
    practitioner_contact_required,
)
from services.notification.domain.messages import (
    Audience,
    Council,
    RenderedMessage,
    context_for,
    render,
)
from services.notification.domain.safety import Route
from services.notification.domain.steps import Step
from services.notification.read_models.case_index import CaseIndex
from services.notification.read_models.decisions import (
    DecisionOutcome,
    Decisions,
    InformingDecision,
    RecipientDecision,
    RecipientOutcome,
)
from services.notification.read_models.deliveries import Deliveries, Delivery
from shared.events import DomainEvent, Envelope, Metadata
from shared.events.notification import RecipientRole
from shared.eventstore import EventStore
from shared.mongo import Session

log = logging.getLogger(__name__)


def undecided(step: Step, now: datetime) -> InformingDecision:
    """The decision document of a step before anything is settled: waiting, with the person
    pending, so that a step nobody settles still becomes overdue."""
    return InformingDecision(
        source_event_id=step.source_event_id,
        source_event_type=step.source_event_type,
        person_id=step.person_id,
        case_id=step.case_id,
        concern_id=step.concern_id,
        occurred_at=step.occurred_at,
        correlation_id=step.correlation_id,
        decided_at=now,
        outcome=DecisionOutcome.AWAITING_SAFE_CONTACT,
        why_not=step.why_not,
        template=step.template,
        told_about=step.told_about,
        deadline=step.deadline,
        pending_roles=(RecipientRole.PERSON,),
        facts=step.facts,
        advocate_told=step.advocate_told,
    )


class InformingWrites(Protocol):
    """Where what is settled about a step is written: at once (`AtOnce`), or together with the
    rest of a consumer batch (the informing reaction's `InformingBatch`)."""

    async def record(
        self,
        person_id: str,
        event: DomainEvent,
        *,
        event_id: str,
        metadata: Metadata,
        session: Session,
    ) -> list[Envelope]:
        """Record `event` on the person's informing stream under its derived id, once: what
        was recorded (nothing when it is recorded already)."""
        ...

    async def add_decision(self, decision: InformingDecision, session: Session) -> None: ...


@dataclass
class AtOnce:
    """Each event and decision written when it is settled."""

    store: EventStore
    decisions: Decisions

    async def record(
        self,
        person_id: str,
        event: DomainEvent,
        *,
        event_id: str,
        metadata: Metadata,
        session: Session,
    ) -> list[Envelope]:
        return await append_once(
            self.store, person_id, event, event_id=event_id, metadata=metadata, session=session
        )

    async def add_decision(self, decision: InformingDecision, session: Session) -> None:
        await self.decisions.add(decision, session)


@dataclass
class Telling:
    store: EventStore
    decisions: Decisions
    deliveries: Deliveries
    index: CaseIndex
    council: Council

    async def settle(
        self,
        step: Step,
        decided: InformingDecision,
        decision: StepDecision,
        metadata: Metadata,
        now: datetime,
        session: Session,
        *,
        stored: bool,
        writes: InformingWrites | None = None,
    ) -> InformingDecision:
        """Record what `decision` means for `step`, and save its decision document (new, or
        replacing the one `stored` already), through `writes` (at once unless given)."""
        writes = writes or AtOnce(self.store, self.decisions)
        decided = decided.model_copy(update={"decided_at": now})
        if isinstance(decision, NotTold):
            decided = decided.model_copy(
                update={
                    "outcome": DecisionOutcome.NOT_TOLD,
                    "why_not": decision.why,
                    "pending_roles": (),
                }
            )
        elif isinstance(decision, Withheld):
            if decision.event is not None:
                await writes.record(
                    step.person_id,
                    decision.event,
                    event_id=derived_event_id("withheld", step.source_event_id),
                    metadata=metadata,
                    session=session,
                )
            decided = decided.model_copy(
                update={"outcome": DecisionOutcome.WITHHELD, "pending_roles": ()}
            )
        elif isinstance(decision, AwaitingSafeContact):
            decided = decided.model_copy(update={"outcome": DecisionOutcome.AWAITING_SAFE_CONTACT})
        else:
            decided = await self._tell(step, decided, decision, metadata, now, session, writes)
        if stored:
            await self.decisions.replace(decided, session)
        else:
            await writes.add_decision(decided, session)
        return decided

    async def _tell(
        self,
        step: Step,
        decided: InformingDecision,
        decision: Tell,
        metadata: Metadata,
        now: datetime,
        session: Session,
        writes: InformingWrites,
    ) -> InformingDecision:
        recipients: list[RecipientDecision] = []
        pending: list[RecipientRole] = []
        for route in decision.routes:
            if not isinstance(route, Route):
                await writes.record(
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
            rendered, not_written = await self._render(step, route, decision, session)
            reference = delivery_reference(step.source_event_id, route.role)
            if rendered is None:
                await self._not_written(
                    step, route, reference, not_written, metadata, session, writes
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
                    email_subject=rendered.email_subject,
                    sms=rendered.sms,
                    told_about=step.told_about,
                    channel=route.channel,
                    correlation_id=step.correlation_id,
                    created_at=now,
                    step_occurred_at=step.occurred_at,
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
        return decided.model_copy(
            update={
                "outcome": DecisionOutcome.TELLING,
                "recipients": tuple(recipients),
                "pending_roles": tuple(pending),
                "practitioner_to_tell": tuple(
                    r.role
                    for r in recipients
                    if r.outcome
                    in (RecipientOutcome.PRACTITIONER_CONTACT, RecipientOutcome.NOT_WRITTEN)
                ),
                "format": decision.format,
            }
        )

    async def _render(
        self, step: Step, route: Route, decision: Tell, session: Session
    ) -> tuple[RenderedMessage | None, str]:
        """The recipient's own message: the person's letter to the person; a representative
        or advocate one written to them about the person."""
        if step.template is None or step.facts is None:
            return None, "the step has nothing a message may say"
        person = (
            decision.preferences.recipient(RecipientRole.PERSON) if decision.preferences else None
        )
        person_name = (
            person.name if person else await self.index.person_name(step.person_id, session)
        )
        try:
            context = context_for(
                route.role,
                recipient_name=route.addressee.name,
                person_name=person_name or route.addressee.name,
                facts=step.facts,
                council=self.council,
            )
            audience = Audience.PERSON if route.role is RecipientRole.PERSON else Audience.SUPPORTER
            return render(step.template, audience, decision.format, context), ""
        except ValueError as error:
            # The kind of problem only: the text of a validation error can quote a name.
            log.warning(
                "message could not be written",
                extra={"source_event_id": step.source_event_id, "error": type(error).__name__},
            )
            return None, type(error).__name__

    async def _not_written(
        self,
        step: Step,
        route: Route,
        reference: str,
        why: str,
        metadata: Metadata,
        session: Session,
        writes: InformingWrites,
    ) -> None:
        failed = DeliveryFailed(
            role=route.role,
            channel=route.channel,
            permanent=True,
            error=f"the message could not be written ({why})",
            attempts=0,
            fallback_channel_tried=None,
        )
        await writes.record(
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
