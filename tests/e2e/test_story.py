"""The seed's story end to end: the three services as separate processes on the real broker
and database, driven only through their public APIs (the same story `make demo` plays)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from demo.story import ABUSE_TO_STOP, FEEL_SAFER, SONS_CONTACT_POINTS, Json, Places, Story
from infra.sign_in import SignInSettings
from infra.stack import Endpoints, Stack, free_port
from services.intake.settings import DEV_PARTNER_KEY
from shared.kafka import read_to_end
from shared.mongo import Client
from shared.topics import SYSTEM_TOPICS, dead_letter_topic
from tests.support.servers import infra_environment, server_addresses

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    kafka, mongo = server_addresses()
    run = uuid.uuid4().hex[:8]
    services = Stack(
        state=tmp_path_factory.mktemp("stack"),
        endpoints=Endpoints(
            kafka_bootstrap_servers=kafka,
            mongodb_uri=mongo,
            oidc_issuer=SignInSettings.from_env(infra_environment()).issuer,
            smtp_port=free_port(),
            service_ports={name: free_port() for name in ("intake", "outcomes", "notification")},
        ),
        extra_env={"CONSUMER_GROUP_PREFIX": f"e2e-{run}", "SCHEDULER_INTERVAL_SECONDS": "5"},
        database_prefix=f"e2e_{run}_",
    )
    try:
        services.start()
        yield services
    finally:
        services.stop()


@pytest.fixture(scope="module")
async def story(stack: Stack) -> AsyncIterator[Json]:
    places = Places(
        intake=stack.endpoints.url("intake"),
        outcomes=stack.endpoints.url("outcomes"),
        notification=stack.endpoints.url("notification"),
        partner_api_key=DEV_PARTNER_KEY,
        sign_in=SignInSettings.from_env(infra_environment()),
    )
    lines: list[str] = []
    async with httpx.AsyncClient(timeout=30) as client:
        yield await Story(places, client, lines.append).play()


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


async def test_no_service_log_or_dead_letter_header_holds_her_personal_data(
    story: Json, stack: Stack, mongo_client: Client, kafka_bootstrap: str
) -> None:
    raised = await mongo_client[f"{stack.database_prefix}intake"]["events"].find_one(
        {"event_type": "ConcernRaised", "correlation_id": story["correlation_id"]}
    )
    assert raised is not None
    person = raised["payload"]["person"]
    nhs = str(person["nhs_number"])
    personal = [
        person["name"],
        "Margaret",
        nhs,
        f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
        person["date_of_birth"],
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
