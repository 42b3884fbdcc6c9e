"""Submissions that once stopped Kafka intake for everyone: one gzip-compressed 5 MB submission,
one with 7,000 unknown keys, one nested thousands deep. Each is parked on the dead-letter topic
and the valid concerns behind them are raised within seconds; a worker that does get stuck
makes /health say so, with its lag, until it moves on."""

from __future__ import annotations

import json
import time

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from shared.deadletter import DeadLetter
from shared.events.intake import ConcernRaised
from shared.limits import DEAD_LETTER_KEPT_BYTES, MAX_LISTED_PROBLEMS, MAX_REASON_CHARS
from shared.metrics import CONSUMER_LAG
from shared.mongo import Client
from shared.topics import CONCERN_SUBMISSIONS, dead_letter_topic
from tests.conftest import NewTopicFactory
from tests.integration.intake.conftest import (
    Intake,
    a_submission,
    kafka_headers,
    running_intake,
)
from tests.support.polling import eventually

SECONDS = 30.0
"""Ample on a shared two-core machine; the old behaviour took 9.5 minutes and then only by hand."""


async def test_poison_submissions_are_parked_and_the_concerns_behind_them_are_raised_in_seconds(
    intake: Intake, kafka_bootstrap: str, kafka_producer: AIOKafkaProducer
) -> None:
    huge = a_submission(**{"what_happened.description": "shouting " * 600_000})  # ~5 MiB
    unknown_keys = {**a_submission(), **{f"unknown_{i}": i for i in range(7000)}}
    nested = b'{"partner_reference": "DEEP-1", "person": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    poison_key = b"one-partition"
    gzip = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, compression_type="gzip", max_request_size=16 * 2**20
    )
    await gzip.start()
    try:
        for value in (json.dumps(huge).encode(), json.dumps(unknown_keys).encode(), nested):
            await gzip.send_and_wait(
                CONCERN_SUBMISSIONS,
                value,
                key=poison_key,
                headers=kafka_headers(intake.agency_a, value),
            )
    finally:
        await gzip.stop()
    valid = [a_submission() for _ in range(6)]
    started = time.monotonic()
    for number, body in enumerate(valid):
        # Half behind the poison on its partition, half on whatever partitions their keys pick.
        key = poison_key if number % 2 else str(body["partner_reference"]).encode()
        value = json.dumps(body).encode()
        await kafka_producer.send_and_wait(
            CONCERN_SUBMISSIONS, value, key=key, headers=kafka_headers(intake.agency_a, value)
        )

    raised = await intake.published(
        lambda es: len([e for e in es if isinstance(e.payload, ConcernRaised)]) >= 6,
        what="the six valid concerns",
    )
    assert time.monotonic() - started < SECONDS
    assert {
        e.payload.partner_reference for e in raised if isinstance(e.payload, ConcernRaised)
    } == {body["partner_reference"] for body in valid}
    parked = [
        DeadLetter.from_record(r)
        for r in await intake.refused.read_until(lambda rs: len(rs) >= 3, what="three dead letters")
    ]
    too_large, many_keys, deep = sorted(parked, key=lambda d: d.original_offset)
    assert too_large.truncated
    assert too_large.error_type == "MessageTooLarge"
    assert too_large.original_size == len(json.dumps(huge).encode())
    assert len(too_large.value) == DEAD_LETTER_KEPT_BYTES
    assert many_keys.error_type == "DecodeError"
    assert len(many_keys.reason) <= MAX_REASON_CHARS
    assert "unknown_0: is not a field here" in many_keys.reason
    assert deep.error_type == "DecodeError"
    assert deep.value == nested

    rejected = await eventually(
        lambda: intake.http.get(
            "/partner/rejected-submissions", headers=intake.as_partner(intake.agency_a)
        ),
        until=lambda r: r.status_code == 200 and len(r.json()) >= 3,
        what="the partner to see the three refusals",
    )
    reasons = {len(r["reasons"]) for r in rejected.json()}
    assert max(reasons) == MAX_LISTED_PROBLEMS + 1
    assert (await intake.http.get("/health")).status_code == 200


async def test_a_worker_stuck_on_a_message_makes_health_503_with_its_lag_until_it_moves_on(
    kafka_bootstrap: str,
    mongodb_uri: str,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        # The dead-letter topic is gone (deleted by mistake): nothing can be parked.
        await admin.delete_topics([dead_letter_topic(topic)])
        async with running_intake(
            kafka_bootstrap,
            mongodb_uri,
            mongo_client,
            submissions_topic=topic,
            worker_stuck_after_seconds=1.0,
        ) as intake:
            group = intake.settings.consumer_group("concern-submissions")
            await kafka_producer.send_and_wait(
                topic, b"not json", headers=kafka_headers(intake.agency_a, b"not json")
            )
            for body in (a_submission(), a_submission()):
                value = json.dumps(body).encode()
                await kafka_producer.send_and_wait(
                    topic, value, headers=kafka_headers(intake.agency_a, value)
                )

            stuck = await eventually(
                lambda: intake.http.get("/health"),
                until=lambda r: r.status_code == 503,
                what="/health to report the stuck worker",
            )
            assert stuck.json()["checks"]["workers"] is False
            assert stuck.json()["workers"]["concern-submissions"]["stuck"] is True
            assert stuck.json()["checks"]["database"]
            assert stuck.json()["checks"]["broker"]
            await eventually(
                lambda: _lag(group, topic),
                until=lambda n: n == 3,
                what="the lag to count the stuck message and the two behind it",
            )

            await _create_until_it_exists(admin, dead_letter_topic(topic))
            await intake.published(
                lambda es: len([e for e in es if isinstance(e.payload, ConcernRaised)]) >= 2,
                what="the two valid concerns behind the stuck message",
            )
            ready = await eventually(
                lambda: intake.http.get("/health"),
                until=lambda r: r.status_code == 200,
                what="/health to be ready again",
            )
            assert ready.json()["workers"]["concern-submissions"]["stuck"] is False
            assert ready.json()["workers"]["outbox-purge"]["stuck"] is False
            await eventually(lambda: _lag(group, topic), until=lambda n: n == 0, what="no lag")
    finally:
        await admin.close()


async def _lag(group: str, topic: str) -> float:
    return float(CONSUMER_LAG.labels(group, topic, "0")._value.get())


async def _create_until_it_exists(admin: AIOKafkaAdminClient, topic: str) -> None:
    """Create a topic whose deletion may still be under way."""

    async def created() -> bool:
        try:
            await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        except KafkaError:
            return False
        return True

    await eventually(created, what=f"{topic} to exist again")
