"""The event store of record (one per service database) and its transactional outbox.

`events`: one document per event, `_id = event_id`, unique `(stream_id, stream_version)`. Appending
checks the expected version; a duplicate key on the version is a concurrency conflict: another
writer appended first, so the caller reloads the stream and decides again. This is how KurrentDB
and the `eventsourcing` library guarantee one history per aggregate.

`outbox`: written in the same transaction as the events, drained to Kafka by `OutboxRelay`.
Publishing after commit instead would lose events on a crash between the two writes.

An event larger than `MAX_EVENT_BYTES` is refused before anything is written: once committed,
an event the broker refuses would block every later event of its stream in the outbox.

With a keyring, each event's personal fields are sealed under its stream's data subject
(`subject_of`; by default the stream itself, e.g. `concern-<uuid>`) before anything is written,
so neither `events`, `outbox` nor Kafka holds them readable; `load` opens them again (or gives the
erased placeholders once the subject's key is destroyed). Every version stays in the stream.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bson import Binary
from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.events import DomainEvent, Envelope, Metadata, decode, encode, kafka_headers
from shared.keyring import Keyring
from shared.limits import MAX_EVENT_BYTES
from shared.mongo import Client, Database, Document, Session, in_transaction
from shared.personal_data import (
    DataKeys,
    SealingKey,
    holds_personal_data,
    subject_named,
)

SubjectOf = Callable[[str, Sequence[DomainEvent], Session | None], Awaitable[str]]
"""The data subject whose key seals a stream's events: given the stream id, the events being
appended and the caller's session."""


async def the_stream_itself(
    stream_id: str, events: Sequence[DomainEvent], session: Session | None
) -> str:
    return stream_id


STORE_FIELDS = ("_id", "recorded_at")


class ConcurrencyError(Exception):
    """The stream moved on since it was loaded: reload, decide again, retry."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"stream {stream_id} is at version {actual_version}, not the expected {expected_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class EventTooLarge(Exception):
    """An event would be larger than an event may be; nothing was recorded."""

    def __init__(self, event_type: str, size: int) -> None:
        super().__init__(
            f"a {event_type} event would be {size} bytes; at most {MAX_EVENT_BYTES} are allowed"
        )
        self.event_type = event_type
        self.size = size


class EventAlreadyRecorded(Exception):
    """An event with this id is already in the store (a redelivered command or reaction)."""


@dataclass(frozen=True)
class StreamAppend:
    """Events to record on one stream after `expected_version` (see `EventStore.append_streams`)."""

    stream_id: str
    expected_version: int
    events: Sequence[DomainEvent]
    metadata: Metadata


class EventStore:
    def __init__(
        self,
        client: Client,
        database: Database,
        topic: str,
        *,
        keyring: Keyring | None = None,
        subject_of: SubjectOf = the_stream_itself,
    ) -> None:
        self.client = client
        self.events = database["events"]
        self.outbox = database["outbox"]
        self.topic = topic
        self.keyring = keyring
        self.subject_of = subject_of

    async def ensure_indexes(self) -> None:
        await self.events.create_index(
            [("stream_id", ASCENDING), ("stream_version", ASCENDING)], unique=True
        )
        await self.events.create_index([("event_type", ASCENDING)])
        await self.outbox.create_index([("published", ASCENDING), ("created_at", ASCENDING)])
        # The purge of published entries (`shared.outbox.PublishedOutboxPurge`) finds them by it.
        await self.outbox.create_index([("published", ASCENDING), ("published_at", ASCENDING)])

    async def load(self, stream_id: str, session: Session | None = None) -> list[Envelope]:
        cursor = self.events.find({"stream_id": stream_id}, session=session).sort(
            "stream_version", ASCENDING
        )
        documents = [doc async for doc in cursor]
        keys = await self.opening_keys(documents)
        return [envelope_from_document(doc, keys) for doc in documents]

    async def load_streams(
        self, stream_ids: Iterable[str], session: Session | None = None
    ) -> dict[str, list[Envelope]]:
        """`load` for several streams with one look-up (and one of the keyring): every stream
        asked for is in the answer, empty when it has no events."""
        wanted = sorted(set(stream_ids))
        if not wanted:
            return {}
        cursor = self.events.find({"stream_id": {"$in": wanted}}, session=session).sort(
            [("stream_id", ASCENDING), ("stream_version", ASCENDING)]
        )
        documents = [doc async for doc in cursor]
        keys = await self.opening_keys(documents)
        streams: dict[str, list[Envelope]] = {stream_id: [] for stream_id in wanted}
        for doc in documents:
            streams[doc["stream_id"]].append(envelope_from_document(doc, keys))
        return streams

    async def opening_keys(self, documents: Sequence[Document]) -> DataKeys:
        """The keys that open these stored events' personal fields."""
        if self.keyring is None:
            return {}
        return await self.keyring.keys_to_open(doc.get("payload") for doc in documents)

    async def version(self, stream_id: str, session: Session | None = None) -> int:
        latest = await self.events.find_one(
            {"stream_id": stream_id},
            projection={"stream_version": 1},
            sort=[("stream_version", -1)],
            session=session,
        )
        return int(latest["stream_version"]) if latest else 0

    async def any_recorded(self, event_ids: Sequence[str], session: Session | None = None) -> bool:
        """Whether any of these event ids is in the store already, on any stream."""
        return (
            await self.events.find_one({"_id": {"$in": list(event_ids)}}, session=session)
            is not None
        )

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[DomainEvent],
        metadata: Metadata,
        *,
        session: Session | None = None,
        event_ids: Sequence[str] | None = None,
        read_in_session: bool = False,
    ) -> list[Envelope]:
        """Record `events` after `expected_version` and queue them for Kafka, atomically.

        With `session`, the writes join the caller's transaction (a projection or reaction that
        records events together with its own bookkeeping); otherwise they get their own.
        `event_ids` makes a reaction idempotent: recording the same ids twice raises
        EventAlreadyRecorded instead of writing duplicates. `read_in_session`: the caller loaded
        the stream in this `session` and found it at `expected_version` without these ids, so
        neither is read again (a writer that got in first still fails the transaction on the
        unique keys).
        """
        if read_in_session and session is None:
            raise ValueError("read_in_session needs the session the stream was read in")
        if event_ids is not None and len(event_ids) != len(events):
            raise ValueError("event_ids must match events one to one")
        now = datetime.now(UTC)
        envelopes = [
            Envelope.record(
                payload,
                stream_id=stream_id,
                stream_version=expected_version + i + 1,
                metadata=metadata,
                event_id=event_ids[i] if event_ids else None,
                occurred_at=now,
            )
            for i, payload in enumerate(events)
        ]
        if not envelopes:
            return []
        sealing = await self._sealing_key(stream_id, events, session)
        encoded = [encode(e, sealing=sealing) for e in envelopes]
        for envelope, value in zip(envelopes, encoded, strict=True):
            if len(value) > MAX_EVENT_BYTES:
                raise EventTooLarge(envelope.event_type, len(value))

        async def write(tx: Session) -> list[Envelope]:
            actual = expected_version
            if not read_in_session:
                if event_ids and await self.any_recorded(event_ids, tx):
                    raise EventAlreadyRecorded(f"events {list(event_ids)} are already recorded")
                actual = await self.version(stream_id, tx)
                if actual != expected_version:
                    raise ConcurrencyError(stream_id, expected_version, actual)
            try:
                await self.events.insert_many(
                    [
                        {**json.loads(value), "_id": e.event_id, "recorded_at": now}
                        for e, value in zip(envelopes, encoded, strict=True)
                    ],
                    session=tx,
                )
            except DuplicateKeyError as error:
                # A concurrent writer committed the same version between our check and insert.
                raise ConcurrencyError(stream_id, expected_version, actual + 1) from error
            await self.outbox.insert_many(
                [
                    self._outbox_entry(e, value, now)
                    for e, value in zip(envelopes, encoded, strict=True)
                ],
                session=tx,
            )
            return envelopes

        if session is not None:
            return await write(session)
        return await in_transaction(self.client, write)

    async def append_streams(
        self, appends: Sequence[StreamAppend], *, session: Session
    ) -> list[Envelope]:
        """Record several streams' events in the caller's transaction with one `insert_many`
        for the events and one for the outbox: what `append` does for each, for a batch of
        streams (each at most once). A stream that moved on raises ConcurrencyError."""
        if len({a.stream_id for a in appends}) != len(appends):
            raise ValueError("each stream is appended to at most once in a batch")
        now = datetime.now(UTC)
        envelopes = [
            Envelope.record(
                payload,
                stream_id=append.stream_id,
                stream_version=append.expected_version + i + 1,
                metadata=append.metadata,
                occurred_at=now,
            )
            for append in appends
            for i, payload in enumerate(append.events)
        ]
        await self.record(
            envelopes, after={a.stream_id: a.expected_version for a in appends}, session=session
        )
        return envelopes

    async def record(
        self, envelopes: Sequence[Envelope], *, after: Mapping[str, int], session: Session
    ) -> None:
        """Write events already made (`Envelope.record`, numbered on from `after[stream]`, the
        version each stream was found at) in the caller's transaction: one look-up of the
        streams' versions, one of the keyring, one `insert_many` for the events and one for the
        outbox. A stream that moved on raises ConcurrencyError, as does an event id recorded
        already (its unique key)."""
        if not envelopes:
            return
        expected = dict(after)
        for envelope in envelopes:
            if envelope.stream_version != expected.get(envelope.stream_id, -1) + 1:
                raise ValueError("each stream's events are numbered on from `after`, no gaps")
            expected[envelope.stream_id] = envelope.stream_version
        now = datetime.now(UTC)
        payloads: dict[str, list[DomainEvent]] = {}
        for envelope in envelopes:
            payloads.setdefault(envelope.stream_id, []).append(envelope.payload)
        sealing_keys = await self._sealing_keys(list(payloads.items()), session)
        recorded: list[tuple[Envelope, bytes]] = []
        for envelope in envelopes:
            value = encode(envelope, sealing=sealing_keys.get(envelope.stream_id))
            if len(value) > MAX_EVENT_BYTES:
                raise EventTooLarge(envelope.event_type, len(value))
            recorded.append((envelope, value))
        actual: dict[str, int] = {}
        async for doc in self.events.find(
            {"stream_id": {"$in": list(payloads)}},
            projection={"stream_id": 1, "stream_version": 1},
            session=session,
        ):
            actual[doc["stream_id"]] = max(actual.get(doc["stream_id"], 0), doc["stream_version"])
        for stream_id in payloads:
            found, wanted = actual.get(stream_id, 0), after[stream_id]
            if found != wanted:
                raise ConcurrencyError(stream_id, wanted, found)
        try:
            await self.events.insert_many(
                [
                    {**json.loads(value), "_id": e.event_id, "recorded_at": now}
                    for e, value in recorded
                ],
                session=session,
            )
        except (DuplicateKeyError, BulkWriteError) as error:
            # A concurrent writer committed one of these streams (or events) since the check.
            first = envelopes[0]
            wanted = after[first.stream_id]
            raise ConcurrencyError(first.stream_id, wanted, wanted + 1) from error
        await self.outbox.insert_many(
            [self._outbox_entry(e, value, now) for e, value in recorded], session=session
        )

    async def _sealing_key(
        self, stream_id: str, events: Sequence[DomainEvent], session: Session | None
    ) -> SealingKey | None:
        return (await self._sealing_keys([(stream_id, events)], session)).get(stream_id)

    async def _sealing_keys(
        self, streams: Sequence[tuple[str, Sequence[DomainEvent]]], session: Session | None
    ) -> dict[str, SealingKey]:
        """Per stream whose events hold personal data, the key of its subject: the keyring is
        asked once for all of them. Raises KeyDestroyed once a subject was erased: nothing new
        is recorded about them."""
        if self.keyring is None:
            return {}
        subjects = {
            stream_id: subject_named(await self.subject_of(stream_id, events, session))
            for stream_id, events in streams
            if any(holds_personal_data(type(e)) for e in events)
        }
        if not subjects:
            return {}
        keys = await self.keyring.sealing_keys(subjects.values())
        return {stream: keys[subject] for stream, subject in subjects.items()}

    def _outbox_entry(self, envelope: Envelope, value: bytes, now: datetime) -> Document:
        return {
            "_id": envelope.event_id,
            "stream_id": envelope.stream_id,
            "stream_version": envelope.stream_version,
            "topic": self.topic,
            "key": envelope.stream_id,
            "value": Binary(value),
            "headers": [[k, Binary(v)] for k, v in kafka_headers(envelope)],
            "created_at": now,
            "published": False,
        }


def envelope_from_document(document: Document, keys: DataKeys | None = None) -> Envelope:
    """Load a stored event, upcasting it if it was recorded under an older schema version and
    opening its personal fields with `keys` (`EventStore.opening_keys`)."""
    return decode({k: v for k, v in document.items() if k not in STORE_FIELDS}, keys=keys)
