"""Kafka with its security switched on: on a broker of the test's own, every client signs in
(SASL/SCRAM-SHA-512) and may do only what the ACLs grant its user. Intake, with its own
credentials, raises a concern that the partner's user published; the partner's user may only
publish submissions; the operator's user, with the grants `kafka-init` gives it, lists a dead
letter and redacts it (DeleteRecords), which it could not do without Delete; a wrong password is
refused."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from shared.deadletter import DeadLetter, DeadLetters
from shared.events import Envelope
from shared.events.intake import ConcernRaised, SubmissionChannel
from shared.kafka import consumer, producer, reader
from shared.mongo import Client
from shared.ops import DISCARDED, read_dead_letters, resolve_dead_letter
from shared.topics import CONCERN_SUBMISSIONS, INTAKE_EVENTS, OUTCOMES_EVENTS, dead_letter_topic
from tests.integration.intake.conftest import a_submission, kafka_headers, running_intake
from tests.support.secured_kafka import ADMIN, Operation, Resource, SecuredKafka

pytestmark = pytest.mark.integration

INTAKE = "intake"
PARTNER = "partner"
OPS = "ops"
OPS_WITHOUT_DELETE = "ops-without-delete"
PARKED = dead_letter_topic(CONCERN_SUBMISSIONS)
INTAKE_GROUPS = "intake."
"""Intake's consumer group prefix here: its groups and its outbox relay's transactional id
start with it."""


@pytest.fixture(scope="module")
async def secured(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecuredKafka]:
    broker = SecuredKafka(
        Path(tmp_path_factory.mktemp("secured-kafka")),
        [INTAKE, PARTNER, OPS, OPS_WITHOUT_DELETE],
    )
    broker.start()
    try:
        await broker.ready()
        read, write, describe = Operation.READ, Operation.WRITE, Operation.DESCRIBE
        await broker.allow(
            INTAKE,
            [read, describe],
            Resource.TOPIC,
            [CONCERN_SUBMISSIONS, INTAKE_EVENTS, OUTCOMES_EVENTS],
        )
        await broker.allow(
            INTAKE,
            [write, describe],
            Resource.TOPIC,
            [
                INTAKE_EVENTS,
                *(
                    dead_letter_topic(t)
                    for t in (CONCERN_SUBMISSIONS, INTAKE_EVENTS, OUTCOMES_EVENTS)
                ),
            ],
        )
        await broker.allow(INTAKE, [read], Resource.GROUP, [INTAKE_GROUPS], prefixed=True)
        await broker.allow(
            INTAKE, [write, describe], Resource.TRANSACTIONAL_ID, [INTAKE_GROUPS], prefixed=True
        )
        await broker.allow(PARTNER, [write, describe], Resource.TOPIC, [CONCERN_SUBMISSIONS])
        # As infra/compose/create-topics.sh grants the operator (tests/unit/test_compose.py).
        await broker.allow(OPS, [read, write, describe, Operation.DELETE], Resource.TOPIC, [PARKED])
        await broker.allow(OPS, [write, describe], Resource.TOPIC, [CONCERN_SUBMISSIONS])
        await broker.allow(OPS_WITHOUT_DELETE, [read, write, describe], Resource.TOPIC, [PARKED])
        yield broker
    finally:
        broker.stop()


def raised(events: list[Envelope], reference: str) -> list[ConcernRaised]:
    return [
        e.payload
        for e in events
        if isinstance(e.payload, ConcernRaised) and e.payload.partner_reference == reference
    ]


async def test_intake_signed_in_as_itself_raises_a_concern_the_partner_user_published(
    secured: SecuredKafka, mongodb_uri: str, mongo_client: Client
) -> None:
    async with running_intake(
        secured.connection(ADMIN),
        mongodb_uri,
        mongo_client,
        consumer_group_prefix=INTAKE_GROUPS.rstrip("."),
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username=INTAKE,
        kafka_sasl_password=secured.passwords[INTAKE],
    ) as intake:
        body = a_submission()
        reference = str(body["partner_reference"])
        value = json.dumps(body).encode()
        partner = producer(secured.connection(PARTNER), client_id="partner")
        await partner.start()
        try:
            await partner.send_and_wait(
                CONCERN_SUBMISSIONS,
                value,
                key=reference.encode(),
                headers=kafka_headers(intake.agency_a, value),
            )
        finally:
            await partner.stop()

        events = await intake.published(
            lambda es: bool(raised(es, reference)), what="ConcernRaised"
        )

    [concern] = raised(events, reference)
    assert concern.agency == intake.agency_a
    assert concern.submitted_via is SubmissionChannel.KAFKA


async def test_the_partner_user_is_refused_reading_intakes_events(
    secured: SecuredKafka,
) -> None:
    snoop = consumer(
        secured.connection(PARTNER), INTAKE_EVENTS, group_id="partner", client_id="partner"
    )
    try:
        with pytest.raises(TopicAuthorizationFailedError, match=INTAKE_EVENTS):
            await snoop.start()
    finally:
        await snoop.stop()


async def test_the_partner_user_is_refused_writing_intakes_events(secured: SecuredKafka) -> None:
    planter = producer(secured.connection(PARTNER), client_id="partner")
    await planter.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await planter.send_and_wait(INTAKE_EVENTS, b"{}", key=b"a-case")
    finally:
        await planter.stop()


@pytest.mark.parametrize(
    "password",
    [
        pytest.param(lambda s: s.passwords[PARTNER], id="another-users-password"),
        pytest.param(lambda s: s.passwords[INTAKE][:-1], id="one-character-short"),
        pytest.param(lambda s: s.passwords[INTAKE].upper(), id="another-case"),
    ],
)
async def test_a_wrong_password_is_refused(
    secured: SecuredKafka, caplog: pytest.LogCaptureFixture, password: object
) -> None:
    assert callable(password)
    wrong = password(secured)
    assert wrong != secured.passwords[INTAKE]
    impostor = producer(secured.connection(INTAKE, password=wrong), client_id="x")
    try:
        with caplog.at_level(logging.ERROR, logger="aiokafka"):
            with pytest.raises(KafkaConnectionError):
                await impostor.start()
    finally:
        await impostor.stop()
    assert "SaslAuthenticationFailed" in caplog.text
    assert "invalid credentials" in caplog.text


async def a_parked_submission(secured: SecuredKafka, user: str) -> DeadLetter:
    """A submission parked on its dead-letter topic (as a consumer would park it), as `user`
    lists it."""
    as_admin = producer(secured.connection(ADMIN), client_id="admin")
    await as_admin.start()
    try:
        sent = await as_admin.send_and_wait(CONCERN_SUBMISSIONS, b"not a submission", key=b"k")
        read_back = reader(secured.connection(ADMIN), client_id="admin")
        await read_back.start()
        try:
            tp = TopicPartition(CONCERN_SUBMISSIONS, sent.partition)
            read_back.assign([tp])
            read_back.seek(tp, sent.offset)
            batch = await read_back.getmany(tp, timeout_ms=10_000, max_records=1)
        finally:
            await read_back.stop()
        [record] = batch[tp]
        await DeadLetters(as_admin, "intake.concern-submissions").park(
            record, "not an envelope", "DecodeError"
        )
    finally:
        await as_admin.stop()
    [letter] = [
        letter
        for letter in await read_dead_letters(secured.connection(user), [PARKED])
        if (letter.original_partition, letter.original_offset) == (sent.partition, sent.offset)
        and letter.resolved is None
    ]
    return letter


async def start_of(secured: SecuredKafka, letter: DeadLetter) -> int:
    kafka = reader(secured.connection(ADMIN), client_id="admin")
    await kafka.start()
    try:
        tp = TopicPartition(letter.topic, letter.partition)
        return int((await kafka.beginning_offsets([tp]))[tp])
    finally:
        await kafka.stop()


async def test_the_operators_user_lists_a_dead_letter_and_redacts_it_once_discarded(
    secured: SecuredKafka,
) -> None:
    letter = await a_parked_submission(secured, OPS)
    assert letter.value == b"not a submission"

    await resolve_dead_letter(
        secured.connection(OPS), letter.topic, letter.partition, letter.offset, DISCARDED
    )

    assert await start_of(secured, letter) > letter.offset  # the parked copy is deleted
    listed = await read_dead_letters(secured.connection(OPS), [PARKED])
    assert [(x.resolved, x.value) for x in listed if x.id == letter.id] == [(DISCARDED, b"")]


async def test_without_delete_on_the_dead_letter_topic_the_parked_copy_cannot_be_deleted(
    secured: SecuredKafka,
) -> None:
    letter = await a_parked_submission(secured, OPS_WITHOUT_DELETE)

    with pytest.raises(TopicAuthorizationFailedError):
        await resolve_dead_letter(
            secured.connection(OPS_WITHOUT_DELETE),
            letter.topic,
            letter.partition,
            letter.offset,
            DISCARDED,
        )

    assert await start_of(secured, letter) <= letter.offset  # still there, message and all
