"""Consuming Kafka into MongoDB: projections (read models) and reactions (policies that record
events of their own), with the guarantees the rest of the system relies on:

- at-least-once: offsets are committed only after a batch has been handled and its transaction
  committed; a crash re-delivers, never skips;
- effectively once: a projection records the last version it applied per stream in the same
  transaction as its read-model change, so a re-delivered or re-published event changes nothing;
- a message that cannot be decoded (whatever the decoder raises), is larger than a consumer
  accepts, or keeps failing, goes to `<topic>.dlt` with the reason and the consumer moves on;
  a transient failure (MongoDB unavailable, a write conflict, a transaction that ran too long) is
  retried with backoff for as long as it lasts, and is never dead-lettered or skipped; when it
  repeats, the batch is halved (down to one message), so work that cannot fit in one transaction
  still gets done, and later batches are applied in pieces of the size that fitted, growing
  back slowly, rather than failing whole again first;
- an event about a person who was erased, that a reaction cannot handle without recording
  something under her destroyed key (`KeyDestroyed`), is skipped as erased (logged by kind,
  counted in `consumer_events_skipped_as_erased_total`), never retried or dead-lettered;
- no silent gaps: a projection that sees an event of a stream before the one before it holds
  that stream back (the held events are kept, and `/admin/held-streams` and the
  `projection_parked_streams` metric say so) until the missing event arrives, e.g. replayed
  from the dead-letter topic; then the stream is applied in order;
- the truth about progress: each runner reports when it last moved on, and how far behind its
  partitions are, also while it is stuck on one message (`/health`, `consumer_lag_messages`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord
from pymongo import ASCENDING, DeleteOne, InsertOne, ReplaceOne, UpdateOne

from shared.deadletter import DeadLetters
from shared.events import DecodeError, Envelope, decode
from shared.events.registry import as_recorded
from shared.eventstore import ConcurrencyError, EventStore
from shared.kafka import Brokers, consumer, read_to_end
from shared.keyring import KeyDestroyed, Keyring
from shared.limits import MAX_INCOMING_MESSAGE_BYTES, capped
from shared.metrics import (
    CONSUMER_LAG,
    DUPLICATES_SKIPPED,
    EVENTS_HANDLED,
    PARKED_STREAMS,
    SKIPPED_AS_ERASED,
    TRANSIENT_BATCH_SPLITS,
    TRANSIENT_RETRIES,
)
from shared.mongo import Client, Database, Document, Session, in_transaction, is_transient
from shared.observability import correlation_id, kind_of_failure
from shared.personal_data import NO_KEYS, DataKeys
from shared.progress import WorkerProgress

log = logging.getLogger(__name__)

DECODE_TURN = 5
"""While a replay writes one batch it decodes the next, giving way to the write after this many
records (a fraction of a millisecond). The write takes several turns of the event loop for each
of its commands, and waits for the decoding at every one: giving way every 50 records made the
write, not the decoding, the longer of the two."""

M = TypeVar("M")
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


class MessageHandler(Protocol[M]):
    """What a consumer does with the messages of its topics.

    A handler that reacts to a few event types only may say which as `reacts_to` (a collection
    of event types): the runner then asks the keyring for the keys of those records alone, and
    the handler passes the others over unread (`passed_over`)."""

    name: str
    topics: Sequence[str]

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> M:
        """Turn one record into a message, or raise DecodeError saying why it is unacceptable.
        `keys` open the record's sealed personal fields (fetched for its batch)."""
        ...

    async def apply(self, messages: Sequence[M], session: Session) -> None:
        """Handle a batch inside one MongoDB transaction; write only through `session`."""
        ...

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        """Record that a message was refused (it is also dead-lettered). Usually nothing."""
        ...


class UnhandledEventHook(Protocol):
    """A handler that turns a valid event it could not handle into a work item for a person
    (as well as the dead letter), so that a contract mismatch never fails silently."""

    async def could_not_handle(self, event: Envelope, reason: str, session: Session) -> None:
        """Record, in `session`, that someone must act on `event`; `reason` names no personal
        data. Called for an event that decoded but kept failing, just before it is parked."""
        ...


def passed_over(record: Record, reacts_to: Collection[str]) -> bool:
    """Whether a handler reacting only to `reacts_to` passes this record over unread: its type,
    read without decoding it, is another (a record whose type cannot be read is decoded, and
    refused if it is broken)."""
    event_type = event_type_of(record)
    return event_type is not None and event_type not in reacts_to


def event_type_of(record: Record) -> str | None:
    """The record's event type, from its header (or its JSON), without decoding it: a handler
    interested in a few types passes the others over unread."""
    for key, value in record.headers:
        if key == "event_type":
            return bytes(value).decode(errors="replace")
    try:
        parsed = json.loads(record.value or b"")
    except ValueError:
        return None
    kind = parsed.get("event_type") if isinstance(parsed, dict) else None
    return str(kind) if isinstance(kind, str) else None


@dataclass(frozen=True)
class HeldStream:
    """A stream a projection holds back until an earlier event of it arrives."""

    projection: str
    stream_id: str
    applied_version: int
    waiting_for_version: int
    held_events: int
    held_since: datetime


class Projection(ABC):
    """A read model built from events. Subclasses implement `project` (and may batch writes);
    tracking of what was applied, and holding a stream back across a gap, are handled here,
    atomically with it."""

    name: str
    topics: Sequence[str]
    read_models: Sequence[str] = ()
    """Collections this projection owns; emptied and rebuilt by replay."""
    keyring: Keyring | None = None
    """Opens the personal fields of the events it holds back, which are kept sealed; set by
    the runner that runs it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.tracking = database["tracking"]
        self.held = database["held_events"]

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> Envelope:
        if record.value is None:
            raise DecodeError("empty message")
        return decode(record.value, keys=keys)

    @abstractmethod
    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        """Apply events not seen before (each stream's in order, none missing) to the read
        model."""

    async def apply(self, messages: Sequence[Envelope], session: Session) -> None:
        ordered = await self._in_stream_order(messages, session)
        if ordered.fresh:
            await self.project(ordered.fresh, session)
        await self._remember(ordered, session)

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        return None

    async def reset(self) -> None:
        """Forget everything this projection built, so a replay starts from nothing."""
        # Emptied, not dropped: the collection and its indexes stay, so the replay's
        # transactions never create a collection (see `shared.mongo.ServiceDatabase`).
        for collection in self.read_models:
            await self.database[collection].delete_many({})
        await self.tracking.delete_many({"projection": self.name})
        await self.held.delete_many({"projection": self.name})
        PARKED_STREAMS.labels(self.name).set(0)

    async def project_again(
        self, streams: Collection[str], store: EventStore, session: Session
    ) -> None:
        """Build these streams' documents again from the service's own event store, exactly as
        a rebuild would now: after an erasure their personal fields open as erased, so the read
        model then equals what a full rebuild gives. Only for a read model whose documents of a
        stream are keyed by the stream id and built from that stream's events alone."""
        ids = sorted(streams)
        for collection in self.read_models:
            await self.database[collection].delete_many({"_id": {"$in": ids}}, session=session)
        await self.tracking.delete_many(
            {"_id": {"$in": [self._tracking_id(s) for s in ids]}}, session=session
        )
        await self.held.delete_many(
            {"projection": self.name, "stream_id": {"$in": ids}}, session=session
        )
        events = [event for stream in ids for event in await store.load(stream, session)]
        if events:
            await self.apply(events, session)

    async def held_streams(self) -> list[HeldStream]:
        """The streams held back now, oldest first."""
        counts: dict[str, int] = {}
        async for doc in self.held.find({"projection": self.name}, projection={"stream_id": 1}):
            counts[doc["stream_id"]] = counts.get(doc["stream_id"], 0) + 1
        cursor = self.tracking.find(
            {"projection": self.name, "waiting_for": {"$exists": True}}
        ).sort("held_since", ASCENDING)
        return [
            HeldStream(
                projection=self.name,
                stream_id=doc["stream_id"],
                applied_version=doc.get("version", 0),
                waiting_for_version=doc["waiting_for"],
                held_events=counts.get(doc["stream_id"], 0),
                held_since=doc["held_since"],
            )
            async for doc in cursor
        ]

    async def _in_stream_order(
        self, messages: Sequence[Envelope], session: Session
    ) -> _StreamOrder:
        streams = sorted({e.stream_id for e in messages})
        tracked: dict[str, Document] = {}
        # Small `$in` lists: the test server's cost grows with the square of the list's length.
        for start in range(0, len(streams), 100):
            ids = [self._tracking_id(s) for s in streams[start : start + 100]]
            async for doc in self.tracking.find({"_id": {"$in": ids}}, session=session):
                tracked[doc["stream_id"]] = doc
        order = _StreamOrder(
            {s: tracked[s].get("version", 0) if s in tracked else 0 for s in streams}
        )
        order.tracked = set(tracked)
        order.was_held = {s for s, doc in tracked.items() if "waiting_for" in doc}
        held = [
            doc
            for stream in sorted(order.was_held)
            async for doc in self.held.find(
                {"projection": self.name, "stream_id": stream}, session=session
            )
        ]
        keys = await self.keyring.keys_to_open(d["event"] for d in held) if self.keyring else {}
        for doc in held:
            order.held_before[doc["stream_id"]].add(doc["version"])
            order.hold(decode(doc["event"], keys=keys))
        for event in messages:
            if not order.offer(event):
                DUPLICATES_SKIPPED.labels(self.name).inc()
        return order

    async def _remember(self, order: _StreamOrder, session: Session) -> None:
        now = datetime.now(UTC)
        tracking: list[InsertOne[Document] | UpdateOne] = []
        held: list[ReplaceOne[Document] | DeleteOne] = []
        for stream in order.touched():
            waiting = order.pending.get(stream, {})
            update: Document = {"$set": {"projection": self.name, "stream_id": stream}}
            update["$max"] = {"version": order.applied[stream]}
            if waiting:
                update["$set"]["waiting_for"] = order.applied[stream] + 1
                update["$min"] = {"held_since": now}
                if stream not in order.was_held:
                    log.warning(
                        "stream held back: an earlier event has not arrived",
                        extra={
                            "projection": self.name,
                            "stream_id": stream,
                            "waiting_for": order.applied[stream] + 1,
                        },
                    )
            else:
                update["$unset"] = {"waiting_for": "", "held_since": ""}
            if stream in order.tracked:
                tracking.append(UpdateOne({"_id": self._tracking_id(stream)}, update))
            else:
                # Its first record: the same document the update would give, inserted.
                first = {"_id": self._tracking_id(stream), **update["$set"], **update["$max"]}
                tracking.append(InsertOne({**first, **update.get("$min", {})}))
            before = order.held_before.get(stream, set())
            for version, event in waiting.items():
                if version not in before:
                    held.append(
                        ReplaceOne(
                            {"_id": self._held_id(stream, version)},
                            {
                                "projection": self.name,
                                "stream_id": stream,
                                "version": version,
                                # Sealed, as on Kafka: a held event keeps no one's data readable.
                                "event": as_recorded(event),
                                "held_at": now,
                            },
                            upsert=True,
                        )
                    )
            held.extend(
                DeleteOne({"_id": self._held_id(stream, version)})
                for version in before - set(waiting)
            )
        if tracking:
            await self.tracking.bulk_write(tracking, ordered=False, session=session)
        if held:
            await self.held.bulk_write(held, ordered=False, session=session)
        if order.holding_changed():
            PARKED_STREAMS.labels(self.name).set(
                await self.tracking.count_documents(
                    {"projection": self.name, "waiting_for": {"$exists": True}}, session=session
                )
            )

    def _tracking_id(self, stream_id: str) -> str:
        return f"{self.name}|{stream_id}"

    def _held_id(self, stream_id: str, version: int) -> str:
        return f"{self.name}|{stream_id}|{version}"


@dataclass
class _StreamOrder:
    """Which of a batch's events can be applied now, each stream in order and without gaps, and
    which must wait for an earlier event of their stream."""

    applied: dict[str, int]
    """The last version applied of each stream (updated as events are accepted)."""
    fresh: list[Envelope] = field(default_factory=list)
    pending: dict[str, dict[int, Envelope]] = field(default_factory=dict)
    held_before: dict[str, set[int]] = field(default_factory=dict)
    tracked: set[str] = field(default_factory=set)
    """Streams with a tracking record already."""
    was_held: set[str] = field(default_factory=set)
    _accepted: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.held_before = {stream: set() for stream in self.applied}

    def hold(self, event: Envelope) -> None:
        if event.stream_version > self.applied[event.stream_id]:
            self.pending.setdefault(event.stream_id, {}).setdefault(event.stream_version, event)

    def offer(self, event: Envelope) -> bool:
        """Accept the event (and any held ones it unblocks), or hold it; False for a duplicate."""
        stream = event.stream_id
        waiting = self.pending.setdefault(stream, {})
        if event.stream_version <= self.applied[stream] or event.stream_version in waiting:
            return False
        if event.stream_version > self.applied[stream] + 1:
            waiting[event.stream_version] = event
            return True
        self._accept(event)
        while self.applied[stream] + 1 in waiting:
            self._accept(waiting.pop(self.applied[stream] + 1))
        return True

    def touched(self) -> list[str]:
        return sorted(self._accepted | {s for s, w in self.pending.items() if w} | self.was_held)

    def holding_changed(self) -> bool:
        holding = {s for s, w in self.pending.items() if w}
        return holding != self.was_held

    def _accept(self, event: Envelope) -> None:
        self.fresh.append(event)
        self.applied[event.stream_id] = event.stream_version
        self._accepted.add(event.stream_id)


@dataclass
class RetryPolicy:
    max_attempts: int = 3
    """Attempts at a non-transient failure before the message is dead-lettered."""
    first_backoff: float = 0.1
    max_backoff: float = 5.0
    split_after: int = 2
    """Transient failures of one batch in a row before it is halved: a failure that repeats may
    be the batch itself (too much work for one transaction)."""
    grow_after: int = 16
    """Pieces that fitted in a row, after a batch was halved, before pieces twice as large are
    tried again."""
    transaction_seconds: float = 30.0
    """A batch's transaction is abandoned (and counts as a transient failure) after this long,
    well inside MongoDB's 60 s limit."""


class ProjectionRunner(Generic[M]):
    """Runs one handler as one consumer group."""

    def __init__(
        self,
        handler: MessageHandler[M],
        *,
        client: Client,
        kafka: Brokers,
        group_id: str,
        dead_letters: DeadLetters,
        batch_size: int = 500,
        retry: RetryPolicy | None = None,
        stuck_after_seconds: float = 60.0,
        lag_interval_seconds: float = 5.0,
        keyring: Keyring | None = None,
    ) -> None:
        self.handler = handler
        self.client = client
        self.keyring = keyring
        if isinstance(handler, Projection):
            handler.keyring = keyring
        self.kafka = kafka
        self.group_id = group_id
        self.dead_letters = dead_letters
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.caught_up = asyncio.Event()
        self.progress = WorkerProgress(group_id, stuck_after_seconds)
        self.lag_interval_seconds = lag_interval_seconds
        self._handled: dict[TopicPartition, int] = {}
        """The next offset to handle, per partition, as far as this runner has committed."""
        self._lag_reported: set[TopicPartition] = set()
        self._fits: int | None = None
        """Set once a batch had to be halved: the largest piece known to fit in one transaction.
        Later batches are applied in pieces of this size, not tried whole (and failed) again."""
        self._fitted_in_a_row = 0
        self._replaying = False

    async def run(self) -> None:
        """Consume as the group until cancelled."""
        kafka = consumer(
            self.kafka,
            *self.handler.topics,
            group_id=self.group_id,
            client_id=self.group_id,
            max_records=self.batch_size,
        )
        await kafka.start()
        lag = asyncio.create_task(self._watch_lag(kafka))
        try:
            while True:
                batches = await kafka.getmany(timeout_ms=500, max_records=self.batch_size)
                if not batches:
                    self.progress.idle()
                    self.caught_up.set()
                    continue
                self.progress.working()
                records = [r for tp_records in batches.values() for r in tp_records]
                await self.handle(records)
                offsets = {tp: rs[-1].offset + 1 for tp, rs in batches.items()}
                try:
                    await kafka.commit(offsets)
                    self._handled.update(offsets)
                except (CommitFailedError, KafkaError) as error:
                    # The partitions moved to another member, which re-reads from the last commit;
                    # the tracking records make that harmless.
                    log.warning("commit failed; batch will be redelivered", extra={"error": error})
                self.progress.advanced()
        finally:
            lag.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await lag
            with contextlib.suppress(Exception):
                await kafka.stop()

    async def replay(self) -> int:
        """Apply every message currently on the topics, from the beginning, without a consumer
        group (used by `rebuild`). Returns the number of records read.

        Events replayed are not logged one by one, as live ones are: a rebuild replays years
        of them, and a line each took a sixth of the service's time in a rebuild's profile.
        One line says how many were replayed."""
        read = 0
        self._replaying = True
        # Each batch is read and decoded while the one before it is written: the service works
        # while the database does, rather than each waiting for the other.
        writing: asyncio.Task[None] | None = None
        try:
            async for records in read_to_end(
                self.kafka,
                self.handler.topics,
                client_id=f"{self.group_id}.replay",
                batch_size=self.batch_size,
            ):
                accepted = await self._decoded(records, beside_a_write=writing is not None)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(self._apply(accepted))
                read += len(records)
            if writing is not None:
                await writing
        finally:
            if writing is not None:
                # Stopped early (cancelled, or a record could not be parked): its write stops too.
                writing.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writing
            self._replaying = False
        log.info("replayed", extra={"group": self.group_id, "messages": read})
        return read

    async def handle(self, records: Sequence[Record]) -> None:
        """Handle a batch completely: every record is applied, or dead-lettered with a reason.
        Returns only when that is done (transient failures are waited out)."""
        await self._apply(await self._decoded(records))

    async def _decoded(
        self, records: Sequence[Record], *, beside_a_write: bool = False
    ) -> list[tuple[Record, M]]:
        """The batch's records decoded; each that cannot be read is dead-lettered with a reason.
        `beside_a_write`: another batch is being written meanwhile; the decoding gives way to it
        every `DECODE_TURN` records, so the write never waits long."""
        accepted: list[tuple[Record, M]] = []
        keys = await self._opening_keys(records)
        for index, record in enumerate(records, start=1):
            if beside_a_write and index % DECODE_TURN == 0:
                await asyncio.sleep(0)
            size = len(record.value or b"")
            if size > MAX_INCOMING_MESSAGE_BYTES:
                await self._reject(
                    record,
                    f"the message is {size} bytes; at most {MAX_INCOMING_MESSAGE_BYTES} are "
                    "accepted",
                    "MessageTooLarge",
                )
                continue
            try:
                accepted.append((record, self.handler.decode(record, keys)))
            except Exception as error:
                # Anything a decoder raises (a RecursionError from deeply nested JSON, a bug)
                # means this message cannot be read: park it rather than fail the batch for ever.
                kind = "DecodeError" if isinstance(error, DecodeError) else type(error).__name__
                await self._reject(record, str(error) or kind, kind)
        return accepted

    async def _opening_keys(self, records: Sequence[Record]) -> DataKeys:
        """The keys that open the personal fields of the batch's records the handler reads
        (one keyring read; none when it reads none of them)."""
        if self.keyring is None:
            return {}
        reacts_to: Collection[str] | None = getattr(self.handler, "reacts_to", None)
        return await self.keyring.keys_to_open(
            r.value
            for r in records
            if r.value
            and len(r.value) <= MAX_INCOMING_MESSAGE_BYTES
            and not (reacts_to is not None and passed_over(r, reacts_to))
        )

    async def _apply(self, items: Sequence[tuple[Record, M]]) -> None:
        """Apply in pieces no larger than what last fitted in one transaction, in order."""
        start = 0
        while start < len(items):
            piece = items[start : start + (self._fits or len(items))]
            await self._apply_at_once(piece)
            start += len(piece)

    async def _apply_at_once(self, items: Sequence[tuple[Record, M]]) -> None:
        if not items:
            return
        failures = 0
        transient_in_a_row = 0
        last_error: Exception | None = None
        backoff = self.retry.first_backoff
        messages = [message for _, message in items]
        while True:
            try:
                await in_transaction(
                    self.client,
                    lambda s: self.handler.apply(messages, s),
                    time_limit=self.retry.transaction_seconds,
                )
                EVENTS_HANDLED.labels(self.group_id).inc(len(items))
                self.progress.advanced()
                self._log_handled(messages)
                self._fitted()
                return
            except KeyDestroyed:
                # Nothing more may be recorded about an erased person: retrying cannot help, and
                # parking the event would keep it for a replay that must never happen. Halves
                # find her events in a few transactions, keeping each partition's order.
                if len(items) > 1:
                    half = len(items) // 2
                    await self._apply_at_once(items[:half])
                    await self._apply_at_once(items[half:])
                    return
                self._skip_as_erased(messages[0])
                return
            except Exception as error:
                if is_transient(error) or isinstance(error, ConcurrencyError):
                    TRANSIENT_RETRIES.labels(self.group_id).inc()
                    transient_in_a_row += 1
                    log.warning(
                        "dependency unavailable; retrying batch",
                        extra={"group": self.group_id, "error": error, "backoff_s": backoff},
                    )
                    if transient_in_a_row >= self.retry.split_after and len(items) > 1:
                        # Halves keep each partition's order: the first is done before the second.
                        TRANSIENT_BATCH_SPLITS.labels(self.group_id).inc()
                        half = len(items) // 2
                        self._fits = min(self._fits or half, half)
                        self._fitted_in_a_row = 0
                        await self._apply(items[:half])
                        await self._apply(items[half:])
                        return
                else:
                    transient_in_a_row = 0
                    failures += 1
                    last_error = error
                    log.warning(
                        "batch failed",
                        extra={"group": self.group_id, "error": error, "attempt": failures},
                    )
                    if failures >= self.retry.max_attempts:
                        break
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.retry.max_backoff)
        if len(items) > 1:
            # Find the poison message: the others must not be held back by it.
            for item in items:
                await self._apply_at_once([item])
            return
        record, message = items[0]
        reason = f"failed {failures} times: {kind_of_failure(last_error)}"
        await self._could_not_handle(message, reason)
        await self._reject(record, reason, type(last_error).__name__)

    def _skip_as_erased(self, message: M) -> None:
        kind = message.event_type if isinstance(message, Envelope) else type(message).__name__
        SKIPPED_AS_ERASED.labels(self.group_id, kind).inc()
        # The kind of event only: its ids lead to a person who was erased.
        log.warning(
            "event skipped: the person it is about was erased",
            extra={"group": self.group_id, "event_type": kind},
        )
        self.progress.advanced()

    def _fitted(self) -> None:
        """A piece fitted: after enough in a row, try pieces twice as large again (a batch that
        had to be halved costs `split_after` failed transactions, so growing back is slow)."""
        if self._fits is None:
            return
        self._fitted_in_a_row += 1
        if self._fitted_in_a_row >= self.retry.grow_after:
            self._fitted_in_a_row = 0
            self._fits = self._fits * 2 if self._fits * 2 < self.batch_size else None

    async def _could_not_handle(self, message: M, reason: str) -> None:
        """A valid event a handler cannot handle becomes a person's work item as well as a dead
        letter, when the handler knows how (`UnhandledEventHook`)."""
        hook = getattr(self.handler, "could_not_handle", None)
        if hook is None or not isinstance(message, Envelope):
            return
        backoff = self.retry.first_backoff
        while True:
            try:
                await in_transaction(self.client, lambda s: hook(message, capped(reason), s))
                return
            except Exception as error:
                if not (is_transient(error) or isinstance(error, ConcurrencyError)):
                    log.exception(
                        "recording the unhandled event as work failed",
                        extra={"group": self.group_id, "event_id": message.event_id},
                    )
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.retry.max_backoff)

    async def _reject(self, record: Record, reason: str, error_type: str) -> None:
        reason = capped(reason)
        log.warning(
            "message dead-lettered",
            extra={
                "group": self.group_id,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason,
            },
        )
        backoff = self.retry.first_backoff
        while True:
            try:
                await in_transaction(
                    self.client, lambda s: self.handler.rejected(record, reason, s)
                )
            except Exception as error:
                if is_transient(error):
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.retry.max_backoff)
                    continue
                # Parking the message matters more than recording the refusal elsewhere.
                log.exception("recording a rejection failed", extra={"error": error})
            try:
                await self.dead_letters.park(record, reason, error_type)
                self.progress.advanced()
                return
            except (KafkaError, OSError) as error:
                log.warning("cannot dead-letter yet; retrying", extra={"error": error})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.retry.max_backoff)

    def _log_handled(self, messages: Sequence[M]) -> None:
        if self._replaying or not log.isEnabledFor(logging.INFO):
            return
        for message in messages:
            if isinstance(message, Envelope):
                token = correlation_id.set(message.correlation_id)
                log.info(
                    "handled event",
                    extra={
                        "group": self.group_id,
                        "event_type": message.event_type,
                        "event_id": message.event_id,
                        "stream_id": message.stream_id,
                    },
                )
                correlation_id.reset(token)

    async def _watch_lag(self, kafka: AIOKafkaConsumer) -> None:
        """Report how far behind each assigned partition is, from the broker's end offsets and
        what this runner has committed: right also while a batch is stuck."""
        while True:
            await asyncio.sleep(self.lag_interval_seconds)
            try:
                await self.record_lag(kafka)
            except Exception as error:
                log.debug("lag not measured", extra={"error": error})

    async def record_lag(self, kafka: AIOKafkaConsumer) -> None:
        assigned = set(kafka.assignment())
        for gone in set(self._handled) - assigned:
            del self._handled[gone]  # another member moves it on now
        for gone in self._lag_reported - assigned:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.group_id, gone.topic, str(gone.partition))
        self._lag_reported &= assigned
        if not assigned:
            return
        ends = await kafka.end_offsets(list(assigned))
        for tp in assigned:
            if tp not in self._handled:
                committed = await kafka.committed(tp)
                if committed is None:
                    committed = (await kafka.beginning_offsets([tp]))[tp]
                self._handled[tp] = committed
            CONSUMER_LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(
                max(ends[tp] - self._handled[tp], 0)
            )
            self._lag_reported.add(tp)


async def rebuild(runner: ProjectionRunner[Envelope], projection: Projection) -> int:
    """Drop the read model and its tracking, then replay from the beginning of the topics."""
    await projection.reset()
    return await runner.replay()
