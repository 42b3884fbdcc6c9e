"""Whose work an item is: an allocated case is its worker's own, and shows on its team's list
only; everything unallocated waits on every team's list for whoever picks it up."""

from __future__ import annotations

from typing import Any

from services.practitioner_web.domain import work
from services.practitioner_web.domain.work import WorkKind


def allocated(team: str, worker: str | None, case_id: str = "case-1") -> dict[str, Any]:
    return {
        "case_id": case_id,
        "reference": "SG-2026-4F7K2Q",
        "person_id": "person-1",
        "person_name": "Margaret Hill",
        "status": "enquiry",
        "team": team,
        "worker": worker,
        "allocated_at": "2026-11-29T10:00:00+00:00",
    }


def test_a_case_allocated_to_a_worker_is_their_own_work_and_no_one_else_s() -> None:
    [item] = work.from_allocations([allocated("north-team", "Asha Patel")])
    assert item.kind is WorkKind.ALLOCATED
    assert item.href == "/cases/case-1"
    assert work.mine(item, name="Asha Patel", is_manager=False)
    # another worker, a near miss of her name, and a manager are not her
    for name in ("Sam Jones", "Asha Patel ", "asha patel", "Asha"):
        assert not work.mine(item, name=name, is_manager=False), name
    assert not work.mine(item, name="Alex Morgan", is_manager=True)


def test_a_case_allocated_to_a_team_only_is_no_one_s_own_yet() -> None:
    [item] = work.from_allocations([allocated("north-team", None)])
    assert item.assigned_to is None
    assert "no worker named yet" in item.detail
    assert not work.mine(item, name="Asha Patel", is_manager=False)


def test_an_allocated_case_shows_on_its_own_team_s_list_only() -> None:
    north, south = work.from_allocations(
        [allocated("north-team", None, "case-1"), allocated("south-team", "Sam Jones", "case-2")]
    )
    assert work.teams(north, ["north-team"])
    assert not work.teams(south, ["north-team"])
    assert not work.teams(north, [])
    assert not work.teams(north, ["north"])
    assert work.teams(south, ["north-team", "south-team"])


def test_unallocated_work_waits_on_every_team_s_list() -> None:
    [waiting] = work.from_safe_contact(
        [
            {
                "person_id": "person-1",
                "concern_id": "concern-1",
                "waiting_since": "2026-11-29T09:00:00+00:00",
                "deadline": None,
                "steps_waiting": 1,
            }
        ]
    )
    assert work.teams(waiting, [])
    assert work.teams(waiting, ["south-team"])
    assert work.mine(waiting, name="Sam Jones", is_manager=False)
