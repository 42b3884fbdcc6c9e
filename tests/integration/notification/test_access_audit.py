"""Reading a person's informing record at notification, on the real servers: recorded with the
person it is about; outside the case's team only with a reason."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from services.notification.settings import NotificationSettings
from shared.access import REASON_HEADER
from shared.mongo import Client
from tests.integration.notification.conftest import case_reached, publish, running
from tests.support.staff import TestUser
from tests.unit.notification.story import Story


async def test_a_persons_communications_log_and_case_are_read_by_their_team_and_recorded(
    settings: NotificationSettings, mongo_client: Client, kafka_producer: AIOKafkaProducer
) -> None:
    story = Story()
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised())
        await publish(kafka_producer, story.case_opened())
        staff = service.staff
        by_case = f"/people/by-case/{story.case_id}"

        await case_reached(service, story.case_id)
        # Now that notification knows the case, its reading is recorded with her id.
        assert (await service.http.get(by_case, headers=staff.practitioner)).status_code == 200
        log = f"/people/{story.person_id}/communications"
        preferences = f"/people/{story.person_id}/safe-contact"
        other_team = {
            path: (await service.http.get(path, headers=staff.other_practitioner)).status_code
            for path in (by_case, log, preferences)
        }
        with_reason = await service.http.get(
            log,
            headers={
                **staff.other_practitioner,
                REASON_HEADER: "Her duty worker asked me to check",
            },
        )
        own_team = await service.http.get(log, headers=staff.practitioner)
        audit = await service.http.get(
            "/admin/access-audit", params={"person_id": story.person_id}, headers=staff.manager
        )

    assert other_team == {by_case: 403, log: 403, preferences: 403}
    assert with_reason.status_code == own_team.status_code == 200
    entries: list[dict[str, Any]] = audit.json()
    sams = [e for e in entries if e["staff_id"] == staff.subject(TestUser.OTHER_PRACTITIONER)]
    assert [(e["subject_kind"], e["refused"], e["reason"] is not None) for e in sams] == [
        ("communications log", False, True),
        ("person", True, False),
        ("communications log", True, False),
        ("case", True, False),
    ]
    assert {e["person_id"] for e in entries} == {story.person_id}
    ashas = [e for e in entries if e["staff_id"] == staff.subject(TestUser.PRACTITIONER)]
    assert ashas[0]["subject_kind"] == "communications log"
    assert not ashas[0]["outside_team"]
    assert any(e["subject_kind"] == "case" and e["subject_id"] == story.case_id for e in ashas)
