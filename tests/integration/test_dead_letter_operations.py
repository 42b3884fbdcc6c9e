"""What an operator does with dead letters: list them with their reasons, and replay one to
the topic it came from once the cause is fixed, or discard it; either way its stored copy is then
redacted to its id, the kind of error, when and the SHA-256 of the original."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from shared.deadletter import DeadLetter, DeadLetters
from shared.kafka import consumer, read_to_end
from shared.ops import (
    DISCARDED,
    REPLAYED_FROM,
    AlreadyResolved,
    read_dead_letters,
    replay_dead_letter,
    resolve_dead_letter,
)
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


async def parked_on(
    kafka_bootstrap: str, kafka_producer: AIOKafkaProducer, topic: str, bodies: list[bytes]
) -> list[DeadLetter]:
    """Each body published to `topic` and parked by a consumer, as the operator lists them."""
    for body in bodies:
        await kafka_producer.send_and_wait(topic, body, key=b"person-key")
    reader = consumer(kafka_bootstrap, topic, group_id=f"g-{uuid.uuid4().hex[:8]}", client_id="t")
    await reader.start()
    try:
        records: list[ConsumerRecord[bytes, bytes]] = []
        while len(records) < len(bodies):
            batch = await eventually(lambda: reader.getmany(timeout_ms=200), what="the messages")
            records += [r for rs in batch.values() for r in rs]
        for record in records:
            await DeadLetters(kafka_producer, "ops-test").park(
                record, "person.name: missing", "ValidationError"
            )
    finally:
        await reader.stop()
    return await read_dead_letters(kafka_bootstrap, [f"{topic}.dlt"])


async def raw_dead_letter_topic(kafka_bootstrap: str, topic: str) -> bytes:
    """Every byte of every record (value, key, headers) still on the dead-letter topic."""
    records = [
        b"".join([r.value or b"", r.key or b"", *(k.encode() + v for k, v in r.headers)])
        async for rs in read_to_end(kafka_bootstrap, [f"{topic}.dlt"], client_id="t")
        for r in rs
    ]
    return b"\n".join(records)


async def test_a_replayed_or_discarded_dead_letter_keeps_only_its_id_kind_when_and_hash(
    kafka_bootstrap: str, kafka_producer: AIOKafkaProducer, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic(partitions=1)
    bodies = [
        b'{"person": {"name": "Ada Waiting", "phone": "07700 900001"}}',
        b'{"person": {"name": "Bea Replayed", "phone": "07700 900002"}}',
        b'{"person": {"name": "Cal Discarded", "phone": "07700 900003"}}',
    ]
    waiting, to_replay, to_discard = await parked_on(kafka_bootstrap, kafka_producer, topic, bodies)

    await replay_dead_letter(
        kafka_bootstrap, to_replay.topic, to_replay.partition, to_replay.offset
    )
    # Its coordinates moved when Bea's was redacted: the operator lists again.
    [cal] = [
        d
        for d in await read_dead_letters(kafka_bootstrap, [f"{topic}.dlt"])
        if d.id == to_discard.id
    ]
    await resolve_dead_letter(kafka_bootstrap, cal.topic, cal.partition, cal.offset, DISCARDED)

    raw = await raw_dead_letter_topic(kafka_bootstrap, topic)
    listed = {d.id: d for d in await read_dead_letters(kafka_bootstrap, [f"{topic}.dlt"])}
    assert b"Bea" not in raw
    assert b"Cal" not in raw
    assert b"900002" not in raw
    assert b"900003" not in raw
    assert b"person.name: missing" in raw  # Ada's letter, still parked, keeps its reason...
    assert raw.count(b"person-key") == 1  # ...and its key; theirs are gone
    assert listed[waiting.id].value == bodies[0]
    assert listed[waiting.id].resolved is None
    for letter, how, body in (
        (to_replay, "replayed", bodies[1]),
        (to_discard, "discarded", bodies[2]),
    ):
        kept = listed[letter.id]
        assert (kept.resolved, kept.value, kept.key, kept.original_headers) == (how, b"", None, [])
        assert (kept.original_topic, kept.original_offset) == (topic, letter.original_offset)
        assert (kept.error_type, kept.reason, kept.failed_at) == (
            "ValidationError",
            "",
            letter.failed_at,
        )
        assert kept.original_sha256 == hashlib.sha256(body).hexdigest()
        assert kept.original_size == len(body)
        assert kept.resolved_at is not None
    # The replayed one went back to its topic once; a resolved one cannot be acted on again.
    on_topic = [
        r.value async for rs in read_to_end(kafka_bootstrap, [topic], client_id="t") for r in rs
    ]
    assert on_topic == [*bodies, bodies[1]]
    again = listed[to_replay.id]
    with pytest.raises(AlreadyResolved):
        await replay_dead_letter(kafka_bootstrap, again.topic, again.partition, again.offset)
    with pytest.raises(AlreadyResolved):
        await resolve_dead_letter(
            kafka_bootstrap, again.topic, again.partition, again.offset, DISCARDED
        )

    # Ada's, replayed last, goes the same way, and the others' records stay.
    ada = listed[waiting.id]
    await replay_dead_letter(kafka_bootstrap, ada.topic, ada.partition, ada.offset)
    raw = await raw_dead_letter_topic(kafka_bootstrap, topic)
    final = await read_dead_letters(kafka_bootstrap, [f"{topic}.dlt"])
    assert b"Ada" not in raw
    assert b"person" not in raw.replace(b"person-key", b"")
    assert sorted((d.id, d.resolved) for d in final) == sorted(
        [(waiting.id, "replayed"), (to_replay.id, "replayed"), (to_discard.id, "discarded")]
    )
