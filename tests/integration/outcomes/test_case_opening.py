"""Intake's events on the real broker open the person's case and start the enquiry, once; a
repeat report of the same incident joins the open case instead of opening a second one."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from bson import json_util

from services.outcomes.read_models.case_file import CaseStatus
from services.outcomes.read_models.concern_cases import COLLECTION as CONCERN_CASES
from shared.events import encode, kafka_headers
from shared.events.intake import S42Decision
from shared.events.outcomes import CaseOpened, EnquiryKind, EnquiryStarted, RepeatConcernJoined
from shared.topics import INTAKE_EVENTS
from tests.integration.outcomes.conftest import OutcomesService, case_of, open_enquiry, publish
from tests.support.polling import eventually
from tests.unit.outcomes.intake_events import HER_WORDS, concern_raised, decision_made


async def test_a_concern_raised_on_the_intake_topic_opens_exactly_one_case_even_when_delivered_twice(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    raised = concern_raised()
    case_id = case_of(raised)
    await publish(kafka_producer, INTAKE_EVENTS, raised, raised)
    # The decision comes after both copies on the concern's partition: once it has started the
    # enquiry, both copies have been handled.
    await publish(kafka_producer, INTAKE_EVENTS, decision_made(raised))
    await eventually(lambda: outcomes.version(case_id), until=lambda v: v >= 2, what="enquiry")

    events = await outcomes.events_of(case_id)

    assert [e.event_type for e in events] == ["CaseOpened", "EnquiryStarted"]
    opened = events[0].payload
    assert isinstance(opened, CaseOpened)
    assert opened.persons_own_words == HER_WORDS
    assert events[0].causation_id == raised.event_id


async def test_an_s42_decision_starts_the_enquiry(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    started = (await outcomes.events_of(case_id))[1].payload
    file = await outcomes.case_file(case_id, 2)

    assert isinstance(started, EnquiryStarted)
    assert started.kind is EnquiryKind.S42_ENQUIRY
    assert file.status is CaseStatus.ENQUIRY


async def test_a_no_further_action_decision_opens_the_case_but_starts_no_enquiry(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    raised = concern_raised()
    sentinel = concern_raised()
    await publish(
        kafka_producer,
        INTAKE_EVENTS,
        raised,
        decision_made(raised, S42Decision.NO_FURTHER_ACTION),
        sentinel,
        decision_made(sentinel),
    )
    await eventually(lambda: outcomes.version(case_of(sentinel)), until=lambda v: v >= 2)
    await eventually(lambda: outcomes.version(case_of(raised)), until=lambda v: v >= 1)

    assert [e.event_type for e in await outcomes.events_of(case_of(raised))] == ["CaseOpened"]


async def test_the_case_of_a_concern_can_be_found_from_the_concern(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    raised = concern_raised()
    case_id = await open_enquiry(outcomes, kafka_producer, raised)
    concern_id = raised.stream_id

    by_path = await outcomes.http.get(f"/concerns/{concern_id}/case", headers=outcomes.practitioner)
    by_query = await outcomes.http.get(
        "/cases", params={"concern_id": concern_id}, headers=outcomes.practitioner
    )

    assert by_path.status_code == 200
    assert by_path.json()["case_id"] == case_id
    assert [c["case_id"] for c in by_query.json()] == [case_id]


async def test_a_concern_with_no_case_is_not_found(outcomes: OutcomesService) -> None:
    response = await outcomes.http.get(
        "/concerns/concern-never-raised/case", headers=outcomes.practitioner
    )

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_reading_a_case_without_a_staff_token_is_unauthorised(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    response = await outcomes.http.get(f"/cases/{case_id}")

    assert response.status_code == 401


# -- a repeat report of the same incident ---------------------------------------------------


async def test_a_repeat_report_joins_the_open_case_and_opens_no_second_one(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    original = concern_raised()
    case_id = case_of(original)
    repeat = concern_raised(repeat_of=original, own_words="He came back for the card again.")
    await publish(kafka_producer, INTAKE_EVENTS, original)
    await eventually(lambda: outcomes.version(case_id), until=lambda v: v >= 1, what="the case")
    await publish(kafka_producer, INTAKE_EVENTS, repeat, repeat)
    await eventually(lambda: outcomes.version(case_id), until=lambda v: v >= 2, what="the join")
    # The original's decision (its own partition) starts the enquiry in the joined case; the
    # repeat's second copy, after the first on its partition, finds it joined already.
    await publish(kafka_producer, INTAKE_EVENTS, decision_made(original))
    await eventually(lambda: outcomes.version(case_id), until=lambda v: v >= 3, what="enquiry")

    events = await outcomes.events_of(case_id)
    located = await outcomes.http.get(
        f"/concerns/{repeat.stream_id}/case", headers=outcomes.practitioner
    )
    timeline = await eventually(
        lambda: outcomes.timeline(case_id),
        until=lambda t: t is not None and any("same incident" in e.text for e in t.entries),
        what="the repeat on her timeline",
    )

    assert [e.event_type for e in events] == ["CaseOpened", "RepeatConcernJoined", "EnquiryStarted"]
    joined = events[1].payload
    assert isinstance(joined, RepeatConcernJoined)
    assert joined.concern_id == repeat.stream_id
    assert joined.persons_own_words == "He came back for the card again."
    assert await outcomes.events_of(case_of(repeat)) == []
    assert located.status_code == 200
    assert (located.json()["case_id"], located.json()["joined_as_repeat"]) == (case_id, True)
    assert timeline is not None
    assert ("said", "He came back for the card again.") in [
        (e.kind.value, e.text) for e in timeline.entries
    ]


async def test_a_repeat_that_arrives_before_the_concern_it_repeats_joins_when_its_case_opens(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    original = concern_raised()
    repeat = concern_raised(repeat_of=original)
    waiting = outcomes.runtime.database[CONCERN_CASES]
    await publish(kafka_producer, INTAKE_EVENTS, repeat)
    await eventually(
        lambda: waiting.find_one({"_id": original.stream_id}),
        until=lambda doc: doc is not None and len(doc["waiting"]) == 1,
        what="the repeat to wait for its case",
    )

    await publish(kafka_producer, INTAKE_EVENTS, original)
    await eventually(
        lambda: outcomes.version(case_of(original)), until=lambda v: v >= 2, what="the join"
    )

    events = await outcomes.events_of(case_of(original))
    assert [e.event_type for e in events] == ["CaseOpened", "RepeatConcernJoined"]
    assert await outcomes.events_of(case_of(repeat)) == []
    assert (await waiting.find_one({"_id": original.stream_id}) or {})["waiting"] == []


async def test_a_repeat_of_a_concern_whose_case_was_closed_opens_its_own_case(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    original = concern_raised()
    await publish(kafka_producer, INTAKE_EVENTS, original)
    await eventually(lambda: outcomes.version(case_of(original)), until=lambda v: v >= 1)
    closed = await outcomes.http.post(
        f"/cases/{case_of(original)}/closure",
        json={
            "reason": "Passed to another council",
            "feedback_to_referrer": True,
            "sar_considered": False,
        },
        headers=outcomes.practitioner,
    )
    repeat = concern_raised(repeat_of=original)

    await publish(kafka_producer, INTAKE_EVENTS, repeat)
    await eventually(lambda: outcomes.version(case_of(repeat)), until=lambda v: v >= 1)

    assert closed.status_code == 201
    assert [e.event_type for e in await outcomes.events_of(case_of(original))] == [
        "CaseOpened",
        "CaseClosed",
    ]


async def test_a_waiting_repeat_is_kept_sealed_and_opened_when_it_joins(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    original = concern_raised()
    words = "He took my card again on Friday and I am frightened of him."
    repeat = concern_raised(repeat_of=original, own_words=words, person_name="Margaret Hill")
    keyring = outcomes.runtime.store.keyring
    assert keyring is not None
    sealed = encode(repeat, sealing=await keyring.sealing_key(repeat.stream_id))
    waiting = outcomes.runtime.database[CONCERN_CASES]
    await kafka_producer.send_and_wait(
        INTAKE_EVENTS, sealed, key=repeat.stream_id.encode(), headers=kafka_headers(repeat)
    )
    document = await eventually(
        lambda: waiting.find_one({"_id": original.stream_id}),
        until=lambda doc: doc is not None and len(doc["waiting"]) == 1,
        what="the repeat to wait for its case",
    )

    kept = json_util.dumps(document)
    assert "pd1:" in kept
    for detail in (words, "Margaret Hill", "Her son takes her bank card", "PC Sam Okafor"):
        assert detail not in kept

    await publish(kafka_producer, INTAKE_EVENTS, original)
    await eventually(
        lambda: outcomes.version(case_of(original)), until=lambda v: v >= 2, what="the join"
    )
    joined = (await outcomes.events_of(case_of(original)))[1].payload
    assert isinstance(joined, RepeatConcernJoined)
    assert joined.persons_own_words == words
