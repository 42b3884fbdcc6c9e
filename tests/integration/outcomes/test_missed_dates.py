"""A date agreed with the person that passes unkept is flagged once, however the checks race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from services.outcomes.domain.england import day_in_england
from shared.events.outcomes import AgreedDateKind, AgreedDateMissed
from tests.integration.outcomes.conftest import OutcomesService, open_enquiry
from tests.support.polling import eventually


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


async def test_the_scheduler_flags_a_missed_date_on_its_own(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    yesterday = (day_in_england(datetime.now(UTC)) - timedelta(days=1)).isoformat()
    # Agreed yesterday for yesterday: the date has passed by the time the scheduler looks.
    await outcomes.http.post(
        f"/cases/{case_id}/review-date",
        json={"review_on": yesterday, "agreed_at": f"{yesterday}T09:00:00+00:00"},
        headers=outcomes.practitioner,
    )
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
