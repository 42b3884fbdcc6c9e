"""What practitioners record about informing a person: load their informing record, let it
decide, append what it decided (retried from the start when the stream moved on meanwhile).

A safe-contact decision also releases, in the same transaction, every step of that concern that
waited for it: each is decided again on what is now true and told along the confirmed routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from services.notification.application.informing_stream import append_once, in_informing_transaction
from services.notification.application.telling import Telling
from services.notification.domain.informing_record import (
    AlreadyDone,
    InformingRecord,
    InformingRefused,
    NoPreferencesRecorded,
    PreferencesWanted,
    StepSeen,
    derived_event_id,
    informed_event_id,
)
from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import RouteWanted
from services.notification.domain.steps import uk_today
from services.notification.read_models.case_index import CaseIndex
from services.notification.read_models.decisions import (
    DecisionOutcome,
    Decisions,
    InformingDecision,
)
from shared.events import DomainEvent, Envelope, Metadata
from shared.events.notification import (
    Channel,
    InformingWithheld,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    SafeContactDecided,
    WithholdingReason,
    informing_stream,
)
from shared.eventstore import EventAlreadyRecorded, EventStore
from shared.mongo import Client, Session


class UnknownStep(Exception):
    """No step with this id was decided for this person."""


class UnknownConcern(Exception):
    """No concern with this id is about this person."""


@dataclass
class InformingCommands:
    client: Client
    store: EventStore
    decisions: Decisions
    index: CaseIndex
    telling: Telling
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def record_of(self, person_id: str, session: Session | None = None) -> InformingRecord:
        history = await self.store.load(informing_stream(person_id), session)
        return InformingRecord.from_history(person_id, history)

    async def preferences(self, person_id: str) -> ContactPreferences:
        record = await self.record_of(person_id)
        if record.preferences is None:
            raise NoPreferencesRecorded(person_id)
        return record.preferences

    async def set_preferences(
        self, person_id: str, wanted: PreferencesWanted, metadata: Metadata
    ) -> ContactPreferences:
        async def work(session: Session) -> ContactPreferences:
            record = await self.record_of(person_id, session)
            assessments = await self.index.capacity_lacking_for(person_id, session)
            recorded = record.preferences_set_by_practitioner(wanted, assessments)
            await self._append(person_id, record.version, recorded, metadata, session)
            return ContactPreferences.from_recorded(recorded)

        return await in_informing_transaction(self.client, work)

    async def withhold(
        self,
        person_id: str,
        *,
        reason: WithholdingReason,
        reason_text: str,
        review_date: date,
        source_event_id: str | None,
        metadata: Metadata,
    ) -> InformingWithheld:
        """Withhold one step, or everything until the review date. Steps already decided and
        not yet told to everyone are recorded as withheld at once; messages waiting to be sent
        are then held back by the delivery worker."""

        async def work(session: Session) -> InformingWithheld:
            record = await self.record_of(person_id, session)
            step = None
            if source_event_id is not None:
                decision = await self._decision(person_id, source_event_id, session)
                if decision.outcome is DecisionOutcome.NOT_TOLD:
                    raise InformingRefused(
                        "The person is not messaged about this step, so there is nothing to "
                        "withhold."
                    )
                step = _seen(decision, record)
            withholding = record.withhold(
                reason=reason,
                reason_text=reason_text,
                review_date=review_date,
                decided_by=metadata.actor,
                today=uk_today(self.clock()),
                step=step,
            )
            await self._append(person_id, record.version, withholding, metadata, session)
            record.withholdings.append(withholding)
            waiting = (
                [await self._decision(person_id, source_event_id, session)]
                if source_event_id is not None
                else [d for d in await self.decisions.for_person(person_id) if d.pending_roles]
            )
            for decision in waiting:
                event = record.withheld_step(_seen(decision, record), withholding)
                if event is not None:
                    await append_once(
                        self.store,
                        person_id,
                        event,
                        event_id=derived_event_id("withheld", decision.source_event_id),
                        metadata=metadata,
                        session=session,
                    )
                if decision.outcome is DecisionOutcome.AWAITING_SAFE_CONTACT:
                    await self.decisions.replace(
                        decision.model_copy(
                            update={"outcome": DecisionOutcome.WITHHELD, "pending_roles": ()}
                        ),
                        session,
                    )
                else:
                    await self.decisions.all_dealt_with(decision.source_event_id, session)
            return withholding

        return await in_informing_transaction(self.client, work)

    async def decide_safe_contact(
        self,
        person_id: str,
        *,
        concern_id: str,
        routes: tuple[RouteWanted, ...],
        metadata: Metadata,
    ) -> SafeContactDecided:
        """Record a practitioner's judgement that these routes are safe for this concern, and
        tell the person (and each confirmed recipient) about every step that waited for it."""

        async def work(session: Session) -> SafeContactDecided:
            concern = await self.index.concern(concern_id, session)
            if concern is None or concern.person_id != person_id:
                raise UnknownConcern(concern_id)
            history = await self.store.load(informing_stream(person_id), session)
            record = InformingRecord.from_history(person_id, history)
            decided = record.decide_safe_contact(concern_id, routes, metadata.actor)
            history += await self._append(person_id, record.version, decided, metadata, session)
            record = InformingRecord.from_history(person_id, history)
            now = self.clock()
            for waiting in await self.decisions.awaiting(person_id, concern_id, session):
                step = waiting.as_step()
                await self.telling.settle(
                    step,
                    waiting,
                    record.decide(step, uk_today(now)),
                    Metadata(
                        actor=metadata.actor,
                        correlation_id=waiting.correlation_id,
                        causation_id=waiting.source_event_id,
                    ),
                    now,
                    session,
                    stored=True,
                )
            return decided

        return await in_informing_transaction(self.client, work)

    async def told_by_practitioner(
        self,
        person_id: str,
        *,
        source_event_id: str,
        role: RecipientRole,
        channel: Channel,
        format: MessageFormat,
        informed_at: datetime | None,
        metadata: Metadata,
    ) -> PersonInformed:
        async def work(session: Session) -> PersonInformed:
            record = await self.record_of(person_id, session)
            decision = await self._decision(person_id, source_event_id, session)
            informed = record.told_by_practitioner(
                _seen(decision, record),
                role=role,
                channel=channel,
                format=format,
                informed_at=informed_at or self.clock(),
                summary=decision.told_about,
            )
            try:
                await self.store.append(
                    informing_stream(person_id),
                    record.version,
                    [informed],
                    metadata,
                    session=session,
                    event_ids=[informed_event_id(source_event_id, role)],
                )
            except EventAlreadyRecorded as error:
                raise AlreadyDone(f"Telling {role.value} about this step is recorded.") from error
            await self.decisions.practitioner_told(source_event_id, role, session)
            return informed

        return await in_informing_transaction(self.client, work)

    async def _decision(
        self, person_id: str, source_event_id: str, session: Session
    ) -> InformingDecision:
        decision = await self.decisions.get(source_event_id, session)
        if decision is None or decision.person_id != person_id:
            raise UnknownStep(source_event_id)
        return decision

    async def _append(
        self,
        person_id: str,
        version: int,
        event: DomainEvent,
        metadata: Metadata,
        session: Session,
    ) -> list[Envelope]:
        """Append after `version`, as the caller read the person's record in `session`."""
        return await self.store.append(
            informing_stream(person_id),
            version,
            [event],
            metadata,
            session=session,
            read_in_session=True,
        )


def _seen(decision: InformingDecision, record: InformingRecord) -> StepSeen:
    roles = [r.role for r in decision.recipients]
    return StepSeen(
        source_event_id=decision.source_event_id,
        source_event_type=decision.source_event_type,
        case_id=decision.case_id,
        concern_id=decision.concern_id,
        told_everyone=bool(roles)
        and all((decision.source_event_id, role) in record.informed for role in roles),
    )
