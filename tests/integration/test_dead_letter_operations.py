"""What an operator does with dead letters: list them with their reasons, and replay one to
the topic it came from once the cause is fixed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from aiokafka import AIOKafkaProducer

from shared.deadletter import DeadLetters
from shared.kafka import consumer, read_to_end
from shared.ops import REPLAYED_FROM, read_dead_letters, replay_dead_letter
from tests.conftest import NewTopicFactory
from tests.support.polling import eventually


async def test_a_parked_message_is_listed_with_its_reason_and_can_be_replayed(
    kafka_bootstrap: str, kafka_producer: AIOKafkaProducer, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic(partitions=1)
    await kafka_producer.send_and_wait(topic, b"not yet readable", key=b"k")
    reader = consumer(kafka_bootstrap, topic, group_id=f"g-{uuid.uuid4().hex[:8]}", client_id="t")
    await reader.start()
    try:
        batch = await eventually(lambda: reader.getmany(timeout_ms=200), what="the message")
        (record,) = next(iter(batch.values()))
        await DeadLetters(kafka_producer, "ops-test").park(
            record, "no such field: x", "DecodeError"
        )
    finally:
        await reader.stop()

    (letter,) = await read_dead_letters(kafka_bootstrap, [f"{topic}.dlt"])
    assert (letter.reason, letter.error_type, letter.consumer_group) == (
        "no such field: x",
        "DecodeError",
        "ops-test",
    )
    assert (letter.original_topic, letter.original_offset, letter.value) == (
        topic,
        0,
        b"not yet readable",
    )

    await replay_dead_letter(kafka_bootstrap, letter.topic, letter.partition, letter.offset)
    on_topic = [r async for rs in read_to_end(kafka_bootstrap, [topic], client_id="t") for r in rs]
    assert [r.value for r in on_topic] == [b"not yet readable", b"not yet readable"]
    assert dict(on_topic[1].headers)[REPLAYED_FROM] == f"{topic}.dlt/0/0".encode()


async def test_make_dead_letters_shows_where_and_why_and_the_body_only_when_asked(
    kafka_bootstrap: str, kafka_producer: AIOKafkaProducer, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic(partitions=1)
    body = b'{"person": {"name": "Margaret Hill"}}'
    await kafka_producer.send_and_wait(topic, body)
    reader = consumer(kafka_bootstrap, topic, group_id=f"g-{uuid.uuid4().hex[:8]}", client_id="t")
    await reader.start()
    try:
        batch = await eventually(lambda: reader.getmany(timeout_ms=200), what="the message")
        (record,) = next(iter(batch.values()))
        await DeadLetters(kafka_producer, "ops-test").park(record, "person: missing", "DecodeError")
    finally:
        await reader.stop()

    def listing(*flags: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-m", "shared.ops", "dead-letters", "list", "--topic", topic, *flags],
            env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
            capture_output=True,
            check=True,
            text=True,
        )
        (line,) = done.stdout.splitlines()
        parsed: dict[str, object] = json.loads(line)
        return parsed

    plain = listing()
    assert (plain["dead_letter"], plain["from"], plain["reason"], plain["size"]) == (
        f"{topic}.dlt/0/0",
        f"{topic}/0/0",
        "person: missing",
        len(body),
    )
    assert "value" not in plain
    assert listing("--show-body")["value"] == body.decode()
