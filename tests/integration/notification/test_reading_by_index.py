"""Informing people reads no collection whole, on the real MongoDB-wire server: every query
that raising a concern, a practitioner's safe-contact decision, the delivery worker, the overdue
sweep, the practitioners' work queues, a concern moved to another person, the print room and a
person's erasure send is explained by the server, and none scans a collection that grows with
the work (`tests.support.indexes.BOUNDED` names those that do not). A query the server cannot serve from
an index reads every document ever stored there, each time: the delivery worker's claims did,
three times a claim (a filter on `_id` and another field, or with `$or`, is one the test
server's planner answers by a scan)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from services.notification.settings import NotificationSettings
from shared.mongo import Client
from tests.integration.notification.conftest import (
    confirm_safe_contact,
    handle_directly,
    mail_to,
    route,
    running,
)
from tests.integration.notification.test_erasure_in_notification import she_is_erased
from tests.integration.notification.test_keeping_a_reference import (
    a_letter_in_the_print_queue,
    a_message_waiting,
)
from tests.support.indexes import profiled, queries_profiled, scanning
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story


async def test_informing_people_scans_no_collection_that_grows(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    stories = [Story() for _ in range(3)]
    undecided = Story()
    database = mongo_client[settings.mongodb_database]
    async with running(settings, mongo_client, start=False) as service:
        async with profiled(database):
            for story in stories:
                await handle_directly(service, story.concern_raised())
                await confirm_safe_contact(
                    service, story.person_id, story.concern_id, route("person", "email")
                )
            assert await service.parts.worker.deliver_due() == 3
            # One nobody decides about: overdue once its deadline has passed.
            await handle_directly(service, undecided.concern_raised())
            sweep = dataclasses.replace(
                service.parts.overdue, clock=lambda: datetime.now(UTC) + timedelta(days=3)
            )
            assert await sweep.raise_overdue() == 1
            for queue in ("/safe-contact/awaiting", "/practitioner-contact/awaiting"):
                response = await service.http.get(queue, headers=service.staff.practitioner)
                assert response.status_code == 200, queue
        scans = await scanning(database)
        read = {query.shape.collection for query in await queries_profiled(database)}

    assert scans == []
    # The work's own queries were seen, so the check above covered them.
    assert {"deliveries", "informing_decisions", "events", "concerns"} <= read
    assert [len(mail_to(smtp, story.mary_email)) for story in stories] == [1, 1, 1]


async def test_moving_a_concern_printing_and_erasing_scan_no_collection_that_grows(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    moved, printed, erased = Story(), Story(), Story()
    database = mongo_client[settings.mongodb_database]
    async with running(settings, mongo_client, start=False) as service:
        async with profiled(database):
            waiting = await a_message_waiting(service, moved, "email")
            await handle_directly(service, moved.linked_by_hand(to=f"person-{uuid.uuid4()}"))
            letter = await a_letter_in_the_print_queue(service, printed)
            assert len(await service.parts.print_queue.waiting()) == 1
            recorded = await service.http.post(
                f"/print-queue/{letter.reference}/printed", headers=service.staff.manager
            )
            withdrawn = await a_letter_in_the_print_queue(service, erased)
            await she_is_erased(service, erased)
            still_waiting = await service.parts.print_queue.waiting()
            stopped = await service.parts.deliveries.get(waiting.reference)
        scans = await scanning(database)
        read = {query.shape.collection for query in await queries_profiled(database)}

    assert scans == []
    # The work's own queries were seen, so the check above covered them.
    assert {"deliveries", "informing_decisions", "print_queue", "cases", "concerns"} <= read
    assert recorded.status_code == 200, recorded.text
    assert still_waiting == []
    assert stopped is not None
    assert stopped.status == "moved"
    assert withdrawn.reference != letter.reference
    assert smtp.received == []
