"""The outbox relay: publishes committed events to Kafka, in order per stream, then marks them.

A crash anywhere loses nothing: before publishing, the entry is still pending and is published
on restart; after publishing but before marking, it is published again, and consumers ignore
the copy (they track the last version applied per stream).

One relay publishes at a time, however many instances of the service run: the relay holds a
lease (`shared.lease`) and publishes each batch in one Kafka transaction under the service's
transactional id. Per-stream order therefore holds across instances: a relay that lost its lease
(paused past its expiry, cut off) is fenced by the broker as soon as the next owner's producer
starts, and nothing it had not committed ever becomes visible to readers (`read_committed`).
When the owner dies, another instance takes over once the lease expires (`lease_seconds`).

The relay wakes as soon as its own service commits outbox entries (`shared.wakeup`) and also
polls on a bounded interval, so an entry written elsewhere (another instance, an operator's tool)
waits at most `poll_interval`. It reads the pending entries, and the purge the published ones, by
an index over those entries only (`EventStore.ensure_indexes`).

An entry the relay has published is only a copy: the event stays in the event store, and Kafka
has it. `PublishedOutboxPurge` deletes published entries once they have been published for
longer than `OUTBOX_KEEP_PUBLISHED_SECONDS`, so the outbox does not keep everyone's personal data
for ever; the interval leaves an operator time to look into a relay problem.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from shared.eventstore import PENDING, PUBLISHED
from shared.kafka import Brokers, transactional_producer
from shared.lease import Lease
from shared.metrics import OUTBOX_OLDEST_AGE, OUTBOX_PENDING, OUTBOX_PUBLISHED
from shared.mongo import Collection
from shared.progress import WorkerProgress
from shared.wakeup import InsertSignal

log = logging.getLogger(__name__)

LAG_EVERY_S = 1.0
"""How often the relay measures its lag (two reads): at most once a second however often it
wakes, since under load it wakes for nearly every committed transaction."""


class OutboxRelay:
    def __init__(
        self,
        outbox: Collection,
        kafka: Brokers,
        *,
        service: str,
        transactional_id: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        lease_seconds: float = 15.0,
        progress: WorkerProgress | None = None,
    ) -> None:
        self.outbox = outbox
        self.kafka = kafka
        self.service = service
        self.transactional_id = transactional_id
        self.batch_size = batch_size
        self.inserted = InsertSignal(outbox, poll_interval)
        self.lease = Lease(
            outbox.database["leases"], f"outbox-relay:{outbox.name}", ttl_seconds=lease_seconds
        )
        self.progress = progress or WorkerProgress(f"{service}:outbox-relay", 60.0)
        self._producer: AIOKafkaProducer | None = None
        self._restart_backoff = 0.1
        self._lag_recorded_at = -LAG_EVERY_S

    @property
    def renew_interval(self) -> float:
        return self.lease.ttl.total_seconds() / 3

    async def run(self) -> None:
        """Publish until cancelled, while this instance holds the lease. Failures of Kafka or
        MongoDB are waited out, never fatal."""
        watcher = asyncio.create_task(self.inserted.watch())
        try:
            while True:
                if not await self._take_over():
                    self.progress.idle()
                    await asyncio.sleep(self.renew_interval)
                    continue
                publishing = asyncio.create_task(self._publish_while_owner())
                holding = asyncio.create_task(self._keep_lease())
                try:
                    await asyncio.wait({publishing, holding}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in (publishing, holding):
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await task
                    await self._stop_producer()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await self.close()

    async def close(self) -> None:
        """Stop publishing and let the lease go, so another instance takes over at once."""
        await self._stop_producer()
        with contextlib.suppress(PyMongoError):
            await self.lease.release()

    async def publish_pending(self) -> int:
        """Publish one batch of pending entries in one transaction, if this relay holds the
        lease; return how many were published."""
        if self._producer is None and not await self._take_over():
            return 0
        producer = self._producer
        assert producer is not None
        batch = (
            await self.outbox.find(PENDING)
            .sort("created_at", ASCENDING)
            .limit(self.batch_size)
            .to_list()
        )
        if not batch:
            return 0
        await producer.begin_transaction()
        sent: list[asyncio.Future[object]] = []
        try:
            # Sent in version order per stream (key = stream id, so one partition each); the
            # idempotent producer keeps that order, and the transaction makes all of it visible
            # at once or none of it.
            for entry in sorted(batch, key=lambda e: (e["stream_id"], e["stream_version"])):
                sent.append(
                    await producer.send(
                        entry["topic"],
                        value=bytes(entry["value"]),
                        key=entry["key"].encode(),
                        headers=[(k, bytes(v)) for k, v in entry["headers"]],
                    )
                )
            await producer.commit_transaction()
        except BaseException:
            for future in sent:
                future.add_done_callback(_consume_outcome)
            with contextlib.suppress(Exception):
                await producer.abort_transaction()
            raise
        published = [entry["_id"] for entry in batch]
        # Outside a transaction: nothing else writes an entry before it is published, so this
        # never meets a conflict (see `Deliveries._change_where` for one that could).
        await self.outbox.update_many(
            {"_id": {"$in": published}},
            {"$set": {**PUBLISHED, "published_at": datetime.now(UTC)}},
        )
        OUTBOX_PUBLISHED.labels(self.service).inc(len(published))
        self.progress.advanced()
        return len(published)

    async def record_lag(self) -> None:
        pending = await self.outbox.count_documents(PENDING)
        OUTBOX_PENDING.labels(self.service).set(pending)
        oldest = await self.outbox.find_one(
            PENDING, sort=[("created_at", ASCENDING)], projection={"created_at": 1}
        )
        age = (datetime.now(UTC) - oldest["created_at"]).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)

    async def _publish_while_owner(self) -> None:
        backoff = 0.1
        while True:
            try:
                self.progress.working()
                # A batch short of full emptied the outbox as it was read: what was committed
                # since then has set the insert signal, so it is not looked for again now.
                while await self.publish_pending() == self.batch_size:
                    pass
                if time.monotonic() - self._lag_recorded_at >= LAG_EVERY_S:
                    await self.record_lag()
                    self._lag_recorded_at = time.monotonic()
                self.progress.idle()
                backoff = self._restart_backoff = 0.1
            except KafkaError as error:
                # The transactional producer may be fenced or in an error state it cannot leave:
                # start again from the lease with a fresh one.
                log.warning("outbox relay restarts its producer", extra={"error": error})
                await asyncio.sleep(self._restart_backoff)
                self._restart_backoff = min(self._restart_backoff * 2, 5.0)
                return
            except (PyMongoError, OSError) as error:
                log.warning("outbox relay will retry", extra={"error": error})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            await self.inserted.wait()

    async def _keep_lease(self) -> None:
        """Renew the lease until it is lost (returns then)."""
        while True:
            await asyncio.sleep(self.renew_interval)
            try:
                if not await self.lease.hold():
                    log.warning("outbox relay lease lost to another instance")
                    return
            except PyMongoError as error:
                # Unrenewed, the lease expires and another instance may take over; its producer
                # fences this one, so carrying on until then is safe.
                log.warning("outbox relay lease not renewed", extra={"error": error})

    async def _take_over(self) -> bool:
        """Hold the lease and have a started transactional producer; False if another instance
        holds the lease."""
        try:
            if not await self.lease.hold():
                return False
        except PyMongoError as error:
            log.warning("outbox relay lease unavailable", extra={"error": error})
            return False
        if self._producer is None:
            producer = transactional_producer(
                self.kafka,
                client_id=f"{self.service}-outbox-relay",
                transactional_id=self.transactional_id,
            )
            try:
                await producer.start()  # fences any earlier producer with this id
            except (KafkaError, OSError) as error:
                log.warning("outbox relay cannot reach Kafka", extra={"error": error})
                with contextlib.suppress(Exception):
                    await producer.stop()
                return False
            self._producer = producer
            log.info("outbox relay took over", extra={"owner": self.lease.owner})
        return True

    async def _stop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()


def _consume_outcome(future: asyncio.Future[object]) -> None:
    """The sends of an aborted transaction fail with it; their errors are reported once, by the
    transaction, not again as 'never retrieved'."""
    if not future.cancelled():
        future.exception()


class PublishedOutboxPurge:
    """Deletes outbox entries published longer ago than `keep_published`, a bounded batch at a
    time (never one delete over the whole collection), and never an entry not yet published.

    Every instance of a service may run one: two deleting the same entries delete them once."""

    def __init__(
        self,
        outbox: Collection,
        *,
        keep_published: timedelta,
        progress: WorkerProgress,
        batch_size: int = 500,
        interval_seconds: float = 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.outbox = outbox
        self.keep_published = keep_published
        self.progress = progress
        self.batch_size = batch_size
        self.interval_seconds = interval_seconds
        self.clock = clock

    async def run(self) -> None:
        """Purge now and every `interval_seconds` until cancelled; a database that cannot be
        reached is waited out (and shows on /health if it lasts)."""
        while True:
            try:
                await self.purge()
            except PyMongoError as error:
                log.warning("outbox purge will retry", extra={"error": error})
            await asyncio.sleep(self.interval_seconds)

    async def purge(self) -> int:
        """Delete every entry published before the cutoff; return how many were deleted."""
        old_enough = {**PUBLISHED, "published_at": {"$lte": self.clock() - self.keep_published}}
        deleted = 0
        self.progress.working()
        while True:
            batch = [
                entry["_id"]
                async for entry in self.outbox.find(old_enough, projection={"_id": 1}).limit(
                    self.batch_size
                )
            ]
            if not batch:
                break
            # The condition again: an entry is deleted only if it is (still) published and old.
            result = await self.outbox.delete_many({"_id": {"$in": batch}, **old_enough})
            deleted += result.deleted_count
            self.progress.advanced()
        self.progress.idle()
        return deleted
