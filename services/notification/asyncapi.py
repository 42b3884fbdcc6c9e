"""Notification's AsyncAPI document, declared from the code: it reads intake's and outcomes'
events and publishes its own."""

from __future__ import annotations

from typing import Any, Final

from faststream.kafka import KafkaBroker
from faststream.specification.asyncapi import AsyncAPI

from services.notification.application.informing import InformingReaction
from services.notification.domain.policy import INFORMING_POLICY
from services.notification.settings import NotificationSettings
from shared.events import DomainEvent, Envelope
from shared.events.notification import (
    ContactPreferencesRecorded,
    InformingOverdue,
    InformingWithheld,
    NotificationFailed,
    PersonInformed,
    PractitionerContactRequired,
    SafeContactDecided,
)
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS, OUTCOMES_EVENTS

NOTIFICATION_EVENT_TYPES: Final[tuple[type[DomainEvent], ...]] = (
    ContactPreferencesRecorded,
    PersonInformed,
    InformingWithheld,
    PractitionerContactRequired,
    NotificationFailed,
    InformingOverdue,
    SafeContactDecided,
)


class NotificationEnvelope(Envelope):
    """The envelope of every event notification publishes; `event_type` names the payload."""

    payload: (
        ContactPreferencesRecorded
        | PersonInformed
        | InformingWithheld
        | PractitionerContactRequired
        | NotificationFailed
        | InformingOverdue
        | SafeContactDecided
    )


INTAKE: Final = "intake-events"
OUTCOMES: Final = "outcomes-events"
EVENTS: Final = "notification-events"

_TOLD: Final = ", ".join(sorted(t for t, rule in INFORMING_POLICY.items() if rule.tell))

CONSUMED_DESCRIPTION: Final = (
    "Read by the informing reaction (one consumer group for both topics). Every step in a "
    f"person's case gets an informing decision; the person is told about: {_TOLD}. "
    "ConcernRaised also gives the person's first contact preferences, with the alleged source "
    "of risk's contact points, which are never used. Redelivered events change nothing."
)

EVENTS_DESCRIPTION: Final = (
    "Every event notification records, on the person's stream `informing-<person_id>`, in its "
    "envelope, keyed by stream id. Published from the transactional outbox, so at least once: "
    "consumers dedupe by stream version. PersonInformed is recorded once per step and "
    "recipient, whatever is redelivered. Payloads: "
    + ", ".join(e.event_type for e in NOTIFICATION_EVENT_TYPES)
    + " (schemas in components, by name; `event_type` says which)."
)


def document() -> dict[str, object]:
    broker = KafkaBroker(
        "kafka:9092", description="The council's Kafka cluster (docker compose: kafka:9092)."
    )
    group = NotificationSettings.model_construct().consumer_group(InformingReaction.name)

    @broker.subscriber(
        INTAKE_EVENTS, group_id=group, title=INTAKE, description=CONSUMED_DESCRIPTION
    )
    async def intake_step(event: Envelope) -> None:
        """Decides whether and how to tell the person about a step at intake."""

    @broker.subscriber(
        OUTCOMES_EVENTS, group_id=group, title=OUTCOMES, description=CONSUMED_DESCRIPTION
    )
    async def case_step(event: Envelope) -> None:
        """Decides whether and how to tell the person about a step in their case."""

    broker.publisher(
        NOTIFICATION_EVENTS,
        schema=NotificationEnvelope,
        title=EVENTS,
        description=EVENTS_DESCRIPTION,
    )
    spec: dict[str, Any] = (
        AsyncAPI(
            broker,
            title="Safeguarding notification",
            version="1.0",
            description="Intake's and outcomes' events in; what each person was told, or why "
            "not, out.",
        )
        .to_specification()
        .to_jsonable()
    )
    return spec
