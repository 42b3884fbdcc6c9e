"""`safeguarding-ops`: what an operator needs when something goes wrong.

    safeguarding-ops dead-letters list [--topic TOPIC] [--show-body]  # every parked message, with its reason
    safeguarding-ops dead-letters replay TOPIC.dlt PARTITION OFFSET   # send it back once fixed
    safeguarding-ops rebuild SERVICE_URL PROJECTION --token T   # drop and replay a read model

Reads KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* settings from the
environment, as the services do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import httpx
from aiokafka import TopicPartition

from shared.config import KafkaSettings
from shared.deadletter import DeadLetter
from shared.kafka import Brokers, producer, read_to_end, reader
from shared.topics import SYSTEM_TOPICS, dead_letter_topic

REPLAYED_FROM = "dlt.replayed_from"


class TruncatedDeadLetter(Exception):
    """A dead letter that keeps only part of its message cannot be replayed as it is."""


async def read_dead_letters(kafka: Brokers, topics: list[str]) -> list[DeadLetter]:
    """Every message currently parked on the given dead-letter topics, oldest first."""
    parked = [
        DeadLetter.from_record(record)
        async for records in read_to_end(kafka, topics, client_id="safeguarding-ops")
        for record in records
    ]
    return sorted(parked, key=lambda d: d.failed_at)


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
    return letter


def describe(letter: DeadLetter, *, show_body: bool = False) -> dict[str, object]:
    """Where a dead letter is, where it came from and why; its body (which may be a submission
    full of someone's personal data) only when asked for."""
    described: dict[str, object] = {
        "dead_letter": f"{letter.topic}/{letter.partition}/{letter.offset}",
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
    replay = letters.add_parser("replay")
    replay.add_argument("topic")
    replay.add_argument("partition", type=int)
    replay.add_argument("offset", type=int)
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
