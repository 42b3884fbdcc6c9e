"""Exactly one PersonInformed per step and recipient, whatever Kafka redelivers and wherever the
service dies: the guarantee the person's record of being informed rests on."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import pytest
from aiokafka import AIOKafkaProducer
from pymongo.errors import AutoReconnect

from services.notification.adapters.delivery import Delivered, OutgoingMessage, Sender
from services.notification.application.delivery_worker import Attempt
from services.notification.domain.informing_record import delivery_reference
from services.notification.domain.safety import Addressee
from services.notification.read_models.deliveries import Delivery, DeliveryStatus
from services.notification.settings import NotificationSettings
from shared.events.intake import ContactPoints, S42Decision
from shared.events.notification import Channel, RecipientRole
from shared.mongo import Client, in_transaction
from tests.integration.notification.conftest import (
    PublishedEvents,
    RunningNotification,
    confirm_safe_contact,
    handle_directly,
    mail_to,
    publish,
    route,
    running,
)
from tests.support.polling import eventually
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story, mary_address


async def test_a_redelivered_event_is_not_sent_twice(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    raised = story.concern_raised()
    decided = story.s42_decision_made(S42Decision.S42_ENQUIRY)
    async with (
        running(settings, mongo_client) as service,
        PublishedEvents(kafka_bootstrap, story.person_id) as published,
    ):
        await publish(kafka_producer, raised)
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        await published.until("PersonInformed")
        # The same event again (the outbox relay died before marking it published), then the
        # concern's next event on the same partition, so it is handled after the copy.
        await publish(kafka_producer, raised)
        await publish(kafka_producer, decided)
        informed = await published.until("PersonInformed", count=2)

    assert sorted(e.payload.source_event_id for e in informed) == sorted(  # type: ignore[attr-defined]
        [raised.event_id, decided.event_id]
    )
    bodies = [m.message.get_content() for m in mail_to(smtp, story.mary_email)]
    assert len(bodies) == 2
    assert sum("We call this a safeguarding concern." in body for body in bodies) == 1
    assert sum("made a decision" in body for body in bodies) == 1


async def test_handling_the_same_event_twice_creates_one_delivery(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, raised)
        await handle_directly(service, raised)
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        await handle_directly(service, raised)
        deliveries = await service.parts.deliveries.for_person(story.person_id)
        preferences = await service.events_of(story.person_id, "ContactPreferencesRecorded")

    assert [d.reference for d in deliveries] == [
        delivery_reference(raised.event_id, RecipientRole.PERSON)
    ]
    assert len(preferences) == 1


async def test_a_worker_killed_between_sending_and_recording_records_the_person_informed_once(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, story.concern_raised())
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        worker = service.parts.worker
        [delivery] = await service.parts.deliveries.for_person(story.person_id)
        # The first worker sends, then dies before its transaction commits.
        sent_before_dying = await worker.attempt(delivery)
        assert isinstance(sent_before_dying, Delivered)
        assert await service.events_of(story.person_id, "PersonInformed") == []
        # Restarted, the worker finds the delivery still pending and sends it again.
        assert await worker.deliver_due() == 1
        # A second worker that was racing the first one records its own send as well.
        await worker.record(delivery, sent_before_dying)
        assert await worker.deliver_due() == 0
        informed = await service.events_of(story.person_id, "PersonInformed")
        finished = await service.parts.deliveries.get(delivery.reference)

    assert len(informed) == 1
    assert finished is not None
    assert finished.status is DeliveryStatus.DELIVERED
    # What the provider saw: the same message twice, recognisable as one by its Message-ID.
    mails = mail_to(smtp, story.mary_email)
    assert len(mails) == 2
    assert mails[0].message["Message-ID"] == mails[1].message["Message-ID"]


async def test_the_print_room_gets_one_letter_however_often_it_is_sent(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(
            service, story.concern_raised(contact=ContactPoints(address=mary_address()))
        )
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "letter")
        )
        worker = service.parts.worker
        [delivery] = await service.parts.deliveries.for_person(story.person_id)
        await worker.attempt(delivery)
        await worker.deliver_due()
        letters = await service.parts.print_queue.waiting()
        informed = await service.events_of(story.person_id, "PersonInformed")

    assert [letter.reference for letter in letters] == [delivery.reference]
    assert len(informed) == 1


async def test_a_message_the_provider_accepted_is_not_sent_again_when_recording_it_fails(
    settings: NotificationSettings,
    mongo_client: Client,
    smtp: RunningSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, story.concern_raised())
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        worker = service.parts.worker
        worker.lease_seconds = 0.5
        record = worker.record
        failures: list[str] = []

        async def fails_once(delivery: Delivery, attempt: Attempt) -> None:
            if not failures:
                failures.append(delivery.reference)
                raise AutoReconnect("the database went away while recording")
            await record(delivery, attempt)

        monkeypatch.setattr(worker, "record", fails_once)
        assert await worker.deliver_due() == 1
        assert await service.events_of(story.person_id, "PersonInformed") == []
        await eventually(worker.deliver_due, until=lambda n: n == 1, what="the claim to lapse")
        informed = await service.events_of(story.person_id, "PersonInformed")

    assert failures
    assert len(informed) == 1
    assert len(mail_to(smtp, story.mary_email)) == 1, "sent once, recorded on the second attempt"


class HeldUp:
    """A sender whose provider takes as long as the test says."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, message: OutgoingMessage, recipient: Addressee) -> str:
        self.started.set()
        await self.release.wait()
        return await self.sender.send(message, recipient)


async def test_a_claim_is_renewed_while_its_worker_is_still_sending(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, story.concern_raised())
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        slow = HeldUp(service.parts.senders.by_channel[Channel.EMAIL])
        first = dataclasses.replace(
            service.parts.worker, senders={Channel.EMAIL: slow}, lease_seconds=1.2, worker_id="a"
        )
        second = dataclasses.replace(service.parts.worker, lease_seconds=1.2, worker_id="b")
        sending = asyncio.create_task(first.deliver_due())
        await slow.started.wait()
        # Three leases later the first worker is still at it; its claim must still hold.
        for _ in range(3):
            await asyncio.sleep(1.2)
            assert await second.deliver_due() == 0
        slow.release.set()
        assert await sending == 1
        assert await second.deliver_due() == 0
        informed = await service.events_of(story.person_id, "PersonInformed")

    assert len(informed) == 1
    assert len(mail_to(smtp, story.mary_email)) == 1


async def raised_and_safe_to_email(service: RunningNotification, stories: list[Story]) -> None:
    """Each story's concern raised, and an email to the person confirmed safe."""
    for story in stories:
        await handle_directly(service, story.concern_raised())
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )


class CountsInFlight:
    """A sender that counts the messages being sent at once. The first waits (up to 10 s) for
    `enough` to be in flight together, so a worker that sends one at a time shows as one."""

    def __init__(self, sender: Sender, enough: int) -> None:
        self.sender = sender
        self.enough = enough
        self.in_flight = 0
        self.most_in_flight = 0
        self.together = asyncio.Event()

    async def send(self, message: OutgoingMessage, recipient: Addressee) -> str:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= self.enough:
            self.together.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.together.wait(), 10)
            return await self.sender.send(message, recipient)
        finally:
            self.in_flight -= 1


async def test_a_batch_of_deliveries_is_sent_side_by_side_within_the_bound(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    stories = [Story() for _ in range(6)]
    async with running(settings, mongo_client, start=False) as service:
        await raised_and_safe_to_email(service, stories)
        counting = CountsInFlight(service.parts.senders.by_channel[Channel.EMAIL], enough=2)
        worker = dataclasses.replace(
            service.parts.worker, senders={Channel.EMAIL: counting}, batch_size=6, concurrency=2
        )
        assert await worker.deliver_due() == 6
        informed = [await service.events_of(story.person_id, "PersonInformed") for story in stories]

    assert counting.most_in_flight == 2
    assert [len(events) for events in informed] == [1] * 6
    assert [len(mail_to(smtp, story.mary_email)) for story in stories] == [1] * 6


async def test_workers_claiming_at_the_same_moment_share_the_deliveries_out_none_twice(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    stories = [Story() for _ in range(7)]
    async with running(settings, mongo_client, start=False) as service:
        await raised_and_safe_to_email(service, stories)
        workers = [
            dataclasses.replace(service.parts.worker, batch_size=3, worker_id=name)
            for name in ("a", "b", "c")
        ]
        handled = 0
        while any(rounds := await asyncio.gather(*(w.deliver_due() for w in workers))):
            handled += sum(rounds)
        informed = [await service.events_of(story.person_id, "PersonInformed") for story in stories]

    assert handled == 7
    assert [len(events) for events in informed] == [1] * 7
    assert [len(mail_to(smtp, story.mary_email)) for story in stories] == [1] * 7


async def test_a_batch_holding_the_same_steps_twice_decides_and_delivers_each_once(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story, other = Story(), Story()
    raised, decided = story.concern_raised(), story.s42_decision_made(S42Decision.S42_ENQUIRY)
    async with running(settings, mongo_client, start=False) as service:
        reaction = service.parts.reaction
        batch = [raised, other.concern_raised(), raised, decided, decided]
        await in_transaction(service.parts.runtime.client, lambda s: reaction.apply(batch, s))
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        # The whole batch again, as after a crash before the offsets were committed.
        await in_transaction(service.parts.runtime.client, lambda s: reaction.apply(batch, s))
        deliveries = await service.parts.deliveries.for_person(story.person_id)
        decisions = await service.parts.decisions.for_person(story.person_id)
        preferences = await service.events_of(story.person_id, "ContactPreferencesRecorded")
        others = await service.parts.decisions.for_person(other.person_id)

    assert sorted(d.reference for d in deliveries) == sorted(
        delivery_reference(e.event_id, RecipientRole.PERSON) for e in (raised, decided)
    )
    assert sorted(d.source_event_id for d in decisions) == sorted(
        [raised.event_id, decided.event_id]
    )
    assert len(preferences) == 1
    assert [d.source_event_id for d in others] == [batch[1].event_id]
