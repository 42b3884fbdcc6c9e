"""Raising concerns over HTTP and Kafka, against the real broker and database: both reach Kafka as
ConcernRaised through the outbox, retries raise nothing twice, refusals explain themselves."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaProducer

from services.intake.application.submissions import AGENCY_HEADER
from services.intake.domain.signature import SIGNATURE_HEADER, sign
from shared.deadletter import DeadLetter
from shared.events import Envelope
from shared.events.intake import ConcernRaised, ConcernSubmissionRejected, SubmissionChannel
from shared.topics import CONCERN_SUBMISSIONS
from tests.integration.intake.conftest import Intake, a_submission, signing_key_of
from tests.support.polling import eventually


def raised(events: list[Envelope], **where: object) -> list[ConcernRaised]:
    return [
        e.payload
        for e in events
        if isinstance(e.payload, ConcernRaised)
        and all(getattr(e.payload, k) == v for k, v in where.items())
    ]


async def submit_over_kafka(
    producer: AIOKafkaProducer,
    agency: str | None,
    value: bytes,
    key: str,
    *,
    signed_by: str | None = "the agency named",
) -> None:
    """Publish a submission in `agency`'s name, signed with the key of `signed_by` (by default
    the agency it names; None: unsigned)."""
    headers = [] if agency is None else [(AGENCY_HEADER, agency.encode())]
    if agency is not None and signed_by is not None:
        signer = agency if signed_by == "the agency named" else signed_by
        headers.append((SIGNATURE_HEADER, sign(signing_key_of(signer), agency, value)))
    await producer.send_and_wait(CONCERN_SUBMISSIONS, value, key=key.encode(), headers=headers)


async def test_a_concern_posted_over_http_is_published_as_concern_raised(intake: Intake) -> None:
    body = a_submission()

    response = await intake.raise_concern(intake.agency_a, body, key="first-try")

    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "received"
    assert answer["reference"] in answer["what_happens_next"]
    events = await intake.published(
        lambda es: bool(raised(es, concern_id=answer["concern_id"])), what="ConcernRaised"
    )
    [concern] = raised(events, concern_id=answer["concern_id"])
    assert concern.reference == answer["reference"]
    assert concern.agency == intake.agency_a
    assert concern.partner_reference == body["partner_reference"]
    assert concern.submitted_via is SubmissionChannel.HTTP
    assert concern.involvement.person_own_words == (
        "I want the abuse to stop – but I still want to see my son."
    )


async def test_a_concern_submitted_over_kafka_is_published_as_concern_raised(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    body = a_submission()
    reference = str(body["partner_reference"])

    await submit_over_kafka(kafka_producer, intake.agency_b, json.dumps(body).encode(), reference)

    events = await intake.published(
        lambda es: bool(raised(es, partner_reference=reference)), what="ConcernRaised"
    )
    [concern] = raised(events, partner_reference=reference)
    assert concern.agency == intake.agency_b
    assert concern.submitted_via is SubmissionChannel.KAFKA


async def test_a_retried_post_with_the_same_key_raises_one_concern(intake: Intake) -> None:
    body = a_submission()

    first = await intake.raise_concern(intake.agency_a, body, key="retry-me")
    again = await intake.raise_concern(intake.agency_a, body, key="retry-me")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = await eventually(
        lambda: intake.http.get("/partner/concerns", headers=intake.as_partner(intake.agency_a)),
        until=lambda r: len(r.json()) >= 1,
        what="the partner view",
    )
    assert [c["reference"] for c in listed.json()] == [first.json()["reference"]]


async def test_the_same_submission_posted_at_once_raises_one_concern_and_answers_all_alike(
    intake: Intake,
) -> None:
    body = a_submission()

    responses = await asyncio.gather(
        *(intake.raise_concern(intake.agency_a, body, key="all-at-once") for _ in range(4))
    )

    assert [r.status_code for r in responses] == [202] * 4
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert sorted(replayed, key=str) == [None, "true", "true", "true"]
    stored = intake.runtime.database["events"]
    assert await stored.count_documents({"event_type": "ConcernRaised"}) == 1


async def test_one_key_with_different_bodies_at_once_raises_one_and_refuses_the_others(
    intake: Intake,
) -> None:
    bodies = [a_submission() for _ in range(4)]

    responses = await asyncio.gather(
        *(intake.raise_concern(intake.agency_a, body, key="contested") for body in bodies)
    )

    assert sorted(r.status_code for r in responses) == [202, 409, 409, 409]
    stored = intake.runtime.database["events"]
    assert await stored.count_documents({"event_type": "ConcernRaised"}) == 1


async def test_the_same_key_with_a_different_body_is_refused_with_409(intake: Intake) -> None:
    await intake.raise_concern(intake.agency_a, a_submission(), key="used-once")

    response = await intake.raise_concern(intake.agency_a, a_submission(), key="used-once")

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "different submission" in response.json()["title"]


async def test_the_same_body_posted_twice_without_a_key_raises_one_concern(
    intake: Intake,
) -> None:
    body = a_submission()

    first = await intake.raise_concern(intake.agency_a, body)
    again = await intake.raise_concern(intake.agency_a, body)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_a_partner_reference_used_over_kafka_names_the_same_submission_over_http(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    body = a_submission()
    reference = str(body["partner_reference"])
    await submit_over_kafka(kafka_producer, intake.agency_a, json.dumps(body).encode(), reference)
    await intake.published(
        lambda es: any(isinstance(e.payload, ConcernRaised) for e in es), what="ConcernRaised"
    )

    posted = await intake.raise_concern(intake.agency_a, body)
    different = await intake.raise_concern(
        intake.agency_a, {**a_submission(), "partner_reference": reference}
    )

    assert posted.status_code == 202
    assert posted.headers["Idempotent-Replayed"] == "true"
    assert different.status_code == 409


async def test_the_same_key_from_another_agency_is_another_submission(intake: Intake) -> None:
    first = await intake.raise_concern(intake.agency_a, a_submission(), key="shared-key")

    second = await intake.raise_concern(intake.agency_b, a_submission(), key="shared-key")

    assert second.status_code == 202
    assert second.json()["concern_id"] != first.json()["concern_id"]


async def test_an_invalid_submission_names_each_bad_field_and_what_is_allowed(
    intake: Intake,
) -> None:
    body = a_submission(**{"person.nhs_number": "943 476 5918", "what_happened.location": "home"})

    response = await intake.raise_concern(intake.agency_a, body)

    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "The concern submission is not valid"
    by_field = {e["field"]: e for e in problem["errors"]}
    assert set(by_field) == {"person.nhs_number", "what_happened.location"}
    assert "Modulus 11" in by_field["person.nhs_number"]["problem"]
    assert "own_home" in by_field["what_happened.location"]["allowed"]


async def test_a_malformed_kafka_submission_is_dead_lettered_and_rejected_and_the_next_is_raised(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    bad = a_submission(**{"person.nhs_number": "943 476 5918"})
    bad_reference = str(bad["partner_reference"])
    good = a_submission()
    good_reference = str(good["partner_reference"])

    await submit_over_kafka(
        kafka_producer, intake.agency_a, json.dumps(bad).encode(), bad_reference
    )
    # Same key, same partition: the good one is read after the bad one.
    await submit_over_kafka(
        kafka_producer, intake.agency_a, json.dumps(good).encode(), bad_reference
    )

    parked = await intake.refused.read_until(
        lambda rs: any(DeadLetter.from_record(r).key == bad_reference.encode() for r in rs),
        what="the refused submission",
    )
    [letter] = [d for d in map(DeadLetter.from_record, parked) if d.key == bad_reference.encode()]
    assert letter.error_type == "DecodeError"
    assert "person.nhs_number" in letter.reason
    assert "Modulus 11" in letter.reason
    assert letter.value == json.dumps(bad).encode()

    events = await intake.published(
        lambda es: (
            bool(raised(es, partner_reference=good_reference))
            and any(isinstance(e.payload, ConcernSubmissionRejected) for e in es)
        ),
        what="the rejection and the next concern",
    )
    [rejection] = [e.payload for e in events if isinstance(e.payload, ConcernSubmissionRejected)]
    assert isinstance(rejection, ConcernSubmissionRejected)
    assert rejection.partner_reference == bad_reference
    assert rejection.agency == intake.agency_a
    assert [r.field for r in rejection.reasons] == ["person.nhs_number"]


async def test_the_partner_can_read_why_its_kafka_submission_was_refused(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    bad = a_submission(**{"what_happened.risk_types": []})
    reference = str(bad["partner_reference"])

    await submit_over_kafka(kafka_producer, intake.agency_a, json.dumps(bad).encode(), reference)

    refused = await eventually(
        lambda: intake.http.get(
            "/partner/rejected-submissions", headers=intake.as_partner(intake.agency_a)
        ),
        until=lambda r: len(r.json()) == 1,
        what="the refusal in the partner view",
    )
    [seen] = refused.json()
    assert seen["partner_reference"] == reference
    assert seen["reasons"][0]["field"] == "what_happened.risk_types"
    assert "financial_or_material" in seen["reasons"][0]["allowed"]


async def test_a_kafka_submission_without_an_agency_header_is_refused(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    body = a_submission()
    reference = str(body["partner_reference"])

    await submit_over_kafka(kafka_producer, None, json.dumps(body).encode(), reference)

    parked = await intake.refused.read_until(
        lambda rs: any(r.key == reference.encode() for r in rs), what="the refused submission"
    )
    [letter] = [d for d in map(DeadLetter.from_record, parked) if d.key == reference.encode()]
    assert "headers.agency: is missing" in letter.reason


async def test_a_republished_kafka_submission_raises_no_second_concern(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    body = a_submission()
    reference = str(body["partner_reference"])
    value = json.dumps(body).encode()
    sentinel = a_submission()

    await submit_over_kafka(kafka_producer, intake.agency_a, value, reference)
    await submit_over_kafka(kafka_producer, intake.agency_a, value, reference)
    # Same key, same partition: the sentinel is read after both copies.
    await submit_over_kafka(
        kafka_producer, intake.agency_a, json.dumps(sentinel).encode(), reference
    )

    events = await intake.published(
        lambda es: bool(raised(es, partner_reference=sentinel["partner_reference"])),
        what="the sentinel concern",
    )
    assert len(raised(events, partner_reference=reference)) == 1


UNREGISTERED = "headers.agency: is not a partner agency registered with the council"
NOT_ITS_SIGNATURE = "headers.signature: is not this agency's signature of this message"


@pytest.mark.parametrize(
    ("pretend", "reason"),
    [
        (lambda i: ("Someone Else Entirely", "Someone Else Entirely"), UNREGISTERED),
        (lambda i: (i.agency_a.upper(), i.agency_a.upper()), UNREGISTERED),
        (lambda i: (f"{i.agency_a} ", f"{i.agency_a} "), UNREGISTERED),
        (lambda i: (i.agency_a.replace("-", "_"), i.agency_a.replace("-", "_")), UNREGISTERED),
        # A registered partner writing in another's name, with its own key.
        (lambda i: (i.agency_a, i.agency_b), NOT_ITS_SIGNATURE),
        (lambda i: (i.agency_a, None), "headers.signature: is missing"),
    ],
    ids=["unknown", "another-case", "trailing-space", "lookalike", "another-partner", "unsigned"],
)
async def test_a_kafka_submission_not_from_the_agency_it_names_is_refused_and_no_view_changes(
    intake: Intake,
    kafka_producer: AIOKafkaProducer,
    pretend: Callable[[Intake], tuple[str, str | None]],
    reason: str,
) -> None:
    forged = a_submission()
    forged_reference = str(forged["partner_reference"])
    real = a_submission()
    real_reference = str(real["partner_reference"])
    pretender, signer = pretend(intake)
    # Only a name that is not the partner's is refused for the name; the rest for the signature.
    assert (pretender != intake.agency_a) == (reason == UNREGISTERED)

    await submit_over_kafka(
        kafka_producer, pretender, json.dumps(forged).encode(), forged_reference, signed_by=signer
    )
    # Same key, same partition: the real partner's submission is read after the forged one.
    await submit_over_kafka(
        kafka_producer, intake.agency_a, json.dumps(real).encode(), forged_reference
    )

    parked = await intake.refused.read_until(
        lambda rs: any(r.key == forged_reference.encode() for r in rs),
        what="the refused submission",
    )
    [letter] = [
        d for d in map(DeadLetter.from_record, parked) if d.key == forged_reference.encode()
    ]
    assert reason in letter.reason
    events = await intake.published(
        lambda es: (
            bool(raised(es, partner_reference=real_reference))
            and any(isinstance(e.payload, ConcernSubmissionRejected) for e in es)
        ),
        what="the rejection and the real partner's concern",
    )
    assert raised(events, partner_reference=forged_reference) == []
    [rejection] = [e.payload for e in events if isinstance(e.payload, ConcernSubmissionRejected)]
    assert isinstance(rejection, ConcernSubmissionRejected)
    assert rejection.agency is None

    async def real_partners_concerns() -> list[str]:
        response = await intake.http.get(
            "/partner/concerns", headers=intake.as_partner(intake.agency_a)
        )
        return [c["partner_reference"] for c in response.json()]

    # Once the real one shows, the partner view has read past the forged one.
    assert await eventually(
        real_partners_concerns, until=lambda seen: seen != [], what="the real partner's concern"
    ) == [real_reference]
    for agency in (intake.agency_a, intake.agency_b):
        headers = intake.as_partner(agency)
        rejected = (await intake.http.get("/partner/rejected-submissions", headers=headers)).json()
        assert rejected == []
    other = await intake.http.get("/partner/concerns", headers=intake.as_partner(intake.agency_b))
    assert other.json() == []
