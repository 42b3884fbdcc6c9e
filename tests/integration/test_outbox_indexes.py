"""The outbox's indexes hold only what each reader reads, on the real server: the pending entries
by age for the relay, the published ones by when for the purge. The indexes led by `published`
that a service's outbox had before are dropped when the service starts, also when several
instances start at once, and the relay's and the purge's reads use the new ones."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from pymongo import ASCENDING

from shared.eventstore import (
    PENDING,
    PENDING_INDEX,
    PUBLISHED,
    PUBLISHED_INDEX,
    REPLACED_OUTBOX_INDEXES,
    EventStore,
)
from shared.mongo import Client, Database
from tests.support.indexes import indexes_read


def store_for(client: Client, database: Database) -> EventStore:
    return EventStore(client, database, f"topic-{uuid.uuid4().hex[:8]}")


async def test_each_outbox_index_holds_only_the_entries_its_reader_reads(
    mongo_client: Client, database: Database
) -> None:
    store = store_for(mongo_client, database)
    await store.ensure_indexes()
    indexes = await store.outbox.index_information()
    assert indexes[PENDING_INDEX]["key"] == [("created_at", ASCENDING)]
    assert indexes[PENDING_INDEX]["partialFilterExpression"] == PENDING
    assert indexes[PUBLISHED_INDEX]["key"] == [("published_at", ASCENDING)]
    assert indexes[PUBLISHED_INDEX]["partialFilterExpression"] == PUBLISHED
    assert not set(REPLACED_OUTBOX_INDEXES) & set(indexes)


async def an_outbox_with_the_old_indexes(client: Client, database: Database) -> EventStore:
    """A store whose outbox has the indexes led by `published` that earlier versions made."""
    store = store_for(client, database)
    for field in ("created_at", "published_at"):
        await store.outbox.create_index([("published", ASCENDING), (field, ASCENDING)])
    assert set(REPLACED_OUTBOX_INDEXES) <= set(await store.outbox.index_information())
    return store


async def assert_only_the_new_indexes(store: EventStore) -> None:
    indexes = set(await store.outbox.index_information())
    assert not set(REPLACED_OUTBOX_INDEXES) & indexes
    assert {PENDING_INDEX, PUBLISHED_INDEX} <= indexes


async def test_the_indexes_led_by_published_are_dropped_when_the_service_starts(
    mongo_client: Client, database: Database
) -> None:
    store = await an_outbox_with_the_old_indexes(mongo_client, database)

    await store.ensure_indexes()
    await store.ensure_indexes()  # a second start finds nothing left to drop

    await assert_only_the_new_indexes(store)


async def test_instances_starting_together_each_start_when_they_drop_the_old_indexes(
    mongo_client: Client, database: Database
) -> None:
    store = await an_outbox_with_the_old_indexes(mongo_client, database)
    instances = [EventStore(mongo_client, database, store.topic) for _ in range(4)]

    await asyncio.gather(*(instance.ensure_indexes() for instance in instances))

    await assert_only_the_new_indexes(store)


async def test_the_relay_and_the_purge_read_by_the_index_of_their_entries(
    mongo_client: Client, database: Database
) -> None:
    store = store_for(mongo_client, database)
    await store.ensure_indexes()
    now = datetime.now(UTC)
    await store.outbox.insert_many(
        [{"created_at": now, **PENDING} for _ in range(20)]
        + [{"created_at": now, "published_at": now, **PUBLISHED} for _ in range(20)]
    )

    relay_read = await store.outbox.find(PENDING).sort("created_at", ASCENDING).explain()
    purge_read = await store.outbox.find({**PUBLISHED, "published_at": {"$lte": now}}).explain()

    assert indexes_read(relay_read) == {PENDING_INDEX}
    assert indexes_read(purge_read) == {PUBLISHED_INDEX}
    assert await store.outbox.count_documents(PENDING) == 20
    assert await store.outbox.count_documents({**PUBLISHED, "published_at": {"$lte": now}}) == 20
