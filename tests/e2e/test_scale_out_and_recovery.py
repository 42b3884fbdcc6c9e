"""Safe to scale out and quick to recover, on the real servers with every service a process:

- two instances of each service share the load and one of each is killed (kill -9) mid-run:
  every concern is raised once, every person is told once (one PersonInformed per step), and
  every stream's events reach Kafka in order;
- notification is killed (kill -9) under load and started again: every person is informed
  within a minute of the restart.

Partners do what partners do when an answer is lost: they send the same submission again (to
the other instance), and its partner_reference makes it the same submission. A practitioner
records each person's safe-contact decision as their concern appears (nothing is sent before it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import JsonValue

from infra.stack import Stack
from services.intake.settings import DEV_PARTNER_KEY
from shared.events import Envelope
from shared.events.intake import ConcernRaised
from shared.events.notification import PersonInformed
from shared.events.outcomes import CaseOpened
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS, OUTCOMES_EVENTS
from tests.integration.intake.conftest import a_submission
from tests.support.keys import opened
from tests.support.servers import server_addresses
from tests.support.stacks import SERVICES, stack_of, start_every_group_at_the_end
from tests.support.staff import TestUser, shared_sign_in

pytestmark = pytest.mark.e2e

TOPICS = (INTAKE_EVENTS, OUTCOMES_EVENTS, NOTIFICATION_EVENTS)
CONCERNS = 30
DEAD_TRANSACTION_ENDED_S = 90
"""Longer than the database keeps a killed instance's open transaction (60 s, MongoDB's
`transactionLifetimeLimitSeconds` and the test server's alike)."""


@dataclass
class Published:
    """Everything the services published since the test began, in the order Kafka holds it."""

    kafka: str
    start: dict[TopicPartition, int] = field(default_factory=dict)
    events: dict[str, list[Envelope]] = field(default_factory=dict)
    """Stream id -> its events as they arrived (one partition each, so in Kafka's order)."""
    _reader: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Published:
        self._reader = AIOKafkaConsumer(
            bootstrap_servers=self.kafka, enable_auto_commit=False, isolation_level="read_committed"
        )
        await self._reader.start()
        partitions = [
            TopicPartition(topic, p)
            for topic in TOPICS
            for p in sorted(self._reader.partitions_for_topic(topic) or {0, 1, 2})
        ]
        self._reader.assign(partitions)
        self.start = await self._reader.end_offsets(partitions)
        for tp, offset in self.start.items():
            self._reader.seek(tp, offset)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._reader is not None
        await self._reader.stop()

    async def read(self) -> None:
        assert self._reader is not None
        batches = await self._reader.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                if record.value:
                    event = opened(record.value)
                    self.events.setdefault(event.stream_id, []).append(event)

    def of(self, kind: type) -> list[Envelope]:
        return [e for es in self.events.values() for e in es if isinstance(e.payload, kind)]

    def informed_steps(self) -> set[tuple[str, str]]:
        return {
            (e.payload.source_event_id, e.payload.recipient_role.value)
            for e in self.of(PersonInformed)
            if isinstance(e.payload, PersonInformed)
        }

    def concerns_told(self) -> set[str]:
        """The raised concerns someone was told about."""
        raised = {e.event_id for e in self.of(ConcernRaised)}
        return {source for source, _ in self.informed_steps() if source in raised}

    def all_told_and_opened(self, concerns: int) -> bool:
        """Every concern's person told and its case opened: two services' events, neither
        waiting for the other, so a test that checks both waits for both."""
        return (
            len(self.concerns_told()) >= concerns
            and len({e.event_id for e in self.of(CaseOpened)}) >= concerns
        )

    async def until(
        self, done: object, *, timeout: float, what: str, practitioner: Practitioner | None = None
    ) -> float:
        """Read until `done()`, the practitioner deciding on each concern that appears; returns
        when (monotonic)."""
        assert callable(done)
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            await self.read()
            if practitioner is not None:
                await practitioner.decide_on(self.of(ConcernRaised))
        return time.monotonic()


@dataclass
class Practitioner:
    """Records, for each raised concern, that a letter to the person is safe (the example
    submission has her address and phone, no email): what a practitioner does before anything
    about a concern is sent. Asks any notification instance still alive."""

    urls: list[str]
    stop_using: set[str]
    decided: set[str] = field(default_factory=set)

    async def decide_on(self, raised: list[Envelope]) -> None:
        headers = await shared_sign_in().headers(TestUser.PRACTITIONER)
        async with httpx.AsyncClient(timeout=10) as http:
            for event in raised:
                concern = event.payload
                if event.event_id in self.decided or not isinstance(concern, ConcernRaised):
                    continue
                for url in [u for u in self.urls if u not in self.stop_using]:
                    try:
                        response = await http.post(
                            f"{url}/people/{concern.person_id}/safe-contact",
                            json={
                                "concern_id": concern.concern_id,
                                "routes": [{"role": "person", "channel": "letter"}],
                            },
                            headers=headers,
                        )
                    except httpx.HTTPError:
                        continue
                    # 404: that instance has not read the concern yet; asked again next round.
                    if response.status_code == 201:
                        self.decided.add(event.event_id)
                        break


async def raise_concerns(
    urls: list[str], bodies: list[dict[str, JsonValue]], stop_using: set[str]
) -> None:
    """Partners post each concern to an instance in turn; when an instance does not answer, they
    send the same submission to the next one, and when one answers 503 they try again after its
    Retry-After, as the API asks. An instance killed while recording a concern leaves its open
    transaction holding that submission's records until the database ends it (its transaction
    lifetime, 60 s): until then the survivor answers 503 for that submission."""
    async with httpx.AsyncClient(timeout=10) as http:
        for number, body in enumerate(bodies):
            answers: list[str] = []
            deadline = time.monotonic() + DEAD_TRANSACTION_ENDED_S
            attempt = 0
            while True:
                live = [u for u in urls if u not in stop_using]
                url = live[(number + attempt) % len(live)]
                attempt += 1
                try:
                    response = await http.post(
                        f"{url}/concerns", json=body, headers={"X-API-Key": DEV_PARTNER_KEY}
                    )
                except httpx.HTTPError as error:
                    answers.append(type(error).__name__)
                else:
                    if response.status_code == 202:
                        break
                    answers.append(str(response.status_code))
                    assert response.status_code in (502, 503), response.text
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                if time.monotonic() > deadline:
                    raise AssertionError(f"concern {number} was never accepted: {answers}")


def assert_each_stream_in_order(published: Published) -> None:
    """Every stream reached Kafka in order: a copy of an event already published may follow
    (a relay that died before marking it), but never an event before the one before it."""
    for stream, events in published.events.items():
        first_seen: list[int] = []
        for event in events:
            if event.stream_version not in first_seen:
                first_seen.append(event.stream_version)
        assert first_seen == list(range(1, len(first_seen) + 1)), f"{stream}: {first_seen}"


def assert_everyone_told_once(published: Published, concerns: int) -> None:
    raised = published.of(ConcernRaised)
    assert len({e.event_id for e in raised}) == concerns, "every concern raised once"
    references = [
        e.payload.partner_reference for e in raised if isinstance(e.payload, ConcernRaised)
    ]
    assert len(set(references)) == concerns
    assert len({e.event_id for e in published.of(CaseOpened)}) == concerns, "one case each"
    informed = published.of(PersonInformed)
    assert published.concerns_told() == {e.event_id for e in raised}
    by_step: dict[tuple[str, str], set[str]] = {}
    for e in informed:
        assert isinstance(e.payload, PersonInformed)
        key = (e.payload.source_event_id, e.payload.recipient_role.value)
        by_step.setdefault(key, set()).add(e.event_id)
    assert all(len(ids) == 1 for ids in by_step.values()), "one PersonInformed per step"


@pytest.fixture
def two_instances(tmp_path: Path) -> Iterator[tuple[Stack, Stack]]:
    kafka, mongo = server_addresses()
    run = uuid.uuid4().hex[:8]
    asyncio.run(start_every_group_at_the_end(run, kafka))
    stacks = (
        stack_of(tmp_path / "a", run, kafka, mongo),
        stack_of(tmp_path / "b", run, kafka, mongo),
    )
    try:
        for stack in stacks:
            stack.start()
        yield stacks
    finally:
        for stack in stacks:
            stack.stop()


async def test_two_instances_of_each_service_one_killed_mid_load_lose_and_reorder_nothing(
    two_instances: tuple[Stack, Stack],
) -> None:
    survivor, victim = two_instances
    bodies = [a_submission() for _ in range(CONCERNS)]
    urls = [survivor.endpoints.url("intake"), victim.endpoints.url("intake")]
    dead: set[str] = set()
    practitioner = Practitioner(
        [survivor.endpoints.url("notification"), victim.endpoints.url("notification")], dead
    )
    async with Published(survivor.endpoints.kafka_bootstrap_servers) as published:
        load = asyncio.create_task(raise_concerns(urls, bodies, dead))
        await published.until(
            lambda: len(published.concerns_told()) >= 5,
            timeout=120,
            what="the first people told",
            practitioner=practitioner,
        )
        for service in SERVICES:
            victim.processes[service].kill()  # kill -9, mid-run
        dead |= {victim.endpoints.url("intake"), victim.endpoints.url("notification")}
        await load
        await published.until(
            lambda: published.all_told_and_opened(CONCERNS),
            timeout=300,
            what="every person told and every case opened",
            practitioner=practitioner,
        )

    assert_everyone_told_once(published, CONCERNS)
    assert_each_stream_in_order(published)


async def test_after_notification_is_killed_under_load_everyone_is_told_within_a_minute_of_restart(
    tmp_path: Path,
) -> None:
    kafka, mongo = server_addresses()
    run = uuid.uuid4().hex[:8]
    await start_every_group_at_the_end(run, kafka)
    stack = stack_of(tmp_path, run, kafka, mongo)
    try:
        stack.start()
        bodies = [a_submission() for _ in range(CONCERNS)]
        practitioner = Practitioner([stack.endpoints.url("notification")], set())
        async with Published(kafka) as published:
            load = asyncio.create_task(
                raise_concerns([stack.endpoints.url("intake")], bodies, set())
            )
            await published.until(
                lambda: len(published.concerns_told()) >= 5,
                timeout=120,
                what="the first people told",
                practitioner=practitioner,
            )
            stack.processes["notification"].kill()  # kill -9 with deliveries claimed
            await load
            stack.start_service("notification")
            stack.wait_ready()
            restarted = time.monotonic()
            told = await published.until(
                lambda: len(published.concerns_told()) >= CONCERNS,
                timeout=240,
                what="every person told after the restart",
                practitioner=practitioner,
            )
        assert told - restarted < 60, f"the last person was told {told - restarted:.0f} s after"
        assert_everyone_told_once(published, CONCERNS)
    finally:
        stack.stop()
