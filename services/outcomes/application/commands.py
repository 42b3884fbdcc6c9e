"""Recording what happens in a case: load it from its stream, let it decide, append what it
decided. The one place where a concurrent change to the same case is retried, so two
practitioners (or the scheduler and a practitioner) never overwrite each other: the loser reloads
and the case decides again on what is now true.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pymongo.errors import PyMongoError

from services.outcomes.domain import Case
from services.outcomes.read_models.due_dates import DueDates
from shared.events import Actor, Envelope, Metadata
from shared.events.outcomes import CaseEvent
from shared.eventstore import ConcurrencyError, EventStore
from shared.mongo import Client, Session, in_transaction

ATTEMPTS = 5


class CaseNotFound(Exception):
    """No case has this id."""


class CaseBusy(Exception):
    """The case kept changing under us; the caller may simply try again."""


def case_from(history: Sequence[Envelope], now: datetime) -> Case:
    """The case its stored events make, deciding at `now`."""
    events: list[CaseEvent] = []
    for envelope in history:
        if not isinstance(envelope.payload, CaseEvent):
            raise TypeError(
                f"{envelope.event_type} in stream {envelope.stream_id} is not a case event"
            )
        events.append(envelope.payload)
    return Case.from_history(events, now=now)


def _conflict(error: Exception) -> bool:
    return isinstance(error, ConcurrencyError) or (
        isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError")
    )


class CaseCommands:
    def __init__(self, client: Client, store: EventStore, due_dates: DueDates) -> None:
        self.client = client
        self.store = store
        self.due_dates = due_dates

    async def load(self, case_id: str, now: datetime | None = None) -> Case:
        history = await self.store.load(case_id)
        if not history:
            raise CaseNotFound(case_id)
        return case_from(history, now or datetime.now(UTC))

    async def execute(
        self,
        case_id: str,
        actor: Actor,
        decide: Callable[[Case], object],
        *,
        correlation_id: str | None = None,
        now: datetime | None = None,
    ) -> list[Envelope]:
        """Load the case as of `now` (the server's clock unless a scheduler pass says), apply
        `decide` (which may raise CaseRefused or a ValidationError) and append what it recorded.
        Returns the recorded events (none if it decided nothing)."""
        metadata = Metadata(actor=actor, correlation_id=correlation_id or str(uuid.uuid4()))
        for _ in range(ATTEMPTS):
            case = await self.load(case_id, now)
            decide(case)
            if not case.pending_events:
                return []

            async def record(session: Session, case: Case = case) -> list[Envelope]:
                envelopes = await self.store.append(
                    case.case_id,
                    case.stored_version,
                    case.pending_events,
                    metadata,
                    session=session,
                )
                await self.due_dates.track(case, session)
                return envelopes

            try:
                return await in_transaction(self.client, record)
            except Exception as error:
                if not _conflict(error):
                    raise
        raise CaseBusy(case_id)
