"""A practitioner's lists show their own team's cases only, managers' every case, by the rule a
single read is admitted by (`AccessGate.sees`): whatever a list offers, its reader may open
without a reason, and whatever it leaves out they may not. On the real servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from tests.integration.outcomes.conftest import OutcomesService, open_enquiry
from tests.integration.outcomes.test_missed_dates import agree_contact_today
from tests.support.polling import eventually

NEAR_MISS = "North-team"
"""Another spelling of the north team is another team (the teams are named as the directory
names them)."""


async def allocated(outcomes: OutcomesService, producer: AIOKafkaProducer, team: str) -> str:
    """A case allocated to `team` with a missed agreed date (a work item), once both show."""
    case_id = await open_enquiry(outcomes, producer)
    await agree_contact_today(outcomes, case_id)
    await outcomes.parts.missed_dates.notice_missed_dates(datetime.now(UTC) + timedelta(days=2))
    response = await outcomes.http.post(
        f"/cases/{case_id}/allocation", json={"team": team}, headers=outcomes.manager
    )
    assert response.status_code == 201, response.text
    await eventually(
        lambda: listed(outcomes, "/allocations", outcomes.manager),
        until=lambda ids: case_id in ids,
        what=f"the case allocated to {team}",
    )
    await eventually(
        lambda: listed(outcomes, "/work-items", outcomes.manager),
        until=lambda ids: case_id in ids,
        what="the case's work item",
    )
    return case_id


async def listed(outcomes: OutcomesService, path: str, headers: dict[str, str]) -> set[str]:
    response = await outcomes.http.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return {str(entry["case_id"]) for entry in body}


async def test_each_practitioner_lists_their_teams_cases_and_a_manager_every_case(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    north = await allocated(outcomes, kafka_producer, "north-team")
    south = await allocated(outcomes, kafka_producer, "south-team")
    near = await allocated(outcomes, kafka_producer, NEAR_MISS)
    unallocated = await open_enquiry(outcomes, kafka_producer)
    await agree_contact_today(outcomes, unallocated)
    await outcomes.parts.missed_dates.notice_missed_dates(datetime.now(UTC) + timedelta(days=2))
    await eventually(
        lambda: listed(outcomes, "/work-items", outcomes.manager),
        until=lambda ids: unallocated in ids,
        what="the unallocated case's work item",
    )
    ours = {north, south, near, unallocated}
    readers = {
        "asha (north)": outcomes.practitioner,
        "sam (south)": outcomes.colleague,
        "manager": outcomes.manager,
    }

    seen = {
        (who, path): await listed(outcomes, path, headers) & ours
        for who, headers in readers.items()
        for path in ("/allocations", "/work-items")
    }

    assert seen[("asha (north)", "/allocations")] == {north}
    assert seen[("sam (south)", "/allocations")] == {south}
    assert seen[("manager", "/allocations")] == {north, south, near}
    # A case nobody allocated is the team for unallocated cases' (north, in the tests).
    assert seen[("asha (north)", "/work-items")] == {north, unallocated}
    assert seen[("sam (south)", "/work-items")] == {south}
    assert seen[("manager", "/work-items")] == ours
    # One rule: each reader may open, without a reason, exactly what their lists offer.
    for who, headers in readers.items():
        offered = seen[(who, "/work-items")]
        for case_id in ours:
            status = (await outcomes.http.get(f"/cases/{case_id}", headers=headers)).status_code
            assert status == (200 if case_id in offered else 403), (who, case_id, status)
