"""What a delivery worker's claim costs as the deliveries collection grows, on a fresh
MongoDB-wire test server, for two ways of claiming:

- `with a scan`: the claim as it was, a query by the due pending deliveries and `$or` on the
  claim's lease, then an update and a read by `_id` and another field, each of which the test
  server answers by reading every delivery ever stored;
- `by reference`: `Deliveries.claim_due` as it is, the due pending deliveries read from their
  partial index, then read again and claimed by reference in a transaction.

    python -m bench.claims

For each size of history (deliveries sent long ago), `PENDING` deliveries wait and a worker
claims `LIMIT` of them `CLAIMS` times (each claim's lease ends at once, so the next finds work
again); the mean milliseconds per claim are printed for both, with their ratio.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import ASCENDING, AsyncMongoClient

from infra.local import Layout, mongo_ready, start_mongo, stop
from infra.stack import free_port
from services.notification.read_models.deliveries import (
    IN_ORDER,
    Deliveries,
    Delivery,
    DeliveryStatus,
)
from shared.events.notification import Channel, MessageFormat, RecipientRole
from shared.mongo import Client, Collection, Database, in_transaction

HISTORIES = (1_000, 5_000, 20_000)
PENDING = 50
LIMIT = 10
CLAIMS = 30
INSERT_BATCH = 1_000

Claim = Callable[[datetime, datetime], Awaitable[list[str]]]


def delivery(number: int, status: DeliveryStatus, at: datetime) -> Delivery:
    return Delivery(
        reference=f"{status.value}-{number}",
        person_id=f"person-{number % 997}",
        source_event_id=f"event-{number}",
        source_event_type="ConcernRaised",
        case_id=None,
        concern_id=f"concern-{number}",
        role=RecipientRole.PERSON,
        format=MessageFormat.STANDARD,
        template="concern-raised",
        body=None if status is DeliveryStatus.DELIVERED else "A message of some length. " * 20,
        told_about="A concern was raised",
        channel=Channel.EMAIL,
        correlation_id=f"correlation-{number}",
        created_at=at,
        status=status,
        next_attempt_at=at,
    )


def with_a_scan(collection: Collection) -> Claim:
    """The claim as it was, on the index it had (`status`, `next_attempt_at`)."""

    async def claim(now: datetime, lease_until: datetime) -> list[str]:
        claimable = {
            "status": DeliveryStatus.PENDING.value,
            "next_attempt_at": {"$lte": now},
            "$or": [{"claimed_until": None}, {"claimed_until": {"$lte": now}}],
        }
        candidates = [
            document["_id"]
            async for document in collection.find(claimable, projection={"_id": 1})
            .sort(IN_ORDER)
            .limit(LIMIT)
        ]
        mark = uuid.uuid4().hex
        await in_transaction(
            collection.database.client,
            lambda session: collection.update_many(
                {"_id": {"$in": candidates}, **claimable},
                {"$set": {"claimed_until": lease_until, "claim": mark}},
                session=session,
            ),
        )
        return [
            str(document["_id"])
            async for document in collection.find({"_id": {"$in": candidates}, "claim": mark}).sort(
                IN_ORDER
            )
        ]

    return claim


def by_reference(deliveries: Deliveries) -> Claim:
    async def claim(now: datetime, lease_until: datetime) -> list[str]:
        claimed = await deliveries.claim_due(now, lease_until, LIMIT, "bench")
        return [d.reference for d in claimed]

    return claim


async def ms_per_claim(
    database: Database, history: int, claim_with: Callable[[Database], Awaitable[Claim]]
) -> float:
    long_ago = datetime.now(UTC) - timedelta(days=30)
    collection = database["deliveries"]
    claim = await claim_with(database)
    for first in range(0, history, INSERT_BATCH):
        await collection.insert_many(
            [
                delivery(n, DeliveryStatus.DELIVERED, long_ago).as_document()
                for n in range(first, min(first + INSERT_BATCH, history))
            ]
        )
    await collection.insert_many(
        [delivery(n, DeliveryStatus.PENDING, long_ago).as_document() for n in range(PENDING)]
    )
    took = 0.0
    for _ in range(CLAIMS):
        now = datetime.now(UTC)
        started = time.perf_counter()
        claimed = await claim(now, now)  # the lease ends at once: the next claim finds work
        took += time.perf_counter() - started
        if len(claimed) != LIMIT:
            raise RuntimeError(f"a claim took {len(claimed)} deliveries, not {LIMIT}")
    return took / CLAIMS * 1000


async def old_layout(database: Database) -> Claim:
    collection = database["deliveries"]
    await collection.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
    await collection.create_index([("person_id", ASCENDING), *IN_ORDER])
    return with_a_scan(collection)


async def new_layout(database: Database) -> Claim:
    deliveries = Deliveries(database)
    await deliveries.ensure_indexes()
    return by_reference(deliveries)


async def on_a_fresh_server(
    history: int, claim_with: Callable[[Database], Awaitable[Claim]]
) -> float:
    with tempfile.TemporaryDirectory(prefix="claims-") as state:
        layout = Layout(Path(state), 0, 0, free_port(), 0)
        start_mongo(layout)
        try:
            await mongo_ready(layout)
            client: Client = AsyncMongoClient(layout.mongodb_uri, tz_aware=True)
            try:
                return await ms_per_claim(client["claims"], history, claim_with)
            finally:
                await client.close()
        finally:
            stop(layout, "mongo", layout.mongo_port)


async def main() -> None:
    for history in HISTORIES:
        scanning = await on_a_fresh_server(history, old_layout)
        by_ref = await on_a_fresh_server(history, new_layout)
        print(
            f"{history:>6} deliveries sent before, {PENDING} pending: a claim of {LIMIT} took "
            f"{scanning:.1f} ms with a scan, {by_ref:.1f} ms by reference "
            f"({scanning / by_ref:.1f}x)",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
