"""Each service's reaction to `PersonErased` (intake's event, on its topic): stop opening her data
with keys it still has in memory, then bring what it holds about her to the erased state.

The rule every read model keeps: after the reaction it equals what a full rebuild gives, because a
rebuild opens her events with destroyed keys too. A service passes what it must do as `Eraser`s,
each idempotent (Kafka delivers at least once), run in the batch's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from shared.events import DecodeError, Envelope, decode
from shared.events.intake import PersonErased
from shared.eventstore import EventStore
from shared.keyring import Keyring
from shared.mongo import Session
from shared.personal_data import NO_KEYS, DataKeys
from shared.projection import Projection, Record, passed_over
from shared.topics import INTAKE_EVENTS

log = logging.getLogger(__name__)

Eraser = Callable[[PersonErased, Session], Awaitable[None]]
"""Brings what a service holds about the erased person to the erased state, in `session`."""


class ErasureReaction:
    """A `MessageHandler` over intake's events; only `PersonErased` is decoded, the rest are
    passed over unread."""

    name = "erasure"
    topics: Sequence[str] = (INTAKE_EVENTS,)
    reacts_to = frozenset({PersonErased.event_type})

    def __init__(self, keyring: Keyring | None, erasers: Sequence[Eraser]) -> None:
        self.keyring = keyring
        self.erasers = erasers

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> Envelope | None:
        if passed_over(record, self.reacts_to):
            return None
        if record.value is None:
            raise DecodeError("empty message")
        event = decode(record.value, keys=keys)
        return event if isinstance(event.payload, PersonErased) else None

    async def apply(self, messages: Sequence[Envelope | None], session: Session) -> None:
        for envelope in messages:
            if envelope is None or not isinstance(envelope.payload, PersonErased):
                continue
            erased = envelope.payload
            if self.keyring is not None:
                # Before anything is built again: nothing of hers opens in this process now.
                self.keyring.forget(erased.subjects_destroyed)
            for erase in self.erasers:
                await erase(erased, session)
            log.info("person erased here", extra={"event_id": envelope.event_id})

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        return None


def projected_again(
    store: EventStore,
    streams_of: Callable[[PersonErased, Session], Awaitable[Sequence[str]]],
    *projections: Projection,
) -> Eraser:
    """An eraser that builds her streams' documents of `projections` again from the service's
    own event store (`Projection.project_again`)."""

    async def erase(erased: PersonErased, session: Session) -> None:
        streams = await streams_of(erased, session)
        for projection in projections:
            await projection.project_again(streams, store, session)

    return erase
