"""Contracts hold across services: every shape of every event a service can publish, generated
by Hypothesis from the producer's own pydantic model (its JSON Schema, with the formats of
`tests.support.formats`), is decoded and handled by each consumer in the other services, on the
real database. A field one side reads differently from the other (a one-letter language intake
accepted and notification refused) fails here, not in production where a person goes untold.

Each event arrives where it would: after the event that opens its stream (a concern's
ConcernRaised, a case's CaseOpened), with the ids of one person's case.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError
from pymongo import MongoClient
from schemathesis import GenerationMode

import tests.support.formats  # noqa: F401  (teaches schemathesis our formats)
from services.intake.app import build as build_intake
from services.intake.settings import IntakeSettings
from services.notification.app import build_service as build_notification
from services.notification.settings import NotificationSettings
from services.outcomes.app import assemble as build_outcomes
from services.outcomes.settings import OutcomesSettings
from shared.events import DomainEvent, Envelope, Metadata, registered_events
from shared.events import intake as intake_events
from shared.events import notification as notification_events
from shared.events import outcomes as outcomes_events
from shared.events.envelope import SYSTEM_ACTOR
from shared.mongo import Document, in_transaction
from shared.projection import MessageHandler
from shared.runtime import ServiceRuntime
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS, OUTCOMES_EVENTS
from tests.support.consuming import record
from tests.unit.notification.story import Story

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "25"))
"""Shapes per event type (`make api-conformance` runs many more)."""

PUBLISHERS = {
    INTAKE_EVENTS: ("intake", intake_events.__name__),
    OUTCOMES_EVENTS: ("outcomes", outcomes_events.__name__),
    NOTIFICATION_EVENTS: ("notification", notification_events.__name__),
}
PUBLISHED = sorted(
    (topic, name)
    for name, cls in registered_events().items()
    for topic, (_, module) in PUBLISHERS.items()
    if cls.__module__ == module
)


def event_shapes() -> schemathesis.BaseSchema:
    """Each event's JSON Schema as the body of one operation of a made-up API, so that
    schemathesis (with our formats) generates its shapes."""
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for _, name in PUBLISHED:
        # Each event's definitions under names of its own: two services may each have a model
        # called ContactPoints, and each event must be generated from its producer's.
        schema = registered_events()[name].model_json_schema(
            ref_template=f"#/components/schemas/{name}.{{model}}"
        )
        components.update({f"{name}.{d}": s for d, s in schema.pop("$defs", {}).items()})
        components[name] = schema
        paths[f"/{name}"] = {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                },
                "responses": {"200": {"description": "handled"}},
            }
        }
    return schemathesis.openapi.from_dict(
        {
            "openapi": "3.1.0",
            "info": {"title": "published events", "version": "1"},
            "paths": paths,
            "components": {"schemas": components},
        }
    )


@dataclass
class Consumers:
    runner: asyncio.Runner
    runtimes: list[ServiceRuntime]
    handlers: dict[str, list[tuple[str, MessageHandler[Any]]]]
    """Topic -> (service, handler) of every consumer in another service than the publisher."""

    def of(self, topic: str) -> list[tuple[str, MessageHandler[Any]]]:
        return self.handlers.get(topic, [])


@pytest.fixture(scope="module")
def consumers(kafka_bootstrap: str, mongodb_uri: str) -> Iterator[Consumers]:
    tag = uuid.uuid4().hex[:8]
    common = {
        "kafka_bootstrap_servers": kafka_bootstrap,
        "mongodb_uri": mongodb_uri,
        "consumer_group_prefix": f"contracts-{tag}",
    }
    databases = {name: f"contracts_{tag}_{name}" for name in ("intake", "outcomes", "notification")}
    with asyncio.Runner() as runner:

        async def build() -> list[tuple[str, ServiceRuntime]]:
            _, intake = build_intake(
                IntakeSettings.model_validate({**common, "mongodb_database": databases["intake"]})
            )
            _, outcomes, _ = build_outcomes(
                OutcomesSettings.model_validate(
                    {**common, "mongodb_database": databases["outcomes"]}
                )
            )
            _, notification = build_notification(
                NotificationSettings.model_validate(
                    {**common, "mongodb_database": databases["notification"]}
                )
            )
            services = [
                ("intake", intake),
                ("outcomes", outcomes),
                ("notification", notification.runtime),
            ]
            for _, runtime in services:
                await runtime.store.ensure_indexes()
            await notification.ensure_indexes()
            return services

        services = runner.run(build())
        handlers: dict[str, list[tuple[str, MessageHandler[Any]]]] = {}
        for service, runtime in services:
            for handler in runtime.handlers:
                for topic in handler.topics:
                    if topic in PUBLISHERS and PUBLISHERS[topic][0] != service:
                        handlers.setdefault(topic, []).append((service, handler))
        try:
            yield Consumers(runner, [r for _, r in services], handlers)
        finally:

            async def close() -> None:
                for _, runtime in services:
                    await runtime.client.close()
                    await runtime.producer.stop()

            runner.run(close())
            mongo: MongoClient[Document] = MongoClient(mongodb_uri)
            for name in databases.values():
                mongo.drop_database(name)
            mongo.close()


def about(story: Story, payload: dict[str, Any]) -> dict[str, Any]:
    """The generated payload, made to be about the story's person, concern and case."""
    ids = {
        "person_id": story.person_id,
        "concern_id": story.concern_id,
        "case_id": story.case_id,
        "reference": story.reference,
    }
    return {k: (ids[k] if k in ids and payload[k] is not None else v) for k, v in payload.items()}


def arriving(
    topic: str, event_type: str, payload: DomainEvent, story: Story
) -> list[tuple[str, Envelope]]:
    """The event on its topic, after whatever opens its stream."""
    metadata = Metadata(actor=SYSTEM_ACTOR, correlation_id=story.correlation_id)
    if topic == INTAKE_EVENTS:
        if event_type == "ConcernSubmissionRejected":
            return [
                (
                    topic,
                    Envelope.record(
                        payload,
                        stream_id=f"submission-{story.tag}",
                        stream_version=1,
                        metadata=metadata,
                    ),
                )
            ]
        opening = [] if event_type == "ConcernRaised" else [(topic, story.concern_raised())]
        stream = story.concern_id
    elif topic == OUTCOMES_EVENTS:
        opening = [] if event_type == "CaseOpened" else [(topic, story.case_opened())]
        stream = story.case_id
    else:
        opening = [(OUTCOMES_EVENTS, story.case_opened())]
        stream = f"informing-{story.person_id}"
    version = 2 if opening and opening[-1][0] == topic else 1
    event = Envelope.record(payload, stream_id=stream, stream_version=version, metadata=metadata)
    return [*opening, (topic, event)]


@pytest.mark.parametrize(("topic", "event_type"), PUBLISHED, ids=[name for _, name in PUBLISHED])
def test_every_shape_of_a_published_event_is_decoded_and_handled_by_its_consumers(
    consumers: Consumers, topic: str, event_type: str
) -> None:
    model = registered_events()[event_type]
    operation = event_shapes()[f"/{event_type}"]["POST"]
    subscribed = consumers.of(topic)
    handled: list[str] = []

    def valid(body: object) -> DomainEvent | None:
        try:
            return model.model_validate(body)
        except ValidationError:
            return None  # a rule of the producer's model its schema cannot state

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=operation.as_strategy(GenerationMode.POSITIVE).map(lambda case: case.body))
    def handled_by_every_consumer(body: Any) -> None:
        story = Story()
        payload = valid(about(story, body) if isinstance(body, dict) else body)
        if payload is None:
            return
        events = arriving(topic, event_type, payload, story)
        for service, handler in subscribed:
            decoded = [
                handler.decode(record(t, e, offset))
                for offset, (t, e) in enumerate(events)
                if t in handler.topics
            ]
            runtime = next(r for r in consumers.runtimes if r.name == service)

            async def apply(
                messages: Sequence[Any] = decoded,
                h: MessageHandler[Any] = handler,
                client: Any = runtime.client,
            ) -> None:
                await in_transaction(client, lambda s: h.apply(messages, s))

            consumers.runner.run(apply())
            handled.append(f"{service}:{handler.name}")

    handled_by_every_consumer()
    if subscribed:
        assert handled, f"no generated {event_type} was valid: its schema misses a rule"
