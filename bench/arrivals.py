"""When the events the benchmark waits for arrive: on a Kafka topic, or as a document appearing
in a read model (a MongoDB change stream). Times are `time.perf_counter()` seconds in this process,
so they compare directly with the moment a concern was sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Collection
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.kafka import reader
from shared.mongo import Database

Json = dict[str, Any]
KeyOf = Callable[[str, Json], str | None]
"""Given an event type and its payload, the key the benchmark is waiting for (or None)."""


class Arrivals:
    """First arrival time per key, and a way to wait for a set of keys."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self._changed = asyncio.Event()

    def arrived(self, key: str, at: float) -> None:
        if key not in self.seen:
            self.seen[key] = at
            self._changed.set()

    async def wait_for(self, keys: Collection[str], deadline: float) -> int:
        """Wait until every key has arrived or `deadline` (perf_counter) passes; how many came."""
        while True:
            arrived = sum(1 for k in keys if k in self.seen)
            left = deadline - time.perf_counter()
            if arrived == len(keys) or left <= 0:
                return arrived
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))


class TopicArrivals(Arrivals):
    """Reads a topic from its current end (no consumer group) and records the events of the
    given types; the type comes from the `event_type` header, so other events are not parsed."""

    def __init__(
        self, bootstrap: str, topic: str, event_types: Collection[str], key_of: KeyOf
    ) -> None:
        super().__init__()
        self.bootstrap = bootstrap
        self.topic = topic
        self.event_types = {t.encode() for t in event_types}
        self.key_of = key_of
        self.read = 0
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        consumer = reader(
            self.bootstrap,
            client_id=f"bench-watch-{self.topic}",
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        await consumer.start()
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(self.topic, p)
            for p in sorted(cluster.partitions_for_topic(self.topic) or ())
        ]
        if not partitions:
            raise RuntimeError(f"the topic {self.topic} does not exist")
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            # Resolve the end now, so nothing sent after `start` returns can be missed.
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(consumer), name=f"watch {self.topic}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            now = time.perf_counter()
            for records in batches.values():
                self.read += len(records)
                for record in records:
                    event_type = next((v for k, v in record.headers if k == "event_type"), None)
                    if event_type not in self.event_types or record.value is None:
                        continue
                    envelope = json.loads(record.value)
                    key = self.key_of(envelope["event_type"], envelope["payload"])
                    if key is not None:
                        self.arrived(key, now)


class DocumentArrivals(Arrivals):
    """Records when a document first appears (or changes) in one collection, keyed by `_id`,
    through a MongoDB change stream on its database."""

    def __init__(self, database: Database, collection: str) -> None:
        super().__init__()
        self.database = database
        self.collection = collection
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        opened = asyncio.Event()
        self._task = asyncio.create_task(self._run(opened), name=f"watch {self.collection}")
        opened_in_time = asyncio.create_task(opened.wait())
        done, _ = await asyncio.wait({opened_in_time, self._task}, timeout=30)
        if self._task in done:
            self._task.result()
        opened_in_time.cancel()
        if not opened.is_set():
            raise RuntimeError(f"could not open a change stream on {self.collection}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, opened: asyncio.Event) -> None:
        pipeline: list[Json] = [
            {
                "$match": {
                    "ns.coll": self.collection,
                    "operationType": {"$in": ["insert", "replace", "update"]},
                }
            }
        ]
        async with await self.database.watch(pipeline) as stream:
            opened.set()
            async for change in stream:
                self.arrived(str(change["documentKey"]["_id"]), time.perf_counter())
