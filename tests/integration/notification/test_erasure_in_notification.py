"""Notification's reaction to a person's erasure, on the real servers: a message still waiting
for her is never sent, a letter not yet printed is never printed, and what stays are references
(decisions keep their kind and dates, no message text)."""

from __future__ import annotations

from services.notification.read_models.decisions import DecisionOutcome
from services.notification.read_models.deliveries import MESSAGE_FIELDS, DeliveryStatus
from services.notification.settings import NotificationSettings
from shared.events import Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ErasureReason, PersonErased
from shared.events.notification import informing_stream
from shared.mongo import Client, Document, in_transaction
from tests.integration.notification.conftest import RunningNotification, mail_to, running
from tests.integration.notification.test_keeping_a_reference import (
    a_letter_in_the_print_queue,
    a_message_waiting,
)
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story


async def she_is_erased(service: RunningNotification, story: Story) -> None:
    """As intake erases her: her keys destroyed, then PersonErased handled here."""
    subjects = [story.concern_id, informing_stream(story.person_id)]
    keyring = service.parts.runtime.store.keyring
    assert keyring is not None
    await keyring.destroy(subjects)
    erased = Envelope.record(
        PersonErased(
            person_id=story.person_id,
            concern_ids=[story.concern_id],
            subjects_destroyed=subjects,
            reason_kind=ErasureReason.SUBJECT_REQUEST,
            reason="She asked us to erase her record.",
            erased_by_role=SYSTEM_ACTOR.role,
        ),
        stream_id=story.person_id,
        stream_version=1,
        metadata=Metadata(actor=SYSTEM_ACTOR, correlation_id=story.correlation_id),
    )
    erasure = service.parts.erasure
    for _ in range(2):  # a redelivery changes nothing more
        await in_transaction(service.parts.runtime.client, lambda s: erasure.apply([erased], s))


async def documents(service: RunningNotification, collection: str, story: Story) -> list[Document]:
    database = service.parts.runtime.database
    return await database[collection].find({"person_id": story.person_id}).to_list()


async def test_a_message_waiting_for_her_is_never_sent_after_she_is_erased(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        pending = await a_message_waiting(service, story, "email")
        await she_is_erased(service, story)
        sent = await service.parts.worker.deliver_due()
        [delivery] = await documents(service, "deliveries", story)
        decisions = await documents(service, "informing_decisions", story)
        [person] = (
            await service.parts.runtime.database["people"].find({"_id": story.person_id}).to_list()
        )

    assert sent == 0
    assert smtp.received == []
    assert delivery["_id"] == pending.reference
    assert delivery["status"] == DeliveryStatus.ERASED.value
    assert [field for field in MESSAGE_FIELDS if field in delivery] == []
    assert story.mary_email not in repr(delivery)
    assert decisions
    assert all(d["facts"] is None and d["pending_roles"] == [] for d in decisions)
    assert {d["outcome"] for d in decisions} <= {
        DecisionOutcome.ERASED.value,
        DecisionOutcome.NOT_TOLD.value,
    }
    assert all(d["occurred_at"] and d["source_event_type"] for d in decisions)
    assert person["name"] == "erased"


async def test_a_letter_waiting_for_the_print_room_is_withdrawn_when_she_is_erased(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        pending = await a_letter_in_the_print_queue(service, story)
        queue = service.parts.print_queue
        assert [letter.reference for letter in await queue.waiting()] == [pending.reference]

        await she_is_erased(service, story)
        waiting = await queue.waiting()
        recorded_printed = await queue.printed(pending.reference, pending.created_at)
        letter = await service.parts.runtime.database["print_queue"].find_one(
            {"_id": pending.reference}
        )

    assert waiting == []
    assert recorded_printed is False
    assert letter is not None
    assert [field for field in ("addressee", "subject", "body") if field in letter] == []
    assert "WR1 2AB" not in repr(letter)
    assert letter["printed"] is False
    assert "withdrawn_at" in letter


async def test_her_erasure_leaves_everyone_elses_messages_and_letters_as_they_were(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    her, someone, someone_else = Story(), Story(), Story()
    async with running(settings, mongo_client, start=False) as service:
        their_letter = await a_letter_in_the_print_queue(service, someone)
        await a_letter_in_the_print_queue(service, her)
        their_message = await a_message_waiting(service, someone_else, "email")
        await she_is_erased(service, her)
        waiting = await service.parts.print_queue.waiting()
        sent = await service.parts.worker.deliver_due()
        delivered = await service.parts.deliveries.get(their_message.reference)

    assert [letter.reference for letter in waiting] == [their_letter.reference]
    assert sent == 1
    assert len(mail_to(smtp, someone_else.mary_email)) == 1
    assert delivered is not None
    assert delivered.status == DeliveryStatus.DELIVERED
