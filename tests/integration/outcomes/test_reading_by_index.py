"""Opening cases and keeping their read models reads no collection whole, on the real
MongoDB-wire server: every query the outcomes service sends while concerns, a repeat and a
section 42 decision arrive on Kafka, while staff read the lists of work and the national return,
and while a person is erased, is explained by the server, and none scans a collection that grows
with the work (`tests.support.indexes.BOUNDED` names those that do not)."""

from __future__ import annotations

import json
import uuid

from aiokafka import AIOKafkaProducer

from services.outcomes.read_models.case_file import COLLECTION as CASE_FILES
from shared.events.outcomes import CaseOpened
from shared.mongo import Client
from shared.personal_data import ERASED
from shared.topics import INTAKE_EVENTS
from tests.integration.outcomes.conftest import OutcomesService, case_of, open_enquiry, publish
from tests.integration.outcomes.test_erasure_in_outcomes import she_is_erased
from tests.integration.outcomes.test_msp_report_endpoint import the_days_around_today
from tests.support.indexes import profiled, queries_profiled, scanning
from tests.support.polling import eventually
from tests.unit.outcomes.intake_events import concern_raised, decision_made

READ_MODELS = (CASE_FILES, "timelines", "case_summaries")
"""Read models kept by case (`_id` = the case), each by a projection of its own."""


async def test_opening_cases_scans_no_collection_that_grows(
    outcomes: OutcomesService, mongo_client: Client, kafka_producer: AIOKafkaProducer
) -> None:
    database = mongo_client[outcomes.runtime.database.name]
    raised = [concern_raised() for _ in range(3)]
    repeat = concern_raised(repeat_of=raised[0], own_words="He came back for the card again.")
    cases = sorted({case_of(r) for r in raised})

    async with profiled(database):
        await publish(kafka_producer, INTAKE_EVENTS, *raised, repeat, decision_made(raised[1]))

        for read_model in READ_MODELS:

            async def kept(collection: str = read_model) -> int:
                return await database[collection].count_documents({"_id": {"$in": cases}})

            await eventually(kept, until=lambda n: n == len(cases), what=read_model)
        await eventually(
            lambda: outcomes.events_of(case_of(raised[1])),
            until=lambda events: "EnquiryStarted" in [e.event_type for e in events],
            what="the enquiry on its case",
        )
    scans = await scanning(database)
    read = {query.shape.collection for query in await queries_profiled(database)}

    assert scans == []
    # The work's own queries were seen, so the check above covered them.
    assert {*READ_MODELS, "events", "concern_cases"} <= read


async def test_lists_of_work_the_national_return_and_an_erasure_scan_no_collection_that_grows(
    outcomes: OutcomesService, mongo_client: Client, kafka_producer: AIOKafkaProducer
) -> None:
    database = mongo_client[outcomes.runtime.database.name]
    case_id = await open_enquiry(outcomes, kafka_producer)
    [opened, *_] = await outcomes.events_of(case_id)
    assert isinstance(opened.payload, CaseOpened)
    person_id, concern_id = opened.payload.person_id, opened.payload.concern_id
    team, worker = f"north-team-{uuid.uuid4().hex[:6]}", "Asha Patel"
    allocation = await outcomes.http.post(
        f"/cases/{case_id}/allocation",
        json={"team": team, "worker": worker},
        headers=outcomes.manager,
    )
    assert allocation.status_code == 201, allocation.text
    allocated_file = await eventually(
        lambda: database[CASE_FILES].find_one({"_id": case_id}),
        until=lambda found: (
            found is not None and bool((found.get("allocation") or {}).get("worker"))
        ),
        what="the allocation in the case file",
    )
    assert allocated_file is not None
    her_name = allocated_file["person_name"]
    assert her_name
    first_day, last_day = the_days_around_today()
    lists = [{"team": team}, {"worker": worker}, {"team": team, "worker": worker}, {}]

    async with profiled(database):
        allocated = [
            await outcomes.http.get("/allocations", params=query, headers=outcomes.manager)
            for query in lists
        ]
        work = await outcomes.http.get("/work-items", headers=outcomes.manager)
        report = await outcomes.http.get(
            "/reports/msp",
            params={"from": first_day.isoformat(), "to": last_day.isoformat()},
            headers=outcomes.manager,
        )
        await she_is_erased(outcomes, kafka_producer, person_id, concern_id)
        erased_file = await eventually(
            lambda: database[CASE_FILES].find_one({"_id": case_id}),
            until=lambda found: found is not None and found["person_name"] != her_name,
            what="her case file erased",
        )
    scans = await scanning(database)
    read = {query.shape.collection for query in await queries_profiled(database)}

    assert scans == []
    # The work's own queries were seen, so the check above covered them.
    assert {CASE_FILES, "case_summaries", "work_items"} <= read
    assert [response.status_code for response in (*allocated, work, report)] == [200] * 6
    for response in allocated:
        assert case_id in [case["case_id"] for case in response.json()]
    assert her_name not in json.dumps(erased_file, default=str)
    assert ERASED in json.dumps(erased_file, default=str)
