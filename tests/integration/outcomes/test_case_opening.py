"""Intake's events on the real broker open the person's case and start the enquiry, once."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from services.outcomes.read_models.case_file import CaseStatus
from shared.events.intake import S42Decision
from shared.events.outcomes import CaseOpened, EnquiryKind, EnquiryStarted
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
