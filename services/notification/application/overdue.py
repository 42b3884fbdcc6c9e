"""Raising InformingOverdue: a step the person should have been told about by its deadline
(from the informing policy) with someone still not told, not withheld and not handed to a
practitioner. Raised once per step, so a practitioner acts on it; the gauge
`informing_overdue_steps` shows how many such steps are still waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pymongo.errors import PyMongoError

from services.notification.application.informing_stream import append_once, in_informing_transaction
from services.notification.application.metrics import INFORMING_OVERDUE
from services.notification.domain.informing_record import derived_event_id
from services.notification.read_models.decisions import Decisions, InformingDecision
from shared.events import Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import InformingOverdue
from shared.eventstore import EventStore
from shared.mongo import Client, Session

log = logging.getLogger(__name__)


@dataclass
class OverdueInforming:
    client: Client
    store: EventStore
    decisions: Decisions
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    interval_seconds: float = 60.0

    async def run(self) -> None:
        while True:
            try:
                await self.raise_overdue()
            except (PyMongoError, OSError) as error:
                log.warning("overdue pass will retry", extra={"error": error})
            await asyncio.sleep(self.interval_seconds)

    async def raise_overdue(self) -> int:
        """Record InformingOverdue for every step newly past its deadline; return how many."""
        raised = 0
        while batch := await self.decisions.overdue(self.clock()):
            for decision in batch:
                await in_informing_transaction(self.client, self._raising(decision))
                raised += 1
        INFORMING_OVERDUE.set(await self.decisions.still_overdue())
        return raised

    def _raising(self, decision: InformingDecision) -> Callable[[Session], Awaitable[None]]:
        async def work(session: Session) -> None:
            await self._raise(decision, session)

        return work

    async def _raise(self, decision: InformingDecision, session: Session) -> None:
        assert decision.deadline is not None
        await append_once(
            self.store,
            decision.person_id,
            InformingOverdue(
                person_id=decision.person_id,
                source_event_id=decision.source_event_id,
                source_event_type=decision.source_event_type,
                case_id=decision.case_id,
                concern_id=decision.concern_id,
                deadline=decision.deadline,
            ),
            event_id=derived_event_id("overdue", decision.source_event_id),
            metadata=Metadata(
                actor=SYSTEM_ACTOR,
                correlation_id=decision.correlation_id,
                causation_id=decision.source_event_id,
            ),
            session=session,
        )
        await self.decisions.mark_overdue(decision.source_event_id, session)
