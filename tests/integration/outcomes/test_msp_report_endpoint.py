"""The MSP and national return report over HTTP, in JSON and in the official CSV layout, for a
few cases recorded as practitioners and managers would record them, checked cell by cell
against a hand count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from aiokafka import AIOKafkaProducer

from services.outcomes.domain import is_a_decision_the_person_is_told_about
from services.outcomes.domain.england import day_in_england
from services.outcomes.domain.report import SUPPORTED
from services.outcomes.read_models.msp_report import COLLECTION as SUMMARIES
from shared.events import Metadata
from shared.events.envelope import SYSTEM_ACTOR, Envelope
from shared.events.intake import ConcernRaised, S42Decision
from shared.events.notification import (
    Channel,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    informing_stream,
)
from shared.mongo import Document
from shared.sac import Gender
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS
from tests.integration.outcomes.conftest import OutcomesService, case_of, publish
from tests.support.polling import eventually
from tests.unit.outcomes.intake_events import concern_raised, decision_made

KNOWN_AT_HOME = [
    {"risk_type": t, "location": "own_home", "source": "known_to_individual"}
    for t in ("financial_or_material", "psychological")
]
EXPERIENCE = {
    "felt_listened_to": "yes",
    "felt_involved": "yes",
    "felt_informed": "yes",
    "feels_safer": "partly",
}


def the_days_around_today() -> tuple[date, date]:
    # Conclusions are signed off now, by the server's clock: report on the days around today.
    today = day_in_england(datetime.now(UTC))
    return today - timedelta(days=1), today + timedelta(days=1)


async def seed_case(
    outcomes: OutcomesService, producer: AIOKafkaProducer, raised: Envelope, decision: S42Decision
) -> str:
    await publish(producer, INTAKE_EVENTS, raised, decision_made(raised, decision))
    case_id = case_of(raised)
    await eventually(lambda: outcomes.version(case_id), until=lambda v: v >= 2, what="enquiry")
    return case_id


async def express(outcomes: OutcomesService, case_id: str, text: str) -> str:
    response = await outcomes.http.post(
        f"/cases/{case_id}/desired-outcomes", json={"text": text}, headers=outcomes.practitioner
    )
    outcome_id: str = response.json()["events"][0]["payload"]["desired_outcome_id"]
    return outcome_id


async def end(outcomes: OutcomesService, case_id: str, how: str, body: dict[str, object]) -> None:
    response = await outcomes.http.post(
        f"/cases/{case_id}/{how}", json=body, headers=outcomes.manager
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
            informed_at=datetime.now(UTC),
            message_summary="An update on your enquiry",
        ),
        stream_id=informing_stream(person_id),
        stream_version=version,
        metadata=Metadata(actor=SYSTEM_ACTOR),
    )


async def test_the_national_return_over_http_matches_a_hand_count_in_json_and_csv(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    # A: her s42 enquiry, two risks in her own home; two outcomes, one fully and one partially
    # achieved; she was told of every decision.
    raised_a = concern_raised(gender=Gender.FEMALE, date_of_birth=None, approximate_age=80)
    a = await seed_case(outcomes, kafka_producer, raised_a, S42Decision.S42_ENQUIRY)
    safer = await express(outcomes, a, "I want to feel safe at home")
    son = await express(outcomes, a, "I want the abuse to stop – but I still want to see my son")
    await outcomes.http.post(
        f"/cases/{a}/reviews",
        json={"stage": "closure", "experience": EXPERIENCE},
        headers=outcomes.practitioner,
    )
    await end(
        outcomes,
        a,
        "conclusion",
        {
            "case_details": {
                "risks": KNOWN_AT_HOME,
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
    # B: her second s42 enquiry, again two risks in her own home; she lacked capacity.
    assert isinstance(raised_a.payload, ConcernRaised)
    raised_b = concern_raised(
        person_id=raised_a.payload.person_id,
        gender=Gender.FEMALE,
        date_of_birth=None,
        approximate_age=80,
    )
    b = await seed_case(outcomes, kafka_producer, raised_b, S42Decision.S42_ENQUIRY)
    await end(
        outcomes,
        b,
        "conclusion",
        {
            "case_details": {
                "risks": KNOWN_AT_HOME,
                "action_taken_and_result": "risk_identified_no_action_taken",
                "mental_capacity": "lacked_capacity",
                "lacked_capacity_supported": True,
            },
            "msp_asked": "asked_none_expressed",
        },
    )
    # C: his other enquiry, which ceased at his request.
    c = await seed_case(
        outcomes,
        kafka_producer,
        concern_raised(gender=Gender.MALE, date_of_birth=None, approximate_age=90),
        S42Decision.OTHER_ENQUIRY,
    )
    await end(
        outcomes,
        c,
        "cessation",
        {
            "reason": "persons_request",
            "explanation": "He asked us to stop; his daughter is helping him.",
            "case_details": {
                "risks": [
                    {
                        "risk_type": "neglect_and_acts_of_omission",
                        "location": "care_home_residential",
                        "source": "service_provider",
                    }
                ],
                "action_taken_and_result": "ceased_at_individuals_request",
                "mental_capacity": "dont_know",
            },
            "msp_asked": "not_recorded",
        },
    )
    # D: an s42 enquiry still in progress, and a repeat report of the same incident.
    raised_d = concern_raised(gender=Gender.FEMALE, date_of_birth=None, approximate_age=70)
    d = await seed_case(outcomes, kafka_producer, raised_d, S42Decision.S42_ENQUIRY)
    await publish(kafka_producer, INTAKE_EVENTS, concern_raised(repeat_of=raised_d))
    decisions_in_a = [
        e for e in await outcomes.events_of(a) if is_a_decision_the_person_is_told_about(e)
    ]
    await publish(
        kafka_producer,
        NOTIFICATION_EVENTS,
        *(told_of(e, n) for n, e in enumerate(decisions_in_a, start=1)),
    )

    async def summaries() -> dict[str, Document]:
        cursor = outcomes.runtime.database[SUMMARIES].find({"_id": {"$in": [a, b, c, d]}})
        return {doc["_id"]: doc async for doc in cursor}

    await eventually(
        summaries,
        until=lambda s: (
            len(s) == 4
            and all(doc["summary"] for doc in s.values())
            and s[a]["summary"]["informed_of_every_decision"]
            and all(s[x]["summary"]["ended_at"] is not None for x in (a, b, c))
            and len(s[d]["summary"]["repeats_raised_at"]) == 1
        ),
        what="the case summaries",
    )
    period_start, period_end = the_days_around_today()
    period = {"from": period_start.isoformat(), "to": period_end.isoformat()}

    as_json = await outcomes.http.get("/reports/msp", params=period, headers=outcomes.manager)
    as_csv = await outcomes.http.get(
        "/reports/msp", params={**period, "format": "csv"}, headers=outcomes.practitioner
    )

    assert as_json.status_code == as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["TABLE_REFERENCE", "ENQUIRY_TYPE", "CATEGORY", "SUBCATEGORY", "VALUE"]
    cells_in_json = [
        [t["reference"], c["enquiry_type"], c["category"], c["subcategory"], str(c["value"])]
        for t in as_json.json()["tables"]
        for c in t["cells"]
    ]
    assert cells_in_json == rows[1:]
    s42, other = "Concluded Section 42 Enquiries", "Concluded Other Enquiries"
    individuals = "Individuals Involved In "
    known = "Other – Known to Individual"
    assert {tuple(row) for row in rows[1:] if row[4] != "0"} == {
        ("SG1a", f"{individuals}Safeguarding Concerns", "65-74", "", "1"),
        ("SG1a", f"{individuals}Safeguarding Concerns", "75-84", "", "1"),
        ("SG1a", f"{individuals}Safeguarding Concerns", "85-94", "", "1"),
        ("SG1a", f"{individuals}Section 42 Safeguarding Enquiries", "65-74", "", "1"),
        ("SG1a", f"{individuals}Section 42 Safeguarding Enquiries", "75-84", "", "1"),
        ("SG1a", f"{individuals}Other Safeguarding Enquiries", "85-94", "", "1"),
        ("SG1b", f"{individuals}Safeguarding Concerns", "Female", "", "2"),
        ("SG1b", f"{individuals}Safeguarding Concerns", "Male", "", "1"),
        ("SG1b", f"{individuals}Section 42 Safeguarding Enquiries", "Female", "", "2"),
        ("SG1b", f"{individuals}Other Safeguarding Enquiries", "Male", "", "1"),
        ("SG1c", f"{individuals}Safeguarding Concerns", "Undeclared / Not Known", "", "3"),
        (
            "SG1c",
            f"{individuals}Section 42 Safeguarding Enquiries",
            "Undeclared / Not Known",
            "",
            "2",
        ),
        ("SG1c", f"{individuals}Other Safeguarding Enquiries", "Undeclared / Not Known", "", "1"),
        ("SG1d", f"{individuals}Safeguarding Concerns", "Not Known", "", "3"),
        ("SG1d", f"{individuals}Section 42 Safeguarding Enquiries", "Not Known", "", "2"),
        ("SG1d", f"{individuals}Other Safeguarding Enquiries", "Not Known", "", "1"),
        ("SG1f", "Safeguarding Concerns", "Total", "", "4"),
        ("SG1f", "Section 42 Enquiries", "Total", "", "3"),
        ("SG1f", "Other Enquiries", "Total", "", "1"),
        ("SG2a", s42, "Financial or Material", known, "2"),
        ("SG2a", s42, "Financial or Material", "Total", "2"),
        ("SG2a", s42, "Psychological", known, "2"),
        ("SG2a", s42, "Psychological", "Total", "2"),
        ("SG2a", s42, "Total", known, "2"),
        ("SG2a", other, "Neglect and Acts of Omission", "Service Provider", "1"),
        ("SG2a", other, "Neglect and Acts of Omission", "Total", "1"),
        ("SG2a", other, "Total", "Service Provider", "1"),
        ("SG2b", s42, "Own Home", known, "2"),
        ("SG2b", s42, "Own Home", "Total", "2"),
        ("SG2b", s42, "Total", known, "2"),
        ("SG2b", other, "Care Home – Residential", "Service Provider", "1"),
        ("SG2b", other, "Care Home – Residential", "Total", "1"),
        ("SG2b", other, "Total", "Service Provider", "1"),
        ("SG2c", s42, "Risk identified and action taken", "", "1"),
        ("SG2c", s42, "Risk identified and no action taken", "", "1"),
        ("SG2c", other, "Enquiry ceased at individual's request and no action taken", "", "1"),
        ("SG2e", s42, "Risk reduced", "", "1"),
        ("SG3a", s42, "Yes, they lacked capacity", "", "1"),
        ("SG3a", s42, "No, they did not lack capacity", "", "1"),
        ("SG3a", s42, SUPPORTED, "", "1"),
        ("SG3a", other, "Don't know", "", "1"),
        ("SG4a", s42, "Yes, they were asked and outcomes were expressed", "", "1"),
        ("SG4a", s42, "Yes, they were asked but no outcomes were expressed", "", "1"),
        ("SG4a", s42, "Partially achieved", "", "1"),
        ("SG4a", other, "Not recorded", "", "1"),
        ("LOCAL-MSP1", s42, "Fully achieved", "", "1"),
        ("LOCAL-MSP1", s42, "Partially achieved", "", "1"),
        *(
            ("LOCAL-MSP2", s42, question, answer, "1")
            for question, answer in [
                ("Felt listened to", "Yes"),
                ("Felt involved", "Yes"),
                ("Felt informed", "Yes"),
                ("Feels safer", "Partly"),
            ]
        ),
        *(
            ("LOCAL-MSP2", kind, question, "Not recorded", "1")
            for kind in (s42, other)
            for question in ("Felt listened to", "Felt involved", "Felt informed", "Feels safer")
        ),
        (
            "LOCAL-MSP3",
            s42,
            "Asked what outcomes they wanted, of all concluded enquiries",
            "Numerator",
            "2",
        ),
        (
            "LOCAL-MSP3",
            s42,
            "Asked what outcomes they wanted, of all concluded enquiries",
            "Denominator",
            "2",
        ),
        ("LOCAL-MSP3", s42, "Expressed the outcomes they wanted, of those asked", "Numerator", "1"),
        (
            "LOCAL-MSP3",
            s42,
            "Expressed the outcomes they wanted, of those asked",
            "Denominator",
            "2",
        ),
        (
            "LOCAL-MSP3",
            s42,
            "Outcomes fully or partially achieved in their view, of those who expressed some",
            "Numerator",
            "1",
        ),
        (
            "LOCAL-MSP3",
            s42,
            "Outcomes fully or partially achieved in their view, of those who expressed some",
            "Denominator",
            "1",
        ),
        (
            "LOCAL-MSP3",
            s42,
            "Informed of every decision, of all concluded enquiries",
            "Numerator",
            "1",
        ),
        (
            "LOCAL-MSP3",
            s42,
            "Informed of every decision, of all concluded enquiries",
            "Denominator",
            "2",
        ),
        (
            "LOCAL-MSP3",
            other,
            "Asked what outcomes they wanted, of all concluded enquiries",
            "Denominator",
            "1",
        ),
        (
            "LOCAL-MSP3",
            other,
            "Informed of every decision, of all concluded enquiries",
            "Denominator",
            "1",
        ),
        ("LOCAL-MSP4", other, "At the person's request", "", "1"),
        ("LOCAL-MSP5", "Safeguarding Concerns", "Repeat reports", "", "1"),
    }


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
