"""The seed's story end to end: the three services as separate processes on the real broker
and database, driven only through their public APIs (the same story `make demo` plays)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pymongo
import pytest

from demo.story import (
    ABUSE_TO_STOP,
    FEEL_SAFER,
    SONS_CONTACT_POINTS,
    SONS_PHONE,
    SONS_PHONE_AS_HERS,
    Json,
    Story,
)
from infra.sign_in import TestUser
from infra.stack import Stack
from shared.events.intake import ConcernRaised
from shared.kafka import read_to_end
from shared.mongo import Client
from shared.personal_data import SEALED_VALUE
from shared.subject_access import SAME_AS_SOURCE, SERVICES, gather, leaves, render_html, under
from shared.topics import SYSTEM_TOPICS, dead_letter_topic
from tests.e2e.conftest import places_of
from tests.support.keys import opened_document
from tests.support.servers import server_addresses
from tests.support.staff import shared_sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def made_at_start(stack: Stack) -> dict[str, set[str]]:
    """Each service's collections once it is ready, before the story writes anything."""
    _, mongo = server_addresses()
    client: pymongo.MongoClient[dict[str, object]]
    with pymongo.MongoClient(mongo) as client:
        return {
            name: set(client[f"{stack.database_prefix}{name}"].list_collection_names())
            for name in ("intake", "outcomes", "notification")
        }


@pytest.fixture(scope="module")
async def story(stack: Stack, made_at_start: dict[str, set[str]]) -> AsyncIterator[Json]:
    lines: list[str] = []
    async with httpx.AsyncClient(timeout=30) as client:
        yield await Story(places_of(stack), client, lines.append).play()


async def test_every_collection_the_story_wrote_was_made_before_the_services_started(
    story: Json, stack: Stack, mongo_client: Client, made_at_start: dict[str, set[str]]
) -> None:
    # A collection first made inside a transaction, left open by a process that dies, blocks
    # index builds on the server (`shared.mongo.ServiceDatabase`): so none may be born later.
    for name, before in made_at_start.items():
        after = set(await mongo_client[f"{stack.database_prefix}{name}"].list_collection_names())
        assert {"events", "outbox"} <= before
        assert after - before == set(), name


def test_her_desired_outcomes_are_kept_in_her_own_words(story: Json) -> None:
    assert story["summary"]["desired_outcomes"] == [ABUSE_TO_STOP, FEEL_SAFER]


def test_police_action_is_refused_without_her_consent_or_an_override(story: Json) -> None:
    assert story["summary"]["formal_action_refused"] is True


def test_her_sons_details_on_the_referral_are_flagged_before_first_contact(story: Json) -> None:
    flags = story["first_contact_flags"]
    # The phone given as hers is his, written another way: a text there can never be confirmed.
    assert "source_contact_point" in flags["person sms"]
    assert story["text_to_sons_phone_refused"] is True
    # "Dan Hill, her son" is, or may be, "Daniel Hill, son".
    assert {"name_like_source", "relationship_like_source"} <= set(flags["representative email"])
    assert flags["person email"] == []


async def test_she_was_told_in_easy_read_and_nothing_reached_her_son(
    story: Json, stack: Stack, mongo_client: Client
) -> None:
    assert story["summary"]["person_informed"] >= 3
    assert story["closed_informed"]["format"] == "easy_read"
    mail = (stack.state / "mail.log").read_text()
    assert "margaret.hill@example.org" in mail
    letters = [
        letter
        async for letter in mongo_client[f"{stack.database_prefix}notification"][
            "print_queue"
        ].find()
    ]
    sent_anywhere = mail + repr(letters)
    assert [point for point in SONS_CONTACT_POINTS if point in sent_anywhere] == []


def test_her_timeline_shows_what_happened_what_she_said_and_what_she_was_told(story: Json) -> None:
    entries = story["timeline"]["entries"]
    kinds = {entry["kind"] for entry in entries}
    assert kinds == {"happened", "said", "told"}
    said = " ".join(entry["text"] for entry in entries if entry["kind"] == "said")
    assert ABUSE_TO_STOP in said
    assert story["summary"]["timeline_entries"] == len(entries)


def test_the_msp_measures_are_what_she_said(story: Json) -> None:
    assert story["summary"]["msp"] == {
        "asked": "asked_and_expressed",
        "achieved": {"fully": 1, "partially": 1, "not_achieved": 0},
    }


def test_the_logs_of_all_three_services_follow_one_concern_by_its_correlation_id(
    story: Json, stack: Stack
) -> None:
    correlation = f'"correlation_id": "{story["correlation_id"]}"'
    services_seen = {
        name
        for name in ("intake", "outcomes", "notification")
        if correlation in Path(stack.state / f"{name}.log").read_text()
    }
    assert services_seen == {"intake", "outcomes", "notification"}


HER_WORDS = (
    ABUSE_TO_STOP,
    FEEL_SAFER,
    "I don't want him in trouble. I just want it to stop.",
    "I don't want the police involved. He's still my son.",
    "I'll see him at Susan's, with her there. I keep my own card.",
    "He doesn't take my money now, and I still see him.",
)
OTHER_PEOPLE = ("Daniel Hill", "Dan Hill", "PC Sam Okafor", "sam.okafor@police.example.org")


async def test_her_subject_access_bundle_holds_everything_with_other_peoples_data_marked(
    story: Json, stack: Stack, mongo_client: Client
) -> None:
    person = story["person_id"]
    async with httpx.AsyncClient(timeout=60) as http:
        bundle = await gather(
            person,
            {service: stack.endpoints.url(service) for service in SERVICES},
            await shared_sign_in().headers(TestUser.MANAGER),
            http,
        )
    parts = {part.service: part for part in bundle.parts}
    everything = bundle.model_dump_json()
    notification = mongo_client[f"{stack.database_prefix}notification"]

    # Her own words, as she said them.
    assert [words for words in HER_WORDS if words not in everything] == []
    # Every event of her concern, her case and her informing stream, in order.
    for service in SERVICES:
        events = parts[service].events
        assert len({e["stream_id"] for e in events}) == 1
        assert [e["stream_version"] for e in events] == list(range(1, len(events) + 1))
    kinds = {e["event_type"] for part in bundle.parts for e in part.events}
    assert {"ConcernRaised", "S42DecisionMade", "EnquiryConcluded", "CaseClosed"} <= kinds
    # Every message she was sent, every letter printed, every decision about telling her.
    informed = [e for e in parts["notification"].events if e["event_type"] == "PersonInformed"]
    assert len(informed) == story["summary"]["person_informed"]
    for collection, query in (
        ("deliveries", {"person_id": person}),
        ("informing_decisions", {"person_id": person}),
        ("print_queue", {}),
    ):
        held = {str(d["_id"]) async for d in notification[collection].find(query)}
        given = {d["_id"] for d in parts["notification"].records.get(collection, [])}
        assert given == held, collection
    assert parts["notification"].records["deliveries"]
    assert parts["notification"].records["informing_decisions"]
    # Her son's details, the referrer's, and the son's phone the referral gave as hers, are
    # marked for redaction review wherever they are.
    unmarked = [
        (where, value)
        for part in bundle.parts
        for where, value in leaves(part)
        if isinstance(value, str)
        and any(them in value for them in (*OTHER_PEOPLE, *SONS_CONTACT_POINTS, SONS_PHONE))
        and not under(where, bundle.marks)
    ]
    assert unmarked == []
    as_hers = [
        where
        for where, value in leaves(parts["intake"])
        if value == SONS_PHONE_AS_HERS and ".person.contact" in where
    ]
    assert as_hers
    assert all(bundle.marks.get(where) == SAME_AS_SOURCE for where in as_hers)
    assert any("source of risk" in why for why in bundle.marks.values())
    # Her words are never marked as someone else's.
    for part in bundle.parts:
        for where, value in leaves(part):
            if value in HER_WORDS:
                assert not under(where, bundle.marks), where

    page = render_html(bundle)
    assert "I want the abuse to stop" in page
    assert "For redaction review" in page
    assert page.count('class="for-review"') == len(bundle.marks)
    assert "<script" not in page


async def test_no_service_log_or_dead_letter_header_holds_her_personal_data(
    story: Json, stack: Stack, mongo_client: Client, kafka_bootstrap: str
) -> None:
    raised = await mongo_client[f"{stack.database_prefix}intake"]["events"].find_one(
        {"event_type": "ConcernRaised", "correlation_id": story["correlation_id"]}
    )
    assert raised is not None
    concern = opened_document(raised).payload
    assert isinstance(concern, ConcernRaised)
    person = concern.person
    nhs = str(person.nhs_number)
    personal = [
        person.name,
        "Margaret",
        nhs,
        f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
        str(person.date_of_birth),
        "14 Orchard Close",
        "WR1 2AB",
        "WR12AB",
        "margaret.hill@example.org",
        "7700 900789",
        "7700900789",
        "Daniel Hill",
        "Dan Hill",
        *SONS_CONTACT_POINTS,
        ABUSE_TO_STOP,
        FEEL_SAFER,
    ]
    logs = {
        name: (stack.state / f"{name}.log").read_text(errors="replace")
        for name in ("intake", "outcomes", "notification")
    }
    # The logs are not empty: the grep below has something to find things in.
    assert all(story["correlation_id"] in text for text in logs.values())
    found = [(name, value) for name, text in logs.items() for value in personal if value in text]
    assert found == []

    dead_letter_topics = [dead_letter_topic(topic) for topic in SYSTEM_TOPICS]
    headers = [
        value.decode(errors="replace")
        async for records in read_to_end(kafka_bootstrap, dead_letter_topics, client_id="grep")
        for record in records
        for _, value in record.headers
    ]
    assert [value for value in personal if any(value in h for h in headers)] == []


EVENT_LOGS = frozenset({"events", "outbox"})
"""Outcomes' own events and their way to Kafka: what the events carry is not its read models'."""
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
UK_PHONE = re.compile(r"(?:\+44\s?(?:\(0\)\s?)?|\b0)\d(?:[\s-]?\d){8,9}\b")
UK_POSTCODE = re.compile(r"(?<![\w-])[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
"""Not inside a reference such as SG-2026-DA16AA."""


async def test_outcomes_read_models_hold_nobodys_email_phone_or_address(
    story: Json, stack: Stack, mongo_client: Client
) -> None:
    outcomes = mongo_client[f"{stack.database_prefix}outcomes"]
    read_models = sorted(set(await outcomes.list_collection_names()) - EVENT_LOGS)
    found = []
    documents = 0
    for collection in read_models:
        async for document in outcomes[collection].find({}):
            documents += 1
            # Sealed values (a repeat concern waiting for its case) are ciphertext, and base64
            # can look like a postcode by chance.
            text = SEALED_VALUE.sub("<sealed>", repr(document))
            found += [
                (collection, kind, match.group())
                for kind, pattern in (
                    ("email", EMAIL),
                    ("phone", UK_PHONE),
                    ("postcode", UK_POSTCODE),
                )
                for match in pattern.finditer(text)
            ]
            found += [
                (collection, "contact point", value)
                for value in (*SONS_CONTACT_POINTS, SONS_PHONE, SONS_PHONE_AS_HERS, "WR1 2AB")
                if value in text
            ]
    assert {"case_files", "timelines"} <= set(read_models)
    assert documents > 0
    assert found == []
