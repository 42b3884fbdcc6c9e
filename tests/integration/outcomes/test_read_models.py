"""The case file and the person's timeline, built from the topics and rebuilt from scratch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aiokafka import AIOKafkaProducer

from services.outcomes.read_models.case_file import COLLECTION as CASE_FILES
from services.outcomes.read_models.timeline import COLLECTION as TIMELINES
from shared.events import Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import (
    Channel,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    informing_stream,
)
from shared.events.outcomes import CaseOpened, ExpressedBy
from shared.mongo import Document
from shared.topics import NOTIFICATION_EVENTS
from tests.integration.outcomes.conftest import OutcomesService, open_enquiry, publish
from tests.support.polling import eventually
from tests.unit.outcomes.intake_events import HER_WORDS

THEIR_WORDS = "I want the abuse to stop – but I still want to see my son"


async def record_a_story(outcomes: OutcomesService, case_id: str) -> int:
    """Several steps of a case over HTTP; returns the case's version afterwards."""
    post, staff = outcomes.http.post, outcomes.practitioner
    expressed = await post(
        f"/cases/{case_id}/desired-outcomes", json={"text": THEIR_WORDS}, headers=staff
    )
    outcome_id = expressed.json()["events"][0]["payload"]["desired_outcome_id"]
    second = await post(
        f"/cases/{case_id}/desired-outcomes", json={"text": "I want an apology"}, headers=staff
    )
    await post(
        f"/cases/{case_id}/desired-outcomes/{second.json()['events'][0]['payload']['desired_outcome_id']}/withdraw",
        json={"reason": "He said sorry on Sunday."},
        headers=staff,
    )
    agreed = await post(
        f"/cases/{case_id}/agreed-outcomes",
        json={"wording": "Daniel visits on Sundays at her sister's", "serves": [outcome_id]},
        headers=staff,
    )
    agreed_id = agreed.json()["events"][0]["payload"]["agreed_outcome_id"]
    await post(
        f"/cases/{case_id}/plan",
        json={
            "actions": [
                {
                    "description": "Arrange the bank's carer card",
                    "serves": [agreed_id],
                    "owner": "Asha Patel",
                    "agreed_date": (date.today() + timedelta(days=30)).isoformat(),
                }
            ]
        },
        headers=staff,
    )
    last = await post(
        f"/cases/{case_id}/risk-discussions",
        json={
            "present": [{"role": "person", "name": "Margaret Hill"}],
            "options": [
                {
                    "option": "Keep seeing Daniel",
                    "risks": "He may ask for money",
                    "benefits": "She keeps her son",
                }
            ],
            "persons_decision": "I will see him, but not at home.",
        },
        headers=staff,
    )
    version: int = last.json()["version"]
    return version


def informed(case_id: str, person_id: str, about: Envelope, version: int) -> Envelope:
    return Envelope.record(
        PersonInformed(
            person_id=person_id,
            source_event_id=about.event_id,
            source_event_type=about.event_type,
            case_id=case_id,
            recipient_role=RecipientRole.PERSON,
            channel=Channel.LETTER,
            format=MessageFormat.EASY_READ,
            informed_at=datetime.now(UTC),
            message_summary="Your enquiry has started",
        ),
        stream_id=informing_stream(person_id),
        stream_version=version,
        metadata=Metadata(actor=SYSTEM_ACTOR),
    )


async def stored(outcomes: OutcomesService, collection: str, case_id: str) -> Document | None:
    return await outcomes.runtime.database[collection].find_one({"_id": case_id})


async def test_the_case_file_equals_itself_after_a_rebuild(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    version = await record_a_story(outcomes, case_id)
    before = await outcomes.case_file(case_id, version)
    document_before = await stored(outcomes, CASE_FILES, case_id)

    replayed = await outcomes.runtime.rebuild("case-files")

    assert replayed >= version
    assert await stored(outcomes, CASE_FILES, case_id) == document_before
    assert await outcomes.case_file(case_id, version) == before


async def test_the_case_file_holds_the_story_as_recorded(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    version = await record_a_story(outcomes, case_id)

    file = await outcomes.case_file(case_id, version)

    assert file.concern.persons_own_words == HER_WORDS
    current, withdrawn = file.desired_outcomes
    assert (current.text, current.withdrawn) == (THEIR_WORDS, None)
    assert withdrawn.withdrawn is not None
    assert withdrawn.withdrawn.reason == "He said sorry on Sunday."
    assert file.plan is not None
    assert file.plan.actions[0].description == "Arrange the bank's carer card"
    assert file.risk_discussions[0].persons_decision == "I will see him, but not at home."


async def opened_and_started(
    outcomes: OutcomesService, case_id: str
) -> tuple[CaseOpened, Envelope]:
    opened, started, *_ = await outcomes.events_of(case_id)
    assert isinstance(opened.payload, CaseOpened)
    return opened.payload, started


async def test_the_timeline_shows_what_happened_what_they_said_and_what_they_were_told(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await outcomes.http.post(
        f"/cases/{case_id}/desired-outcomes",
        json={"text": THEIR_WORDS},
        headers=outcomes.practitioner,
    )
    opened, started = await opened_and_started(outcomes, case_id)
    await publish(
        kafka_producer, NOTIFICATION_EVENTS, informed(case_id, opened.person_id, started, 1)
    )

    timeline = await eventually(
        lambda: outcomes.timeline(case_id),
        until=lambda t: t is not None and len(t.entries) == 5,
        what="the timeline to hold five entries",
    )

    assert timeline is not None
    assert [(e.kind.value, e.text) for e in timeline.entries] == [
        (
            "happened",
            f"A safeguarding concern was raised about you (reference {opened.reference}).",
        ),
        ("said", HER_WORDS),
        (
            "happened",
            "The council started a safeguarding enquiry (under section 42 of the Care Act).",
        ),
        ("said", THEIR_WORDS),
        ("told", "You were told by letter, in easy read, about the start of the enquiry."),
    ]
    assert [(e.said_by, e.about) for e in timeline.entries if e.kind.value == "said"] == [
        (ExpressedBy.PERSON, "the concern"),
        (ExpressedBy.PERSON, "the outcome wanted"),
    ]
    assert [e.at for e in timeline.entries] == sorted(e.at for e in timeline.entries)


async def test_the_timeline_equals_itself_after_a_rebuild(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    version = await record_a_story(outcomes, case_id)
    opened, started = await opened_and_started(outcomes, case_id)
    await publish(
        kafka_producer, NOTIFICATION_EVENTS, informed(case_id, opened.person_id, started, 1)
    )

    async def told() -> Document | None:
        return await stored(outcomes, TIMELINES, case_id)

    before = await eventually(
        told,
        until=lambda d: (
            d is not None
            and any(e["kind"] == "told" for e in d["entries"])
            and {"stream_id": case_id, "version": version} in d["applied"]
        ),
        what="the timeline with the whole story and what she was told",
    )

    await outcomes.runtime.rebuild("timelines")

    assert await stored(outcomes, TIMELINES, case_id) == before
