"""Once a provider accepted a message (or the print room printed a letter), the service keeps a
reference to it, not the message: what the person was told stays in PersonInformed and the
communications log; a delivery not yet accepted keeps its message for the next try."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from services.notification.read_models.deliveries import MESSAGE_FIELDS, Delivery, DeliveryStatus
from services.notification.settings import NotificationSettings
from shared.events.intake import ContactPoints
from shared.events.notification import Channel
from shared.mongo import Client, Document
from tests.integration.notification.conftest import (
    RunningNotification,
    confirm_safe_contact,
    handle_directly,
    mail_to,
    route,
    running,
)
from tests.support.smtp_server import RunningSmtpServer
from tests.support.staff import TestUser
from tests.unit.notification.story import Story, mary_address

KEPT = {
    "provider_reference",
    "channel_used",
    "accepted_at",
    "finished_at",
    "sent_sha256",
    "told_about",
    "status",
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def a_message_waiting(
    service: RunningNotification, story: Story, channel: str, contact: ContactPoints | None = None
) -> Delivery:
    """The person's first message, rendered and waiting to be sent by `channel`."""
    raised = story.concern_raised(contact=contact) if contact else story.concern_raised()
    await handle_directly(service, raised)
    await confirm_safe_contact(service, story.person_id, story.concern_id, route("person", channel))
    [pending] = await service.parts.deliveries.for_person(story.person_id)
    assert pending.body is not None
    return pending


async def a_letter_in_the_print_queue(service: RunningNotification, story: Story) -> Delivery:
    """The person's first message, a letter, handed to the print room."""
    pending = await a_message_waiting(
        service, story, "letter", ContactPoints(address=mary_address())
    )
    assert pending.body is not None
    assert await service.parts.worker.deliver_due() == 1
    return pending


async def stored(service: RunningNotification, collection: str, reference: str) -> Document:
    document = await service.parts.runtime.database[collection].find_one({"_id": reference})
    assert document is not None
    return document


async def test_a_sent_email_leaves_its_reference_channel_time_and_hash_and_not_its_text(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        pending = await a_message_waiting(service, story, "email")
        assert pending.body is not None
        body = pending.body
        assert await service.parts.worker.deliver_due() == 1
        document = await stored(service, "deliveries", pending.reference)
        log = (
            await service.http.get(
                f"/people/{story.person_id}/communications", headers=service.staff.practitioner
            )
        ).json()
        bundle = (
            await service.http.get(
                f"/people/{story.person_id}/subject-access", headers=service.staff.manager
            )
        ).json()

    [mail] = mail_to(smtp, story.mary_email)
    assert body in mail.message.get_content()
    assert document.keys() >= KEPT
    assert [field for field in MESSAGE_FIELDS if field in document] == []
    assert document["status"] == DeliveryStatus.DELIVERED.value
    assert document["channel_used"] == Channel.EMAIL.value
    assert document["provider_reference"] == mail.message["Message-ID"]
    assert document["sent_sha256"] == sha256(body)
    # Not a word of the message is left on the delivery, nor the address it went to.
    words = [line for line in body.splitlines() if len(line) > 20]
    assert words
    assert [line for line in words if line in repr(document)] == []
    assert story.mary_email not in repr(document)
    # What she was told stays where the council shows it: the log and her own copy.
    [told] = [e for e in log["entries"] if e["kind"] == "PersonInformed"]
    assert pending.told_about in told["summary"]
    assert document["provider_reference"] in told["summary"]
    [informed] = [e for e in bundle["events"] if e["event_type"] == "PersonInformed"]
    assert informed["payload"]["message_summary"] == pending.told_about
    [given] = bundle["records"]["deliveries"]
    assert given["sent_sha256"] == sha256(body)


async def test_a_message_not_yet_accepted_keeps_its_text_and_the_retry_sends_it(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        pending = await a_message_waiting(service, story, "email")
        worker = service.parts.worker
        smtp.refuse_next(2)  # every attempt of the first round: try later
        assert await worker.deliver_due() == 1
        waiting = await service.parts.deliveries.get(pending.reference)
        # The retry comes due.
        worker.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
        assert await worker.deliver_due() == 1
        sent = await stored(service, "deliveries", pending.reference)

    assert waiting is not None
    assert waiting.status is DeliveryStatus.PENDING
    assert waiting.rounds == 1
    assert waiting.message == pending.message, "kept whole for the retry"
    assert pending.body is not None
    [mail] = mail_to(smtp, story.mary_email)
    assert pending.body in mail.message.get_content()
    assert sent["status"] == DeliveryStatus.DELIVERED.value
    assert [field for field in MESSAGE_FIELDS if field in sent] == []
    assert sent["sent_sha256"] == sha256(pending.body)


async def test_a_letter_is_kept_whole_until_printed_then_only_its_reference_and_hash(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        pending = await a_letter_in_the_print_queue(service, story)
        assert pending.body is not None
        delivery = await stored(service, "deliveries", pending.reference)
        queue = service.parts.print_queue
        # Handed to the print room, the letter waits whole: the print room needs it.
        [waiting] = await queue.waiting()
        unknown = await queue.printed("no-such-letter", datetime.now(UTC))
        printed_at = datetime.now(UTC)
        first = await queue.printed(pending.reference, printed_at)
        again = await queue.printed(pending.reference, printed_at + timedelta(minutes=1))
        after = await queue.waiting()
        letter = await stored(service, "print_queue", pending.reference)

    assert delivery["channel_used"] == Channel.LETTER.value
    assert [field for field in MESSAGE_FIELDS if field in delivery] == []
    assert delivery["sent_sha256"] == sha256(pending.body)
    assert waiting.body == pending.body
    assert waiting.addressee.address.postcode == "WR1 2AB"
    assert (unknown, first, again) == (False, True, False)
    assert after == []
    assert [field for field in ("addressee", "subject", "body") if field in letter] == []
    assert "WR1 2AB" not in repr(letter)
    assert letter["printed"] is True
    # MongoDB keeps milliseconds.
    assert abs(letter["printed_at"].replace(tzinfo=UTC) - printed_at) < timedelta(milliseconds=1)
    assert letter["sent_sha256"] == delivery["sent_sha256"], "the same text, both proved"
    assert {"queued_at", "_id"} <= letter.keys()


async def test_a_manager_records_a_letter_printed_over_http_and_the_audit_says_who_and_whose(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        pending = await a_letter_in_the_print_queue(service, story)
        staff = service.staff
        path = f"/print-queue/{pending.reference}/printed"
        by_practitioner = await service.http.post(path, headers=staff.practitioner)
        still_waiting = await service.parts.print_queue.waiting()
        recorded = await service.http.post(path, headers=staff.manager)
        again = await service.http.post(path, headers=staff.manager)
        unknown = await service.http.post(
            "/print-queue/no-such-letter/printed", headers=staff.manager
        )
        unsigned = await service.http.post(path)
        letter = await stored(service, "print_queue", pending.reference)
        audit = await service.http.get(
            "/admin/access-audit",
            params={"staff_id": staff.subject(TestUser.MANAGER)},
            headers=staff.manager,
        )

    assert by_practitioner.status_code == 403
    assert [w.reference for w in still_waiting] == [pending.reference]
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["reference"] == pending.reference
    assert letter["printed"] is True
    assert [field for field in ("addressee", "subject", "body") if field in letter] == []
    assert letter["sent_sha256"] == sha256(pending.body or "")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert unknown.status_code == 404
    assert unsigned.status_code == 401
    assert "WR1 2AB" not in again.text + unknown.text
    entries = [e for e in audit.json() if e["route"] == "/print-queue/{letter_reference}/printed"]
    assert len(entries) == 3  # recorded, again, unknown: every attempt a manager made
    newest_for_this_letter = [e for e in entries if e["subject_id"] == pending.reference]
    assert len(newest_for_this_letter) == 2
    for entry in newest_for_this_letter:
        assert (entry["action"], entry["subject_kind"], entry["role"]) == (
            "change",
            "letter",
            "manager",
        )
        assert entry["person_id"] == story.person_id
        assert entry["from_address"] == "127.0.0.1"
