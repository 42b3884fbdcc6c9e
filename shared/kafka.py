"""Kafka clients configured the way this system relies on them."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


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


def consumer(
    bootstrap_servers: str, *topics: str, group_id: str, client_id: str, max_records: int = 500
) -> AIOKafkaConsumer:
    """A group consumer that commits only what has been handled (never automatically) and
    starts from the beginning when the group has no committed offset yet."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        isolation_level="read_committed",
    )
