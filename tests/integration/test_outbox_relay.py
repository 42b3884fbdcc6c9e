"""The outbox relay: nothing committed is lost, whatever point the relay crashes at."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared.events import Actor, Metadata, Role, decode
from shared.eventstore import EventStore
from shared.kafka import consumer
from shared.mongo import Client, Database
from shared.outbox import OutboxRelay, PublishedOutboxPurge
from shared.progress import WorkerProgress
from tests.conftest import NewTopicFactory
from tests.support.events import AmountRecorded
from tests.support.polling import eventually

WORKER = Metadata(actor=Actor(id="sw-1", role=Role.PRACTITIONER))


def relay_for(store: EventStore, kafka_bootstrap: str, **options: float) -> OutboxRelay:
    """A relay of its own (its own transactional id and lease), as one service instance has."""
    return OutboxRelay(
        store.outbox,
        kafka_bootstrap,
        service="test",
        transactional_id=f"test-relay-{uuid.uuid4().hex[:8]}",
        **options,  # type: ignore[arg-type]
    )


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def published_values(kafka_bootstrap: str, topic: str, count: int) -> list[tuple[str, int]]:
    reader = consumer(
        kafka_bootstrap, topic, group_id=f"g-{uuid.uuid4().hex[:8]}", client_id="reader"
    )
    await reader.start()
    seen: list[tuple[str, int]] = []
    try:

        async def more() -> int:
            batches = await reader.getmany(timeout_ms=200)
            for records in batches.values():
                for r in records:
                    e = decode(r.value)
                    assert r.key == e.stream_id.encode()
                    seen.append((e.stream_id, e.stream_version))
            return len(seen)

        await eventually(more, until=lambda n: n >= count, what=f"{count} published events")
    finally:
        await reader.stop()
    return seen


async def test_events_committed_while_the_relay_was_down_are_published_when_it_restarts(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    store = EventStore(mongo_client, database, topic)
    await store.ensure_indexes()
    # The relay "crashed" between commit and publish: the events are only in MongoDB.
    for stream in ("a", "b"):
        await store.append(stream, 0, [AmountRecorded(amount=1), AmountRecorded(amount=2)], WORKER)

    relay = relay_for(store, kafka_bootstrap)
    task = asyncio.create_task(relay.run())
    try:
        seen = await published_values(kafka_bootstrap, topic, 4)
        await eventually(
            lambda: store.outbox.count_documents({"published": False}),
            until=lambda n: n == 0,
            what="outbox drained",
        )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert sorted(seen) == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    for stream in ("a", "b"):
        assert [v for s, v in seen if s == stream] == [1, 2], "per-stream order"


async def test_the_relay_wakes_on_new_entries_without_waiting_for_its_poll(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    store = EventStore(mongo_client, database, topic)
    await store.ensure_indexes()
    # A poll interval far longer than the test's deadline: only the change stream can wake it.
    relay = relay_for(store, kafka_bootstrap, poll_interval=3600)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: relay.publish_pending(), until=lambda n: n == 0, what="idle relay")
        await asyncio.wait_for(relay.inserted.watching.wait(), timeout=20)
        await store.append("late", 0, [AmountRecorded(amount=7)], WORKER)
        await eventually(
            lambda: store.outbox.count_documents({"published": False}),
            until=lambda n: n == 0,
            timeout=20,
            what="the relay to publish the new event",
        )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert await published_values(kafka_bootstrap, topic, 1) == [("late", 1)]


async def test_a_relay_that_crashed_before_marking_publishes_again_and_the_copy_is_harmless(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    store = EventStore(mongo_client, database, topic)
    await store.ensure_indexes()
    await store.append("a", 0, [AmountRecorded(amount=5)], WORKER)
    relay = relay_for(store, kafka_bootstrap)
    try:
        assert await relay.publish_pending() == 1
        # Crash between publish and mark: the mark never happened.
        await store.outbox.update_many({}, {"$set": {"published": False}})
        assert await relay.publish_pending() == 1
    finally:
        await relay.close()
    assert await published_values(kafka_bootstrap, topic, 2) == [("a", 1), ("a", 1)]


async def test_two_relays_on_one_outbox_publish_each_event_once_in_stream_order(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    store = EventStore(mongo_client, database, topic)
    await store.ensure_indexes()
    shared_id = f"test-relay-{uuid.uuid4().hex[:8]}"
    relays = [
        OutboxRelay(store.outbox, kafka_bootstrap, service="test", transactional_id=shared_id)
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        for round_ in range(5):
            for stream in ("a", "b", "c", "d"):
                await store.append(stream, round_, [AmountRecorded(amount=round_)], WORKER)
        seen = await published_values(kafka_bootstrap, topic, 20)
        await eventually(
            lambda: store.outbox.count_documents({"published": False}),
            until=lambda n: n == 0,
            what="outbox drained",
        )
        owner = await database["leases"].find_one({})
        assert owner is not None
        assert owner["owner"] in {relay.lease.owner for relay in relays}
    finally:
        await stop(tasks)
    assert len(seen) == 20, "each event once"
    for stream in ("a", "b", "c", "d"):
        assert [v for s, v in seen if s == stream] == [1, 2, 3, 4, 5], "per-stream order"


async def test_a_relay_that_lost_its_lease_unawares_is_fenced_and_publishes_nothing(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    store = EventStore(mongo_client, database, topic)
    await store.ensure_indexes()
    shared_id = f"test-relay-{uuid.uuid4().hex[:8]}"
    paused, successor = (
        OutboxRelay(store.outbox, kafka_bootstrap, service="test", transactional_id=shared_id)
        for _ in range(2)
    )
    try:
        await store.append("a", 0, [AmountRecorded(amount=1)], WORKER)
        assert await paused.publish_pending() == 1
        # The owner is paused past its lease's expiry (a long GC pause, a frozen VM)...
        await database["leases"].update_many({}, {"$set": {"expires_at": datetime.now(UTC)}})
        await store.append("a", 1, [AmountRecorded(amount=2)], WORKER)
        # ...another instance takes over and publishes...
        assert await successor.publish_pending() == 1
        await store.append("a", 2, [AmountRecorded(amount=3)], WORKER)
        await store.outbox.update_many({"stream_version": 2}, {"$set": {"published": False}})
        # ...and the old owner wakes up and tries to publish what it finds pending.
        with pytest.raises(KafkaError):
            await paused.publish_pending()
        assert await successor.publish_pending() == 2
    finally:
        await paused.close()
        await successor.close()
    seen = await published_values(kafka_bootstrap, topic, 4)
    assert seen == [("a", 1), ("a", 2), ("a", 2), ("a", 3)], "nothing from the fenced relay"


KEEP = timedelta(days=7)


def purge_of(
    store: EventStore,
    keep: timedelta = KEEP,
    *,
    batch_size: int = 500,
    interval_seconds: float = 3600.0,
) -> PublishedOutboxPurge:
    return PublishedOutboxPurge(
        store.outbox,
        keep_published=keep,
        progress=WorkerProgress("test:outbox-purge", 60.0),
        batch_size=batch_size,
        interval_seconds=interval_seconds,
    )


async def test_entries_published_longer_ago_than_the_interval_are_purged_and_no_others(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    store = EventStore(mongo_client, database, topic)
    await store.ensure_indexes()
    for stream in ("old-1", "old-2", "old-3", "old-4", "old-5", "recent", "republishing"):
        await store.append(stream, 0, [AmountRecorded(amount=1)], WORKER)
    relay = relay_for(store, kafka_bootstrap)
    try:
        assert await relay.publish_pending() == 7
        now = datetime.now(UTC)
        # Published eight days ago (as if the week had passed), a moment past the interval...
        await store.outbox.update_many(
            {"stream_id": {"$regex": "^old-"}}, {"$set": {"published_at": now - KEEP * 8 / 7}}
        )
        # ...a moment short of it...
        await store.outbox.update_one(
            {"stream_id": "recent"},
            {"$set": {"published_at": now - KEEP + timedelta(minutes=5)}},
        )
        # ...and one published long ago but pending again (the relay crashed before marking a
        # second publication): it must go to Kafka before anything may delete it.
        await store.outbox.update_one(
            {"stream_id": "republishing"},
            {"$set": {"published": False, "published_at": now - KEEP * 2}},
        )
        # An event recorded long ago and never published.
        await store.append("never-published", 0, [AmountRecorded(amount=1)], WORKER)
        await store.outbox.update_one(
            {"stream_id": "never-published"}, {"$set": {"created_at": now - KEEP * 2}}
        )

        # Batches of two: five old entries take three batches, none unbounded.
        purge = purge_of(store, batch_size=2)
        assert await purge.purge() == 5
        left = {e["stream_id"]: e["published"] async for e in store.outbox.find({})}
        assert left == {"recent": True, "republishing": False, "never-published": False}
        assert purge.progress.stuck is False
        assert await purge.purge() == 0, "nothing more is old enough"

        # The relay still publishes what was pending, and the events all stay in the store.
        assert await relay.publish_pending() == 2
    finally:
        await relay.close()
    assert await store.events.count_documents({}) == 8
    seen = await published_values(kafka_bootstrap, topic, 9)
    assert sorted(seen) == sorted(
        [(f"old-{i}", 1) for i in range(1, 6)]
        + [("recent", 1), ("republishing", 1), ("republishing", 1), ("never-published", 1)]
    )


async def test_a_purge_running_beside_the_relay_never_costs_an_event(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    store = EventStore(mongo_client, database, topic)
    await store.ensure_indexes()
    relay = relay_for(store, kafka_bootstrap)
    # Everything published is purged at once, as often as it can be: only unpublished entries
    # are ever left for the relay, and it must still publish each of them.
    purge = purge_of(store, keep=timedelta(microseconds=1), interval_seconds=0.01, batch_size=3)
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(purge.run())]
    try:
        for round_ in range(5):
            for stream in ("a", "b", "c", "d"):
                await store.append(stream, round_, [AmountRecorded(amount=round_)], WORKER)
        seen = await published_values(kafka_bootstrap, topic, 20)
        await eventually(
            lambda: store.outbox.count_documents({}),
            until=lambda n: n == 0,
            what="every published entry purged",
        )
    finally:
        await stop(tasks)
    assert len(seen) == 20, "each event once"
    for stream in ("a", "b", "c", "d"):
        assert [v for s, v in seen if s == stream] == [1, 2, 3, 4, 5], "per-stream order"
    assert await store.events.count_documents({}) == 20
