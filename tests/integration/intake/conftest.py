"""Intake running in-process against the real broker and database, with partners and staff to
call it as.

Each test gets its own database, consumer groups and partner agencies. Its consumer groups start
at the current end of the shared topics, so it sees only what happens during the test.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias, cast

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import JsonValue

from services.intake.app import build
from services.intake.application.commands import (
    OPEN_CONCERNS,
    PEOPLE,
    PERSON_INDEX,
    SUBMISSIONS_RECEIVED,
    IntakeCommands,
    Submitted,
)
from services.intake.application.person_index import MatchingKeys
from services.intake.application.submissions import AGENCY_HEADER, idempotency_key
from services.intake.domain.signature import SIGNATURE_HEADER, public_key_text, sign
from services.intake.domain.submission import EXAMPLE, ConcernSubmission
from services.intake.settings import DEVELOPMENT_MATCHING_KEY, IntakeSettings
from shared.events import Actor, Envelope, Role
from shared.events.intake import ConcernRaised, SubmissionChannel
from shared.eventstore import EventStore
from shared.identity import hash_api_key
from shared.kafka import Brokers, reader
from shared.mongo import Client, Database, create_collections
from shared.runtime import ServiceRuntime
from shared.topics import CONCERN_SUBMISSIONS, INTAKE_EVENTS, dead_letter_topic
from tests.support.keys import opened
from tests.support.staff import Staff, identity_settings

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


def a_new_nhs_number() -> str:
    """A random NHS number with a valid Modulus 11 check digit."""
    while True:
        nine = f"{uuid.uuid4().int % 10**9:09d}"
        check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            return f"{nine}{0 if check == 11 else check}"


def a_submission(**changes: object) -> dict[str, JsonValue]:
    """The documented example about a new person, with a reference of its own, and `changes`
    (dotted paths) applied."""
    body = copy.deepcopy(EXAMPLE)
    body["partner_reference"] = f"REF-{uuid.uuid4().hex[:12]}"
    person = body["person"]
    assert isinstance(person, dict)
    person["nhs_number"] = a_new_nhs_number()
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = body
        for name in parents:
            child = node[name]
            assert isinstance(child, dict)
            node = child
        node[last] = cast(JsonValue, value)
    return body


async def start_at_the_end(brokers: Brokers, group: str, topics: Sequence[str]) -> None:
    """Commit the group's offsets at the topics' current end, as if it had read everything."""
    kafka = reader(brokers, group_id=group)
    await kafka.start()
    try:
        partitions = await _partitions(kafka, topics)
        kafka.assign(partitions)
        end = await kafka.end_offsets(partitions)
        await kafka.commit(end)
    finally:
        await kafka.stop()


async def _partitions(kafka: AIOKafkaConsumer, topics: Sequence[str]) -> list[TopicPartition]:
    cluster = await kafka._client.fetch_all_metadata()
    return [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(cluster.partitions_for_topic(topic) or ())
    ]


@dataclass
class TopicReader:
    """Reads a topic from where it ended when the test began."""

    brokers: Brokers
    topic: str
    start: dict[TopicPartition, int] = field(default_factory=dict)

    async def mark_start(self) -> None:
        kafka = reader(self.brokers)
        await kafka.start()
        try:
            partitions = await _partitions(kafka, [self.topic])
            self.start = await kafka.end_offsets(partitions)
        finally:
            await kafka.stop()

    async def read_until(
        self, enough: Callable[[list[Record]], bool], *, timeout: float = 30.0, what: str = ""
    ) -> list[Record]:
        kafka = reader(self.brokers)
        await kafka.start()
        records: list[Record] = []
        try:
            kafka.assign(list(self.start))
            for tp, offset in self.start.items():
                kafka.seek(tp, offset)
            deadline = time.monotonic() + timeout
            while not enough(records):
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"timed out after {timeout:.0f} s reading {self.topic} for {what}; "
                        f"read {len(records)} records"
                    )
                batches = await kafka.getmany(timeout_ms=200)
                records.extend(r for rs in batches.values() for r in rs)
        finally:
            await kafka.stop()
        return records


@dataclass
class Intake:
    settings: IntakeSettings
    runtime: ServiceRuntime
    http: httpx.AsyncClient
    keys: dict[str, str]
    """Agency -> its API key."""
    events: TopicReader
    refused: TopicReader
    staff: Staff

    @property
    def agency_a(self) -> str:
        return next(iter(self.keys))

    @property
    def agency_b(self) -> str:
        return list(self.keys)[1]

    def as_partner(self, agency: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[agency]}

    def as_practitioner(self) -> dict[str, str]:
        return self.staff.practitioner

    def as_manager(self) -> dict[str, str]:
        return self.staff.manager

    async def raise_concern(
        self, agency: str, body: dict[str, JsonValue], *, key: str | None = None
    ) -> httpx.Response:
        headers = self.as_partner(agency)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.http.post("/concerns", json=body, headers=headers)

    async def published(
        self, enough: Callable[[list[Envelope]], bool], *, what: str
    ) -> list[Envelope]:
        """Intake's events on Kafka since the test began (as the outbox relay published them)."""
        records = await self.events.read_until(
            lambda rs: enough([opened(r.value) for r in rs if r.value]), what=what
        )
        return [opened(r.value) for r in records if r.value]


def signing_key_of(agency: str) -> Ed25519PrivateKey:
    """The key the test partner `agency` (or anyone pretending to be it) signs with."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(agency.encode()).digest())


def kafka_headers(agency: str, value: bytes) -> list[tuple[str, bytes]]:
    """The headers of a submission `agency` publishes, signed with its key."""
    return [
        (AGENCY_HEADER, agency.encode()),
        (SIGNATURE_HEADER, sign(signing_key_of(agency), agency, value)),
    ]


@pytest.fixture
async def intake(
    kafka_bootstrap: str, mongodb_uri: str, mongo_client: Client
) -> AsyncIterator[Intake]:
    async with running_intake(kafka_bootstrap, mongodb_uri, mongo_client) as service:
        yield service


@contextlib.asynccontextmanager
async def running_intake(
    kafka: Brokers,
    mongodb_uri: str,
    mongo_client: Client,
    *,
    submissions_topic: str | None = None,
    **settings_changes: object,
) -> AsyncIterator[Intake]:
    """Intake in-process with a database, consumer groups and agencies of its own; optionally
    reading submissions from a topic of the test's own. The test reads and prepares the topics
    as `kafka` says (on a secured broker, intake's own credentials are in `settings_changes`)."""
    bootstrap = kafka if isinstance(kafka, str) else kafka.bootstrap_servers
    suffix = uuid.uuid4().hex[:10]
    keys = {f"police-{suffix}": f"key-a-{suffix}", f"nhs-trust-{suffix}": f"key-b-{suffix}"}
    settings = IntakeSettings.model_validate(
        {
            "kafka_bootstrap_servers": bootstrap,
            "mongodb_uri": mongodb_uri,
            "mongodb_database": f"intake_{suffix}",
            "consumer_group_prefix": f"test-{suffix}",
            "partner_api_keys": {agency: hash_api_key(key) for agency, key in keys.items()},
            "partner_signing_keys": {
                agency: public_key_text(signing_key_of(agency).public_key()) for agency in keys
            },
            **identity_settings(),
            **settings_changes,
        }
    )
    app, runtime = build(settings)
    if submissions_topic is not None:
        (submissions,) = [h for h in runtime.handlers if h.topics == (CONCERN_SUBMISSIONS,)]
        submissions.topics = (submissions_topic,)
    for handler in runtime.handlers:
        await start_at_the_end(kafka, settings.consumer_group(handler.name), handler.topics)
    events = TopicReader(kafka, INTAKE_EVENTS)
    refused = TopicReader(kafka, dead_letter_topic(submissions_topic or CONCERN_SUBMISSIONS))
    await events.mark_start()
    await refused.mark_start()
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://intake"
            ) as http:
                yield Intake(
                    settings, runtime, http, keys, events, refused, await Staff.signed_in()
                )
    finally:
        await mongo_client.drop_database(settings.mongodb_database)


# --- raising concerns with the commands alone, on a database of the test's own ---------------


@pytest.fixture
async def commands(mongo_client: Client, database: Database) -> IntakeCommands:
    return await commands_on(mongo_client, database.name)


async def commands_on(mongo_client: Client, name: str) -> IntakeCommands:
    """Intake's commands on the database `name`, its collections made."""
    database = mongo_client[name]
    store = EventStore(mongo_client, database, "intake-events-test")
    await create_collections(
        database, ["events", "outbox", PERSON_INDEX, PEOPLE, OPEN_CONCERNS, SUBMISSIONS_RECEIVED]
    )
    await store.ensure_indexes()
    commands = IntakeCommands(mongo_client, database, store, MatchingKeys(DEVELOPMENT_MATCHING_KEY))
    await commands.ensure_indexes()
    return commands


async def raised(commands: IntakeCommands) -> dict[str, ConcernRaised]:
    """Every ConcernRaised in the store, by partner reference."""
    found: dict[str, ConcernRaised] = {}
    async for doc in commands.store.events.find({"event_type": "ConcernRaised"}):
        event, *_ = await commands.store.load(doc["stream_id"])
        assert isinstance(event.payload, ConcernRaised)
        found[event.payload.partner_reference] = event.payload
    return found


async def counts(commands: IntakeCommands) -> dict[str, int]:
    return {
        "events": await commands.store.events.count_documents({}),
        "outbox": await commands.store.outbox.count_documents({}),
        "people": await commands.people.count_documents({}),
        "person_index": await commands.person_index.count_documents({}),
        "open_concerns": await commands.open_concerns.count_documents({}),
        "received": await commands.received.count_documents({}),
    }


def submitted_by(agency: str, body: Mapping[str, object], via: SubmissionChannel) -> Submitted:
    """A partner's submission of `body`, as `raise_concerns` takes it, named by its reference."""
    submission = ConcernSubmission.model_validate(body)
    return Submitted(
        submission=submission,
        actor=Actor(id=f"partner:{agency}", role=Role.PARTNER, agency=agency),
        via=via,
        idempotency_key=idempotency_key(submission),
        correlation_id=f"c-{submission.partner_reference}",
    )
