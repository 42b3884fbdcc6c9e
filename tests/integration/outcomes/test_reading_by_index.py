"""Opening cases and keeping their read models reads no collection whole, on the real
MongoDB-wire server: every query the outcomes service sends while concerns, a repeat and a
section 42 decision arrive on Kafka is explained by the server, and none scans a collection
that grows with the work (`tests.support.indexes.BOUNDED` names those that do not)."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from services.outcomes.read_models.case_file import COLLECTION as CASE_FILES
from shared.mongo import Client
from shared.topics import INTAKE_EVENTS
from tests.integration.outcomes.conftest import OutcomesService, case_of, publish
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
