"""The formal-action rule, as practitioners and managers meet it over HTTP: no police,
disciplinary, regulator or legal action without the person's consent or a manager's override."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from shared.events.outcomes import MAX_OPTIONS
from shared.limits import MAX_EVENT_BYTES
from tests.integration.outcomes.conftest import OutcomesService, open_enquiry

POLICE_REFERRAL = {"action": "police", "description": "Referral to the police about the theft."}


async def test_formal_action_without_consent_is_refused_with_the_rule_named(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    response = await outcomes.http.post(
        f"/cases/{case_id}/formal-actions", json=POLICE_REFERRAL, headers=outcomes.practitioner
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"].startswith("Formal action refused")
    assert "has not consented to a police referral" in problem["detail"]
    assert problem["errors"][0]["field"] == "action"
    assert await outcomes.version(case_id) == 2


async def test_formal_action_is_allowed_after_the_person_consents(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    consent = await outcomes.http.post(
        f"/cases/{case_id}/formal-action-wishes",
        json={"action": "police", "wish": "wants", "in_their_words": "Yes, tell the police."},
        headers=outcomes.practitioner,
    )

    response = await outcomes.http.post(
        f"/cases/{case_id}/formal-actions", json=POLICE_REFERRAL, headers=outcomes.practitioner
    )

    assert consent.status_code == 201
    assert response.status_code == 201
    [taken] = response.json()["events"]
    assert taken["event_type"] == "FormalActionTaken"
    assert taken["payload"]["basis"] == "person_wants_it"


async def test_formal_action_is_allowed_after_a_manager_overrides_the_wishes_with_a_ground(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await outcomes.http.post(
        f"/cases/{case_id}/formal-action-wishes",
        json={"action": "police", "wish": "does_not_want", "in_their_words": "Not the police."},
        headers=outcomes.practitioner,
    )
    override = await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides",
        json={
            "action": "police",
            "grounds": ["others_at_risk", "crime_or_suspected_crime"],
            "reason": "He is taking money from two other neighbours too.",
            "person_told": True,
        },
        headers=outcomes.manager,
    )

    response = await outcomes.http.post(
        f"/cases/{case_id}/formal-actions", json=POLICE_REFERRAL, headers=outcomes.practitioner
    )

    assert override.status_code == 201
    assert response.status_code == 201
    assert response.json()["events"][0]["payload"]["basis"] == "wishes_overridden"


async def test_a_practitioner_trying_to_override_the_wishes_is_forbidden(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    response = await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides",
        json={
            "action": "police",
            "grounds": ["crime_or_suspected_crime"],
            "reason": "A crime was committed.",
            "person_told": True,
        },
        headers=outcomes.practitioner,
    )

    assert response.status_code == 403
    assert "manager" in response.json()["detail"]
    assert await outcomes.version(case_id) == 2


async def test_an_override_the_person_was_not_told_of_needs_a_reason_why(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    response = await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides",
        json={
            "action": "police",
            "grounds": ["crime_or_suspected_crime"],
            "reason": "A crime was committed.",
            "person_told": False,
        },
        headers=outcomes.manager,
    )

    assert response.status_code == 422
    assert "why_not_told is required when the person was not told" in response.json()["detail"]


async def test_a_change_too_large_to_record_is_refused_with_422_and_nothing_is_recorded(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    words = "The person weighed this option carefully. " * 230  # just under 10,000 characters
    option = {"option": words, "risks": words, "benefits": words}
    discussion = {
        "present": [{"name": "Margaret Hill", "role": "person"}],
        "options": [option] * MAX_OPTIONS,  # each field within its limit; together, too much
        "persons_decision": "I want to stay at home.",
    }

    response = await outcomes.http.post(
        f"/cases/{case_id}/risk-discussions", json=discussion, headers=outcomes.practitioner
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "The change is too large to record"
    assert str(MAX_EVENT_BYTES) in response.json()["detail"]
    assert await outcomes.version(case_id) == 2
