"""Who read or changed a case, on the real servers: every staff access is in the audit with the
reader (never the content); a case is read by its team and managers, anyone else is refused
unless they give a reason, which is recorded; the audit's hash chain finds a changed or removed
raw document, and instances writing at once keep one unbroken chain."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from bson import json_util

from shared.access import AUDIT_COLLECTION, HEAD, REASON_HEADER, AccessAudit
from tests.integration.outcomes.conftest import OutcomesService, open_enquiry
from tests.support.polling import eventually
from tests.support.staff import Staff, TestUser
from tests.unit.outcomes.intake_events import concern_raised

SECRET_WORDS = "He keeps the bank card in the blue tin"
PERSON_NAME = "Philippa Auditworthy"


async def audit_of(outcomes: OutcomesService, **query: str) -> list[dict[str, Any]]:
    response = await outcomes.http.get(
        "/admin/access-audit", params=query, headers=outcomes.manager
    )
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def a_case_with_a_timeline(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> tuple[str, str]:
    case_id = await open_enquiry(outcomes, kafka_producer, concern_raised(person_name=PERSON_NAME))
    file = await outcomes.case_file(case_id, 2)
    await eventually(
        lambda: outcomes.timeline(case_id), until=lambda t: t is not None, what="the timeline"
    )
    return case_id, file.person_id


async def test_every_read_and_change_of_a_case_is_recorded_with_who_when_and_where(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer, staff: Staff
) -> None:
    case_id, person_id = await a_case_with_a_timeline(outcomes, kafka_producer)
    asha = staff.subject(TestUser.PRACTITIONER)
    reads = [f"/cases/{case_id}", f"/cases/{case_id}/timeline", f"/cases/{case_id}/work-items"]
    started = datetime.now().astimezone()
    for path in reads:
        assert (await outcomes.http.get(path, headers=outcomes.practitioner)).status_code == 200
    changed = await outcomes.http.post(
        f"/cases/{case_id}/conversations",
        json={
            "participants": [{"role": "person", "name": PERSON_NAME}],
            "mode": "phone",
            "summary": SECRET_WORDS,
        },
        headers=outcomes.practitioner,
    )
    assert changed.status_code == 201, changed.text

    about_her = await audit_of(outcomes, person_id=person_id)
    by_asha = await audit_of(outcomes, staff_id=asha)

    newest_four = about_her[:4]
    assert [(e["method"], e["route"], e["action"]) for e in reversed(newest_four)] == [
        ("GET", "/cases/{case_id}", "read"),
        ("GET", "/cases/{case_id}/timeline", "read"),
        ("GET", "/cases/{case_id}/work-items", "read"),
        ("POST", "/cases/{case_id}/conversations", "change"),
    ]
    for entry in newest_four:
        assert entry["staff_id"] == asha
        assert entry["staff_name"] == "Asha Patel"
        assert entry["role"] == "practitioner"
        assert entry["teams"] == ["north-team"]
        assert entry["subject_id"] == case_id
        assert entry["person_id"] == person_id
        assert entry["from_address"] == "127.0.0.1"
        assert datetime.fromisoformat(entry["at"]) >= started.replace(microsecond=0)
        assert (entry["outside_team"], entry["refused"], entry["reason"]) == (False, False, None)
    assert {e["subject_kind"] for e in newest_four} == {"case", "timeline"}
    assert newest_four == by_asha[: len(newest_four)]
    assert {e["staff_id"] for e in by_asha} == {asha}
    # Never the content: not her name, not what was said, in any stored entry.
    raw = json_util.dumps([d async for d in outcomes.runtime.database[AUDIT_COLLECTION].find({})])
    assert PERSON_NAME not in raw
    assert "Philippa" not in raw
    assert SECRET_WORDS not in raw
    assert "bank card" not in raw


async def test_reading_the_audit_is_a_managers_and_is_itself_recorded(
    outcomes: OutcomesService, staff: Staff
) -> None:
    as_practitioner = await outcomes.http.get("/admin/access-audit", headers=outcomes.practitioner)
    await audit_of(outcomes, staff_id=staff.subject(TestUser.MANAGER))
    by_manager = await audit_of(outcomes, staff_id=staff.subject(TestUser.MANAGER))

    assert as_practitioner.status_code == 403
    assert by_manager[0]["route"] == "/admin/access-audit"
    assert by_manager[0]["role"] == "manager"


async def test_another_team_is_refused_without_a_reason_and_recorded_with_one(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer, staff: Staff
) -> None:
    case_id, person_id = await a_case_with_a_timeline(outcomes, kafka_producer)
    sam = staff.subject(TestUser.OTHER_PRACTITIONER)
    reason = "Covering the duty desk for the north team today"

    refused = {
        path: await outcomes.http.get(path, headers=outcomes.colleague)
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/timeline")
    }
    too_short = await outcomes.http.get(
        f"/cases/{case_id}", headers={**outcomes.colleague, REASON_HEADER: "  because  "}
    )
    with_reason = await outcomes.http.get(
        f"/cases/{case_id}", headers={**outcomes.colleague, REASON_HEADER: reason}
    )
    by_manager = await outcomes.http.get(f"/cases/{case_id}", headers=outcomes.manager)
    by_own_team = await outcomes.http.get(f"/cases/{case_id}", headers=outcomes.practitioner)

    for response in refused.values():
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["title"] == "Outside your team"
        assert REASON_HEADER in problem["detail"]
        assert "north-team" in problem["detail"]
        assert PERSON_NAME not in response.text
    assert too_short.status_code == 400
    assert too_short.json()["errors"][0]["field"] == REASON_HEADER
    assert with_reason.status_code == 200
    assert with_reason.json()["case_id"] == case_id
    assert (by_manager.status_code, by_own_team.status_code) == (200, 200)

    sams = await audit_of(outcomes, staff_id=sam)
    assert [(e["route"], e["refused"], e["outside_team"], e["reason"]) for e in sams] == [
        ("/cases/{case_id}", False, True, reason),
        ("/cases/{case_id}/timeline", True, True, None),
        ("/cases/{case_id}", True, True, None),
    ]
    assert all(e["teams"] == ["south-team"] and e["person_id"] == person_id for e in sams)


async def test_a_changed_or_removed_raw_entry_breaks_the_chain_the_manager_checks(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id, _ = await a_case_with_a_timeline(outcomes, kafka_producer)
    for _ in range(3):
        await outcomes.http.get(f"/cases/{case_id}", headers=outcomes.practitioner)
    raw = outcomes.runtime.database[AUDIT_COLLECTION]

    async def verification() -> dict[str, Any]:
        response = await outcomes.http.get(
            "/admin/access-audit/verification", headers=outcomes.manager
        )
        assert response.status_code == 200
        found: dict[str, Any] = response.json()
        return found

    intact = await verification()
    assert intact["intact"]
    assert intact["entries"] >= 4
    assert intact["first_broken_seq"] is None

    # Someone with database access hides who read the case on entry 2.
    original = await raw.find_one({"seq": 2})
    assert original is not None
    await raw.update_one({"seq": 2}, {"$set": {"staff_id": "nobody-in-particular"}})
    changed = await verification()
    await raw.replace_one({"seq": 2}, original)
    restored = await verification()
    await raw.delete_one({"seq": 3})
    removed = await verification()

    assert (changed["intact"], changed["first_broken_seq"]) == (False, 2)
    assert "changed" in changed["problem"]
    assert restored["intact"]
    assert (removed["intact"], removed["first_broken_seq"]) == (False, 3)


async def test_instances_recording_at_once_keep_one_unbroken_chain(
    outcomes: OutcomesService,
) -> None:
    collection = outcomes.runtime.database[f"{AUDIT_COLLECTION}_race"]
    first, second = AccessAudit(collection), AccessAudit(collection)
    await first.ensure_indexes()

    async def record(audit: AccessAudit, n: int) -> None:
        await audit.record(**{**ACCESS, "subject_id": f"case-{n}"})

    await asyncio.gather(*(record((first, second)[n % 2], n) for n in range(30)))

    check = await first.verify()
    assert (check.intact, check.entries, check.head_seq) == (True, 30, 30)
    seen = sorted([d["subject_id"] async for d in collection.find({})])
    assert seen == sorted(f"case-{n}" for n in range(30))

    # An instance that died between writing an entry and moving the head on: the next append
    # still chains onto the newest entry.
    await first.head.update_one({}, {"$set": {"seq": 25, "hash": "stale"}})
    after_a_crash = await second.record(**ACCESS)
    check = await first.verify()
    assert (after_a_crash.seq, check.intact, check.entries) == (31, True, 31)


async def test_a_new_instance_chains_onto_the_newest_entry_whatever_the_head_says(
    outcomes: OutcomesService,
) -> None:
    collection = outcomes.runtime.database[f"{AUDIT_COLLECTION}_restart"]
    first = AccessAudit(collection)
    for n in range(3):
        await first.record(**{**ACCESS, "subject_id": f"case-{n}"})

    # Behind (a head moved on only now and then, or by an instance that died), and ahead of
    # the entries (pointing at one that is not there): neither is chained onto.
    await first.head.replace_one({"_id": HEAD}, {"seq": 1, "hash": "stale"}, upsert=True)
    behind = await AccessAudit(collection).record(**ACCESS)
    await first.head.replace_one({"_id": HEAD}, {"seq": 99, "hash": "stale"}, upsert=True)
    ahead = await AccessAudit(collection).record(**ACCESS)
    after_them = await first.record(**ACCESS)

    check = await first.verify()
    assert (behind.seq, ahead.seq, after_them.seq) == (4, 5, 6)
    assert (check.intact, check.entries, check.head_seq) == (True, 6, 6)


ACCESS: dict[str, Any] = {
    "staff_id": "someone",
    "staff_name": None,
    "role": "practitioner",
    "teams": ["north-team"],
    "action": "read",
    "method": "GET",
    "route": "/cases/{case_id}",
    "subject_kind": "case",
    "subject_id": None,
    "person_id": None,
    "reason": None,
    "outside_team": False,
    "refused": False,
    "from_address": "127.0.0.1",
}


async def test_a_case_allocated_to_another_team_is_read_by_that_team_and_not_by_the_first(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer
) -> None:
    case_id, _ = await a_case_with_a_timeline(outcomes, kafka_producer)
    allocated = await outcomes.http.post(
        f"/cases/{case_id}/allocation", json={"team": "south-team"}, headers=outcomes.manager
    )
    assert allocated.status_code == 201, allocated.text
    await outcomes.case_file(case_id, allocated.json()["version"], outcomes.manager)

    by_south = {
        path: await outcomes.http.get(path, headers=outcomes.colleague)
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/timeline")
    }
    by_north = {
        path: await outcomes.http.get(path, headers=outcomes.practitioner)
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/timeline")
    }

    assert {path: r.status_code for path, r in by_south.items()} == dict.fromkeys(by_south, 200)
    assert {path: r.status_code for path, r in by_north.items()} == dict.fromkeys(by_north, 403)
    assert all("south-team" in r.json()["detail"] for r in by_north.values())
