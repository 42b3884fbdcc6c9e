"""Kafka clients configured the way this system relies on them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context
from aiokafka.structs import ConsumerRecord

from shared.limits import MAX_FETCH_BYTES, MAX_PARTITION_FETCH_BYTES

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


@dataclass(frozen=True)
class KafkaConnection:
    """Where the brokers are and who this client is to them. PLAINTEXT (no credentials) is the
    local test broker; a real cluster asks a service to authenticate (SASL) as its own user,
    whose ACLs say which topics it may read and write."""

    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    """The certificate authority the brokers' certificates are checked against (SASL_SSL);
    unset: the system's."""


Brokers = KafkaConnection | str
"""A connection, or only the bootstrap servers of a broker that asks for no credentials."""


def connection_options(brokers: Brokers) -> dict[str, Any]:
    """The aiokafka keyword arguments that connect a producer, consumer or admin client as
    `brokers` says: every Kafka client of the system is made with these."""
    kafka = KafkaConnection(brokers) if isinstance(brokers, str) else brokers
    options: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "security_protocol": kafka.security_protocol,
    }
    if kafka.security_protocol != "PLAINTEXT":
        options |= {
            "sasl_mechanism": kafka.sasl_mechanism,
            "sasl_plain_username": kafka.username,
            "sasl_plain_password": kafka.password,
        }
    if kafka.security_protocol == "SASL_SSL":
        options["ssl_context"] = create_ssl_context(cafile=kafka.ssl_cafile)
    return options


def admin(brokers: Brokers, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**connection_options(brokers), **options)


def producer(brokers: Brokers, *, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer waiting for all in-sync replicas: a retried send is never
    duplicated by the broker, and an acknowledged send survives a broker restart."""
    return AIOKafkaProducer(
        **connection_options(brokers),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15000,
    )


def transactional_producer(
    brokers: Brokers, *, client_id: str, transactional_id: str
) -> AIOKafkaProducer:
    """An idempotent producer that publishes in transactions under `transactional_id`. Starting
    one fences every earlier producer with the same id: whatever that one had not committed is
    aborted and it can commit nothing more, so a paused or partitioned old owner cannot publish
    out of turn (readers use `read_committed`)."""
    return AIOKafkaProducer(
        **connection_options(brokers),
        client_id=client_id,
        transactional_id=transactional_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15000,
    )


def consumer(
    brokers: Brokers, *topics: str, group_id: str, client_id: str, max_records: int = 500
) -> AIOKafkaConsumer:
    """A group consumer that commits only what has been handled (never automatically), starts
    from the beginning when the group has no committed offset yet, fetches a bounded amount, and
    reads only committed transactions (the outbox relay publishes in transactions)."""
    return AIOKafkaConsumer(
        *topics,
        **connection_options(brokers),
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        isolation_level="read_committed",
        max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
        fetch_max_bytes=MAX_FETCH_BYTES,
    )


def reader(brokers: Brokers, **options: Any) -> AIOKafkaConsumer:
    """A consumer outside any consumer group that commits nothing (operators' reads, tests)."""
    return AIOKafkaConsumer(**connection_options(brokers), enable_auto_commit=False, **options)


async def read_to_end(
    brokers: Brokers, topics: Sequence[str], *, client_id: str, batch_size: int = 2000
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    """Every message currently on `topics`, from the beginning up to the end offsets seen at the
    start, in batches, without a consumer group (replays, operators' reads)."""
    kafka = reader(
        brokers,
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
