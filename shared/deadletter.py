"""Dead letters: a message that cannot be accepted is parked on `<topic>.dlt` with its reason.

The dead-letter record keeps the original bytes as its value and key, the original headers, and
adds headers saying why and where it came from, so an operator can read the reason, fix the
cause, and replay it to the original topic (`safeguarding-ops dead-letters replay`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from shared.metrics import DEAD_LETTERS
from shared.topics import dead_letter_topic

REASON = "dlt.reason"
ERROR_TYPE = "dlt.error_type"
ORIGINAL_TOPIC = "dlt.original_topic"
ORIGINAL_PARTITION = "dlt.original_partition"
ORIGINAL_OFFSET = "dlt.original_offset"
CONSUMER_GROUP = "dlt.consumer_group"
FAILED_AT = "dlt.failed_at"
DLT_HEADERS = (
    REASON,
    ERROR_TYPE,
    ORIGINAL_TOPIC,
    ORIGINAL_PARTITION,
    ORIGINAL_OFFSET,
    CONSUMER_GROUP,
    FAILED_AT,
)


@dataclass(frozen=True)
class DeadLetter:
    """A parked message as an operator sees it."""

    topic: str
    partition: int
    offset: int
    reason: str
    error_type: str
    original_topic: str
    original_partition: int
    original_offset: int
    consumer_group: str
    failed_at: str
    key: bytes | None
    value: bytes
    original_headers: list[tuple[str, bytes]]

    @classmethod
    def from_record(cls, record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
        headers = {k: v.decode(errors="replace") for k, v in record.headers}
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=headers.get(REASON, ""),
            error_type=headers.get(ERROR_TYPE, ""),
            original_topic=headers.get(ORIGINAL_TOPIC, ""),
            original_partition=int(headers.get(ORIGINAL_PARTITION, "-1")),
            original_offset=int(headers.get(ORIGINAL_OFFSET, "-1")),
            consumer_group=headers.get(CONSUMER_GROUP, ""),
            failed_at=headers.get(FAILED_AT, ""),
            key=record.key,
            value=record.value or b"",
            original_headers=[(k, v) for k, v in record.headers if k not in DLT_HEADERS],
        )


class DeadLetters:
    def __init__(self, producer: AIOKafkaProducer, consumer_group: str) -> None:
        self.producer = producer
        self.consumer_group = consumer_group

    async def park(
        self, record: ConsumerRecord[bytes, bytes], reason: str, error_type: str
    ) -> None:
        headers = [
            *[(k, v) for k, v in record.headers if k not in DLT_HEADERS],
            (REASON, reason.encode()),
            (ERROR_TYPE, error_type.encode()),
            (ORIGINAL_TOPIC, record.topic.encode()),
            (ORIGINAL_PARTITION, str(record.partition).encode()),
            (ORIGINAL_OFFSET, str(record.offset).encode()),
            (CONSUMER_GROUP, self.consumer_group.encode()),
            (FAILED_AT, datetime.now(UTC).isoformat().encode()),
        ]
        await self.producer.send_and_wait(
            dead_letter_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
        DEAD_LETTERS.labels(record.topic, self.consumer_group).inc()
