"""The delivery worker records a claimed batch's results in one transaction, and what it records
is what recording each alone would: one PersonInformed per recipient, each delivery finished, each
step dealt with, an event recorded before (a retry after a crash) not recorded again, and a
withholding of one step for two recipients recorded once. Against the real MongoDB-wire server
and mail server."""

from __future__ import annotations

from datetime import date

from services.notification.application.delivery_worker import Attempt, WithheldNow
from services.notification.read_models.deliveries import Delivery, DeliveryStatus
from services.notification.settings import NotificationSettings
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import InformingWithheld, WithholdingReason
from shared.mongo import Client
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
