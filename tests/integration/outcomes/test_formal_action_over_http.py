"""The formal-action rule, as practitioners and managers meet it over HTTP: the person's own wish
decides; consent is heard by someone other than the one recording the action; a representative's
view is theirs; a best-interests decision rests on an assessment of that very decision; an
override names the one action it allows."""

from __future__ import annotations

import httpx
from aiokafka import AIOKafkaProducer

from shared.events.outcomes import MAX_OPTIONS
from shared.limits import MAX_EVENT_BYTES
from tests.integration.outcomes.conftest import OutcomesService, open_enquiry

POLICE_REFERRAL = {"action": "police", "description": "Referral to the police about the theft."}


async def wish(
    outcomes: OutcomesService,
    case_id: str,
    wish: str,
    *,
    by: dict[str, str],
    expressed_by: str = "person",
) -> httpx.Response:
    response = await outcomes.http.post(
        f"/cases/{case_id}/formal-action-wishes",
        json={
            "action": "police",
            "wish": wish,
            "in_their_words": "Yes, tell the police." if wish == "wants" else "Not the police.",
            "expressed_by": expressed_by,
        },
        headers=by,
    )
    assert response.status_code == 201, response.text
    return response


async def take(outcomes: OutcomesService, case_id: str, by: dict[str, str]) -> httpx.Response:
    return await outcomes.http.post(
        f"/cases/{case_id}/formal-actions", json=POLICE_REFERRAL, headers=by
    )


async def override(outcomes: OutcomesService, case_id: str, grounds: list[str]) -> httpx.Response:
    return await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides",
        json={
            "action": "police",
            "grounds": grounds,
            "reason": "He is taking money from two other neighbours too.",
            "person_told": True,
        },
        headers=outcomes.manager,
    )


async def test_formal_action_without_consent_is_refused_with_the_rule_named(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    response = await take(outcomes, case_id, outcomes.practitioner)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"].startswith("Formal action refused")
    assert "has not consented to a police referral" in problem["detail"]
    assert problem["errors"][0]["field"] == "action"
    assert await outcomes.version(case_id) == 2


async def test_formal_action_is_allowed_on_consent_a_colleague_heard(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await wish(outcomes, case_id, "wants", by=outcomes.colleague)

    response = await take(outcomes, case_id, outcomes.practitioner)

    assert response.status_code == 201
    [taken] = response.json()["events"]
    assert taken["event_type"] == "FormalActionTaken"
    assert taken["payload"]["basis"] == "person_wants_it"


async def test_consent_recorded_by_the_practitioner_taking_the_action_is_not_enough(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await wish(outcomes, case_id, "wants", by=outcomes.practitioner)

    response = await take(outcomes, case_id, outcomes.practitioner)

    assert response.status_code == 422
    assert "recorded by the same member of staff" in response.json()["detail"]


async def test_a_representative_wanting_police_action_against_the_persons_refusal_is_refused(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await wish(outcomes, case_id, "does_not_want", by=outcomes.colleague)
    await wish(outcomes, case_id, "wants", by=outcomes.colleague, expressed_by="representative")

    response = await take(outcomes, case_id, outcomes.practitioner)
    file = await outcomes.case_file(case_id, 4)

    assert response.status_code == 422
    assert "their representative wants it, but that view is theirs" in response.json()["detail"]
    assert [w.expressed_by.value for w in file.formal_action_wishes] == [
        "person",
        "representative",
    ]
    assert file.formal_actions == []


async def test_an_override_allows_one_action_and_no_more(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await wish(outcomes, case_id, "does_not_want", by=outcomes.colleague)
    overridden = await override(outcomes, case_id, ["others_at_risk", "crime_or_suspected_crime"])

    first = await take(outcomes, case_id, outcomes.practitioner)
    second = await take(outcomes, case_id, outcomes.practitioner)

    assert overridden.status_code == 201
    override_id = overridden.json()["events"][0]["payload"]["override_id"]
    assert first.status_code == 201
    assert first.json()["events"][0]["payload"]["basis"] == "wishes_overridden"
    assert first.json()["events"][0]["payload"]["authority_id"] == override_id
    assert second.status_code == 422
    assert "has allowed its one action" in second.json()["detail"]


async def test_lack_of_capacity_is_decided_by_a_best_interests_decision_not_an_override(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    await wish(outcomes, case_id, "wants", by=outcomes.colleague, expressed_by="representative")
    assessed = await outcomes.http.post(
        f"/cases/{case_id}/mental-capacity",
        json={
            "decision": "Whether to report her son to the police",
            "lacks_capacity": True,
            "best_interests": "Decide with her daughter, who speaks for her",
            "formal_action": "police",
        },
        headers=outcomes.practitioner,
    )
    assessment_id = assessed.json()["events"][0]["payload"]["assessment_id"]
    as_an_override = await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides",
        json={
            "action": "police",
            "grounds": ["lacks_capacity_best_interests"],
            "reason": "She cannot decide this.",
            "person_told": True,
        },
        headers=outcomes.manager,
    )
    decision = {
        "action": "police",
        "capacity_assessment_id": assessment_id,
        "in_best_interests": True,
        "persons_wishes": "She has said she wants her money back.",
        "consulted": [{"role": "family_or_friend", "name": "Susan Hill", "view": "Report it"}],
        "reasons": "Reporting protects the savings she says matter to her.",
    }
    without_the_representative = await outcomes.http.post(
        f"/cases/{case_id}/best-interests-decisions", json=decision, headers=outcomes.practitioner
    )
    decided = await outcomes.http.post(
        f"/cases/{case_id}/best-interests-decisions",
        json={
            **decision,
            "consulted": [{"role": "representative", "name": "Jan Hill", "view": "Report it"}],
        },
        headers=outcomes.practitioner,
    )

    taken = await take(outcomes, case_id, outcomes.practitioner)

    assert as_an_override.status_code == 422
    assert "Lack of capacity is not an override ground" in as_an_override.json()["detail"]
    assert without_the_representative.status_code == 422
    assert "Consult the person's representative" in without_the_representative.json()["detail"]
    assert decided.status_code == 201
    assert taken.status_code == 201
    assert taken.json()["events"][0]["payload"]["basis"] == "best_interests_decision"


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
