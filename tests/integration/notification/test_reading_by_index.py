"""Informing people reads no collection whole, on the real MongoDB-wire server: every query
that raising a concern, a practitioner's safe-contact decision, the delivery worker, the overdue
sweep and the practitioners' work queues send is explained by the server, and none scans a collection that grows with the work
(`tests.support.indexes.BOUNDED` names those that do not). A query the server cannot serve from
an index reads every document ever stored there, each time: the delivery worker's claims did,
three times a claim (a filter on `_id` and another field, or with `$or`, is one the test
server's planner answers by a scan)."""

from __future__ import annotations

import dataclasses
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
