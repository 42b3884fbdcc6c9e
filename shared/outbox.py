"""The outbox relay: publishes committed events to Kafka, in order per stream, then marks them.

A crash anywhere loses nothing: before publishing, the entry is still pending and is published
on restart; after publishing but before marking, it is published again, and consumers ignore
the copy (they track the last version applied per stream). Per-stream order holds even when a
send fails, because a stream's next event is not sent until the previous one is acknowledged.

The relay wakes on a change stream over the outbox (no polling delay) and also polls on a
bounded interval, so a missed or broken change stream only adds at most `poll_interval`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from shared.metrics import OUTBOX_OLDEST_AGE, OUTBOX_PENDING, OUTBOX_PUBLISHED
from shared.mongo import Collection, Document
from shared.wakeup import InsertSignal

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        outbox: Collection,
        producer: AIOKafkaProducer,
        *,
        service: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self.outbox = outbox
        self.producer = producer
        self.service = service
        self.batch_size = batch_size
        self.inserted = InsertSignal(outbox, poll_interval)

    async def run(self) -> None:
        """Publish until cancelled. Failures of Kafka or MongoDB are waited out, never fatal."""
        watcher = asyncio.create_task(self.inserted.watch())
        backoff = 0.1
        try:
            while True:
                try:
                    while await self.publish_pending():
                        pass
                    await self.record_lag()
                    backoff = 0.1
                except (KafkaError, PyMongoError, OSError) as error:
                    log.warning("outbox relay will retry", extra={"error": repr(error)})
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                await self.inserted.wait()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def publish_pending(self) -> int:
        """Publish one batch of pending entries; return how many were published."""
        batch = (
            await self.outbox.find({"published": False})
            .sort("created_at", ASCENDING)
            .limit(self.batch_size)
            .to_list()
        )
        if not batch:
            return 0
        streams: dict[str, list[Document]] = defaultdict(list)
        for entry in sorted(batch, key=lambda e: (e["stream_id"], e["stream_version"])):
            streams[entry["stream_id"]].append(entry)
        results = await asyncio.gather(
            *(self._publish_stream(entries) for entries in streams.values()),
            return_exceptions=True,
        )
        published = [event_id for r in results if isinstance(r, list) for event_id in r]
        if published:
            await self.outbox.update_many(
                {"_id": {"$in": published}},
                {"$set": {"published": True, "published_at": datetime.now(UTC)}},
            )
            OUTBOX_PUBLISHED.labels(self.service).inc(len(published))
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        return len(published)

    async def _publish_stream(self, entries: list[Document]) -> list[str]:
        published: list[str] = []
        try:
            for entry in entries:
                await self.producer.send_and_wait(
                    entry["topic"],
                    value=bytes(entry["value"]),
                    key=entry["key"].encode(),
                    headers=[(k, bytes(v)) for k, v in entry["headers"]],
                )
                published.append(entry["_id"])
        except KafkaError:
            if not published:
                raise
            # What was acknowledged is still marked; the rest is retried in order.
        return published

    async def record_lag(self) -> None:
        pending = await self.outbox.count_documents({"published": False})
        OUTBOX_PENDING.labels(self.service).set(pending)
        oldest = await self.outbox.find_one(
            {"published": False}, sort=[("created_at", ASCENDING)], projection={"created_at": 1}
        )
        age = (datetime.now(UTC) - oldest["created_at"]).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)
