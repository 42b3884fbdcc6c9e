"""Staff find a person on record by name, date of birth, partial postcode, NHS number or a
concern's reference, and see every concern about them (the web app's search and person page)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.intake.conftest import Intake, a_new_nhs_number, a_submission
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def raised(intake: Intake, **changes: object) -> dict[str, str]:
    response = await intake.raise_concern(intake.agency_a, a_submission(**changes))
    assert response.status_code == 202, response.text
    answer: dict[str, str] = response.json()
    return answer


async def found(intake: Intake, **query: str) -> list[dict[str, Any]]:
    async def search() -> list[dict[str, Any]]:
        response = await intake.http.get("/people", params=query, headers=intake.as_practitioner())
        assert response.status_code == 200, response.text
        people: list[dict[str, Any]] = response.json()
        return people

    return await eventually(search, until=lambda people: len(people) >= 1, what=str(query))


async def test_a_person_is_found_by_each_way_staff_look_for_them(intake: Intake) -> None:
    nhs_number = a_new_nhs_number()
    concern = await raised(
        intake,
        **{
            "person.name": "Zofia Nowak-Ellis",
            "person.nhs_number": nhs_number,
            "person.date_of_birth": "1939-02-03",
            "person.contact.address.postcode": "WR9 7QP",
        },
    )
    await raised(intake, **{"person.name": "Someone Else"})

    spaced = f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"
    for query in (
        {"name": "zofia"},
        {"name": "Nowak Ellis"},
        {"name": "Zof Now"},
        {"date_of_birth": "1939-02-03"},
        {"postcode": "wr9"},
        {"postcode": "WR9 7"},
        {"nhs_number": spaced},
        {"reference": concern["reference"].lower()},
        {"name": "Zofia", "postcode": "WR9"},
    ):
        [person] = await found(intake, **query)
        assert person["name"] == "Zofia Nowak-Ellis", query
        assert person["nhs_number"] == nhs_number
        assert [c["reference"] for c in person["concerns"]] == [concern["reference"]]


async def test_near_misses_find_nobody(intake: Intake) -> None:
    await raised(
        intake,
        **{"person.name": "Zofia Nowak", "person.contact.address.postcode": "WR9 7QP"},
    )
    await found(intake, name="Zofia")
    for query in (
        {"name": "ofia"},  # a word's middle is not its start
        {"name": "Zofia Smith"},  # every word must match
        {"postcode": "R9"},
        {"postcode": "WR1"},
        {"name": "Zofia", "postcode": "WR1"},  # every criterion must match
        {"date_of_birth": "1939-02-04"},
    ):
        response = await intake.http.get("/people", params=query, headers=intake.as_practitioner())
        assert response.status_code == 200
        assert response.json() == [], query


async def test_the_person_page_lists_every_concern_about_them(intake: Intake) -> None:
    nhs_number = a_new_nhs_number()
    first = await raised(intake, **{"person.nhs_number": nhs_number})
    second = await raised(
        intake,
        **{"person.nhs_number": nhs_number, "what_happened.risk_types": ["self_neglect"]},
    )
    [person] = await found(intake, nhs_number=nhs_number)

    async def concerns() -> list[str]:
        response = await intake.http.get(
            f"/people/{person['person_id']}", headers=intake.as_practitioner()
        )
        assert response.status_code == 200, response.text
        return [c["concern_id"] for c in response.json()["concerns"]]

    listed = await eventually(concerns, until=lambda ids: len(ids) == 2, what="both concerns")
    assert set(listed) == {first["concern_id"], second["concern_id"]}


async def test_searching_needs_a_staff_token_and_sound_criteria(intake: Intake) -> None:
    partner = await intake.http.get(
        "/people", params={"name": "Margaret"}, headers=intake.as_partner(intake.agency_a)
    )
    assert partner.status_code == 401
    bad = await intake.http.get(
        "/people", params={"nhs_number": "12345"}, headers=intake.as_practitioner()
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "nhs_number"
    for not_a_day in ("0", "1939-2-3", "03/02/1939", "1939-02-30", "19390203"):
        response = await intake.http.get(
            "/people", params={"date_of_birth": not_a_day}, headers=intake.as_practitioner()
        )
        assert response.status_code == 422, not_a_day
        assert response.json()["errors"][0]["field"] == "date_of_birth"
    missing = await intake.http.get(
        "/people/person-00000000-0000-0000-0000-000000000000", headers=intake.as_practitioner()
    )
    assert missing.status_code == 404
