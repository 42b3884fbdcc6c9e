"""Recording on a person's informing stream: the one place where a concurrent change to the same
stream is retried. The informing reaction, the delivery worker, the overdue pass and
practitioners all write to it; whoever loses a race reloads and decides again on what is now true.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pymongo.errors import PyMongoError

from shared.events import DomainEvent, Envelope, Metadata
from shared.events.notification import informing_stream
from shared.eventstore import ConcurrencyError, EventStore
from shared.mongo import Client, Session, in_transaction

ATTEMPTS = 5
T = TypeVar("T")


class InformingBusy(Exception):
    """The person's informing stream kept changing under us; trying again later will work."""


async def in_informing_transaction(
    client: Client, work: Callable[[Session], Awaitable[T]], *, attempts: int = ATTEMPTS
) -> T:
    """Run `work` (load, decide, append) in one transaction, again from the start when the
    stream moved on meanwhile."""
    for _ in range(attempts):
        try:
            return await in_transaction(client, work)
        except ConcurrencyError:
            continue
        except PyMongoError as error:
            if not error.has_error_label("TransientTransactionError"):
                raise
    raise InformingBusy("the person's informing record kept changing; try again")


async def append_once(
    store: EventStore,
    person_id: str,
    event: DomainEvent,
    *,
    event_id: str,
    metadata: Metadata,
    session: Session,
    history: Sequence[Envelope] | None = None,
) -> list[Envelope]:
    """Append `event` to the person's informing stream under its derived id: what was recorded,
    nothing when it is already recorded (a redelivery, or a retry after a crash). `history` is
    the stream when the caller has just loaded it in this `session`: then its version is not
    read again. The store does not check again what was checked here."""
    stream = informing_stream(person_id)
    if await store.any_recorded([event_id], session):
        return []
    if history is None:
        version = await store.version(stream, session)
    else:
        version = history[-1].stream_version if history else 0
    return await store.append(
        stream,
        version,
        [event],
        metadata,
        session=session,
        event_ids=[event_id],
        read_in_session=True,
    )
