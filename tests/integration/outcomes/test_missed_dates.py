"""A date agreed with the person that passes unkept is flagged once, however the checks race, and
becomes a work item for the lead worker (exposed by the API) until it is followed up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from services.outcomes.domain.england import day_in_england
from shared.events.outcomes import AgreedDateKind, AgreedDateMissed
from tests.integration.outcomes.conftest import OutcomesService, open_enquiry
from tests.support.polling import eventually
from tests.unit.outcomes.intake_events import concern_raised


async def agree_contact_today(outcomes: OutcomesService, case_id: str) -> str:
    today = day_in_england(datetime.now(UTC)).isoformat()
    response = await outcomes.http.post(
        f"/cases/{case_id}/next-contact", json={"contact_on": today}, headers=outcomes.practitioner
    )
    assert response.status_code == 201
    return today


async def test_a_missed_agreed_date_raises_agreed_date_missed_once_even_when_two_passes_race(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    agreed = await agree_contact_today(outcomes, case_id)
    two_days_on = datetime.now(UTC) + timedelta(days=2)
    watch = outcomes.parts.missed_dates

    racing = await asyncio.gather(
        watch.notice_missed_dates(two_days_on), watch.notice_missed_dates(two_days_on)
    )
    later = await watch.notice_missed_dates(two_days_on + timedelta(days=1))

    missed = [
        e.payload for e in await outcomes.events_of(case_id) if e.event_type == "AgreedDateMissed"
    ]
    assert len(missed) == 1
    assert isinstance(missed[0], AgreedDateMissed)
    assert (missed[0].kind, missed[0].agreed_date.isoformat()) == (
        AgreedDateKind.NEXT_CONTACT,
        agreed,
    )
    assert sorted(len(recorded) for recorded in racing) == [0, 1]
    assert later == []


async def test_a_date_not_yet_passed_is_not_flagged(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await agree_contact_today(outcomes, case_id)

    recorded = await outcomes.parts.missed_dates.notice_missed_dates(datetime.now(UTC))

    assert [e for e in recorded if e.stream_id == case_id] == []


async def test_a_conversation_with_the_person_before_the_date_keeps_it(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await agree_contact_today(outcomes, case_id)
    await outcomes.http.post(
        f"/cases/{case_id}/conversations",
        json={
            "participants": [{"role": "person", "name": "Margaret Hill"}],
            "mode": "phone",
            "summary": "Called as agreed.",
        },
        headers=outcomes.practitioner,
    )

    recorded = await outcomes.parts.missed_dates.notice_missed_dates(
        datetime.now(UTC) + timedelta(days=2)
    )

    assert [e for e in recorded if e.stream_id == case_id] == []


async def work_items(outcomes: OutcomesService, **query: str) -> list[dict[str, object]]:
    response = await outcomes.http.get("/work-items", params=query, headers=outcomes.practitioner)
    assert response.status_code == 200
    items: list[dict[str, object]] = response.json()
    return items


async def test_the_scheduler_flags_a_missed_date_on_its_own_as_the_lead_workers_work_item(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    now = datetime.now(UTC)
    raised = concern_raised(raised_at=now - timedelta(days=3))
    case_id = await open_enquiry(outcomes, kafka_producer, raised)
    await outcomes.http.post(
        f"/cases/{case_id}/lead-worker",
        json={"name": "Asha Patel", "contact": "01905 000111"},
        headers=outcomes.practitioner,
    )
    two_days_ago = now - timedelta(days=2)
    yesterday = day_in_england(now - timedelta(days=1)).isoformat()
    # Agreed (and written up late) two days ago for yesterday: passed when the scheduler looks.
    agreed = await outcomes.http.post(
        f"/cases/{case_id}/review-date",
        json={"review_on": yesterday, "agreed_at": two_days_ago.isoformat()},
        headers=outcomes.practitioner,
    )
    assert agreed.status_code == 201, agreed.text
    watch = outcomes.parts.missed_dates
    watch.interval_seconds = 0.05
    task = asyncio.create_task(watch.run())
    try:
        await eventually(
            lambda: outcomes.events_of(case_id),
            until=lambda events: events[-1].event_type == "AgreedDateMissed",
            what="the scheduler to flag the missed review",
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    mine = await eventually(
        lambda: work_items(outcomes, lead_worker="Asha Patel"),
        until=lambda items: any(item["case_id"] == case_id for item in items),
        what="the missed review on Asha's work items",
    )
    [item] = [item for item in mine if item["case_id"] == case_id]
    assert (item["kind"], item["agreed_date"], item["lead_worker"]) == (
        "review",
        yesterday,
        "Asha Patel",
    )
    assert [
        i for i in await work_items(outcomes, lead_worker="Tom Price") if i["case_id"] == case_id
    ] == []


async def test_a_missed_plan_action_is_a_work_item_until_it_is_done(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    said = await outcomes.http.post(
        f"/cases/{case_id}/desired-outcomes",
        json={"text": "I want my money safe"},
        headers=outcomes.practitioner,
    )
    agreed = await outcomes.http.post(
        f"/cases/{case_id}/agreed-outcomes",
        json={
            "wording": "Her bank card is hers alone",
            "serves": [said.json()["events"][0]["payload"]["desired_outcome_id"]],
        },
        headers=outcomes.practitioner,
    )
    today = day_in_england(datetime.now(UTC)).isoformat()
    plan = await outcomes.http.post(
        f"/cases/{case_id}/plan",
        json={
            "actions": [
                {
                    "description": "New bank card only she can use",
                    "serves": [agreed.json()["events"][0]["payload"]["agreed_outcome_id"]],
                    "owner": "Asha Patel",
                    "agreed_date": today,
                }
            ]
        },
        headers=outcomes.practitioner,
    )
    action_id = plan.json()["events"][0]["payload"]["actions"][0]["action_id"]

    await outcomes.parts.missed_dates.notice_missed_dates(datetime.now(UTC) + timedelta(days=2))
    listed = await eventually(
        lambda: outcomes.http.get(f"/cases/{case_id}/work-items", headers=outcomes.practitioner),
        until=lambda r: r.status_code == 200 and len(r.json()) == 1,
        what="the missed plan action as a work item",
    )
    done = await outcomes.http.post(
        f"/cases/{case_id}/plan/actions/{action_id}/completion",
        json={"note": "The bank confirmed"},
        headers=outcomes.practitioner,
    )

    [item] = listed.json()
    assert (item["kind"], item["plan_action"], item["lead_worker"]) == (
        "plan_action",
        "New bank card only she can use",
        None,
    )
    assert done.status_code == 201
    await eventually(
        lambda: outcomes.http.get(f"/cases/{case_id}/work-items", headers=outcomes.practitioner),
        until=lambda r: r.json() == [],
        what="the work item to be followed up once the action was done",
    )
