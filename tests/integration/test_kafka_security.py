"""Kafka with its security switched on: on a broker of the test's own, every client signs in
(SASL/SCRAM-SHA-512) and may do only what the ACLs grant its user. Intake, with its own
credentials, raises a concern that the partner's user published; the partner's user may only
publish submissions; a wrong password is refused."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from shared.events import Envelope
from shared.events.intake import ConcernRaised, SubmissionChannel
from shared.kafka import consumer, producer
from shared.mongo import Client
from shared.topics import CONCERN_SUBMISSIONS, INTAKE_EVENTS, OUTCOMES_EVENTS, dead_letter_topic
from tests.integration.intake.conftest import a_submission, kafka_headers, running_intake
from tests.support.secured_kafka import ADMIN, Operation, Resource, SecuredKafka

pytestmark = pytest.mark.integration

INTAKE = "intake"
PARTNER = "partner"
INTAKE_GROUPS = "intake."
"""Intake's consumer group prefix here: its groups and its outbox relay's transactional id
start with it."""


@pytest.fixture(scope="module")
async def secured(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecuredKafka]:
    broker = SecuredKafka(Path(tmp_path_factory.mktemp("secured-kafka")), [INTAKE, PARTNER])
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
