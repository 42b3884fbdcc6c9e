"""How many small transactions per second the MongoDB server in the environment commits: alone,
beside change streams (each service's outbox relay and the delivery worker watch one), and beside
a reader scanning a collection outside any transaction; and what writing new documents costs it,
inserted or upserted (the projections insert a stream's or a case's first document).

    set -a; source .local/run/infra.env; set +a     # or any servers' settings
    python -m bench.server_limits

Each transaction inserts one document, updates one and reads one, like the smallest piece of the
services' work. The figures say what the server can do for the services, whatever they do:
on the MongoDB-wire test server a reader or a few change streams beside the writers cut what
the writers get by half or more, because the server serialises transactional statements and
holds its storage lock through each read of the oplog.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable

from pymongo import AsyncMongoClient, InsertOne, ReplaceOne, UpdateOne

from shared.mongo import Client, Database

SECONDS = 10.0
WRITERS = 24
DOCUMENTS = 2000


async def committed_per_second(
    database: Database, *, watchers: int = 0, scanners: int = 0, seconds: float = SECONDS
) -> float:
    """Transactions committed per second by `WRITERS` concurrent writers, while `watchers`
    change streams follow the inserts and `scanners` readers scan outside transactions."""
    client = database.client
    name = f"limits_{uuid.uuid4().hex[:8]}"
    inserted, updated = database[f"{name}_inserted"], database[f"{name}_updated"]
    await database.create_collection(inserted.name)
    await updated.insert_many([{"_id": i, "n": 0, "pad": "x" * 200} for i in range(DOCUMENTS)])
    stop = time.monotonic() + seconds
    committed = 0

    async def writer(k: int) -> None:
        nonlocal committed
        i = 0
        while time.monotonic() < stop:
            async with client.start_session() as session, await session.start_transaction():
                await inserted.insert_one({"writer": k, "i": i}, session=session)
                await updated.update_one(
                    {"_id": (k * 37 + i) % DOCUMENTS}, {"$inc": {"n": 1}}, session=session
                )
                await updated.find_one({"_id": (k * 11 + i) % DOCUMENTS}, session=session)
            i += 1
            committed += 1

    async def watcher() -> None:
        async with await inserted.watch([{"$match": {"operationType": "insert"}}]) as stream:
            while time.monotonic() < stop:
                await stream.try_next()

    async def scanner() -> None:
        while time.monotonic() < stop:
            await updated.find({"n": {"$gte": 0}}).to_list(None)

    others: list[Callable[[], Awaitable[None]]] = [watcher] * watchers
    others += [scanner] * scanners
    started = time.monotonic()
    try:
        await asyncio.gather(*(writer(k) for k in range(WRITERS)), *(other() for other in others))
        return committed / (time.monotonic() - started)
    finally:
        await database.drop_collection(inserted.name)
        await database.drop_collection(updated.name)


NEW_DOCUMENTS = 200
"""New documents written per transaction, as a projection's batch writes them."""


async def new_document_ms(database: Database, how: str, rounds: int = 3) -> float:
    """Milliseconds per document to write `NEW_DOCUMENTS` new ones in one transaction, into a
    collection of 10,000 with three secondary indexes: `insert`, `replace` (an upserting
    replacement) or `update` (an upserting `$set`). The best of `rounds`."""
    collection = database[f"limits_{uuid.uuid4().hex[:8]}_{how}"]
    await database.create_collection(collection.name)
    for key in ("person", "state", "deadline"):
        await collection.create_index(key)

    def document(i: int) -> dict[str, object]:
        return {"person": f"p{i}", "state": "open", "deadline": i, "text": "x" * 800}

    await collection.insert_many([{"_id": f"old{i}", **document(i)} for i in range(10_000)])
    best = float("inf")
    try:
        for r in range(rounds):
            ids = [f"new{r}-{i}" for i in range(NEW_DOCUMENTS)]
            writes: list[InsertOne[dict[str, object]] | ReplaceOne[dict[str, object]] | UpdateOne]
            if how == "insert":
                writes = [InsertOne({"_id": d, **document(i)}) for i, d in enumerate(ids)]
            elif how == "replace":
                writes = [
                    ReplaceOne({"_id": d}, document(i), upsert=True) for i, d in enumerate(ids)
                ]
            else:
                writes = [
                    UpdateOne({"_id": d}, {"$set": document(i)}, upsert=True)
                    for i, d in enumerate(ids)
                ]
            started = time.perf_counter()
            async with database.client.start_session() as session:
                async with await session.start_transaction():
                    await collection.bulk_write(writes, ordered=False, session=session)
            best = min(best, (time.perf_counter() - started) * 1000 / NEW_DOCUMENTS)
        return best
    finally:
        await database.drop_collection(collection.name)


async def main() -> None:
    client: Client = AsyncMongoClient(os.environ["MONGODB_URI"], maxPoolSize=100)
    try:
        database = client["server_limits"]
        alone = await committed_per_second(database)
        print(f"{WRITERS} writers alone: {alone:.0f} transactions/s")
        for watchers, scanners in ((1, 0), (5, 0), (0, 1)):
            rate = await committed_per_second(database, watchers=watchers, scanners=scanners)
            print(
                f"beside {watchers} change streams and {scanners} scanning reader: "
                f"{rate:.0f} transactions/s ({rate / alone:.0%} of alone)"
            )
        inserted = await new_document_ms(database, "insert")
        for how in ("insert", "replace", "update"):
            ms = inserted if how == "insert" else await new_document_ms(database, how)
            print(
                f"{NEW_DOCUMENTS} new documents in a transaction, {how}: {ms:.2f} ms each "
                f"({ms / inserted:.1f}x an insert)"
            )
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
