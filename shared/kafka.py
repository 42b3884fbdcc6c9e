"""Kafka clients configured the way this system relies on them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.limits import MAX_FETCH_BYTES, MAX_PARTITION_FETCH_BYTES


def producer(bootstrap_servers: str, *, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer waiting for all in-sync replicas: a retried send is never
    duplicated by the broker, and an acknowledged send survives a broker restart."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15000,
    )


def transactional_producer(
    bootstrap_servers: str, *, client_id: str, transactional_id: str
) -> AIOKafkaProducer:
    """An idempotent producer that publishes in transactions under `transactional_id`. Starting
    one fences every earlier producer with the same id: whatever that one had not committed is
    aborted and it can commit nothing more, so a paused or partitioned old owner cannot publish
    out of turn (readers use `read_committed`)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        transactional_id=transactional_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15000,
    )


def consumer(
    bootstrap_servers: str, *topics: str, group_id: str, client_id: str, max_records: int = 500
) -> AIOKafkaConsumer:
    """A group consumer that commits only what has been handled (never automatically), starts
    from the beginning when the group has no committed offset yet, fetches a bounded amount, and
    reads only committed transactions (the outbox relay publishes in transactions)."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        isolation_level="read_committed",
        max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
        fetch_max_bytes=MAX_FETCH_BYTES,
    )


async def read_to_end(
    bootstrap_servers: str, topics: Sequence[str], *, client_id: str, batch_size: int = 2000
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    """Every message currently on `topics`, from the beginning up to the end offsets seen at the
    start, in batches, without a consumer group (replays, operators' reads)."""
    kafka = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        client_id=client_id,
        isolation_level="read_committed",
        max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
        fetch_max_bytes=MAX_FETCH_BYTES,
    )
    await kafka.start()
    try:
        cluster = await kafka._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return
        kafka.assign(partitions)
        await kafka.seek_to_beginning(*partitions)
        end = await kafka.end_offsets(partitions)
        remaining = {tp for tp in partitions if end[tp] > 0}
        while remaining:
            batches = await kafka.getmany(*remaining, timeout_ms=500, max_records=batch_size)
            records = [r for tp, rs in batches.items() for r in rs if r.offset < end[tp]]
            for tp in list(remaining):
                if await kafka.position(tp) >= end[tp]:
                    remaining.discard(tp)
            if records:
                yield records
    finally:
        await kafka.stop()
