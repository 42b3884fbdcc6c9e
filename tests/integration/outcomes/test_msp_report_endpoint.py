"""The MSP report over HTTP for a few seeded cases, checked against a hand count."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, time, timedelta

from aiokafka import AIOKafkaProducer

from services.outcomes.domain import is_a_decision_the_person_is_told_about
from services.outcomes.read_models.msp_report import COLLECTION as SUMMARIES
from shared.events import Metadata
from shared.events.envelope import SYSTEM_ACTOR, Envelope
from shared.events.intake import S42Decision
from shared.events.notification import (
    Channel,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    informing_stream,
)
from shared.mongo import Document
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS
from tests.integration.outcomes.conftest import OutcomesService, case_of, publish
from tests.support.polling import eventually
from tests.unit.outcomes.intake_events import concern_raised, decision_made

# A day of its own in the past, so concerns other tests raise today are not in the period.
DAY = date(2019, 1, 1) + timedelta(days=random.randrange(1500))


def at(hour: int) -> datetime:
    return datetime.combine(DAY, time(hour), tzinfo=UTC)


async def seed_case(
    outcomes: OutcomesService, producer: AIOKafkaProducer, decision: S42Decision
) -> str:
    raised = concern_raised(raised_at=at(9))
    await publish(
        producer, INTAKE_EVENTS, raised, decision_made(raised, decision, decided_at=at(10))
    )
    case_id = case_of(raised)
    await eventually(lambda: outcomes.version(case_id), until=lambda v: v >= 2, what="enquiry")
    return case_id


async def express(outcomes: OutcomesService, case_id: str, text: str) -> str:
    response = await outcomes.http.post(
        f"/cases/{case_id}/desired-outcomes", json={"text": text}, headers=outcomes.practitioner
    )
    outcome_id: str = response.json()["events"][0]["payload"]["desired_outcome_id"]
    return outcome_id


async def conclude(outcomes: OutcomesService, case_id: str, body: dict[str, object]) -> None:
    response = await outcomes.http.post(
        f"/cases/{case_id}/conclusion",
        json={**body, "concluded_at": at(15).isoformat()},
        headers=outcomes.manager,
    )
    assert response.status_code == 201, response.json()


def told_of(event: Envelope, version: int) -> Envelope:
    person_id = str(event.payload.model_dump()["person_id"])
    return Envelope.record(
        PersonInformed(
            person_id=person_id,
            source_event_id=event.event_id,
            source_event_type=event.event_type,
            case_id=event.stream_id,
            recipient_role=RecipientRole.PERSON,
            channel=Channel.EMAIL,
            format=MessageFormat.STANDARD,
            informed_at=at(16),
            message_summary="An update on your enquiry",
        ),
        stream_id=informing_stream(person_id),
        stream_version=version,
        metadata=Metadata(actor=SYSTEM_ACTOR),
    )


async def test_the_msp_report_numbers_for_seeded_cases_match_a_hand_count(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    # A: s42, two outcomes expressed, one fully and one partially achieved, told of everything.
    a = await seed_case(outcomes, kafka_producer, S42Decision.S42_ENQUIRY)
    safer = await express(outcomes, a, "I want to feel safe at home")
    son = await express(outcomes, a, "I want the abuse to stop – but I still want to see my son")
    await conclude(
        outcomes,
        a,
        {
            "case_details": {
                "risks": [
                    {
                        "risk_type": "financial_or_material",
                        "location": "own_home",
                        "source": "known_to_individual",
                    },
                    {
                        "risk_type": "psychological",
                        "location": "own_home",
                        "source": "known_to_individual",
                    },
                ],
                "action_taken_and_result": "risk_identified_action_taken",
                "risk_outcome": "risk_reduced",
                "mental_capacity": "did_not_lack_capacity",
            },
            "msp_asked": "asked_and_expressed",
            "achievements": [
                {"desired_outcome_id": safer, "achievement": "fully"},
                {"desired_outcome_id": son, "achievement": "partially"},
            ],
        },
    )
    # B: other enquiry, asked but expressed no outcomes, lacked capacity, told of nothing.
    b = await seed_case(outcomes, kafka_producer, S42Decision.OTHER_ENQUIRY)
    await conclude(
        outcomes,
        b,
        {
            "case_details": {
                "risks": [
                    {
                        "risk_type": "neglect_and_acts_of_omission",
                        "location": "care_home_residential",
                        "source": "service_provider",
                    }
                ],
                "action_taken_and_result": "no_risk_no_action_taken",
                "mental_capacity": "lacked_capacity",
                "lacked_capacity_supported": True,
            },
            "msp_asked": "asked_none_expressed",
        },
    )
    # C: s42, still in progress.
    c = await seed_case(outcomes, kafka_producer, S42Decision.S42_ENQUIRY)
    decisions_in_a = [
        e for e in await outcomes.events_of(a) if is_a_decision_the_person_is_told_about(e)
    ]
    await publish(
        kafka_producer,
        NOTIFICATION_EVENTS,
        *(told_of(e, n) for n, e in enumerate(decisions_in_a, start=1)),
    )

    async def summaries() -> dict[str, Document]:
        cursor = outcomes.runtime.database[SUMMARIES].find({"_id": {"$in": [a, b, c]}})
        return {d["_id"]: d async for d in cursor}

    await eventually(
        summaries,
        until=lambda s: (
            len(s) == 3
            and all(d["summary"] for d in s.values())
            and s[a]["summary"]["informed_of_every_decision"]
            and s[b]["summary"]["concluded_at"] is not None
        ),
        what="the case summaries",
    )

    response = await outcomes.http.get(
        "/reports/msp",
        params={"from": DAY.isoformat(), "to": DAY.isoformat()},
        headers=outcomes.manager,
    )

    assert response.status_code == 200
    report = response.json()
    assert report["counts"] == {
        "Safeguarding Concerns": 3,
        "Section 42 Enquiries": 2,
        "Other Enquiries": 1,
        "Concluded Section 42 Enquiries": 1,
        "Concluded Other Enquiries": 1,
    }
    nonzero = {
        table["key"]: {
            (row["label"], row["section_42"], row["other"])
            for row in table["rows"]
            if row["section_42"] or row["other"]
        }
        for table in report["tables"]
    }
    assert nonzero == {
        "msp_asked": {
            ("Yes, they were asked and outcomes were expressed", 1, 0),
            ("Yes, they were asked but no outcomes were expressed", 0, 1),
        },
        "achievement_by_enquiry": {("Partially achieved", 1, 0)},
        "achievement_by_outcome": {("Fully achieved", 1, 0), ("Partially achieved", 1, 0)},
        "risk_type": {
            ("Financial or Material", 1, 0),
            ("Psychological", 1, 0),
            ("Neglect and Acts of Omission", 0, 1),
        },
        "risk_location": {("Own Home", 2, 0), ("Care Home – Residential", 0, 1)},
        "risk_source": {("Other – Known to Individual", 2, 0), ("Service Provider", 0, 1)},
        "action_taken_and_result": {
            ("Risk identified and action taken", 1, 0),
            ("No risk identified and no action taken", 0, 1),
        },
        "risk_outcome": {("Risk reduced", 1, 0)},
        "mental_capacity": {
            ("No, they did not lack capacity", 1, 0),
            ("Yes, they lacked capacity", 0, 1),
        },
    }
    assert {m["key"]: (m["numerator"], m["denominator"]) for m in report["involvement"]} == {
        "asked": (2, 2),
        "expressed": (1, 2),
        "achieved_fully_or_partially": (1, 1),
        "informed_of_every_decision": (1, 2),
    }


async def test_the_msp_report_is_also_given_as_csv(outcomes: OutcomesService) -> None:
    response = await outcomes.http.get(
        "/reports/msp",
        params={"from": DAY.isoformat(), "to": DAY.isoformat(), "format": "csv"},
        headers=outcomes.practitioner,
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["table", "row", "column", "value"]
    assert ["Period", "Start", "", DAY.isoformat()] in rows


async def test_a_report_period_that_ends_before_it_starts_is_refused(
    outcomes: OutcomesService,
) -> None:
    response = await outcomes.http.get(
        "/reports/msp",
        params={"from": "2026-04-01", "to": "2026-03-31"},
        headers=outcomes.manager,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to"
