"""Over HTTP: a manager allocates a case to a team, and to a worker in it; the team's and the
worker's open cases are listed from the case files; a practitioner cannot allocate, an empty
team is refused with the field named, and a closed case is no one's work."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from tests.integration.outcomes.conftest import OutcomesService, open_enquiry
from tests.support.polling import eventually

CESSATION = {
    "reason": "no_longer_at_risk",
    "explanation": "Her son has moved away.",
    "case_details": {
        "risks": [
            {"risk_type": "physical", "location": "own_home", "source": "known_to_individual"}
        ],
        "action_taken_and_result": "risk_identified_action_taken",
        "risk_outcome": "risk_removed",
        "mental_capacity": "did_not_lack_capacity",
    },
    "msp_asked": "asked_none_expressed",
}
CLOSURE = {"reason": "Nothing more to do", "feedback_to_referrer": True, "sar_considered": False}


async def allocated(outcomes: OutcomesService, **query: str) -> list[dict[str, Any]]:
    # A manager's list: the teams here are the test's own, which no practitioner is in (a
    # practitioner's list shows only their teams' cases: test_lists_by_team.py).
    response = await outcomes.http.get("/allocations", params=query, headers=outcomes.manager)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_manager_allocates_a_case_and_the_team_and_the_worker_see_it(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    team = f"north-team-{uuid.uuid4().hex[:6]}"

    by_a_practitioner = await outcomes.http.post(
        f"/cases/{case_id}/allocation", json={"team": team}, headers=outcomes.practitioner
    )
    to_the_team = await outcomes.http.post(
        f"/cases/{case_id}/allocation", json={"team": team}, headers=outcomes.manager
    )
    assert by_a_practitioner.status_code == 403
    assert to_the_team.status_code == 201, to_the_team.text
    event = to_the_team.json()["events"][0]
    assert event["event_type"] == "CaseAllocated"
    assert event["payload"]["worker"] is None

    [listed] = await eventually(
        lambda: allocated(outcomes, team=team),
        until=lambda found: [c["case_id"] for c in found] == [case_id],
        what="the team's cases to list it",
    )
    assert listed["worker"] is None
    assert listed["status"] == "enquiry"

    to_a_worker = await outcomes.http.post(
        f"/cases/{case_id}/allocation",
        json={"team": team, "worker": "Asha Patel"},
        headers=outcomes.manager,
    )
    assert to_a_worker.status_code == 201

    await eventually(
        lambda: allocated(outcomes, team=team, worker="Asha Patel"),
        until=lambda mine: [c["case_id"] for c in mine] == [case_id],
        what="the worker's cases to list it",
    )
    assert await allocated(outcomes, team=team, worker="Sam Jones") == []
    assert await allocated(outcomes, team=f"{team}-south") == []
    # Allocated to another team than the practitioner's: a manager reads it.
    file = await outcomes.case_file(case_id, to_a_worker.json()["version"], outcomes.manager)
    assert file.allocation is not None
    assert (file.allocation.team, file.allocation.worker) == (team, "Asha Patel")


async def test_an_allocation_names_a_team_and_a_closed_case_is_no_ones_work(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    team = f"south-team-{uuid.uuid4().hex[:6]}"

    no_team = await outcomes.http.post(
        f"/cases/{case_id}/allocation", json={"worker": "Sam Jones"}, headers=outcomes.manager
    )
    empty_team = await outcomes.http.post(
        f"/cases/{case_id}/allocation", json={"team": ""}, headers=outcomes.manager
    )
    assert no_team.status_code == 422
    assert [e["field"].split(".")[-1] for e in no_team.json()["errors"]] == ["team"]
    assert empty_team.status_code == 422
    assert [e["field"].split(".")[-1] for e in empty_team.json()["errors"]] == ["team"]

    ok = await outcomes.http.post(
        f"/cases/{case_id}/allocation", json={"team": team}, headers=outcomes.manager
    )
    assert ok.status_code == 201
    for step, body, who in (
        ("cessation", CESSATION, outcomes.manager),
        ("closure", CLOSURE, outcomes.practitioner),
    ):
        response = await outcomes.http.post(f"/cases/{case_id}/{step}", json=body, headers=who)
        assert response.status_code == 201, response.text

    await eventually(
        lambda: allocated(outcomes, team=team),
        until=lambda found: found == [],
        what="the closed case to leave the team's list",
    )
    after_closure = await outcomes.http.post(
        f"/cases/{case_id}/allocation", json={"team": team}, headers=outcomes.manager
    )
    assert after_closure.status_code == 409
    assert "closed" in after_closure.json()["detail"]


async def test_the_allocations_query_names_a_bad_filter(outcomes: OutcomesService) -> None:
    response: httpx.Response = await outcomes.http.get(
        "/allocations", params={"team": ""}, headers=outcomes.practitioner
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("team")
