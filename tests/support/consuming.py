"""Driving a projection runner over a topic of the test's own: publish a story of events, run
the runner, wait for the read model or the dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.deadletter import DeadLetter, DeadLetters
from shared.events import Actor, Envelope, Metadata, Role, encode, kafka_headers
from shared.kafka import consumer
from shared.keyring import Keyring
from shared.mongo import Client
from shared.projection import MessageHandler, ProjectionRunner, Record, RetryPolicy
from tests.support.events import AmountRecorded
from tests.support.polling import eventually
from tests.support.projections import StreamTotals

SYSTEM = Metadata(actor=Actor(id="system", role=Role.SYSTEM))


def story(streams: int, per_stream: int) -> list[Envelope]:
    return [
        Envelope.record(
            AmountRecorded(amount=v * 10 + s), stream_id=f"s{s}", stream_version=v, metadata=SYSTEM
        )
        for v in range(1, per_stream + 1)
        for s in range(streams)
    ]


async def publish(producer: AIOKafkaProducer, topic: str, events: list[Envelope]) -> None:
    for e in events:
        await producer.send(topic, encode(e), key=e.stream_id.encode(), headers=kafka_headers(e))
    await producer.flush()


def runner_for(
    handler: MessageHandler[Envelope],
    client: Client,
    bootstrap: str,
    producer: AIOKafkaProducer,
    group: str,
    batch_size: int = 50,
    retry: RetryPolicy | None = None,
    stuck_after_seconds: float = 60.0,
    lag_interval_seconds: float = 5.0,
    keyring: Keyring | None = None,
) -> ProjectionRunner[Envelope]:
    return ProjectionRunner(
        handler,
        client=client,
        kafka=bootstrap,
        group_id=group,
        dead_letters=DeadLetters(producer, group),
        batch_size=batch_size,
        retry=retry or RetryPolicy(max_attempts=2, first_backoff=0.05, max_backoff=0.5),
        stuck_after_seconds=stuck_after_seconds,
        lag_interval_seconds=lag_interval_seconds,
        keyring=keyring,
    )


def record(topic: str, envelope: Envelope, offset: int, value: bytes | None = None) -> Record:
    """The envelope as a consumer receives it (`value`: as published, e.g. sealed; by default
    encoded as it is), to hand a runner a batch of the test's choosing."""
    value = encode(envelope) if value is None else value
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=envelope.stream_id.encode(),
        value=value,
        checksum=None,
        serialized_key_size=len(envelope.stream_id),
        serialized_value_size=len(value),
        headers=kafka_headers(envelope),
    )


def new_group() -> str:
    return f"g-{uuid.uuid4().hex[:8]}"


@contextlib.asynccontextmanager
async def running(runner: ProjectionRunner[Envelope]) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(runner.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def dead_letters(bootstrap: str, topic: str, count: int) -> list[DeadLetter]:
    reader = consumer(
        bootstrap, f"{topic}.dlt", group_id=f"g-{uuid.uuid4().hex[:8]}", client_id="dlt"
    )
    await reader.start()
    parked: list[DeadLetter] = []
    try:

        async def more() -> int:
            batches = await reader.getmany(timeout_ms=200)
            parked.extend(DeadLetter.from_record(r) for rs in batches.values() for r in rs)
            return len(parked)

        await eventually(more, until=lambda n: n >= count, what=f"{count} dead letters")
    finally:
        await reader.stop()
    return parked


async def caught_up(projection: StreamTotals, expected_count: int) -> None:
    async def counted() -> int:
        return sum(d["count"] for d in await projection.snapshot())

    await eventually(
        counted, until=lambda n: n >= expected_count, timeout=60, what="the read model"
    )


async def dead_letter_count(bootstrap: str, topic: str, partitions: int = 3) -> int:
    """How many messages of `topic` are parked on its dead-letter topic."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await reader.start()
    try:
        parts = [TopicPartition(f"{topic}.dlt", p) for p in range(partitions)]
        return sum((await reader.end_offsets(parts)).values())
    finally:
        await reader.stop()
