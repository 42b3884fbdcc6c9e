"""A valid event from intake or outcomes is never lost by notification: a language intake
accepts is one notification records, and a step it cannot handle (whatever the reason) becomes
a practitioner's work item on the person's record as well as a dead letter."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer

from services.notification.application.informing import InformingReaction
from services.notification.settings import NotificationSettings
from shared.deadletter import DeadLetter
from shared.events import Envelope
from shared.events.intake import ConcernRaised
from shared.events.notification import PractitionerContactReason, PractitionerContactRequired
from shared.kafka import read_to_end
from shared.mongo import Client, Session
from shared.topics import INTAKE_EVENTS, dead_letter_topic
from tests.integration.notification.conftest import (
    PublishedEvents,
    confirm_safe_contact,
    mail_to,
    publish,
    route,
    running,
)
from tests.support.polling import eventually
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story


def in_language(raised: Envelope, language: str) -> Envelope:
    concern = raised.payload
    assert isinstance(concern, ConcernRaised)
    communication = concern.communication.model_copy(update={"language": language})
    return raised.model_copy(
        update={"payload": concern.model_copy(update={"communication": communication})}
    )


async def test_a_one_letter_language_that_intake_accepted_is_recorded_and_asks_a_practitioner(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    raised = in_language(story.concern_raised(), "X")
    ConcernRaised.model_validate(raised.payload.model_dump())  # intake's contract takes it
    async with (
        running(settings, mongo_client) as service,
        PublishedEvents(kafka_bootstrap, story.person_id) as published,
    ):
        await publish(kafka_producer, raised)
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        (work,) = await published.until("PractitionerContactRequired")
        preferences = await service.http.get(
            f"/people/{story.person_id}/contact-preferences", headers=service.staff.practitioner
        )

    assert preferences.json()["language"] == "X"
    assert isinstance(work.payload, PractitionerContactRequired)
    assert work.payload.reason is PractitionerContactReason.LANGUAGE_NOT_AVAILABLE
    assert work.payload.source_event_id == raised.event_id
    assert mail_to(smtp, story.mary_email) == [], "no English letter to someone who reads X"
    assert await _dead_letters_of(kafka_bootstrap, raised.event_id) == []


async def test_a_step_notification_cannot_handle_becomes_a_practitioners_work_item(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    story = Story()
    raised = story.concern_raised()
    handle = InformingReaction.handle

    async def fails_on_this_step(
        reaction: InformingReaction, envelope: Envelope, session: Session
    ) -> None:
        if envelope.event_id == raised.event_id:
            raise ValueError(f"a bug that quotes {story.mary_email}")
        await handle(reaction, envelope, session)

    monkeypatch.setattr(InformingReaction, "handle", fails_on_this_step)
    async with (
        running(settings, mongo_client) as service,
        PublishedEvents(kafka_bootstrap, story.person_id) as published,
    ):
        await publish(kafka_producer, raised)
        (work,) = await published.until("PractitionerContactRequired")
        log = await eventually(
            lambda: service.http.get(
                f"/people/{story.person_id}/communications", headers=service.staff.practitioner
            ),
            until=lambda r: r.status_code == 200 and "could not handle this step" in r.text,
            what="the communications log to show the work item",
        )
        parked = await eventually(
            lambda: _dead_letters_of(kafka_bootstrap, raised.event_id),
            what="the step on the dead-letter topic",
        )

    assert isinstance(work.payload, PractitionerContactRequired)
    assert work.payload.reason is PractitionerContactReason.STEP_NOT_HANDLED
    assert work.payload.source_event_id == raised.event_id
    assert work.payload.concern_id == story.concern_id
    assert story.mary_email not in work.payload.detail, "no personal data in the work item"
    assert story.mary_email not in log.text
    (letter,) = parked
    assert letter.reason == "failed 3 times: ValueError"
    assert story.mary_email not in letter.reason


async def _dead_letters_of(bootstrap: str, event_id: str) -> list[DeadLetter]:
    return [
        DeadLetter.from_record(record)
        async for records in read_to_end(
            bootstrap, [dead_letter_topic(INTAKE_EVENTS)], client_id="test-dead-letters"
        )
        for record in records
        if dict(record.headers).get("event_id") == event_id.encode()
    ]
