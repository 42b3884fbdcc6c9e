"""The outcomes service running in-process against the real broker and database, with a database
and consumer groups of its own, called over HTTP with staff tokens from the real Keycloak."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.outcomes.app import Outcomes, assemble
from services.outcomes.domain import case_id_for
from services.outcomes.read_models.case_file import CaseFile
from services.outcomes.read_models.timeline import Timeline
from services.outcomes.settings import OutcomesSettings
from shared.events import Envelope, encode, kafka_headers
from shared.events.intake import ConcernRaised
from shared.mongo import Client
from shared.runtime import ServiceRuntime
from shared.topics import INTAKE_EVENTS, PARTITIONS
from tests.support.polling import eventually
from tests.support.staff import Staff, identity_settings
from tests.unit.outcomes.intake_events import concern_raised, decision_made


@dataclass
class OutcomesService:
    http: httpx.AsyncClient
    runtime: ServiceRuntime
    parts: Outcomes
    practitioner: dict[str, str]
    manager: dict[str, str]
    colleague: dict[str, str]
    """Another practitioner, e.g. the one who hears the person's consent."""

    async def version(self, case_id: str) -> int:
        return await self.runtime.store.version(case_id)

    async def events_of(self, case_id: str) -> list[Envelope]:
        return await self.runtime.store.load(case_id)

    async def case_file(
        self, case_id: str, version: int, headers: dict[str, str] | None = None
    ) -> CaseFile:
        """The case file once it reflects at least `version` of the case's events, read by the
        practitioner (of the team of unallocated cases) unless `headers` say who."""

        async def read() -> httpx.Response:
            return await self.http.get(f"/cases/{case_id}", headers=headers or self.practitioner)

        response = await eventually(
            read,
            until=lambda r: r.status_code == 200 and r.json()["version"] >= version,
            what=f"the case file of {case_id} at version {version}",
        )
        return CaseFile.model_validate(response.json())

    async def timeline(self, case_id: str) -> Timeline | None:
        response = await self.http.get(f"/cases/{case_id}/timeline", headers=self.practitioner)
        return Timeline.model_validate(response.json()) if response.status_code == 200 else None


async def start_at_the_end(bootstrap: str, group_id: str, topics: Sequence[str]) -> None:
    """Commit the group's offsets at the current end of its topics, so the service under test
    handles only what the test publishes, not everything earlier tests left on the shared
    topics (its case-opening reaction would otherwise reopen every earlier concern)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, partition) for topic in topics for partition in range(PARTITIONS)
        ]
        consumer.assign(partitions)
        await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


@pytest.fixture
async def outcomes(
    kafka_bootstrap: str, mongodb_uri: str, mongo_client: Client, staff: Staff
) -> AsyncIterator[OutcomesService]:
    name = f"outcomes_{uuid.uuid4().hex[:10]}"
    settings = OutcomesSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        mongodb_uri=mongodb_uri,
        mongodb_database=name,
        consumer_group_prefix=f"test-{name}",
        scheduler_interval_seconds=3600,
        **identity_settings(),
    )
    app, runtime, parts = assemble(settings)
    for handler in runtime.handlers:
        await start_at_the_end(
            kafka_bootstrap, settings.consumer_group(handler.name), handler.topics
        )
    await runtime.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://outcomes"
        ) as http:
            yield OutcomesService(
                http=http,
                runtime=runtime,
                parts=parts,
                practitioner=staff.practitioner,
                manager=staff.manager,
                colleague=staff.other_practitioner,
            )
    finally:
        await runtime.stop()
        await mongo_client.drop_database(name)


async def publish(producer: AIOKafkaProducer, topic: str, *envelopes: Envelope) -> None:
    for envelope in envelopes:
        await producer.send_and_wait(
            topic,
            encode(envelope),
            key=envelope.stream_id.encode(),
            headers=kafka_headers(envelope),
        )


def case_of(raised: Envelope) -> str:
    assert isinstance(raised.payload, ConcernRaised)
    return case_id_for(raised.payload.concern_id)


async def open_enquiry(
    outcomes: OutcomesService, producer: AIOKafkaProducer, raised: Envelope | None = None
) -> str:
    """A concern raised and an s42 enquiry decided on intake's topic; returns the case id once
    the enquiry has started in it."""
    raised = raised or concern_raised()
    await publish(producer, INTAKE_EVENTS, raised, decision_made(raised))
    case_id = case_of(raised)
    await eventually(
        lambda: outcomes.version(case_id), until=lambda v: v >= 2, what="the enquiry to start"
    )
    return case_id
