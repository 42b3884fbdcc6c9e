"""Raw baselines, measured in the same run on the same servers as the system figures, so that
every figure can be read as a ratio on a shared, noisy machine."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import NewTopic
from pymongo.errors import AutoReconnect, BulkWriteError, ConnectionFailure

from services.intake.application.submissions import ConcernSubmissions
from shared.kafka import admin as kafka_admin
from shared.kafka import connection_options, consumer, producer
from shared.mongo import Client, Collection, Document, Session, in_transaction


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "n": len(ordered),
        "mean": statistics.fmean(ordered),
    }


async def scratch_topic(bootstrap: str, partitions: int = 3) -> str:
    admin = kafka_admin(bootstrap)
    await admin.start()
    try:
        name = f"bench.{uuid.uuid4().hex[:10]}"
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        return name
    finally:
        await admin.close()


async def kafka_round_trip(bootstrap: str, samples: int = 300) -> list[float]:
    """Seconds from a raw produce (idempotent, acks=all) until a group consumer receives it."""
    topic = await scratch_topic(bootstrap, partitions=1)
    send = producer(bootstrap, client_id="bench-baseline")
    receive = consumer(
        bootstrap, topic, group_id=f"bench-{uuid.uuid4().hex[:8]}", client_id="bench"
    )
    await send.start()
    await receive.start()
    try:
        while not receive.assignment():
            await receive.getmany(timeout_ms=100)
        timings: list[float] = []
        for i in range(samples):
            started = time.perf_counter()
            await send.send_and_wait(topic, str(i).encode())
            got = False
            while not got:
                batches = await receive.getmany(timeout_ms=1000)
                got = any(r.value == str(i).encode() for rs in batches.values() for r in rs)
            timings.append(time.perf_counter() - started)
        return timings
    finally:
        await send.stop()
        await receive.stop()


async def mongo_insert_and_read(client: Client, samples: int = 300) -> list[float]:
    """Seconds for one raw insert_one followed by a find_one of it."""
    collection = client[f"bench_{uuid.uuid4().hex[:8]}"]["raw"]
    timings = []
    try:
        for i in range(samples):
            started = time.perf_counter()
            await collection.insert_one({"_id": i, "v": "x" * 200})
            await collection.find_one({"_id": i})
            timings.append(time.perf_counter() - started)
        return timings
    finally:
        await client.drop_database(collection.database.name)


async def insert_many_rate(
    client: Client, documents: list[dict[str, object]], batch: int = 2000
) -> float:
    """Documents per second for raw, unordered insert_many batches of the given documents."""
    collection = client[f"bench_{uuid.uuid4().hex[:8]}"]["raw"]
    try:
        started = time.perf_counter()
        for i in range(0, len(documents), batch):
            await collection.insert_many(documents[i : i + batch], ordered=False)
        return len(documents) / (time.perf_counter() - started)
    finally:
        await client.drop_database(collection.database.name)


async def insert_many_rate_of(
    client: Client, batches: Iterable[list[Document]], *, within: float | None = None
) -> tuple[float, int]:
    """Documents per second for raw, unordered insert_many of the batches, timing only the
    inserts (so the batches may be built lazily), and how many were inserted. Stops after
    `within` seconds of inserting, if given."""
    collection = client[f"bench_{uuid.uuid4().hex[:8]}"]["raw"]
    inserting = 0.0
    inserted = 0
    try:
        for documents in batches:
            started = time.perf_counter()
            await _insert_all(collection, documents)
            inserting += time.perf_counter() - started
            inserted += len(documents)
            if within is not None and inserting >= within:
                break
        return (inserted / inserting if inserting else 0.0), inserted
    finally:
        await client.drop_database(collection.database.name)


async def _insert_all(collection: Collection, documents: list[Document], attempts: int = 3) -> None:
    """insert_many, sent again if the connection was lost (a server may close a pooled
    connection that sat idle); documents that made it the first time are not inserted twice."""
    for attempt in range(1, attempts + 1):
        try:
            await collection.insert_many(documents, ordered=False)
            return
        except BulkWriteError as error:
            if all(e.get("code") == 11000 for e in error.details.get("writeErrors", [])):
                return
            raise
        except AutoReconnect:
            if attempt == attempts:
                raise


def _from_the_beginning(bootstrap: str, topic: str, group: str, batch: int) -> AIOKafkaConsumer:
    """A consumer in a new group of its own, reading `topic` from its beginning, committing only
    when told."""
    return AIOKafkaConsumer(
        topic,
        **connection_options(bootstrap),
        group_id=f"{group}-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=batch,
    )


async def raw_consume_rate(bootstrap: str, topic: str, expected: int) -> float:
    """Messages per second for a raw aiokafka consumer reading a topic from the beginning."""
    reader = _from_the_beginning(bootstrap, topic, "bench-raw", 5000)
    await reader.start()
    try:
        started = time.perf_counter()
        count = 0
        while count < expected:
            batches = await reader.getmany(timeout_ms=1000, max_records=5000)
            count += sum(len(rs) for rs in batches.values())
        return count / (time.perf_counter() - started)
    finally:
        await reader.stop()


async def durable_intake_rate(
    bootstrap: str, client: Client, topic: str, expected: int, database: str
) -> float:
    """Messages per second for the plainest durable intake: a consumer in a group reads the
    topic from the beginning and, per batch, writes each message as a document with one
    `insert_many` in one transaction, then commits the batch's offsets. The speed limit of "read
    from Kafka, write to MongoDB" on these servers, with nothing decided about any message.

    Its batches are intake's (`ConcernSubmissions.batch_size`): a 500-message batch's single
    `insert_many` of the burst's submissions was where the server dropped the connection at
    scale 1.0. A batch whose connection broke is written again, less what had been committed
    (each document's `_id` is its message's place on the topic)."""
    reader = _from_the_beginning(bootstrap, topic, "bench-durable", ConcernSubmissions.batch_size)
    collection: Collection = client[database]["submissions"]
    await reader.start()
    try:
        started = time.perf_counter()
        count = 0
        while count < expected:
            batches = await reader.getmany(
                timeout_ms=1000, max_records=ConcernSubmissions.batch_size
            )
            documents: list[Document] = [
                {"_id": f"{r.topic}:{r.partition}:{r.offset}", "value": r.value}
                for records in batches.values()
                for r in records
            ]
            if not documents:
                continue
            await _insert_in_one_transaction(client, collection, documents)
            await reader.commit()
            count += len(documents)
        return count / (time.perf_counter() - started)
    finally:
        await reader.stop()
        await client.drop_database(database)


async def _insert_in_one_transaction(
    client: Client, collection: Collection, documents: list[Document], attempts: int = 3
) -> None:
    for attempt in range(1, attempts + 1):

        async def write(session: Session, batch: list[Document] = documents) -> None:
            await collection.insert_many(batch, ordered=False, session=session)

        try:
            await in_transaction(client, write)
            return
        except ConnectionFailure:
            if attempt == attempts:
                raise
            # The commit may have happened before the connection broke.
            ids = [d["_id"] for d in documents]
            written = {d["_id"] async for d in collection.find({"_id": {"$in": ids}}, {"_id": 1})}
            documents = [d for d in documents if d["_id"] not in written]
            if not documents:
                return


async def publish_raw(
    send: AIOKafkaProducer,
    topic: str,
    values: list[bytes],
    headers: Callable[[bytes], list[tuple[str, bytes]]] | None = None,
) -> None:
    for value in values:
        await send.send(topic, value, headers=headers(value) if headers else [])
    await send.flush()


if __name__ == "__main__":
    from shared.mongo import connect

    async def main() -> None:
        bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        client = connect(os.environ["MONGODB_URI"])
        print("kafka round trip", percentiles(await kafka_round_trip(bootstrap, 100)))
        print("mongo insert+read", percentiles(await mongo_insert_and_read(client, 100)))
        print(
            "insert_many/s",
            await insert_many_rate(client, [{"v": "x" * 300} for _ in range(50_000)]),
        )
        await client.close()

    asyncio.run(main())
