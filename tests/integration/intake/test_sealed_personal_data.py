"""Her personal data is sealed under her concern's data key wherever intake records and
publishes it (the real broker and database): the event store, the outbox and the intake topic
hold none of it readable; loaded with the key it is exact; once the key is destroyed the stream
still has every version, reads as erased, and nothing more can be recorded about her."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from shared.events import Metadata
from shared.events.intake import ConcernRaised
from shared.keyring import KeyDestroyed
from shared.personal_data import ERASED
from shared.topics import INTAKE_EVENTS
from tests.integration.intake.conftest import Intake, a_submission

pytestmark = pytest.mark.integration


def her_details(body: Mapping[str, Any]) -> list[str]:
    """Her name, NHS number (as given and in any spacing), address and phone, and her words."""
    person = body["person"]
    assert isinstance(person, dict)
    contact = person.get("contact") or {}
    assert isinstance(contact, dict)
    details = [str(person["name"]), str(person["nhs_number"])]
    address = contact.get("address")
    if isinstance(address, dict):
        details += [str(line) for line in address["lines"]] + [str(address["postcode"])]
    if contact.get("phone"):
        details.append(str(contact["phone"]))
    if contact.get("email"):
        details.append(str(contact["email"]))
    return details


def anywhere_in(text: str, detail: str) -> bool:
    """`detail` in `text`, also with any spacing (an NHS number as 943 476 5919)."""
    digits = re.sub(r"\s", "", detail)
    if digits.isdigit():
        return re.search(r"\s*".join(digits), text) is not None
    return detail in text


async def test_her_details_are_nowhere_readable_in_the_store_the_outbox_or_on_kafka(
    intake: Intake,
) -> None:
    body = a_submission(**{"person.contact.phone": "07700 900456"})
    response = await intake.raise_concern(intake.agency_a, body)
    assert response.status_code == 202
    concern_id = response.json()["concern_id"]

    records = await intake.events.read_until(
        lambda rs: any(r.key == concern_id.encode() for r in rs), what="ConcernRaised"
    )
    database = intake.runtime.database
    stored = [doc async for doc in database["events"].find({"stream_id": concern_id})]
    queued = [doc async for doc in database["outbox"].find({"stream_id": concern_id})]
    raw = [
        *(r.value.decode() for r in records if r.key == concern_id.encode() and r.value),
        *(json.dumps(doc, default=str) for doc in stored),
        *(bytes(doc["value"]).decode() for doc in queued),
    ]

    assert len(her_details(body)) >= 5  # name, NHS number, address lines, postcode, phone
    assert stored
    assert queued
    for detail in her_details(body):
        assert not any(anywhere_in(text, detail) for text in raw), detail
    [loaded] = [
        e.payload
        for e in await intake.runtime.store.load(concern_id)
        if isinstance(e.payload, ConcernRaised)
    ]
    assert loaded.person.name == her_details(body)[0]
    assert loaded.person.contact.phone == "07700 900456"
    assert intake.events.topic == INTAKE_EVENTS


async def test_once_her_key_is_destroyed_every_version_reads_erased_and_nothing_more_is_recorded(
    intake: Intake,
) -> None:
    response = await intake.raise_concern(intake.agency_a, a_submission())
    assert response.status_code == 202
    concern_id = response.json()["concern_id"]
    store = intake.runtime.store
    before = await store.load(concern_id)
    assert store.keyring is not None

    await store.keyring.destroy([concern_id])

    after = await store.load(concern_id)
    assert [e.stream_version for e in after] == [e.stream_version for e in before]
    [erased] = [e.payload for e in after if isinstance(e.payload, ConcernRaised)]
    assert erased.person.name == ERASED
    assert erased.person.nhs_number is None
    assert erased.person.contact.address is None
    with pytest.raises(KeyDestroyed):
        await store.append(concern_id, len(after), [erased], Metadata(actor=before[0].actor))
