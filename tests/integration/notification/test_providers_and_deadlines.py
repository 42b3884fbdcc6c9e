"""Through GOV.UK Notify (the fake, which checks what the real one checks), failures the
practitioner must act on, and steps not told in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from services.notification.application.metrics import INFORMING_OVERDUE
from services.notification.application.overdue import OverdueInforming
from services.notification.domain.informing_record import delivery_reference
from services.notification.settings import NotificationSettings
from shared.events.intake import ContactPoints
from shared.events.notification import (
    Channel,
    InformingOverdue,
    NotificationFailed,
    PersonInformed,
    RecipientRole,
)
from shared.mongo import Client
from tests.integration.notification.conftest import (
    confirm_safe_contact,
    handle_directly,
    publish,
    route,
    running,
)
from tests.support.fake_notify import FakeNotify
from tests.support.polling import eventually
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story


async def test_notify_receives_a_correctly_authenticated_request_for_the_message(
    notify_settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    notify: FakeNotify,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with running(notify_settings, mongo_client) as service:
        await publish(kafka_producer, raised)
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        [informed] = await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="informed"
        )

    reference = delivery_reference(raised.event_id, RecipientRole.PERSON)
    [request] = [r for r in notify.received if r.body.get("reference") == reference]
    # The fake accepted it only with a valid HS256 token, iss = the service id, iat within 30 s.
    assert request.claims["iss"] == notify.service_id
    assert request.kind == "email"
    assert request.body["email_address"] == story.mary_email
    assert (
        request.personalisation["subject"] == "A private message from Worcestershire County Council"
    )
    assert "We call this a safeguarding concern." in str(request.personalisation["body"])
    assert isinstance(informed.payload, PersonInformed)
    assert informed.payload.provider_reference == request.notification_id
    assert smtp.received == []


async def test_a_first_contact_nobody_decided_by_its_deadline_is_reported_overdue_once(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    raised = story.concern_raised(occurred_at=datetime.now(UTC).replace(microsecond=0))
    async with running(settings, mongo_client, start=False) as service:
        # Waiting for a practitioner's safe-contact decision that nobody has made.
        await handle_directly(service, raised)
        later = OverdueInforming(
            client=service.parts.runtime.client,
            store=service.parts.runtime.store,
            decisions=service.parts.decisions,
            clock=lambda: datetime.now(UTC) + timedelta(days=3),
        )
        first = await later.raise_overdue()
        gauge_after_first = INFORMING_OVERDUE._value.get()
        again = await later.raise_overdue()
        overdue = await service.events_of(story.person_id, "InformingOverdue")
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        await service.parts.worker.deliver_due()
        await later.raise_overdue()
        gauge_once_told = INFORMING_OVERDUE._value.get()

    assert (first, again) == (1, 0)
    [event] = overdue
    assert isinstance(event.payload, InformingOverdue)
    assert event.payload.source_event_id == raised.event_id
    assert event.payload.deadline == raised.occurred_at + timedelta(days=2)
    assert gauge_after_first == 1
    assert gauge_once_told == 0


async def test_a_message_refused_and_failing_on_the_fallback_too_is_recorded_as_failed(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    # Email first, text message as the fallback; without Notify no text message can be sent.
    raised = story.concern_raised(
        contact=ContactPoints(email=story.mary_email, phone="07700 900456")
    )
    smtp.refuse_next(1, "550 5.1.1 Mailbox does not exist")
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, raised)
        await confirm_safe_contact(
            service,
            story.person_id,
            story.concern_id,
            route("person", "email"),
            route("person", "sms"),
        )
        await service.parts.worker.deliver_due()
        [failed] = await service.events_of(story.person_id, "NotificationFailed")
        decision = await service.parts.decisions.get(raised.event_id)

    assert isinstance(failed.payload, NotificationFailed)
    assert failed.payload.permanent
    assert failed.payload.fallback_channel_tried is Channel.SMS
    assert "550" in failed.payload.error
    assert "no sender is set up for sms" in failed.payload.error
    assert decision is not None
    assert decision.pending_roles == (RecipientRole.PERSON,)  # not told: it will become overdue
