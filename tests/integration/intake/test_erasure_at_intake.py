"""Intake's reaction to a person's erasure, on the real servers: the people directory and the
triage queue hold her details no more, and equal what a rebuild of each gives."""

from __future__ import annotations

import json
from typing import Any

from services.intake.read_models.people import DIRECTORY
from services.intake.read_models.triage import QUEUE
from shared.mongo import Document
from shared.personal_data import ERASED
from tests.integration.intake.conftest import Intake, a_submission
from tests.integration.intake.test_erasing_a_person import erase, raised_about
from tests.support.polling import eventually

READ_MODELS = {DIRECTORY: "people-directory", QUEUE: "triage-queue"}


async def documents_of(intake: Intake, collection: str, concern_ids: list[str]) -> list[Document]:
    cursor = intake.runtime.database[collection].find({"_id": {"$in": concern_ids}}).sort("_id")
    return await cursor.to_list()


async def test_her_directory_and_triage_entries_are_erased_and_equal_a_rebuild(
    intake: Intake,
) -> None:
    her: dict[str, Any] = a_submission(
        **{"person.name": "Octavia Quennell", "person.contact.phone": "07700 900813"}
    )
    first, person_id = await raised_about(intake, her)
    second, _ = await raised_about(intake, {**a_submission(), "person": her["person"]})
    await intake.http.post(
        f"/concerns/{first}/information",
        json={"note": "Spoke to her GP.", "source": "her GP"},
        headers=intake.as_practitioner(),
    )
    concerns = sorted([first, second])
    for collection in READ_MODELS:
        await eventually(
            lambda c=collection: documents_of(intake, c, concerns),  # type: ignore[misc]
            until=lambda docs: len(docs) == 2,
            what=f"her concerns in {collection}",
        )
    await eventually(
        lambda: documents_of(intake, QUEUE, [first]),
        until=lambda docs: docs[0]["information_gathered"] == 1,
        what="the information gathered counted",
    )

    assert (await erase(intake, person_id, intake.as_manager())).status_code == 200
    erased = {
        collection: await eventually(
            lambda c=collection: documents_of(intake, c, concerns),  # type: ignore[misc]
            until=lambda docs: all(d.get("name", d.get("person_name")) == ERASED for d in docs),
            what=f"her entries in {collection} erased",
        )
        for collection in READ_MODELS
    }
    for collection, projection in READ_MODELS.items():
        await intake.runtime.rebuild(projection)
        assert await documents_of(intake, collection, concerns) == erased[collection]

    text = json.dumps(erased, default=str)
    details = [her["person"]["name"], her["person"]["nhs_number"], "900813", "Quennell"]
    assert not [detail for detail in details if detail in text]
    found = await intake.http.get(f"/people/{person_id}", headers=intake.as_manager())
    assert found.json()["name"] == ERASED
    assert found.json()["nhs_number"] is None
    assert erased[QUEUE][concerns.index(first)]["information_gathered"] == 1
