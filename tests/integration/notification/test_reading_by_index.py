"""Informing people reads no collection whole, on the real MongoDB-wire server: every query
that raising a concern, a practitioner's safe-contact decision and the delivery worker send is
explained by the server, and none scans a collection that grows with the work, but for those
named here with their reason. A query the server cannot serve from an index reads every
document ever stored there, each time (the delivery worker's claims did, three times a claim:
a filter on `_id` and another field, or with `$or`, is one the test server's planner scans)."""

from __future__ import annotations

from services.notification.settings import NotificationSettings
from shared.mongo import Client
from tests.integration.notification.conftest import (
    confirm_safe_contact,
    handle_directly,
    mail_to,
    route,
    running,
)
from tests.support.indexes import profiled, queries_profiled, scans_a_whole_collection
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story

MAY_BE_SCANNED = {
    "access_audit_head": "one document, the audit chain's checkpoint",
    "leases": "one document for each task only one instance may run",
    "instances": "one document for each running instance",
}


async def test_informing_people_scans_no_collection_that_grows(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    stories = [Story() for _ in range(3)]
    database = mongo_client[settings.mongodb_database]
    async with running(settings, mongo_client, start=False) as service:
        async with profiled(database):
            for story in stories:
                await handle_directly(service, story.concern_raised())
                await confirm_safe_contact(
                    service, story.person_id, story.concern_id, route("person", "email")
                )
            assert await service.parts.worker.deliver_due() == 3
        queries = await queries_profiled(database)
        scanning = [
            query.shape
            for query in queries
            if query.shape.collection not in MAY_BE_SCANNED
            and await scans_a_whole_collection(database, query)
        ]

    assert scanning == []
    # The work's own queries were seen, so the check above covered them.
    read = {query.shape.collection for query in queries}
    assert {"deliveries", "informing_decisions", "events", "concerns"} <= read
    assert [len(mail_to(smtp, story.mary_email)) for story in stories] == [1, 1, 1]
