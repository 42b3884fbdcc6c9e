"""Erasing the seed's Mrs Hill end to end: the three services as separate processes on the real
broker and database. After a manager erases her, no API, no MongoDB collection (raw documents of
every collection of every service's database and of the keyring) and no Kafka record (raw bytes
of every topic and partition) holds her name, NHS number (in any spacing), address or phone (in
any format); a rebuild of every projection reproduces the erased state; every event stream keeps
every version."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import bson
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from bson.raw_bson import RawBSONDocument

from demo.story import Story
from infra.sign_in import TestUser
from infra.stack import Stack
from shared.config import KeyringSettings
from shared.events.intake import ConcernRaised
from shared.kafka import read_to_end
from shared.mongo import Client, Document
from shared.subject_access import SERVICES, gather
from tests.e2e.conftest import places_of
from tests.support.keys import opened_document
from tests.support.polling import eventually
from tests.support.staff import shared_sign_in

pytestmark = pytest.mark.e2e

SEPARATORS = rb"[\s().+-]{0,4}"
"""What may stand between the digits of a number however it is written: spaces, brackets, dots,
dashes, a plus (never a letter or a digit, so base64 text cannot make a false match)."""
PLUMBING = frozenset({"events", "outbox", "tracking", "held_events", "leases", "instances"})
"""Not read models: what a rebuild does not build."""


def digits_in_any_format(digits: str) -> re.Pattern[bytes]:
    return re.compile(SEPARATORS.join(re.escape(d.encode()) for d in digits))


@dataclass(frozen=True)
class Her:
    """What identifies Mrs Hill, and where the story recorded things about her."""

    person_id: str
    case_id: str
    concern_ids: list[str]
    correlation_id: str
    details: list[re.Pattern[bytes]]
    deliveries: list[str]
    """The references of the messages prepared for her (her letters are kept under them)."""

    @property
    def streams(self) -> set[str]:
        return {self.person_id, self.case_id, f"informing-{self.person_id}", *self.concern_ids}

    def named_in(self, raw: bytes) -> bool:
        """Whether a document names her or one of her records: the services' databases hold
        other people too (every earlier story's Mrs Hill, read from the topics' beginning)."""
        return any(i.encode() in raw for i in (*self.streams, *self.deliveries))

    def found_in(self, raw: bytes) -> list[str]:
        return [p.pattern.decode(errors="replace") for p in self.details if p.search(raw)]


@dataclass(frozen=True)
class Erased:
    her: Her
    streams_before: dict[str, list[tuple[str, int, str]]]
    found_before_erasure: list[str]


def her_details(raised: ConcernRaised) -> list[re.Pattern[bytes]]:
    person = raised.person
    assert person.nhs_number
    assert person.contact.address
    assert person.contact.phone
    address = person.contact.address
    significant = re.sub(r"\D", "", person.contact.phone)[-10:]  # without +44 or 0
    return [
        re.compile(re.escape(person.name.encode()), re.IGNORECASE),
        re.compile(rb"margaret", re.IGNORECASE),
        digits_in_any_format(person.nhs_number),
        digits_in_any_format(significant),
        *(re.compile(re.escape(line.encode()), re.IGNORECASE) for line in address.lines),
        re.compile(rb"orchard\s*close", re.IGNORECASE),
        re.compile(rb"\s*".join(re.escape(c.encode()) for c in address.postcode if c != " ")),
    ]


async def event_streams(stack: Stack, client: Client) -> dict[str, list[tuple[str, int, str]]]:
    """Every event of every service's store: (stream, version, id), in order."""
    found = {}
    for service in SERVICES:
        events = client[f"{stack.database_prefix}{service}"]["events"]
        cursor = events.find({}, {"stream_id": 1, "stream_version": 1}).sort(
            [("stream_id", 1), ("stream_version", 1)]
        )
        found[service] = [(d["stream_id"], d["stream_version"], d["_id"]) async for d in cursor]
    return found


async def raw_hits(stack: Stack, client: Client, her: Her) -> list[tuple[str, str, str]]:
    """Her details in the raw BSON of every document about her in every collection of the
    services' databases, and of every document of the keyring."""
    keyring = KeyringSettings().keyring_database
    databases = [f"{stack.database_prefix}{service}" for service in SERVICES] + [keyring]
    hits = []
    for name in databases:
        database = client.get_database(
            name, codec_options=client.codec_options.with_options(document_class=RawBSONDocument)
        )
        for collection in await database.list_collection_names():
            async for document in database[collection].find({}):
                raw = bytes(cast(RawBSONDocument, document).raw)
                if name != keyring and not her.named_in(raw):
                    continue
                hits += [(name, collection, found) for found in her.found_in(raw)]
    return hits


@pytest.fixture(scope="module")
async def erased(stack: Stack, mongo_client: Client) -> AsyncIterator[Erased]:
    async with httpx.AsyncClient(timeout=60) as http:
        story = await Story(places_of(stack), http, lambda line: None).play()
        manager = await shared_sign_in().headers(TestUser.MANAGER)
        person = story["person_id"]
        intake = stack.endpoints.url("intake")
        found = (await http.get(f"{intake}/people/{person}", headers=manager)).json()
        concern_ids = [c["concern_id"] for c in found["concerns"]]
        raised = await mongo_client[f"{stack.database_prefix}intake"]["events"].find_one(
            {"stream_id": concern_ids[0], "stream_version": 1}
        )
        assert raised is not None
        concern = opened_document(raised).payload
        assert isinstance(concern, ConcernRaised)
        deliveries = mongo_client[f"{stack.database_prefix}notification"]["deliveries"]
        her = Her(
            person,
            story["case_id"],
            concern_ids,
            story["correlation_id"],
            her_details(concern),
            [str(d["_id"]) async for d in deliveries.find({"person_id": person}, {"_id": 1})],
        )
        before = await event_streams(stack, mongo_client)
        found_before = [hit for _, _, hit in await raw_hits(stack, mongo_client, her)]

        response = await http.post(
            f"{intake}/people/{person}/erasure",
            json={"reason": "Mrs Hill asked us to erase her record; checked by the DPO."},
            headers=manager,
        )
        assert response.status_code == 200, response.text
        assert sorted(response.json()["concern_ids"]) == sorted(concern_ids)
        # Every service has reacted once nothing of hers is left in any database.
        await eventually(
            lambda: raw_hits(stack, mongo_client, her),
            until=lambda hits: hits == [],
            timeout=90,
            what="her details gone from every database",
        )
        yield Erased(her, before, found_before)


async def test_no_mongodb_collection_holds_her_details(
    erased: Erased, stack: Stack, mongo_client: Client
) -> None:
    # The search finds her details wherever they were before (so it can find them at all).
    assert {"margaret", "orchard\\s*close"} <= set(erased.found_before_erasure)
    assert len(set(erased.found_before_erasure)) == len(erased.her.details)
    assert await raw_hits(stack, mongo_client, erased.her) == []


async def test_no_kafka_record_on_any_topic_holds_her_details(
    erased: Erased, kafka_bootstrap: str
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        topics = sorted(t for t in await admin.list_topics() if not t.startswith("__"))
    finally:
        await admin.close()
    her, read, about_her, hits = erased.her, 0, 0, []
    async for records in read_to_end(kafka_bootstrap, topics, client_id=f"grep-{uuid.uuid4()}"):
        for record in records:
            read += 1
            headers = b"".join(value for _, value in record.headers)
            if (record.key or b"").decode(errors="replace") not in her.streams and (
                her.correlation_id.encode() not in headers
            ):
                continue  # another test's record: its data is no business of this one
            about_her += 1
            raw = (record.key or b"") + (record.value or b"") + headers
            hits += [(record.topic, record.partition, found) for found in her.found_in(raw)]
    assert read >= about_her > 10
    assert hits == []


async def test_no_api_holds_her_details(erased: Erased, stack: Stack) -> None:
    her, urls = erased.her, {s: stack.endpoints.url(s) for s in SERVICES}
    manager = await shared_sign_in().headers(TestUser.MANAGER)
    async with httpx.AsyncClient(timeout=60) as http:
        bundle = await gather(her.person_id, urls, manager, http)
        answers = [bundle.model_dump_json()]
        for url in (
            f"{urls['intake']}/people/{her.person_id}",
            *(f"{urls['intake']}/concerns/{c}" for c in her.concern_ids),
            f"{urls['outcomes']}/cases/{her.case_id}",
            f"{urls['outcomes']}/cases/{her.case_id}/timeline",
            f"{urls['notification']}/people/{her.person_id}/communications",
        ):
            response = await http.get(url, headers=manager)
            assert response.status_code == 200, url
            answers.append(response.text)
    assert sum(len(part.events) for part in bundle.parts) > 10
    assert [
        (n, found) for n, text in enumerate(answers) for found in her.found_in(text.encode())
    ] == []


async def test_every_event_stream_keeps_every_version_and_erasure_is_one_event_more(
    erased: Erased, stack: Stack, mongo_client: Client
) -> None:
    after = await event_streams(stack, mongo_client)

    for service in ("outcomes", "notification"):
        assert after[service] == erased.streams_before[service], service
    [added] = sorted(set(after["intake"]) - set(erased.streams_before["intake"]))
    assert sorted(set(erased.streams_before["intake"]) - set(after["intake"])) == []
    assert added[:2] == (erased.her.person_id, 1)


async def test_a_rebuild_of_every_projection_reproduces_the_erased_state(
    erased: Erased, stack: Stack, mongo_client: Client
) -> None:
    manager = await shared_sign_in().headers(TestUser.MANAGER)
    before = await read_models(stack, mongo_client, erased.her)
    rebuilt = []
    async with httpx.AsyncClient(timeout=600) as http:
        for service in SERVICES:
            url = stack.endpoints.url(service)
            for name in (await http.get(f"{url}/admin/projections", headers=manager)).json():
                response = await http.post(
                    f"{url}/admin/projections/{name}/rebuild", headers=manager
                )
                assert response.status_code == 200, response.text
                rebuilt.append(name)
    after = await read_models(stack, mongo_client, erased.her)

    assert {"people-directory", "triage-queue", "case-files", "timelines"} <= set(rebuilt)
    # Which fields of which documents differ, to say what a rebuild did not reproduce.
    changed = {
        (place, key): sorted(
            field
            for field in {*document, *after[place].get(key, {})}
            if document.get(field) != after[place].get(key, {}).get(field)
        )
        for place, documents in before.items()
        for key, document in documents.items()
        if after[place].get(key) != document
    }
    assert changed == {}
    assert sum(len(documents) for documents in before.values()) > 10
    assert await raw_hits(stack, mongo_client, erased.her) == []


async def read_models(stack: Stack, client: Client, her: Her) -> dict[str, dict[object, Document]]:
    """Every document about her in every service's collections but the plumbing, by collection
    and id."""
    found: dict[str, dict[object, Document]] = {}
    for service in SERVICES:
        database = client[f"{stack.database_prefix}{service}"]
        for collection in await database.list_collection_names():
            if collection in PLUMBING or collection.startswith("access_audit"):
                continue
            documents = database[collection].find({})
            found[f"{service}.{collection}"] = {
                d["_id"]: d async for d in documents if her.named_in(bson.encode(d))
            }
    return found
