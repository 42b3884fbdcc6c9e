"""`safeguarding-ops`: what an operator needs when something goes wrong.

    safeguarding-ops dead-letters list [--topic TOPIC] [--show-body]  # every parked message, with its reason
    safeguarding-ops dead-letters replay TOPIC.dlt PARTITION OFFSET   # send it back once fixed
    safeguarding-ops dead-letters discard TOPIC.dlt PARTITION OFFSET  # give up on it
    safeguarding-ops rebuild SERVICE_URL PROJECTION --token T   # drop and replay a read model

Reads KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* settings from the
environment, as the services do.

Replaying or discarding a dead letter redacts its stored copy (see `shared.deadletter`): what
stays is its id, the kind of error, when, and the SHA-256 and size of the original. A letter's
coordinates (partition and offset) change when it is kept through another's redaction: list them
again before acting on one. Resolve one dead letter at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

import httpx
from aiokafka import TopicPartition
from aiokafka.admin import RecordsToDelete
from aiokafka.structs import ConsumerRecord

from shared.config import KafkaSettings
from shared.deadletter import DeadLetter
from shared.kafka import Brokers, admin, producer, read_to_end, reader
from shared.topics import SYSTEM_TOPICS, dead_letter_topic

REPLAYED_FROM = "dlt.replayed_from"


REPLAYED, DISCARDED = "replayed", "discarded"


class TruncatedDeadLetter(Exception):
    """A dead letter that keeps only part of its message cannot be replayed as it is."""


class AlreadyResolved(Exception):
    """The dead letter was replayed or discarded already; only its redacted record is left."""


async def read_dead_letters(kafka: Brokers, topics: list[str]) -> list[DeadLetter]:
    """Every dead letter on the given dead-letter topics, once each, oldest first: those still
    parked with their message, those resolved as their redacted record."""
    found = [
        DeadLetter.from_record(record)
        async for records in read_to_end(kafka, topics, client_id="safeguarding-ops")
        for record in records
    ]
    return sorted(once_each(found), key=lambda d: d.failed_at)


def once_each(letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    """One per dead letter: its resolution when it has one, otherwise its latest copy."""
    kept: dict[str, DeadLetter] = {}
    for letter in sorted(letters, key=lambda d: (d.topic, d.partition, d.offset)):
        if letter.id not in kept or kept[letter.id].resolved is None:
            kept[letter.id] = letter
    return list(kept.values())


async def _read_partition(
    brokers: Brokers, tp: TopicPartition
) -> tuple[list[ConsumerRecord[bytes, bytes]], int]:
    """Every record of one partition, and the end offset they were read up to."""
    kafka = reader(brokers, client_id="safeguarding-ops", isolation_level="read_committed")
    await kafka.start()
    try:
        kafka.assign([tp])
        await kafka.seek_to_beginning(tp)
        end = (await kafka.end_offsets([tp]))[tp]
        records: list[ConsumerRecord[bytes, bytes]] = []
        while await kafka.position(tp) < end:
            batch = await kafka.getmany(tp, timeout_ms=500)
            records += [r for r in batch.get(tp, []) if r.offset < end]
        return records, end
    finally:
        await kafka.stop()


async def resolve_dead_letter(
    brokers: Brokers, topic: str, partition: int, offset: int, how: str
) -> DeadLetter:
    """Record that the dead letter at `topic/partition/offset` was replayed or discarded, and
    redact its stored copy: the partition's records that must stay (letters still parked, earlier
    resolutions) are copied to its end with the new resolution, then everything before them is
    deleted. Returns the letter as it was."""
    tp = TopicPartition(topic, partition)
    records, end = await _read_partition(brokers, tp)
    letters = [DeadLetter.from_record(record) for record in records]
    target = next((letter for letter in letters if letter.offset == offset), None)
    if target is None:
        raise LookupError(f"no message at {topic}/{partition}/{offset}")
    if target.resolved is not None:
        raise AlreadyResolved(f"{topic}/{partition}/{offset} was {target.resolved} already")
    resolved = {letter.id for letter in letters if letter.resolved} | {target.id}
    staying = {
        letter.offset
        for letter in once_each(letters)
        if letter.resolved or letter.id not in resolved
    }
    send = producer(brokers, client_id="safeguarding-ops")
    await send.start()
    try:
        for record in records:
            if record.offset in staying:
                await send.send_and_wait(
                    topic,
                    value=record.value,
                    key=record.key,
                    headers=list(record.headers),
                    partition=partition,
                )
        await send.send_and_wait(
            topic,
            value=b"",
            headers=target.resolution(how, datetime.now(UTC)),
            partition=partition,
        )
    finally:
        await send.stop()
    deleting = admin(brokers, client_id="safeguarding-ops")
    await deleting.start()
    try:
        await deleting.delete_records({tp: RecordsToDelete(end)})
    finally:
        await deleting.close()
    return target


async def replay_dead_letter(
    brokers: Brokers, topic: str, partition: int, offset: int
) -> DeadLetter:
    """Publish a parked message again to the topic it came from (its consumers dedupe)."""
    kafka = reader(brokers)
    await kafka.start()
    try:
        tp = TopicPartition(topic, partition)
        kafka.assign([tp])
        kafka.seek(tp, offset)
        batch = await kafka.getmany(tp, timeout_ms=10_000, max_records=1)
        records = batch.get(tp, [])
        if not records or records[0].offset != offset:
            raise LookupError(f"no message at {topic}/{partition}/{offset}")
        letter = DeadLetter.from_record(records[0])
    finally:
        await kafka.stop()
    if letter.resolved is not None:
        raise AlreadyResolved(f"{topic}/{partition}/{offset} was {letter.resolved} already")
    if letter.truncated:
        raise TruncatedDeadLetter(
            f"{topic}/{partition}/{offset} keeps only part of the message "
            f"({letter.original_size} bytes, sha256 {letter.original_sha256}); the whole one is "
            f"at {letter.original_topic}/{letter.original_partition}/{letter.original_offset}"
        )
    send = producer(brokers, client_id="safeguarding-ops")
    await send.start()
    try:
        await send.send_and_wait(
            letter.original_topic,
            value=letter.value,
            key=letter.key,
            headers=[
                *letter.original_headers,
                (REPLAYED_FROM, f"{topic}/{partition}/{offset}".encode()),
            ],
        )
    finally:
        await send.stop()
    await resolve_dead_letter(brokers, topic, partition, offset, REPLAYED)
    return letter


def describe(letter: DeadLetter, *, show_body: bool = False) -> dict[str, object]:
    """Where a dead letter is, where it came from and why; its body (which may be a submission
    full of someone's personal data) only when asked for."""
    described: dict[str, object] = {
        "id": letter.id,
        "dead_letter": f"{letter.topic}/{letter.partition}/{letter.offset}",
        "resolved": letter.resolved,
        "resolved_at": letter.resolved_at,
        "from": f"{letter.original_topic}/{letter.original_partition}/{letter.original_offset}",
        "consumer_group": letter.consumer_group,
        "failed_at": letter.failed_at,
        "error_type": letter.error_type,
        "reason": letter.reason,
        "truncated": letter.truncated,
        "original_size": letter.original_size,
        "original_sha256": letter.original_sha256,
        "size": len(letter.value),
    }
    if show_body:
        described["value"] = letter.value[:500].decode(errors="replace")
    return described


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="safeguarding-ops",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    letters = commands.add_parser("dead-letters").add_subparsers(dest="action", required=True)
    listing = letters.add_parser("list")
    listing.add_argument("--topic", help="an original topic (default: every system topic)")
    listing.add_argument(
        "--show-body",
        action="store_true",
        help="print the start of each message too (it may hold personal data)",
    )
    for action in ("replay", "discard"):
        acting = letters.add_parser(action)
        acting.add_argument("topic")
        acting.add_argument("partition", type=int)
        acting.add_argument("offset", type=int)
    rebuild = commands.add_parser("rebuild")
    rebuild.add_argument("service_url", help="e.g. http://127.0.0.1:8002")
    rebuild.add_argument("projection")
    rebuild.add_argument(
        "--token", default=os.environ.get("OPS_TOKEN", ""), help="manager bearer token"
    )
    args = parser.parse_args(argv)
    kafka = KafkaSettings().kafka

    if args.command == "dead-letters" and args.action == "list":
        topics = [dead_letter_topic(t) for t in ([args.topic] if args.topic else SYSTEM_TOPICS)]
        for letter in asyncio.run(read_dead_letters(kafka, topics)):
            print(json.dumps(describe(letter, show_body=args.show_body), ensure_ascii=False))
    elif args.command == "dead-letters" and args.action == "discard":
        letter = asyncio.run(
            resolve_dead_letter(kafka, args.topic, args.partition, args.offset, DISCARDED)
        )
        print(json.dumps({"discarded": True, **describe(letter)}, ensure_ascii=False))
    elif args.command == "dead-letters":
        letter = asyncio.run(replay_dead_letter(kafka, args.topic, args.partition, args.offset))
        print(
            json.dumps(
                {"replayed_to": letter.original_topic, **describe(letter)}, ensure_ascii=False
            )
        )
    else:
        response = httpx.post(
            f"{args.service_url.rstrip('/')}/admin/projections/{args.projection}/rebuild",
            headers={"Authorization": f"Bearer {args.token}"},
            timeout=None,
        )
        print(response.text)
        sys.exit(0 if response.is_success else 1)


if __name__ == "__main__":
    run()
