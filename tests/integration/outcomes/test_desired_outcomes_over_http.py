"""What the person wants, recorded over HTTP in their own words and read back unchanged."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from tests.integration.outcomes.conftest import OutcomesService, open_enquiry

THEIR_WORDS = "I want the abuse to stop – but I still want to see my son"
CHANGED_MIND = "  I still want to see my son – on Sundays, at my sister's 🙂\n"
CASE_DETAILS = {
    "risks": [
        {
            "risk_type": "financial_or_material",
            "location": "own_home",
            "source": "known_to_individual",
        }
    ],
    "action_taken_and_result": "risk_identified_no_action_taken",
    "mental_capacity": "did_not_lack_capacity",
}


async def test_verbatim_outcome_text_survives_http_and_the_read_model_exactly(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    expressed = await outcomes.http.post(
        f"/cases/{case_id}/desired-outcomes",
        json={"text": THEIR_WORDS, "category": "relationship"},
        headers=outcomes.practitioner,
    )
    outcome_id = expressed.json()["events"][0]["payload"]["desired_outcome_id"]
    revised = await outcomes.http.put(
        f"/cases/{case_id}/desired-outcomes/{outcome_id}",
        json={"text": CHANGED_MIND},
        headers=outcomes.practitioner,
    )

    file = await outcomes.case_file(case_id, revised.json()["version"])

    assert expressed.json()["events"][0]["payload"]["text"] == THEIR_WORDS
    [outcome] = file.desired_outcomes
    assert outcome.text == CHANGED_MIND
    assert [wording.text for wording in outcome.history] == [THEIR_WORDS, CHANGED_MIND]


async def test_achievement_for_an_outcome_never_expressed_is_refused(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    response = await outcomes.http.post(
        f"/cases/{case_id}/conclusion",
        json={
            "case_details": CASE_DETAILS,
            "msp_asked": "asked_and_expressed",
            "achievements": [{"desired_outcome_id": "never-said", "achievement": "fully"}],
        },
        headers=outcomes.manager,
    )

    assert response.status_code == 422
    assert "only for outcomes the person expressed" in response.json()["detail"]
    assert await outcomes.version(case_id) == 2


async def test_revising_an_outcome_the_case_does_not_hold_is_not_found(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)

    response = await outcomes.http.put(
        f"/cases/{case_id}/desired-outcomes/no-such-outcome",
        json={"text": THEIR_WORDS},
        headers=outcomes.practitioner,
    )

    assert response.status_code == 404


async def test_a_closed_case_refuses_any_further_change_as_a_conflict(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    ceased = await outcomes.http.post(
        f"/cases/{case_id}/cessation",
        json={
            "reason": "persons_request",
            "explanation": "She asked us to stop.",
            "case_details": {
                **CASE_DETAILS,
                "action_taken_and_result": "ceased_at_individuals_request",
            },
            "msp_asked": "asked_none_expressed",
        },
        headers=outcomes.manager,
    )
    closed = await outcomes.http.post(
        f"/cases/{case_id}/closure",
        json={
            "reason": "She asked us to stop",
            "feedback_to_referrer": True,
            "sar_considered": False,
        },
        headers=outcomes.practitioner,
    )

    response = await outcomes.http.post(
        f"/cases/{case_id}/desired-outcomes",
        json={"text": THEIR_WORDS},
        headers=outcomes.practitioner,
    )

    assert (ceased.status_code, closed.status_code) == (201, 201)
    assert response.status_code == 409
    assert "cannot change" in response.json()["detail"]


async def test_recording_in_a_case_that_does_not_exist_is_not_found(
    outcomes: OutcomesService,
) -> None:
    response = await outcomes.http.post(
        "/cases/case-unknown/desired-outcomes",
        json={"text": THEIR_WORDS},
        headers=outcomes.practitioner,
    )

    assert response.status_code == 404
