"""The delivery worker checks the deliveries it sends at once together, and records a claimed
batch's results in one transaction, and what it records is what recording each alone would: one
PersonInformed per recipient, each delivery finished, each step dealt with, an event recorded
before (a retry after a crash) not recorded again, and a withholding of one step for two
recipients recorded once. A person's next message is still checked only once the one before it
went, and one that cannot be checked holds up no other. Providers' acceptances of messages that
end together are kept with one write, and a write that fails fails each acceptance it carried,
holding up none. Against the real MongoDB-wire server and mail server."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import date, timedelta

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from services.notification.adapters.delivery import OutgoingMessage, Sender
from services.notification.application.delivery_worker import (
    AcceptanceNotKept,
    Acceptances,
    Attempt,
    WithheldNow,
)
from services.notification.domain.safety import Addressee
from services.notification.read_models.deliveries import Deliveries, Delivery, DeliveryStatus
from services.notification.settings import NotificationSettings
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import (
    Channel,
    InformingWithheld,
    WithholdingReason,
    informing_stream,
)
from shared.mongo import Client, Database
from tests.integration.notification.conftest import (
    RunningNotification,
    confirm_safe_contact,
    handle_directly,
    mail_to,
    route,
    running,
)
from tests.support.metrics import commands_counted
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story


def commits() -> float:
    return commands_counted("commitTransaction")


async def people_waiting(service: RunningNotification, count: int) -> list[Story]:
    stories = [Story() for _ in range(count)]
    for story in stories:
        await handle_directly(service, story.concern_raised())
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
    return stories


async def test_a_batch_is_recorded_in_one_transaction_as_each_alone_would_be(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    async with running(settings, mongo_client, start=False) as service:
        stories = await people_waiting(service, 6)
        before = commits()

        assert await service.parts.worker.deliver_due() == 6

        # The claim, and the batch's recording: not one transaction per delivery.
        assert commits() - before <= 2
        for story in stories:
            informed = await service.events_of(story.person_id, "PersonInformed")
            assert len(informed) == 1
            [delivery] = await service.parts.deliveries.for_person(story.person_id)
            assert delivery.status is DeliveryStatus.DELIVERED
            [decision] = await service.parts.decisions.for_person(story.person_id)
            assert decision.pending_roles == ()
            assert len(mail_to(smtp, story.mary_email)) == 1
        assert await service.parts.worker.deliver_due() == 0


async def test_a_batch_recorded_again_records_nothing_twice(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    async with running(settings, mongo_client, start=False) as service:
        stories = await people_waiting(service, 3)
        worker = service.parts.worker
        deliveries = [(await service.parts.deliveries.for_person(s.person_id))[0] for s in stories]
        attempts: list[Attempt] = [await worker.attempt_and_keep(d) for d in deliveries]
        # The first was recorded before (a worker that recorded it, then died).
        await worker.record(deliveries[0], attempts[0])
        # A withholding of one step, seen by two of its recipients in one batch.
        withheld = InformingWithheld(
            person_id=stories[2].person_id,
            source_event_id=deliveries[2].source_event_id,
            source_event_type=deliveries[2].source_event_type,
            reason=WithholdingReason.RISK_TO_PERSON,
            reason_text="Her son reads her post.",
            review_date=date(2027, 1, 4),
            decided_by=SYSTEM_ACTOR,
        )
        batch: list[tuple[Delivery, Attempt]] = [
            (deliveries[0], attempts[0]),
            (deliveries[1], attempts[1]),
            (deliveries[2], WithheldNow(withheld, withheld)),
            (deliveries[2], WithheldNow(withheld, withheld)),
        ]

        await worker.record_all(batch)

        for story in stories[:2]:
            assert len(await service.events_of(story.person_id, "PersonInformed")) == 1
        assert len(await service.events_of(stories[2].person_id, "InformingWithheld")) == 1
        finished = [await service.parts.deliveries.get(d.reference) for d in deliveries]
        assert [f.status if f else None for f in finished] == [
            DeliveryStatus.DELIVERED,
            DeliveryStatus.DELIVERED,
            DeliveryStatus.WITHHELD,
        ]


async def test_deliveries_sent_at_once_are_checked_with_one_look_up_of_each_kind(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    async with running(settings, mongo_client, start=False) as service:
        stories = await people_waiting(service, 6)
        concerns_before = commands_counted("find", "concerns")

        assert await service.parts.worker.deliver_due() == 6

        # Six deliveries start together: their concerns are read once for all six.
        assert commands_counted("find", "concerns") - concerns_before == 1
        for story in stories:
            assert len(await service.events_of(story.person_id, "PersonInformed")) == 1
            assert len(mail_to(smtp, story.mary_email)) == 1


async def test_a_delivery_that_cannot_be_checked_holds_up_none_started_with_it(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    async with running(settings, mongo_client, start=False) as service:
        broken, *others = await people_waiting(service, 3)
        # An event on the first person's informing stream that no version of ours could read.
        await service.parts.runtime.store.events.insert_one(
            {
                "_id": str(uuid.uuid4()),
                "stream_id": informing_stream(broken.person_id),
                "stream_version": 99,
                "event_type": "PersonInformed",
                "payload": {},
            }
        )

        assert await service.parts.worker.deliver_due() == 3
        [unsent] = await service.parts.deliveries.for_person(broken.person_id)

    assert unsent.status is DeliveryStatus.PENDING
    assert mail_to(smtp, broken.mary_email) == []
    for story in others:
        assert len(mail_to(smtp, story.mary_email)) == 1


class WithholdsAfterTheFirst:
    """A sender that sends, and after its first message a practitioner withholds everything
    about the person (the police have asked that she is not told more yet)."""

    def __init__(self, sender: Sender, service: RunningNotification, person_id: str) -> None:
        self.sender = sender
        self.service = service
        self.person_id = person_id
        self.sent = 0

    async def send(self, message: OutgoingMessage, recipient: Addressee) -> str:
        reference = await self.sender.send(message, recipient)
        self.sent += 1
        if self.sent == 1:
            response = await self.service.http.post(
                f"/people/{self.person_id}/withholdings",
                json={
                    "reason": "police_investigation",
                    "reason_text": "Police ask that she is not told more until they have "
                    "spoken to her son.",
                    "review_date": (date.today() + timedelta(days=14)).isoformat(),
                },
                headers=self.service.staff.practitioner,
            )
            assert response.status_code == 201, response.text
        return reference


async def test_a_persons_next_message_is_checked_after_the_one_before_it_went(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    async with running(settings, mongo_client, start=False) as service:
        [story] = await people_waiting(service, 1)
        await handle_directly(service, story.s42_decision_made())
        assert len(await service.parts.deliveries.for_person(story.person_id)) == 2
        withholding = WithholdsAfterTheFirst(
            service.parts.senders.by_channel[Channel.EMAIL], service, story.person_id
        )
        worker = dataclasses.replace(service.parts.worker, senders={Channel.EMAIL: withholding})

        assert await worker.deliver_due() == 2
        first, second = await service.parts.deliveries.for_person(story.person_id)

    assert withholding.sent == 1
    assert len(mail_to(smtp, story.mary_email)) == 1
    assert first.status is DeliveryStatus.DELIVERED
    assert second.status is DeliveryStatus.WITHHELD


class EndingTogether:
    """A sender whose messages all end together: each is sent, and answered once `count` have
    been sent."""

    def __init__(self, sender: Sender, count: int) -> None:
        self.sender = sender
        self.count = count
        self.sent = 0
        self.all_sent = asyncio.Event()

    async def send(self, message: OutgoingMessage, recipient: Addressee) -> str:
        reference = await self.sender.send(message, recipient)
        self.sent += 1
        if self.sent == self.count:
            self.all_sent.set()
        await self.all_sent.wait()
        return reference


async def test_acceptances_of_messages_ending_together_are_kept_with_one_write(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    async with running(settings, mongo_client, start=False) as service:
        stories = await people_waiting(service, 6)
        together = EndingTogether(service.parts.senders.by_channel[Channel.EMAIL], 6)
        worker = dataclasses.replace(service.parts.worker, senders={Channel.EMAIL: together})
        before = commands_counted("update", "deliveries")

        assert await worker.deliver_due() == 6

        # The claim, the first acceptance alone (its write starts at once), the five that ended
        # while it was under way in one write, and the recording: not one write per message.
        assert commands_counted("update", "deliveries") - before == 4
        for story in stories:
            [delivery] = await service.parts.deliveries.for_person(story.person_id)
            assert delivery.status is DeliveryStatus.DELIVERED
            assert delivery.provider_reference is not None
            assert delivery.accepted_at is not None
            assert delivery.body is None
            assert len(mail_to(smtp, story.mary_email)) == 1


async def test_a_failed_write_of_acceptances_fails_each_it_carried(database: Database) -> None:
    deliveries = Deliveries(database)
    await deliveries.collection.insert_many(
        [{"_id": f"d{n}", "status": "pending"} for n in range(6)]
    )
    accepted = [
        UpdateOne({"_id": f"d{n}"}, {"$set": {"provider_reference": f"p{n}"}}) for n in range(6)
    ]
    # One the server refuses: setting and removing the same field.
    accepted[3] = UpdateOne(
        {"_id": "d3"}, {"$set": {"provider_reference": "p3"}, "$unset": {"provider_reference": ""}}
    )
    acceptances = Acceptances(deliveries)

    async with asyncio.timeout(30):  # none is left waiting
        outcomes = await asyncio.gather(
            *(acceptances.keep(change) for change in accepted), return_exceptions=True
        )

    # The first is written alone; the other five come while it is under way and go together,
    # and that write fails: the one that wrote it sees the server's error, the rest are told
    # theirs was not kept.
    assert outcomes[0] is None
    assert isinstance(outcomes[1], BulkWriteError)
    assert all(isinstance(outcome, AcceptanceNotKept) for outcome in outcomes[2:])
    first = await deliveries.collection.find_one({"_id": "d0"})
    assert first is not None
    assert first["provider_reference"] == "p0"
