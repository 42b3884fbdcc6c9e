"""The audit of access: any change to a recorded entry is found by the hash chain, and the
per-team rule lets only the case's own team (and managers) read without a reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.access import (
    GENESIS,
    ChainCheck,
    StaffMember,
    chained,
    check_chain,
    may_read,
    subject_of,
    team_responsible,
)
from shared.events import Actor, Role

texts = st.text(min_size=1, max_size=20)
entry_fields = st.fixed_dictionaries(
    {
        "at": st.just("2026-11-29T10:00:00.000Z"),
        "staff_id": texts,
        "staff_name": st.none() | texts,
        "role": st.sampled_from(["practitioner", "manager"]),
        "teams": st.lists(texts, max_size=3),
        "action": st.sampled_from(["read", "change"]),
        "method": st.sampled_from(["GET", "POST", "PUT"]),
        "route": texts,
        "subject_kind": st.none() | st.sampled_from(["case", "timeline", "person", "concern"]),
        "subject_id": st.none() | texts,
        "person_id": st.none() | texts,
        "reason": st.none() | texts,
        "outside_team": st.booleans(),
        "refused": st.booleans(),
        "from_address": st.none() | texts,
    }
)


def a_chain(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chain: list[dict[str, Any]] = []
    prev = GENESIS
    for seq, body in enumerate(bodies, start=1):
        entry = chained({**body, "seq": seq}, prev).model_dump()
        chain.append(entry)
        prev = entry["hash"]
    return chain


def check(documents: Sequence[Mapping[str, Any]]) -> ChainCheck:
    async def each() -> AsyncIterator[Mapping[str, Any]]:
        for document in documents:
            yield document

    return asyncio.run(check_chain(each()))


@settings(max_examples=300)
@given(st.lists(entry_fields, min_size=1, max_size=6), st.data())
def test_changing_any_field_of_any_entry_is_found(
    bodies: list[dict[str, Any]], data: st.DataObject
) -> None:
    chain = a_chain(bodies)
    assert check(chain).intact
    at = data.draw(st.integers(0, len(chain) - 1), label="entry")
    name = data.draw(st.sampled_from(sorted(chain[at])), label="field")
    changed = data.draw(
        (st.text(max_size=20) | st.integers() | st.booleans() | st.none()).filter(
            lambda v: v != chain[at][name] or type(v) is not type(chain[at][name])
        ),
        label="new value",
    )
    chain[at] = {**chain[at], name: changed}

    found = check(chain)

    assert not found.intact
    assert found.first_broken_seq == at + 1


@given(st.lists(entry_fields, min_size=2, max_size=6), st.data())
def test_removing_or_swapping_an_entry_is_found(
    bodies: list[dict[str, Any]], data: st.DataObject
) -> None:
    chain = a_chain(bodies)
    at = data.draw(st.integers(0, len(chain) - 2), label="entry")
    removed = chain[:at] + chain[at + 1 :]
    swapped = [*chain]
    swapped[at], swapped[at + 1] = swapped[at + 1], swapped[at]

    assert not check(removed).intact
    assert check(removed).first_broken_seq == at + 1
    assert not check(swapped).intact


def test_an_intact_chain_names_its_head_to_anchor_elsewhere() -> None:
    chain = a_chain([{"staff_id": "a"} | BASE, {"staff_id": "b"} | BASE])
    found = check(chain)
    assert (found.intact, found.entries, found.head_seq, found.head_hash) == (
        True,
        2,
        2,
        chain[-1]["hash"],
    )


BASE: dict[str, Any] = {
    "at": "2026-11-29T10:00:00.000Z",
    "staff_name": None,
    "role": "practitioner",
    "teams": [],
    "action": "read",
    "method": "GET",
    "route": "/cases/{case_id}",
    "subject_kind": "case",
    "subject_id": "case-1",
    "person_id": None,
    "reason": None,
    "outside_team": False,
    "refused": False,
    "from_address": None,
}


def member(role: Role, *teams: str) -> StaffMember:
    return StaffMember(Actor(id="someone", role=role), frozenset(teams))


def test_the_cases_team_and_managers_read_it() -> None:
    assert may_read(member(Role.PRACTITIONER, "north-team"), "north-team")
    assert may_read(member(Role.PRACTITIONER, "south-team", "north-team"), "north-team")
    assert may_read(member(Role.MANAGER), "north-team")
    assert may_read(member(Role.MANAGER), None)


@given(
    st.sampled_from(
        ["North-team", "north-team ", "north", "northteam", "north-team-2", "south-team", ""]
    )
)
def test_a_team_named_nearly_like_the_cases_is_another_team(near_miss: str) -> None:
    assert not may_read(member(Role.PRACTITIONER, near_miss), "north-team")


@given(st.frozensets(texts, max_size=4))
def test_nobody_but_a_manager_reads_a_case_no_team_holds(teams: frozenset[str]) -> None:
    assert not may_read(member(Role.PRACTITIONER, *teams), team_responsible(None, None))


def test_until_allocation_a_case_belongs_to_the_configured_team() -> None:
    assert team_responsible(None, "north-team") == "north-team"
    assert team_responsible("south-team", "north-team") == "south-team"


def test_what_a_route_is_about() -> None:
    assert subject_of("/cases/{case_id}/timeline", {"case_id": "c"}) == ("timeline", "c")
    assert subject_of("/cases/{case_id}", {"case_id": "c"}) == ("case", "c")
    assert subject_of("/people/{person_id}/communications", {"person_id": "p"}) == (
        "communications log",
        "p",
    )
    assert subject_of("/people/{person_id}/safe-contact", {"person_id": "p"}) == ("person", "p")
    assert subject_of("/concerns/{concern_id}", {"concern_id": "x"}) == ("concern", "x")
    assert subject_of("/triage", {}) == (None, None)
