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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bson import Binary
from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.events import DomainEvent, Envelope, Metadata, decode, encode, kafka_headers
from shared.keyring import Keyring
from shared.limits import MAX_EVENT_BYTES
from shared.mongo import (
    Client,
    Database,
    Document,
    Session,
    drop_replaced_indexes,
    in_transaction,
)
from shared.personal_data import (
    DataKeys,
    SealingKey,
    holds_personal_data,
    subject_named,
)
from shared.wakeup import inserted_into

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
    """Events to record on one stream after `expected_version` (see `EventStore.append_streams`).

    `event_ids` as for `EventStore.append`; `subject`, when the caller knows it, is the data
    subject whose key seals the events, so the store need not ask `subject_of`."""

    stream_id: str
    expected_version: int
    events: Sequence[DomainEvent]
    metadata: Metadata
    event_ids: Sequence[str] | None = None
    subject: str | None = None


PENDING: Document = {"published": False}
PUBLISHED: Document = {"published": True}
PENDING_INDEX = "pending_by_created_at"
PUBLISHED_INDEX = "published_by_published_at"
REPLACED_OUTBOX_INDEXES = ("published_1_created_at_1", "published_1_published_at_1")
"""The outbox's indexes before `PENDING_INDEX` and `PUBLISHED_INDEX`, dropped where found."""


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
        # Each index holds only the entries it is read for: the relay reads the pending ones
        # oldest first, the purge (`shared.outbox.PublishedOutboxPurge`) the published ones
        # published longest ago. Marking an entry published takes it out of one and puts it into
        # the other, where indexes led by `published` were rewritten in both: on the test server,
        # 40 writers beside the relay kept 1.4x the transactions per second once it had slowed
        # down (`python -m bench.outbox_indexes`).
        await self.outbox.create_index(
            [("created_at", ASCENDING)], name=PENDING_INDEX, partialFilterExpression=PENDING
        )
        await self.outbox.create_index(
            [("published_at", ASCENDING)], name=PUBLISHED_INDEX, partialFilterExpression=PUBLISHED
        )
        await drop_replaced_indexes(self.outbox, REPLACED_OUTBOX_INDEXES)

    async def load(self, stream_id: str, session: Session | None = None) -> list[Envelope]:
        cursor = self.events.find({"stream_id": stream_id}, session=session).sort(
            "stream_version", ASCENDING
        )
        documents = [doc async for doc in cursor]
        keys = await self.opening_keys(documents, session)
        return [envelope_from_document(doc, keys) for doc in documents]

    async def stored(
        self, stream_ids: Sequence[str], session: Session | None = None
    ) -> dict[str, list[Document]]:
        """The stored events of these streams, each in version order and still sealed (open
        them with `opening_keys` and `envelope_from_document`): a batch's `load`, in a few
        `$in` reads. A stream with no events is absent."""
        wanted = sorted(set(stream_ids))
        found: dict[str, list[Document]] = {}
        # Small `$in` lists: the test server's cost grows with the square of the list's length.
        for start in range(0, len(wanted), 100):
            cursor = self.events.find(
                {"stream_id": {"$in": wanted[start : start + 100]}}, session=session
            )
            async for doc in cursor:
                found.setdefault(doc["stream_id"], []).append(doc)
        for documents in found.values():
            documents.sort(key=lambda doc: int(doc["stream_version"]))
        return found

    async def load_streams(
        self, stream_ids: Sequence[str], session: Session | None = None
    ) -> dict[str, list[Envelope]]:
        """`load` for several streams (`stored`, then one keyring look-up): every stream asked
        for is in the answer, empty when it has no events."""
        stored = await self.stored(stream_ids, session)
        keys = await self.opening_keys([doc for docs in stored.values() for doc in docs], session)
        return {
            stream_id: [envelope_from_document(doc, keys) for doc in stored.get(stream_id, [])]
            for stream_id in stream_ids
        }

    async def opening_keys(
        self, documents: Sequence[Document], session: Session | None = None
    ) -> DataKeys:
        """The keys that open these stored events' personal fields (in `session`'s transaction,
        each subject's read once there: `Keyring`)."""
        if self.keyring is None:
            return {}
        return await self.keyring.keys_to_open((doc.get("payload") for doc in documents), session)

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

    async def recorded_among(self, event_ids: Sequence[str], session: Session) -> set[str]:
        """Which of these event ids are in the store already, on any stream (one look-up)."""
        if not event_ids:
            return set()
        return {
            str(doc["_id"])
            async for doc in self.events.find(
                {"_id": {"$in": list(event_ids)}}, projection={"_id": 1}, session=session
            )
        }

    async def versions(self, stream_ids: Sequence[str], session: Session) -> dict[str, int]:
        """Each stream's version (0 when it has no events), with one look-up."""
        found = dict.fromkeys(stream_ids, 0)
        if not stream_ids:
            return found
        async for doc in self.events.find(
            {"stream_id": {"$in": list(found)}},
            projection={"stream_id": 1, "stream_version": 1},
            session=session,
        ):
            found[doc["stream_id"]] = max(found[doc["stream_id"]], int(doc["stream_version"]))
        return found

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
        sealing = await self._sealing_key(
            stream_id, events, session, starting=expected_version == 0
        )
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
            inserted_into(self.outbox, tx)
            return envelopes

        if session is not None:
            return await write(session)
        return await in_transaction(self.client, write)

    async def append_streams(
        self, appends: Sequence[StreamAppend], *, session: Session, read_in_session: bool = False
    ) -> list[Envelope]:
        """Record several streams' events in the caller's transaction with one `insert_many`
        for the events and one for the outbox: what `append` does for each, for a batch of
        streams. A stream may be appended to more than once (events with different causes),
        each append following on from the one before. A stream that moved on raises
        ConcurrencyError; event ids already recorded raise EventAlreadyRecorded.
        `read_in_session` as for `append`: the caller read every stream in `session` at the
        first append's expected version, without these ids, so neither is read again."""
        first: dict[str, StreamAppend] = {}
        follows: dict[str, int] = {}
        for append in appends:
            if append.event_ids is not None and len(append.event_ids) != len(append.events):
                raise ValueError("event_ids must match events one to one")
            expected = follows.get(append.stream_id, append.expected_version)
            if append.expected_version != expected:
                raise ValueError("appends to one stream follow on from each other")
            first.setdefault(append.stream_id, append)
            follows[append.stream_id] = append.expected_version + len(append.events)
        now = datetime.now(UTC)
        streams: dict[str, tuple[list[DomainEvent], str | None]] = {}
        for append in appends:
            streams.setdefault(append.stream_id, ([], append.subject))[0].extend(append.events)
        sealing_keys = await self._sealing_keys(
            [(stream, events, subject) for stream, (events, subject) in streams.items()],
            session,
            starting={s for s, append in first.items() if append.expected_version == 0},
        )
        recorded: list[tuple[Envelope, bytes]] = []
        for append in appends:
            sealing = sealing_keys.get(append.stream_id)
            for i, payload in enumerate(append.events):
                envelope = Envelope.record(
                    payload,
                    stream_id=append.stream_id,
                    stream_version=append.expected_version + i + 1,
                    metadata=append.metadata,
                    event_id=append.event_ids[i] if append.event_ids else None,
                    occurred_at=now,
                )
                value = encode(envelope, sealing=sealing)
                if len(value) > MAX_EVENT_BYTES:
                    raise EventTooLarge(envelope.event_type, len(value))
                recorded.append((envelope, value))
        if not recorded:
            return []
        if not read_in_session:
            await self._check_streams(appends, list(first.values()), session)
        try:
            await self.events.insert_many(
                [
                    {**json.loads(value), "_id": e.event_id, "recorded_at": now}
                    for e, value in recorded
                ],
                session=session,
            )
        except (DuplicateKeyError, BulkWriteError) as error:
            # A concurrent writer committed one of these streams since the check.
            stream = appends[0]
            raise ConcurrencyError(
                stream.stream_id, stream.expected_version, stream.expected_version + 1
            ) from error
        await self.outbox.insert_many(
            [self._outbox_entry(e, value, now) for e, value in recorded], session=session
        )
        inserted_into(self.outbox, session)
        return [e for e, _ in recorded]

    async def _check_streams(
        self, appends: Sequence[StreamAppend], firsts: Sequence[StreamAppend], session: Session
    ) -> None:
        """Refuse ids already recorded, and streams that moved on since they were read."""
        event_ids = [i for a in appends for i in a.event_ids or ()]
        if event_ids and await self.any_recorded(event_ids, session):
            raise EventAlreadyRecorded(f"events {event_ids} are already recorded")
        actual = await self.versions([a.stream_id for a in firsts], session)
        for append in firsts:
            if actual[append.stream_id] != append.expected_version:
                raise ConcurrencyError(
                    append.stream_id, append.expected_version, actual[append.stream_id]
                )

    async def _sealing_key(
        self,
        stream_id: str,
        events: Sequence[DomainEvent],
        session: Session | None,
        *,
        starting: bool,
    ) -> SealingKey | None:
        return (
            await self._sealing_keys(
                [(stream_id, events, None)], session, starting={stream_id} if starting else set()
            )
        ).get(stream_id)

    async def _sealing_keys(
        self,
        streams: Sequence[tuple[str, Sequence[DomainEvent], str | None]],
        session: Session | None,
        *,
        starting: frozenset[str] | set[str] = frozenset(),
    ) -> dict[str, SealingKey]:
        """Per stream whose events hold personal data, the key of its subject (given, or asked
        of `subject_of`): the keyring is asked once for all of them. Raises KeyDestroyed once a
        subject was erased: nothing new is recorded about them. A stream `starting` (its first
        events) that is its own subject most likely has no key yet: it is made without asking
        first (`Keyring.sealing_keys`' `likely_new`)."""
        if self.keyring is None:
            return {}
        subjects = {
            stream_id: subject_named(subject or await self.subject_of(stream_id, events, session))
            for stream_id, events, subject in streams
            if any(holds_personal_data(type(e)) for e in events)
        }
        if not subjects:
            return {}
        likely_new = {s for stream, s in subjects.items() if stream in starting and s == stream}
        keys = await self.keyring.sealing_keys(subjects.values(), session, likely_new=likely_new)
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
            **PENDING,
        }


def envelope_from_document(document: Document, keys: DataKeys | None = None) -> Envelope:
    """Load a stored event, upcasting it if it was recorded under an older schema version and
    opening its personal fields with `keys` (`EventStore.opening_keys`)."""
    return decode({k: v for k, v in document.items() if k not in STORE_FIELDS}, keys=keys)
