"""Erasing a person at intake, on the real servers: a manager's command destroys the keys of
every concern about her and of her informing stream, forgets how to recognise her, records
`PersonErased` once (its reason sealed) and publishes it; the audit of access records who asked."""

from __future__ import annotations

from typing import Any

import httpx

from shared.events import Role
from shared.events.intake import ConcernRaised, ErasureReason, PersonErased
from shared.personal_data import ERASED
from tests.integration.intake.conftest import Intake, a_submission
from tests.support.staff import TestUser

REASON = "She asked us on 3 March to erase her record; her identity was checked in person."


async def raised_about(intake: Intake, body: dict[str, Any]) -> tuple[str, str]:
    """Raise a concern; its id and the person it is about."""
    response = await intake.raise_concern(intake.agency_a, body)
    assert response.status_code == 202, response.text
    concern_id = response.json()["concern_id"]
    record = await intake.http.get(f"/concerns/{concern_id}", headers=intake.as_manager())
    return concern_id, record.json()["person_id"]


async def erase(intake: Intake, person_id: str, headers: dict[str, str]) -> httpx.Response:
    return await intake.http.post(
        f"/people/{person_id}/erasure", json={"reason": REASON}, headers=headers
    )


async def test_a_manager_erases_every_concern_about_her_and_her_informing(intake: Intake) -> None:
    her = a_submission(**{"person.name": "Philippa Erasmus"})
    first, person_id = await raised_about(intake, her)
    second, again = await raised_about(intake, {**a_submission(), "person": her["person"]})
    assert again == person_id

    response = await erase(intake, person_id, intake.as_manager())

    assert response.status_code == 200, response.text
    erasure = response.json()
    assert erasure["person_id"] == person_id
    assert sorted(erasure["concern_ids"]) == sorted([first, second])
    assert sorted(erasure["subjects_destroyed"]) == sorted(
        [first, second, f"informing-{person_id}"]
    )
    assert erasure["reason_kind"] == ErasureReason.SUBJECT_REQUEST.value
    assert erasure["erased_by_role"] == Role.MANAGER.value
    keys = await intake.runtime.store.keyring.opening_keys(erasure["subjects_destroyed"])  # type: ignore[union-attr]
    assert keys == {subject: None for subject in erasure["subjects_destroyed"]}
    for concern_id in (first, second):
        [raised] = [
            e.payload
            for e in await intake.runtime.store.load(concern_id)
            if isinstance(e.payload, ConcernRaised)
        ]
        assert raised.person.name == ERASED


async def test_person_erased_is_published_with_its_reason_sealed(intake: Intake) -> None:
    _, person_id = await raised_about(intake, a_submission())

    await erase(intake, person_id, intake.as_manager())

    def erased(events: list[Any]) -> list[PersonErased]:
        return [e.payload for e in events if isinstance(e.payload, PersonErased)]

    published = await intake.published(lambda es: bool(erased(es)), what="PersonErased")
    [event] = erased(published)
    assert event.person_id == person_id
    assert event.reason == REASON
    raw = [doc async for doc in intake.runtime.database["events"].find({"stream_id": person_id})]
    assert len(raw) == 1
    assert REASON not in str(raw[0])


async def test_erasing_her_again_answers_the_same_erasure_and_records_nothing_more(
    intake: Intake,
) -> None:
    _, person_id = await raised_about(intake, a_submission())

    first = await erase(intake, person_id, intake.as_manager())
    second = await erase(intake, person_id, intake.as_manager())

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    assert await intake.runtime.database["events"].count_documents({"stream_id": person_id}) == 1


async def test_a_later_concern_with_her_details_starts_a_new_person(intake: Intake) -> None:
    her = a_submission()
    _, person_id = await raised_about(intake, her)
    await erase(intake, person_id, intake.as_manager())

    _, later_person = await raised_about(intake, {**a_submission(), "person": her["person"]})

    assert later_person != person_id
    assert (
        await intake.runtime.database["person_index"].count_documents({"person_id": person_id}) == 0
    )


async def test_only_a_manager_may_erase(intake: Intake) -> None:
    concern_id, person_id = await raised_about(intake, a_submission())

    response = await erase(intake, person_id, intake.as_practitioner())

    assert response.status_code == 403
    [raised] = [e.payload for e in await intake.runtime.store.load(concern_id)][:1]
    assert isinstance(raised, ConcernRaised)
    assert raised.person.name != ERASED


async def test_an_unknown_person_answers_404_and_a_missing_reason_names_the_field(
    intake: Intake,
) -> None:
    unknown = await erase(
        intake, "person-00000000-0000-4000-8000-000000000000", intake.as_manager()
    )
    _, person_id = await raised_about(intake, a_submission())
    blank = await intake.http.post(
        f"/people/{person_id}/erasure", json={"reason": "   "}, headers=intake.as_manager()
    )

    assert unknown.status_code == 404
    assert blank.status_code == 422
    assert [e["field"] for e in blank.json()["errors"]] == ["reason"]
    assert await intake.runtime.database["events"].count_documents({"stream_id": person_id}) == 0


async def test_nothing_more_is_recorded_about_an_erased_person(intake: Intake) -> None:
    concern_id, person_id = await raised_about(intake, a_submission())
    await erase(intake, person_id, intake.as_manager())

    note = await intake.http.post(
        f"/concerns/{concern_id}/information",
        json={"note": "She called again.", "source": "the person"},
        headers=intake.as_practitioner(),
    )
    other, _ = await raised_about(intake, a_submission())
    link = await intake.http.post(
        f"/concerns/{other}/link",
        json={"person_id": person_id, "reason": "Same date of birth and address."},
        headers=intake.as_practitioner(),
    )

    assert note.status_code == 409
    assert link.status_code == 404


async def test_the_erasure_is_in_the_audit_of_access_with_her_and_who_asked(
    intake: Intake,
) -> None:
    _, person_id = await raised_about(intake, a_submission())

    await erase(intake, person_id, intake.as_manager())
    audit = await intake.http.get(
        "/admin/access-audit", params={"person_id": person_id}, headers=intake.as_manager()
    )

    [entry] = [e for e in audit.json() if e["route"] == "/people/{person_id}/erasure"]
    assert entry["staff_id"] == intake.staff.subject(TestUser.MANAGER)
    assert (entry["action"], entry["subject_kind"], entry["person_id"]) == (
        "change",
        "person",
        person_id,
    )
    assert REASON not in audit.text
