"""Notification's work queues show each practitioner the work of their own team's cases, by the
rule that decides a single read: a case nobody allocated yet is the unallocated-case team's
(north here), an allocated one its team's, and a manager sees all of it. On the real database,
with the staff's real tokens."""

from __future__ import annotations

from typing import Any

from services.notification.settings import NotificationSettings
from shared.mongo import Client
from tests.integration.notification.conftest import (
    RunningNotification,
    confirm_safe_contact,
    handle_directly,
    route,
    running,
)
from tests.unit.notification.story import Story

SAFE_CONTACT = "/safe-contact/awaiting"
PRACTITIONER_CONTACT = "/practitioner-contact/awaiting"


async def whose_queues_show(
    service: RunningNotification, queue: str, story: Story
) -> dict[str, bool]:
    """Whether each staff member's queue shows work about the story's person."""
    staff = service.staff
    shown: dict[str, bool] = {}
    for who, headers in (
        ("north practitioner", staff.practitioner),
        ("south practitioner", staff.other_practitioner),
        ("manager", staff.manager),
    ):
        response = await service.http.get(queue, headers=headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()
        shown[who] = any(item["person_id"] == story.person_id for item in items)
    return shown


async def test_a_concern_nobody_allocated_waits_in_the_unallocated_teams_queue(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, story.concern_raised())

        shown = await whose_queues_show(service, SAFE_CONTACT, story)

    assert shown == {"north practitioner": True, "south practitioner": False, "manager": True}


async def test_once_its_case_is_allocated_the_work_moves_to_that_teams_queue(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, story.concern_raised())
        await handle_directly(service, story.case_opened())
        before = await whose_queues_show(service, SAFE_CONTACT, story)
        await handle_directly(service, story.case_allocated("south-team"))

        after = await whose_queues_show(service, SAFE_CONTACT, story)

    assert before == {"north practitioner": True, "south practitioner": False, "manager": True}
    assert after == {"north practitioner": False, "south practitioner": True, "manager": True}


async def test_a_team_named_another_way_is_another_team(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, story.concern_raised())
        await handle_directly(service, story.case_opened())
        await handle_directly(service, story.case_allocated("South-Team"))

        shown = await whose_queues_show(service, SAFE_CONTACT, story)

    assert shown == {"north practitioner": False, "south practitioner": False, "manager": True}


async def test_the_queue_of_people_to_tell_by_hand_is_by_team_too(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, story.concern_raised(interpreter_needed=True))
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "practitioner_call")
        )
        await handle_directly(service, story.case_opened())
        before = await whose_queues_show(service, PRACTITIONER_CONTACT, story)
        await handle_directly(service, story.case_allocated("south-team"))

        after = await whose_queues_show(service, PRACTITIONER_CONTACT, story)

    assert before == {"north practitioner": True, "south practitioner": False, "manager": True}
    assert after == {"north practitioner": False, "south practitioner": True, "manager": True}
