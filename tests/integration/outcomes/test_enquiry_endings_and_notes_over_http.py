"""Over HTTP: a started enquiry ends only by a conclusion or a recorded cessation before the case
closes; sign-offs happen at the server's time and a given time is bounded; case notes record
contacts between professionals; the return's details about the person can be recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from tests.integration.outcomes.conftest import OutcomesService, open_enquiry
from tests.support.polling import eventually

CLOSURE = {"reason": "Nothing more to do", "feedback_to_referrer": True, "sar_considered": False}
DETAILS = {
    "risks": [{"risk_type": "physical", "location": "own_home", "source": "known_to_individual"}],
    "action_taken_and_result": "ceased_at_individuals_request",
    "mental_capacity": "did_not_lack_capacity",
}
CESSATION = {
    "reason": "persons_request",
    "explanation": "She asked us to stop: her niece is helping her now.",
    "persons_view": "I've had enough of people asking.",
    "case_details": DETAILS,
    "msp_asked": "asked_none_expressed",
}


async def test_a_case_with_an_open_enquiry_cannot_close_until_it_ends(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    refused = await outcomes.http.post(
        f"/cases/{case_id}/closure", json=CLOSURE, headers=outcomes.practitioner
    )
    not_by_a_practitioner = await outcomes.http.post(
        f"/cases/{case_id}/cessation", json=CESSATION, headers=outcomes.practitioner
    )
    ceased = await outcomes.http.post(
        f"/cases/{case_id}/cessation", json=CESSATION, headers=outcomes.manager
    )
    closed = await outcomes.http.post(
        f"/cases/{case_id}/closure", json=CLOSURE, headers=outcomes.practitioner
    )

    assert refused.status_code == 422
    assert "has started but has not ended" in refused.json()["detail"]
    assert not_by_a_practitioner.status_code == 403
    assert ceased.status_code == 201
    assert closed.status_code == 201
    file = await outcomes.case_file(case_id, closed.json()["version"])
    assert file.cessation is not None
    assert file.cessation.reason.value == "persons_request"
    assert file.closure is not None


async def test_a_sign_off_takes_no_time_from_the_client_it_happens_now(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    last_year = (datetime.now(UTC) - timedelta(days=365)).isoformat()

    backdated = await outcomes.http.post(
        f"/cases/{case_id}/cessation",
        json={**CESSATION, "ceased_at": last_year},
        headers=outcomes.manager,
    )
    before = datetime.now(UTC)
    ceased = await outcomes.http.post(
        f"/cases/{case_id}/cessation", json=CESSATION, headers=outcomes.manager
    )

    assert backdated.status_code == 422
    assert backdated.json()["errors"][0]["field"].endswith("ceased_at")
    ceased_at = datetime.fromisoformat(ceased.json()["events"][0]["payload"]["ceased_at"])
    assert before <= ceased_at <= datetime.now(UTC)


async def test_when_something_happened_may_be_given_but_not_in_the_future_or_before_the_concern(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    conversation = {
        "participants": [{"role": "person", "name": "Margaret Hill"}],
        "mode": "phone",
        "summary": "Talked about what happened.",
    }

    future = await outcomes.http.post(
        f"/cases/{case_id}/conversations",
        json={**conversation, "held_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        headers=outcomes.practitioner,
    )
    before_the_concern = await outcomes.http.post(
        f"/cases/{case_id}/conversations",
        json={**conversation, "held_at": (datetime.now(UTC) - timedelta(days=30)).isoformat()},
        headers=outcomes.practitioner,
    )
    an_hour_ago_is_before_the_concern_too = await outcomes.http.post(
        f"/cases/{case_id}/conversations",
        json={**conversation, "held_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
        headers=outcomes.practitioner,
    )
    now = await outcomes.http.post(
        f"/cases/{case_id}/conversations", json=conversation, headers=outcomes.practitioner
    )

    for refused, problem in (
        (future, "is in the future"),
        (before_the_concern, "is before the concern was raised"),
        (an_hour_ago_is_before_the_concern_too, "is before the concern was raised"),
    ):
        assert refused.status_code == 422
        [error] = refused.json()["errors"]
        assert error["field"] == "held_at"
        assert error["problem"].startswith(problem)
        assert "until now" in error["allowed"]
    assert now.status_code == 201
    assert await outcomes.version(case_id) == 3


async def test_a_call_with_the_gp_is_a_case_note_for_staff_not_a_conversation(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    gp = {"name": "Dr Amir Shah", "role": "GP", "organisation": "Severn Surgery"}

    as_a_conversation = await outcomes.http.post(
        f"/cases/{case_id}/conversations",
        json={
            "participants": [{"role": "other_professional", "name": "Dr Amir Shah"}],
            "mode": "phone",
            "summary": "The GP called.",
        },
        headers=outcomes.practitioner,
    )
    noted = await outcomes.http.post(
        f"/cases/{case_id}/case-notes",
        json={
            "contact_with": [gp],
            "mode": "phone",
            "what_was_said": "She has missed two appointments; her son answers the phone.",
            "what_was_agreed": "The GP will see her alone at her next visit.",
        },
        headers=outcomes.practitioner,
    )

    assert as_a_conversation.status_code == 422
    assert "case note" in as_a_conversation.json()["detail"]
    assert noted.status_code == 201
    file = await outcomes.case_file(case_id, noted.json()["version"])
    [note] = file.case_notes
    assert (note.recorded_by, note.contact_with[0].organisation) == ("Asha Patel", "Severn Surgery")
    timeline = await eventually(
        lambda: outcomes.timeline(case_id),
        until=lambda t: t is not None and any(e.kind.value == "note" for e in t.entries),
        what="the case note on the timeline",
    )
    assert timeline is not None
    [entry] = [e for e in timeline.entries if e.kind.value == "note"]
    assert entry.text.startswith("Case note, for staff only. Phone call with Dr Amir Shah")


async def test_what_the_return_counts_about_the_person_can_be_recorded_on_the_case(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    recorded = await outcomes.http.put(
        f"/cases/{case_id}/demographics",
        json={
            "demographics": {
                "date_of_birth": "1941-06-14",
                "gender": "female",
                "ethnicity": "white",
                "primary_support_reason": "memory_and_cognition",
            }
        },
        headers=outcomes.practitioner,
    )
    not_a_category = await outcomes.http.put(
        f"/cases/{case_id}/demographics",
        json={"demographics": {"ethnicity": "martian"}},
        headers=outcomes.practitioner,
    )

    assert recorded.status_code == 200
    file = await outcomes.case_file(case_id, recorded.json()["version"])
    assert file.demographics is not None
    assert file.demographics.primary_support_reason.label == "Support with Memory and Cognition"
    assert not_a_category.status_code == 422
    assert not_a_category.json()["errors"][0]["field"] == "demographics.ethnicity"
