"""Fixtures for tests that use the real Kafka broker, MongoDB-wire server and Keycloak."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic
from hypothesis import HealthCheck, settings

from infra.sign_in import StaffSignIn
from shared.kafka import admin as kafka_admin
from shared.kafka import producer
from shared.mongo import Client, Database, connect
from tests.support.servers import server_addresses
from tests.support.staff import Staff, shared_sign_in

# Property tests generate the same cases on every run, so the suite passes or fails the same way
# each time, and never fail on how long an example took on a busy machine (timing is the
# benchmark's business). `HYPOTHESIS_PROFILE=explore` draws new cases instead, to look for more.
settings.register_profile(
    "suite",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", settings.get_profile("suite"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return server_addresses()[0]


@pytest.fixture(scope="session")
def mongodb_uri() -> str:
    return server_addresses()[1]


@pytest.fixture(scope="session")
def signing_in() -> StaffSignIn:
    """Each test user signs in at the real Keycloak once per session (renewed near expiry)."""
    return shared_sign_in()


@pytest.fixture
async def staff(signing_in: StaffSignIn) -> Staff:
    """The test users' Authorization headers, valid for the length of a test."""
    return await Staff.signed_in(signing_in)


@pytest.fixture(scope="session")
async def mongo_client(mongodb_uri: str) -> AsyncIterator[Client]:
    client = connect(mongodb_uri)
    yield client
    await client.close()


@pytest.fixture
async def database(mongo_client: Client) -> AsyncIterator[Database]:
    """A database of the test's own, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield mongo_client[name]
    await mongo_client.drop_database(name)


@pytest.fixture(scope="session")
async def kafka_producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    kafka = producer(kafka_bootstrap, client_id="tests")
    await kafka.start()
    yield kafka
    await kafka.stop()


NewTopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def new_topic(kafka_bootstrap: str) -> AsyncIterator[NewTopicFactory]:
    """Create topics of the test's own (with their .dlt twin); deleted afterwards."""
    admin = kafka_admin(kafka_bootstrap)
    await admin.start()
    created: list[str] = []

    async def create(partitions: int = 3) -> str:
        name = f"test.{uuid.uuid4().hex[:12]}"
        await admin.create_topics(
            [
                NewTopic(t, num_partitions=partitions, replication_factor=1)
                for t in (name, f"{name}.dlt")
            ]
        )
        created.extend([name, f"{name}.dlt"])
        return name

    yield create
    if created:
        await admin.delete_topics(created)
    await admin.close()
