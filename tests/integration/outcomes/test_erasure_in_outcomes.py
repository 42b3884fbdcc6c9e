"""Outcomes' reaction to a person's erasure, on the real servers: her case file, timeline and work
items hold her words no more, and each equals what a rebuild of it gives."""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.outcomes.read_models.case_file import COLLECTION as CASE_FILES
from services.outcomes.read_models.timeline import COLLECTION as TIMELINES
from services.outcomes.read_models.work_items import COLLECTION as WORK_ITEMS
from shared.events import Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ConcernRaised, ErasureReason, PersonErased
from shared.events.notification import informing_stream
from shared.events.outcomes import CaseOpened
from shared.mongo import Document
from shared.personal_data import ERASED
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS
from tests.integration.outcomes.conftest import (
    OutcomesService,
    case_of,
    open_enquiry,
    publish,
)
from tests.integration.outcomes.test_read_models import THEIR_WORDS, informed, record_a_story
from tests.support.polling import eventually
from tests.unit.outcomes.intake_events import HER_WORDS, concern_raised, decision_made

READ_MODELS = {CASE_FILES: "case-files", TIMELINES: "timelines", WORK_ITEMS: "work-items"}


async def stored(outcomes: OutcomesService, collection: str, case_id: str) -> Document | None:
    return await outcomes.runtime.database[collection].find_one({"_id": case_id})


async def she_is_erased(
    outcomes: OutcomesService, producer: AIOKafkaProducer, person_id: str, concern_id: str
) -> None:
    """As intake erases her: her keys destroyed, then PersonErased on intake's topic."""
    subjects = [concern_id, informing_stream(person_id)]
    keyring = outcomes.runtime.store.keyring
    assert keyring is not None
    await keyring.destroy(subjects)
    erased = PersonErased(
        person_id=person_id,
        concern_ids=[concern_id],
        subjects_destroyed=subjects,
        reason_kind=ErasureReason.RETENTION,
        reason="The retention period after her last contact passed.",
        erased_by_role=SYSTEM_ACTOR.role,
    )
    await publish(
        producer,
        INTAKE_EVENTS,
        Envelope.record(
            erased, stream_id=person_id, stream_version=1, metadata=Metadata(actor=SYSTEM_ACTOR)
        ),
    )


async def test_her_case_file_timeline_and_work_items_are_erased_and_equal_a_rebuild(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    version = await record_a_story(outcomes, case_id)
    opened, started, *_ = await outcomes.events_of(case_id)
    assert isinstance(opened.payload, CaseOpened)
    person_id, concern_id = opened.payload.person_id, opened.payload.concern_id
    await publish(kafka_producer, NOTIFICATION_EVENTS, informed(case_id, person_id, started, 1))
    await eventually(
        lambda: stored(outcomes, TIMELINES, case_id),
        until=lambda d: (
            d is not None
            and any(e["kind"] == "told" for e in d["entries"])
            and {"stream_id": case_id, "version": version} in d["applied"]
        ),
        what="the timeline with the whole story and what she was told",
    )
    await eventually(
        lambda: stored(outcomes, CASE_FILES, case_id),
        until=lambda d: (
            d is not None and THEIR_WORDS in json.dumps(d, default=str, ensure_ascii=False)
        ),
        what="the case file with her words",
    )

    await she_is_erased(outcomes, kafka_producer, person_id, concern_id)

    def without_her_words(document: Document | None) -> bool:
        text = json.dumps(document, default=str, ensure_ascii=False)
        return document is not None and THEIR_WORDS not in text and HER_WORDS not in text

    after = {
        collection: await eventually(
            lambda c=collection: stored(outcomes, c, case_id),  # type: ignore[misc]
            until=without_her_words,
            what=f"her {collection} erased",
        )
        for collection in READ_MODELS
    }
    assert "Margaret Hill" not in json.dumps(after, default=str)
    assert after[CASE_FILES] is not None
    assert ERASED in json.dumps(after[CASE_FILES], default=str)
    timeline = after[TIMELINES]
    assert timeline is not None
    assert any(e["kind"] == "told" for e in timeline["entries"])
    for collection, projection in READ_MODELS.items():
        await outcomes.runtime.rebuild(projection)
        assert await stored(outcomes, collection, case_id) == after[collection], collection


async def test_a_concern_erased_before_outcomes_saw_it_opens_no_case_and_parks_nothing(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    raised = concern_raised()
    assert isinstance(raised.payload, ConcernRaised)
    concern_id = raised.payload.concern_id
    keyring = outcomes.runtime.store.keyring
    assert keyring is not None
    await keyring.destroy([concern_id])
    group = outcomes.runtime.settings.consumer_group("case-opening")

    def skipped(event_type: str) -> float:
        labels = {"group": group, "event_type": event_type}
        return REGISTRY.get_sample_value("consumer_events_skipped_as_erased_total", labels) or 0

    await publish(kafka_producer, INTAKE_EVENTS, raised, decision_made(raised))

    await eventually(
        lambda: asyncio.sleep(0, (skipped("ConcernRaised"), skipped("S42DecisionMade"))),
        until=lambda counts: counts == (1, 1),
        what="the concern and its decision skipped as erased",
    )
    assert await outcomes.version(case_of(raised)) == 0
