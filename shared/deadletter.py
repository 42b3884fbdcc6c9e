"""Dead letters: a message that cannot be accepted is parked on `<topic>.dlt` with its reason.

The dead-letter record keeps the original bytes as its value and key, the original headers, and
adds headers saying why and where it came from, so an operator can read the reason, fix the
cause, and replay it to the original topic (`safeguarding-ops dead-letters replay`).

Once an operator has replayed a dead letter, or discarded it, its stored copy is redacted
(`shared.ops.resolve_dead_letter`): Kafka cannot change a record, so a *resolution* record takes
its place on the dead-letter topic, keeping only its id (where it came from and which consumer
parked it), the kind of error, when it failed and was resolved, and the SHA-256 and size of the
original; then everything before it on that partition is deleted (Kafka's DeleteRecords), after
copying to the end of the partition every record there that must stay: letters still parked,
and earlier resolutions. A letter parked but not yet replayed keeps its message until an operator
acts on it.

A record too large to park whole (the producer and broker refuse records over 1 MiB, and a small
compressed record can inflate far beyond that) is parked truncated: the first part of its value,
its size and SHA-256, and its original coordinates, where it stays until retention. Retrying the
whole record would stop the consumer for ever, so that never happens. The reason is capped too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.structs import ConsumerRecord

from shared.limits import DEAD_LETTER_KEPT_BYTES, KIB, MAX_DEAD_LETTER_BYTES, capped
from shared.metrics import DEAD_LETTERS, DEAD_LETTERS_TRUNCATED
from shared.topics import dead_letter_topic

REASON = "dlt.reason"
ERROR_TYPE = "dlt.error_type"
ORIGINAL_TOPIC = "dlt.original_topic"
ORIGINAL_PARTITION = "dlt.original_partition"
ORIGINAL_OFFSET = "dlt.original_offset"
CONSUMER_GROUP = "dlt.consumer_group"
FAILED_AT = "dlt.failed_at"
TRUNCATED = "dlt.truncated"
ORIGINAL_SIZE = "dlt.original_size"
ORIGINAL_SHA256 = "dlt.original_sha256"
RESOLVED = "dlt.resolved"
"""How an operator resolved it: replayed or discarded (only on a resolution record)."""
RESOLVED_AT = "dlt.resolved_at"
DLT_HEADERS = (
    REASON,
    ERROR_TYPE,
    ORIGINAL_TOPIC,
    ORIGINAL_PARTITION,
    ORIGINAL_OFFSET,
    CONSUMER_GROUP,
    FAILED_AT,
    TRUNCATED,
    ORIGINAL_SIZE,
    ORIGINAL_SHA256,
    RESOLVED,
    RESOLVED_AT,
)
_KEPT_KEY_BYTES = KIB
_KEPT_HEADER_BYTES = 16 * KIB

Headers = list[tuple[str, bytes]]


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
    truncated: bool = False
    """Only the first part of the value is here; see `original_size` and `original_sha256`."""
    original_size: int | None = None
    original_sha256: str | None = None
    resolved: str | None = None
    """replayed or discarded: this is the redacted record of a resolved letter, no message."""
    resolved_at: str | None = None

    @property
    def id(self) -> str:
        """Which message, parked by which consumer: the same across copies and its resolution."""
        return (
            f"{self.original_topic}/{self.original_partition}/{self.original_offset}"
            f"/{self.consumer_group}"
        )

    def resolution(self, how: str, at: datetime) -> Headers:
        """The headers of the record that replaces this one once resolved: its id, the kind of
        error, when, and the SHA-256 and size of the original; not the message, its key, its
        headers or the reason's words."""
        whole = not self.truncated
        return [
            (ERROR_TYPE, self.error_type.encode()),
            (ORIGINAL_TOPIC, self.original_topic.encode()),
            (ORIGINAL_PARTITION, str(self.original_partition).encode()),
            (ORIGINAL_OFFSET, str(self.original_offset).encode()),
            (CONSUMER_GROUP, self.consumer_group.encode()),
            (FAILED_AT, self.failed_at.encode()),
            (
                ORIGINAL_SIZE,
                str(len(self.value) if whole else self.original_size).encode(),
            ),
            (
                ORIGINAL_SHA256,
                (
                    hashlib.sha256(self.value).hexdigest() if whole else str(self.original_sha256)
                ).encode(),
            ),
            (RESOLVED, how.encode()),
            (RESOLVED_AT, at.astimezone(UTC).isoformat().encode()),
        ]

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
            truncated=headers.get(TRUNCATED) == "true",
            original_size=int(headers[ORIGINAL_SIZE]) if ORIGINAL_SIZE in headers else None,
            original_sha256=headers.get(ORIGINAL_SHA256),
            resolved=headers.get(RESOLVED),
            resolved_at=headers.get(RESOLVED_AT),
        )


class DeadLetters:
    def __init__(self, producer: AIOKafkaProducer, consumer_group: str) -> None:
        self.producer = producer
        self.consumer_group = consumer_group

    async def park(
        self, record: ConsumerRecord[bytes, bytes], reason: str, error_type: str
    ) -> None:
        why = [
            (REASON, capped(reason).encode()),
            (ERROR_TYPE, capped(error_type, 200).encode()),
            (ORIGINAL_TOPIC, record.topic.encode()),
            (ORIGINAL_PARTITION, str(record.partition).encode()),
            (ORIGINAL_OFFSET, str(record.offset).encode()),
            (CONSUMER_GROUP, self.consumer_group.encode()),
            (FAILED_AT, datetime.now(UTC).isoformat().encode()),
        ]
        original: Headers = [(k, bytes(v)) for k, v in record.headers if k not in DLT_HEADERS]
        value = record.value or b""
        size = len(value) + len(record.key or b"") + sum(len(k) + len(v) for k, v in original)
        topic = dead_letter_topic(record.topic)
        if size <= MAX_DEAD_LETTER_BYTES:
            try:
                await self.producer.send_and_wait(
                    topic, value=record.value, key=record.key, headers=[*original, *why]
                )
                DEAD_LETTERS.labels(record.topic, self.consumer_group).inc()
                return
            except MessageSizeTooLargeError:
                pass  # the broker's limit is lower than ours: park it truncated instead
        await self.producer.send_and_wait(
            topic,
            value=value[:DEAD_LETTER_KEPT_BYTES],
            key=(record.key or b"")[:_KEPT_KEY_BYTES] or None,
            headers=[
                *_within(original, _KEPT_HEADER_BYTES),
                *why,
                (TRUNCATED, b"true"),
                (ORIGINAL_SIZE, str(len(value)).encode()),
                (ORIGINAL_SHA256, hashlib.sha256(value).hexdigest().encode()),
            ],
        )
        DEAD_LETTERS.labels(record.topic, self.consumer_group).inc()
        DEAD_LETTERS_TRUNCATED.labels(record.topic, self.consumer_group).inc()


def _within(headers: Headers, limit: int) -> Headers:
    """The headers that fit in `limit` bytes, in order (a partner may send huge ones)."""
    kept: Headers = []
    used = 0
    for key, value in headers:
        used += len(key) + len(value)
        if used > limit:
            break
        kept.append((key, value))
    return kept
