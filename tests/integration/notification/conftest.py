"""The notification service in-process against the real Kafka and MongoDB, with the real local
SMTP server and the fake GOV.UK Notify; each test gets its own database and consumer groups."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.notification.adapters.delivery import RetryPolicy
from services.notification.app import Notification, build_service
from services.notification.application.informing import InformingReaction
from services.notification.settings import NotificationSettings
from shared.erasure import ErasureReaction
from shared.events import Envelope, encode, kafka_headers
from shared.events.notification import informing_stream
from shared.kafka import consumer
from shared.mongo import Client, in_transaction
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS, OUTCOMES_EVENTS, PARTITIONS
from tests.support.fake_notify import TEST_API_KEY, TEST_TEMPLATES, FakeNotify, running_fake_notify
from tests.support.keys import opened
from tests.support.polling import eventually
from tests.support.smtp_server import ReceivedMail, RunningSmtpServer, running_smtp_server
from tests.support.staff import Staff, identity_settings

FAST_RETRIES = RetryPolicy(attempts=2, first_delay_seconds=0.01, max_delay_seconds=0.02)


@pytest.fixture
def smtp() -> Iterator[RunningSmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with running_fake_notify() as fake:
        yield fake


@pytest.fixture
def settings(
    kafka_bootstrap: str, mongodb_uri: str, smtp: RunningSmtpServer
) -> NotificationSettings:
    tag = uuid.uuid4().hex[:10]
    return NotificationSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        mongodb_uri=mongodb_uri,
        mongodb_database=f"notification_test_{tag}",
        consumer_group_prefix=f"test-{tag}",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="messages@worcestershire.example",
        council_name="Worcestershire County Council",
        council_contact_team="the adult safeguarding team",
        council_contact_details="01905 000000",
        delivery_interval_seconds=0.05,
        overdue_interval_seconds=3600,
        **identity_settings(),
    )


@pytest.fixture
def notify_settings(settings: NotificationSettings, notify: FakeNotify) -> NotificationSettings:
    return settings.model_copy(
        update={
            "notify_api_key": TEST_API_KEY,
            "notify_base_url": notify.base_url,
            "notify_email_template_id": TEST_TEMPLATES.email,
            "notify_sms_template_id": TEST_TEMPLATES.sms,
            "notify_letter_template_id": TEST_TEMPLATES.letter,
        }
    )


@dataclass
class RunningNotification:
    parts: Notification
    http: httpx.AsyncClient
    staff: Staff
    """Staff tokens from the real Keycloak, to call the API with."""

    async def stream(self, person_id: str) -> list[Envelope]:
        return await self.parts.runtime.store.load(informing_stream(person_id))

    async def events_of(self, person_id: str, event_type: str) -> list[Envelope]:
        return [e for e in await self.stream(person_id) if e.event_type == event_type]


@contextlib.asynccontextmanager
async def running(
    settings: NotificationSettings, mongo_client: Client, *, start: bool = True
) -> AsyncIterator[RunningNotification]:
    """The service with its consumers and workers running (or, with start=False, only its
    parts, for a test that drives them step by step)."""
    app, parts = build_service(settings, retry=FAST_RETRIES)
    if start:
        await _skip_earlier_events(settings)
        await parts.runtime.start()
    else:
        await parts.runtime.store.ensure_indexes()
        await parts.ensure_indexes()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notification"
        ) as http:
            yield RunningNotification(parts, http, await Staff.signed_in())
    finally:
        await parts.runtime.stop()
        await parts.senders.aclose()
        await mongo_client.drop_database(settings.mongodb_database)


async def _skip_earlier_events(settings: NotificationSettings) -> None:
    """Start the test's consumer groups at the end of the system topics: other tests' events are
    no business of this one, and reading them all would only make every test slower."""
    for handler in (InformingReaction, ErasureReaction):
        kafka = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=settings.consumer_group(handler.name),
            enable_auto_commit=False,
        )
        await kafka.start()
        try:
            partitions = [
                TopicPartition(topic, partition)
                for topic in handler.topics
                for partition in range(PARTITIONS)
            ]
            kafka.assign(partitions)
            ends = await kafka.end_offsets(partitions)
            await kafka.commit({tp: offset for tp, offset in ends.items()})
        finally:
            await kafka.stop()


async def handle_directly(service: RunningNotification, envelope: Envelope) -> None:
    """What the consumer does with one event, in its own transaction."""
    reaction = service.parts.reaction
    await in_transaction(service.parts.runtime.client, lambda s: reaction.apply([envelope], s))


async def publish(producer: AIOKafkaProducer, envelope: Envelope) -> None:
    """Publish an event as its owning service's outbox relay would."""
    topic = OUTCOMES_EVENTS if envelope.stream_id.startswith("case-") else INTAKE_EVENTS
    await producer.send_and_wait(
        topic,
        encode(envelope),
        key=envelope.stream_id.encode(),
        headers=kafka_headers(envelope),
    )


def mail_to(smtp: RunningSmtpServer, address: str) -> list[ReceivedMail]:
    return [m for m in smtp.received if address in m.rcpt_tos]


class PublishedEvents:
    """Reads the notification events topic, keeping what concerns one person."""

    def __init__(self, bootstrap: str, person_id: str) -> None:
        self.stream_id = informing_stream(person_id)
        self.reader = consumer(
            bootstrap,
            NOTIFICATION_EVENTS,
            group_id=f"reader-{uuid.uuid4().hex[:8]}",
            client_id="test-reader",
        )
        self.seen: list[Envelope] = []

    async def __aenter__(self) -> PublishedEvents:
        await self.reader.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.reader.stop()

    async def _read(self) -> list[Envelope]:
        batches = await self.reader.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                if record.key == self.stream_id.encode() and record.value is not None:
                    self.seen.append(opened(record.value))
        return self.seen

    async def until(self, event_type: str, count: int = 1) -> list[Envelope]:
        def enough(seen: list[Envelope]) -> bool:
            return len([e for e in seen if e.event_type == event_type]) >= count

        seen = await eventually(
            self._read, until=enough, timeout=45, what=f"{event_type} published"
        )
        return [e for e in seen if e.event_type == event_type]


Route = dict[str, object]


def route(role: str, channel: str, *despite: str) -> Route:
    return {"role": role, "channel": channel, "despite": list(despite)}


async def case_reached(service: RunningNotification, case_id: str) -> httpx.Response:
    """Whose case this is, once the case has reached notification."""

    async def read() -> httpx.Response:
        return await service.http.get(
            f"/people/by-case/{case_id}", headers=service.staff.practitioner
        )

    return await eventually(read, until=lambda r: r.status_code == 200, what="the case")


async def waiting_for_safe_contact(service: RunningNotification, person_id: str) -> list[object]:
    response = await service.http.get(
        f"/people/{person_id}/safe-contact", headers=service.staff.practitioner
    )
    if response.status_code != 200:
        return []
    waiting: list[object] = response.json()["waiting"]
    return waiting


async def decide_safe_contact(
    service: RunningNotification, person_id: str, concern_id: str, *routes: Route
) -> httpx.Response:
    """What a practitioner does before anything about a concern is sent: once the concern has
    reached notification (its first step is waiting), confirm routes as safe."""
    await eventually(
        lambda: waiting_for_safe_contact(service, person_id),
        what="the first contact to wait for a safe-contact decision",
    )
    return await service.http.post(
        f"/people/{person_id}/safe-contact",
        json={"concern_id": concern_id, "routes": list(routes)},
        headers=service.staff.practitioner,
    )


async def confirm_safe_contact(
    service: RunningNotification, person_id: str, concern_id: str, *routes: Route
) -> None:
    response = await decide_safe_contact(service, person_id, concern_id, *routes)
    assert response.status_code == 201, response.text
