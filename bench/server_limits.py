"""How many small transactions per second the MongoDB server in the environment commits: alone,
beside change streams (each service's outbox relay and the delivery worker watch one), and beside
a reader scanning a collection outside any transaction.

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

from pymongo import AsyncMongoClient

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
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
