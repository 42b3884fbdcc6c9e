"""A concern moved to another person, on the real servers: the message still waiting about it
never goes, and nothing else of hers changes. Her message about another concern of her own, a
near miss for the person alone or the concern alone, is still sent."""

from __future__ import annotations

import uuid

from services.notification.read_models.decisions import DecisionOutcome
from services.notification.read_models.deliveries import DeliveryStatus
from services.notification.settings import NotificationSettings
from shared.mongo import Client
from tests.integration.notification.conftest import (
    confirm_safe_contact,
    handle_directly,
    route,
    running,
)
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story


async def test_only_the_moved_concerns_message_stops_and_her_other_concerns_message_goes(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    moved, kept = Story(), Story()
    kept.person_id = moved.person_id  # two concerns about her
    async with running(settings, mongo_client, start=False) as service:
        for story in (moved, kept):
            await handle_directly(service, story.concern_raised())
            await confirm_safe_contact(
                service, story.person_id, story.concern_id, route("person", "email")
            )
        await handle_directly(service, moved.linked_by_hand(to=f"person-{uuid.uuid4()}"))
        after_the_move = {
            d.concern_id: d.status
            for d in await service.parts.deliveries.for_person(moved.person_id)
        }
        sent = await service.parts.worker.deliver_due()
        after_sending = {
            d.concern_id: d.status
            for d in await service.parts.deliveries.for_person(moved.person_id)
        }
        decisions = await service.parts.decisions.for_person(moved.person_id)

    assert after_the_move == {
        moved.concern_id: DeliveryStatus.MOVED,
        kept.concern_id: DeliveryStatus.PENDING,
    }
    assert sent == 1
    assert after_sending == {
        moved.concern_id: DeliveryStatus.MOVED,
        kept.concern_id: DeliveryStatus.DELIVERED,
    }
    # Her contact details are hers, whichever concern gave them: the one message is about the
    # concern still hers.
    [mail] = smtp.received
    text = mail.message.as_string()
    assert kept.reference in text
    assert moved.reference not in text
    assert DecisionOutcome.MOVED not in {
        d.outcome for d in decisions if d.concern_id == kept.concern_id
    }
