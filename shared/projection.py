"""Consuming Kafka into MongoDB: projections (read models) and reactions (policies that record
events of their own), with the guarantees the rest of the system relies on:

- at-least-once: offsets are committed only after a batch has been handled and its transaction
  committed; a crash re-delivers, never skips;
- effectively once: a projection records the last version it applied per stream in the same
  transaction as its read-model change, so a re-delivered or re-published event changes nothing;
- a message that cannot be decoded, or that keeps failing, goes to `<topic>.dlt` with the reason
  and the consumer moves on; a transient failure (MongoDB unavailable, a write conflict) is
  retried with backoff for as long as it lasts, and is never dead-lettered or skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord
from pymongo import UpdateOne

from shared.deadletter import DeadLetters
from shared.events import DecodeError, Envelope, decode
from shared.eventstore import ConcurrencyError
from shared.kafka import consumer, read_to_end
from shared.metrics import CONSUMER_LAG, DUPLICATES_SKIPPED, EVENTS_HANDLED, TRANSIENT_RETRIES
from shared.mongo import Client, Database, Session, in_transaction, is_transient
from shared.observability import correlation_id

log = logging.getLogger(__name__)

M = TypeVar("M")
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


class MessageHandler(Protocol[M]):
    """What a consumer does with the messages of its topics."""

    name: str
    topics: Sequence[str]

    def decode(self, record: Record) -> M:
        """Turn one record into a message, or raise DecodeError saying why it is unacceptable."""
        ...

    async def apply(self, messages: Sequence[M], session: Session) -> None:
        """Handle a batch inside one MongoDB transaction; write only through `session`."""
        ...

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        """Record that a message was refused (it is also dead-lettered). Usually nothing."""
        ...


class Projection(ABC):
    """A read model built from events. Subclasses implement `project` (and may batch writes);
    tracking of what was applied is handled here, atomically with it."""

    name: str
    topics: Sequence[str]
    read_models: Sequence[str] = ()
    """Collections this projection owns; dropped and rebuilt by replay."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.tracking = database["tracking"]

    def decode(self, record: Record) -> Envelope:
        if record.value is None:
            raise DecodeError("empty message")
        return decode(record.value)

    @abstractmethod
    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        """Apply events not seen before (in stream order) to the read model."""

    async def apply(self, messages: Sequence[Envelope], session: Session) -> None:
        ids = sorted({self._tracking_id(e.stream_id) for e in messages})
        applied: dict[str, int] = {}
        # Small `$in` lists: the test server's cost grows with the square of the list's length.
        for start in range(0, len(ids), 100):
            async for doc in self.tracking.find(
                {"_id": {"$in": ids[start : start + 100]}}, session=session
            ):
                applied[doc["stream_id"]] = doc["version"]
        fresh: list[Envelope] = []
        for event in messages:
            last = applied.get(event.stream_id, 0)
            if event.stream_version <= last:
                DUPLICATES_SKIPPED.labels(self.name).inc()
                continue
            if event.stream_version > last + 1 and last:
                log.warning(
                    "gap in stream",
                    extra={"stream_id": event.stream_id, "last": last, "got": event.stream_version},
                )
            fresh.append(event)
            applied[event.stream_id] = event.stream_version
        if not fresh:
            return
        await self.project(fresh, session)
        await self.tracking.bulk_write(
            [
                UpdateOne(
                    {"_id": self._tracking_id(stream)},
                    {
                        "$max": {"version": applied[stream]},
                        "$set": {"projection": self.name, "stream_id": stream},
                    },
                    upsert=True,
                )
                for stream in {e.stream_id for e in fresh}
            ],
            ordered=False,
            session=session,
        )

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        return None

    async def reset(self) -> None:
        """Forget everything this projection built, so a replay starts from nothing."""
        for collection in self.read_models:
            await self.database.drop_collection(collection)
        await self.tracking.delete_many({"projection": self.name})

    def _tracking_id(self, stream_id: str) -> str:
        return f"{self.name}|{stream_id}"


@dataclass
class RetryPolicy:
    max_attempts: int = 3
    """Attempts at a non-transient failure before the message is dead-lettered."""
    first_backoff: float = 0.1
    max_backoff: float = 5.0


class ProjectionRunner(Generic[M]):
    """Runs one handler as one consumer group."""

    def __init__(
        self,
        handler: MessageHandler[M],
        *,
        client: Client,
        bootstrap_servers: str,
        group_id: str,
        dead_letters: DeadLetters,
        batch_size: int = 500,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.handler = handler
        self.client = client
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.dead_letters = dead_letters
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.caught_up = asyncio.Event()

    async def run(self) -> None:
        """Consume as the group until cancelled."""
        kafka = consumer(
            self.bootstrap_servers,
            *self.handler.topics,
            group_id=self.group_id,
            client_id=self.group_id,
            max_records=self.batch_size,
        )
        await kafka.start()
        try:
            while True:
                batches = await kafka.getmany(timeout_ms=500, max_records=self.batch_size)
                if not batches:
                    self.caught_up.set()
                    continue
                records = [r for tp_records in batches.values() for r in tp_records]
                await self.handle(records)
                offsets = {tp: rs[-1].offset + 1 for tp, rs in batches.items()}
                try:
                    await kafka.commit(offsets)
                except (CommitFailedError, KafkaError) as error:
                    # The partitions moved to another member, which re-reads from the last commit;
                    # the tracking records make that harmless.
                    log.warning(
                        "commit failed; batch will be redelivered", extra={"error": repr(error)}
                    )
                self._record_lag(kafka, offsets)
        finally:
            with contextlib.suppress(Exception):
                await kafka.stop()

    async def replay(self) -> int:
        """Apply every message currently on the topics, from the beginning, without a consumer
        group (used by `rebuild`). Returns the number of records read."""
        read = 0
        async for records in read_to_end(
            self.bootstrap_servers,
            self.handler.topics,
            client_id=f"{self.group_id}.replay",
            batch_size=self.batch_size,
        ):
            await self.handle(records)
            read += len(records)
        return read

    async def handle(self, records: Sequence[Record]) -> None:
        """Handle a batch completely: every record is applied, or dead-lettered with a reason.
        Returns only when that is done (transient failures are waited out)."""
        accepted: list[tuple[Record, M]] = []
        for record in records:
            try:
                accepted.append((record, self.handler.decode(record)))
            except DecodeError as error:
                await self._reject(record, str(error), "DecodeError")
        await self._apply(accepted)

    async def _apply(self, items: Sequence[tuple[Record, M]]) -> None:
        if not items:
            return
        failures = 0
        last_error: Exception | None = None
        backoff = self.retry.first_backoff
        messages = [message for _, message in items]
        while True:
            try:
                await in_transaction(self.client, lambda s: self.handler.apply(messages, s))
                EVENTS_HANDLED.labels(self.group_id).inc(len(items))
                self._log_handled(messages)
                return
            except Exception as error:
                if is_transient(error) or isinstance(error, ConcurrencyError):
                    TRANSIENT_RETRIES.labels(self.group_id).inc()
                    log.warning(
                        "dependency unavailable; retrying batch",
                        extra={"group": self.group_id, "error": repr(error), "backoff_s": backoff},
                    )
                else:
                    failures += 1
                    last_error = error
                    log.warning(
                        "batch failed",
                        extra={"group": self.group_id, "error": repr(error), "attempt": failures},
                    )
                    if failures >= self.retry.max_attempts:
                        break
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.retry.max_backoff)
        if len(items) > 1:
            # Find the poison message: the others must not be held back by it.
            for item in items:
                await self._apply([item])
            return
        await self._reject(
            items[0][0], f"failed {failures} times: {last_error!r}", type(last_error).__name__
        )

    async def _reject(self, record: Record, reason: str, error_type: str) -> None:
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
                log.exception("recording a rejection failed", extra={"error": repr(error)})
            try:
                await self.dead_letters.park(record, reason, error_type)
                return
            except (KafkaError, OSError) as error:
                log.warning("cannot dead-letter yet; retrying", extra={"error": repr(error)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.retry.max_backoff)

    def _log_handled(self, messages: Sequence[M]) -> None:
        if not log.isEnabledFor(logging.INFO):
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

    def _record_lag(self, kafka: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        for tp, next_offset in offsets.items():
            highwater = kafka.highwater(tp)
            if highwater is not None:
                CONSUMER_LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(
                    max(highwater - next_offset, 0)
                )


async def rebuild(runner: ProjectionRunner[Envelope], projection: Projection) -> int:
    """Drop the read model and its tracking, then replay from the beginning of the topics."""
    await projection.reset()
    return await runner.replay()
