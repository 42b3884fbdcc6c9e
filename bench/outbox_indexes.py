"""What the outbox's indexes cost a busy service's transactions, on a fresh MongoDB-wire test
server for each of two layouts:

- `led by published`: the indexes the outbox had before, `(published, created_at)` and
  `(published, published_at)`, so that marking an entry published rewrote its key in both;
- `pending / published`: the event store's own (`EventStore.ensure_indexes`), `created_at` over
  the pending entries and `published_at` over the published ones, so that marking an entry
  published takes it out of one and puts it into the other.

    python -m bench.outbox_indexes

`WRITERS` writers each append an event to a stream of their own in a transaction (read the
stream's last version, insert the event and its outbox entry), while one relay reads the pending
entries oldest first and marks them published, as `shared.outbox.OutboxRelay` does (without
Kafka). Committed transactions per second are printed for every `WINDOW_SECONDS`: on the test
server the rate falls steeply after some thousands of transactions, and what it falls to is the
figure that decides how a service fares under a sustained load.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient

from infra.local import Layout, mongo_ready, start_mongo, stop
from infra.stack import free_port
from shared.eventstore import (
    PENDING,
    PENDING_INDEX,
    PUBLISHED,
    PUBLISHED_INDEX,
    REPLACED_OUTBOX_INDEXES,
    EventStore,
)
from shared.mongo import Client, Database

WRITERS = 40
SECONDS = 60.0
WINDOW_SECONDS = 10.0
SETTLED_WINDOWS = 3
"""The last windows, averaged for the figure each layout is compared by."""
RELAY_BATCH = 500


async def led_by_published(database: Database) -> None:
    """The event store's indexes, but the outbox's two from before."""
    await pending_and_published(database)
    outbox = database["outbox"]
    for index in (PENDING_INDEX, PUBLISHED_INDEX):
        await outbox.drop_index(index)
    for field in ("created_at", "published_at"):
        await outbox.create_index([("published", ASCENDING), (field, ASCENDING)])
    assert set(await outbox.index_information()) == {"_id_", *REPLACED_OUTBOX_INDEXES}


async def pending_and_published(database: Database) -> None:
    await EventStore(database.client, database, "outbox-indexes").ensure_indexes()


async def committed_by_window(database: Database) -> list[float]:
    events, outbox = database["events"], database["outbox"]
    client = database.client
    started = time.monotonic()
    stop_at = started + SECONDS
    committed = [0] * round(SECONDS / WINDOW_SECONDS)

    async def writer(k: int) -> None:
        n = 0
        while time.monotonic() < stop_at:
            stream = f"stream-{k}-{n // 5}"
            async with client.start_session() as session, await session.start_transaction():
                last = await events.find_one(
                    {"stream_id": stream}, sort=[("stream_version", DESCENDING)], session=session
                )
                version = last["stream_version"] + 1 if last else 1
                event_id = uuid.uuid4().hex
                await events.insert_one(
                    {"_id": event_id, "stream_id": stream, "stream_version": version},
                    session=session,
                )
                await outbox.insert_one(
                    {"_id": event_id, "created_at": datetime.now(UTC), **PENDING},
                    session=session,
                )
            at = int((time.monotonic() - started) / WINDOW_SECONDS)
            committed[min(at, len(committed) - 1)] += 1
            n += 1

    async def relay() -> None:
        while time.monotonic() < stop_at:
            batch = (
                await outbox.find(PENDING, projection={"_id": 1})
                .sort("created_at", ASCENDING)
                .limit(RELAY_BATCH)
                .to_list()
            )
            if not batch:
                await asyncio.sleep(0.01)
                continue
            await outbox.update_many(
                {"_id": {"$in": [entry["_id"] for entry in batch]}},
                {"$set": {**PUBLISHED, "published_at": datetime.now(UTC)}},
            )

    await asyncio.gather(*(writer(k) for k in range(WRITERS)), relay())
    return [count / WINDOW_SECONDS for count in committed]


async def on_a_fresh_server(indexes: Callable[[Database], Awaitable[None]]) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="outbox-indexes-") as state:
        layout = Layout(Path(state), 0, 0, free_port(), 0)
        start_mongo(layout)
        try:
            await mongo_ready(layout)
            client: Client = AsyncMongoClient(layout.mongodb_uri, maxPoolSize=WRITERS + 10)
            try:
                database = client["outbox_indexes"]
                await indexes(database)
                return await committed_by_window(database)
            finally:
                await client.close()
        finally:
            stop(layout, "mongo", layout.mongo_port)


async def main() -> None:
    settled: dict[str, float] = {}
    for name, indexes in (
        ("led by published", led_by_published),
        ("pending / published", pending_and_published),
    ):
        rates = await on_a_fresh_server(indexes)
        settled[name] = sum(rates[-SETTLED_WINDOWS:]) / SETTLED_WINDOWS
        print(
            f"{name}: {' '.join(f'{r:.0f}' for r in rates)} transactions/s per "
            f"{WINDOW_SECONDS:.0f} s; last {SETTLED_WINDOWS * WINDOW_SECONDS:.0f} s "
            f"{settled[name]:.0f}/s",
            flush=True,
        )
    before, after = settled.values()
    print(f"pending / published keeps {after / before:.1f}x the rate of led by published")


if __name__ == "__main__":
    asyncio.run(main())
