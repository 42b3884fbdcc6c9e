"""The servers the tests run against behave like real Apache Kafka and a MongoDB replica set:
consumer groups, committed offsets, partition sharing, idempotent acks=all producing,
transactions and change streams. These also catch a broken machine early."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo.errors import OperationFailure

from shared.kafka import consumer
from shared.mongo import Client, Database
from tests.conftest import NewTopicFactory
from tests.support.polling import eventually


async def read(kafka: AIOKafkaConsumer, count: int, timeout: float = 30.0) -> list[bytes]:
    received: list[bytes] = []

    async def more() -> int:
        batches = await kafka.getmany(timeout_ms=200)
        received.extend(r.value for rs in batches.values() for r in rs)
        return len(received)

    await eventually(more, until=lambda n: n >= count, timeout=timeout, what=f"{count} messages")
    return received


async def test_a_restarted_consumer_resumes_from_its_committed_offset(
    kafka_bootstrap: str, kafka_producer: AIOKafkaProducer, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic(partitions=1)
    group = f"group-{uuid.uuid4().hex[:8]}"
    for i in range(10):
        await kafka_producer.send_and_wait(topic, f"m{i}".encode())

    first = consumer(kafka_bootstrap, topic, group_id=group, client_id="first", max_records=4)
    await first.start()
    batch = await first.getmany(timeout_ms=10_000, max_records=4)
    seen = [r.value for rs in batch.values() for r in rs]
    await first.commit({TopicPartition(topic, 0): 4})
    await first.stop()
    assert seen == [b"m0", b"m1", b"m2", b"m3"]

    second = consumer(kafka_bootstrap, topic, group_id=group, client_id="second")
    await second.start()
    try:
        rest = await read(second, 6)
    finally:
        await second.stop()
    assert rest == [f"m{i}".encode() for i in range(4, 10)]


async def test_two_consumers_in_one_group_share_the_partitions(
    kafka_bootstrap: str, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic(partitions=4)
    group = f"group-{uuid.uuid4().hex[:8]}"
    one = consumer(kafka_bootstrap, topic, group_id=group, client_id="one")
    two = consumer(kafka_bootstrap, topic, group_id=group, client_id="two")
    await one.start()
    await two.start()
    try:

        async def assignments() -> tuple[set[TopicPartition], set[TopicPartition]]:
            # Polling drives the group protocol (joins and rebalances).
            await asyncio.gather(one.getmany(timeout_ms=100), two.getmany(timeout_ms=100))
            return one.assignment(), two.assignment()

        a, b = await eventually(
            assignments,
            until=lambda ab: bool(ab[0]) and bool(ab[1]) and len(ab[0] | ab[1]) == 4,
            what="both members to own partitions",
        )
        assert not a & b
        assert {tp.partition for tp in a | b} == {0, 1, 2, 3}
    finally:
        await one.stop()
        await two.stop()


async def test_the_idempotent_all_acks_producer_delivers_each_message_once_in_order(
    kafka_bootstrap: str, kafka_producer: AIOKafkaProducer, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic(partitions=1)
    futures = [await kafka_producer.send(topic, f"{i}".encode(), key=b"k") for i in range(200)]
    offsets = [(await f).offset for f in futures]
    assert offsets == list(range(offsets[0], offsets[0] + 200))

    reader = consumer(kafka_bootstrap, topic, group_id=f"g-{uuid.uuid4().hex[:8]}", client_id="r")
    await reader.start()
    try:
        values = await read(reader, 200)
    finally:
        await reader.stop()
    assert values == [f"{i}".encode() for i in range(200)]
    # The broker accepted the idempotent producer: it was given a producer id.
    assert kafka_producer._txn_manager is not None
    assert kafka_producer._txn_manager.producer_id >= 0


async def test_a_mongodb_transaction_commits_and_another_aborts(
    mongo_client: Client, database: Database
) -> None:
    accounts = database["accounts"]
    async with mongo_client.start_session() as session, await session.start_transaction():
        await accounts.insert_one({"_id": "committed"}, session=session)
        await accounts.insert_one({"_id": "also-committed"}, session=session)

    with contextlib.suppress(RuntimeError):
        async with mongo_client.start_session() as session:
            async with await session.start_transaction():
                await accounts.insert_one({"_id": "aborted"}, session=session)
                # Uncommitted writes are invisible outside the transaction.
                assert await accounts.find_one({"_id": "aborted"}) is None
                raise RuntimeError("abort")

    ids = sorted([d["_id"] async for d in accounts.find({})])
    assert ids == ["also-committed", "committed"]


async def test_a_transaction_conflicting_with_a_unique_index_aborts_whole(
    mongo_client: Client, database: Database
) -> None:
    things = database["things"]
    await things.create_index("name", unique=True)
    await things.insert_one({"_id": 1, "name": "taken"})
    try:
        async with mongo_client.start_session() as session:
            async with await session.start_transaction():
                await things.insert_one({"_id": 2, "name": "fresh"}, session=session)
                await things.insert_one({"_id": 3, "name": "taken"}, session=session)
    except OperationFailure:
        pass
    assert await things.count_documents({}) == 1


async def test_a_change_stream_sees_an_insert(database: Database) -> None:
    collection = database["watched"]
    await collection.insert_one({"_id": "before"})
    async with await collection.watch([{"$match": {"operationType": "insert"}}]) as stream:
        await collection.insert_one({"_id": "after", "text": "I want to feel safer"})
        change = await asyncio.wait_for(stream.next(), timeout=15)
    assert change["fullDocument"] == {"_id": "after", "text": "I want to feel safer"}
