"""The person index holds keyed hashes, never an NHS number, name, date of birth or postcode
(raw documents searched, on the real MongoDB-wire server); an index written in clear by an
earlier version is re-keyed at start, and the people in it are still recognised."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bson import json_util

from services.intake.application.commands import PERSON_INDEX
from services.intake.application.person_index import KEYED, MatchingKeys, rekey_person_index
from shared.mongo import Collection, Database
from tests.integration.intake.conftest import Intake, a_new_nhs_number, a_submission
from tests.integration.intake.test_sealed_personal_data import anywhere_in, her_details

pytestmark = pytest.mark.integration


def index_of(intake: Intake) -> Collection:
    return intake.runtime.database[PERSON_INDEX]


async def raw(index: Collection) -> list[dict[str, Any]]:
    return [doc async for doc in index.find({})]


async def raised(intake: Intake, body: dict[str, Any]) -> dict[str, Any]:
    response = await intake.raise_concern(intake.agency_a, body)
    assert response.status_code == 202, response.text
    concern = await intake.http.get(
        f"/concerns/{response.json()['concern_id']}", headers=intake.as_practitioner()
    )
    assert concern.status_code == 200, concern.text
    found: dict[str, Any] = concern.json()
    return found


def without_nhs_number(body: dict[str, Any]) -> dict[str, Any]:
    del body["person"]["nhs_number"]
    return body


async def test_no_person_index_document_holds_her_nhs_number_name_birth_date_or_postcode(
    intake: Intake,
) -> None:
    by_nhs: dict[str, Any] = a_submission(**{"person.contact.phone": "07700 900456"})
    by_details: dict[str, Any] = without_nhs_number(
        a_submission(
            **{"person.name": "Edith  Ó'Brien", "person.contact.address.postcode": "wr5 3dq"}
        )
    )
    await raised(intake, by_nhs)
    await raised(intake, by_details)

    documents = await raw(index_of(intake))
    text = json_util.dumps(documents)

    assert len(documents) == 2
    assert all(KEYED.fullmatch(doc["_id"]) for doc in documents), text
    looked_for = [*her_details(by_nhs), "edith", "brien"]
    for body in (by_nhs, by_details):
        person = body["person"]
        looked_for += [
            person["name"].casefold(),
            str(person["date_of_birth"]),
            person["contact"]["address"]["postcode"],
            person["contact"]["address"]["postcode"].replace(" ", "").upper(),
        ]
    assert [detail for detail in looked_for if anywhere_in(text, detail)] == []


async def test_her_nhs_number_in_any_spacing_finds_her(intake: Intake) -> None:
    nhs_number = a_new_nhs_number()
    spaced = f"{nhs_number[:3]}  {nhs_number[3:6]} {nhs_number[6:]} "
    first = await raised(intake, a_submission(**{"person.nhs_number": nhs_number}))

    second = await raised(
        intake,
        a_submission(**{"person.nhs_number": spaced, "what_happened.risk_types": ["self_neglect"]}),
    )

    assert second["person_id"] == first["person_id"]
    assert second["linked_to_existing_person"] is True


async def test_an_index_kept_in_clear_is_rekeyed_at_start_and_still_finds_the_people(
    intake: Intake,
) -> None:
    nhs_number = a_new_nhs_number()
    by_nhs = await raised(intake, a_submission(**{"person.nhs_number": nhs_number}))
    by_details = await raised(
        intake, without_nhs_number(a_submission(**{"person.name": "Edith Ó'Brien"}))
    )
    index = index_of(intake)
    # As an earlier version kept it: the matching keys themselves.
    await index.delete_many({})
    clear = [
        {"_id": f"nhs_number:{nhs_number}", "person_id": by_nhs["person_id"]},
        {
            "_id": "name_dob_postcode:edith obrien|1941-06-14|WR12AB",
            "person_id": by_details["person_id"],
        },
    ]
    await index.insert_many(clear)

    for step in intake.runtime.preparations:  # what the service runs at start
        await step()

    documents = await raw(index)
    assert len(documents) == 2
    assert all(KEYED.fullmatch(doc["_id"]) for doc in documents)
    assert nhs_number not in json_util.dumps(documents)
    again_by_nhs = await raised(
        intake,
        a_submission(
            **{
                "person.nhs_number": f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}",
                "what_happened.risk_types": ["self_neglect"],
            }
        ),
    )
    again_by_details = await raised(
        intake,
        without_nhs_number(
            a_submission(
                **{"person.name": "EDITH O'BRIEN", "what_happened.risk_types": ["self_neglect"]}
            )
        ),
    )
    assert again_by_nhs["person_id"] == by_nhs["person_id"]
    assert again_by_details["person_id"] == by_details["person_id"]


async def test_two_instances_rekeying_at_once_leave_each_key_once_and_hashed(
    database: Database,
) -> None:
    index = database[PERSON_INDEX]
    keys = MatchingKeys("a matching key of the council's own, not published")
    clear = {f"nhs_number:{a_new_nhs_number()}": f"person-{n}" for n in range(250)}
    await index.insert_many([{"_id": key, "person_id": p} for key, p in clear.items()])

    await asyncio.gather(rekey_person_index(index, keys), rekey_person_index(index, keys))

    documents = {doc["_id"]: doc["person_id"] async for doc in index.find({})}
    assert documents == {keys.keyed(key): person for key, person in clear.items()}
    assert await rekey_person_index(index, keys) == 0


async def test_a_hashed_entry_made_meanwhile_stands_and_the_clear_one_goes(
    database: Database,
) -> None:
    index = database[PERSON_INDEX]
    keys = MatchingKeys("a matching key of the council's own, not published")
    clear_key = f"nhs_number:{a_new_nhs_number()}"
    await index.insert_many(
        [
            {"_id": clear_key, "person_id": "person-recorded-earlier"},
            {"_id": keys.keyed(clear_key), "person_id": "person-recorded-meanwhile"},
        ]
    )

    assert await rekey_person_index(index, keys) == 1

    assert [doc async for doc in index.find({})] == [
        {"_id": keys.keyed(clear_key), "person_id": "person-recorded-meanwhile"}
    ]
