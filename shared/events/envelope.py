"""The envelope: what every event carries besides its payload.

Maps onto CloudEvents (`id`, `type`, `time`, `subject` = stream) should anyone need it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SerializeAsAny, field_validator


class Role(StrEnum):
    """The role in which someone caused an event."""

    PARTNER = "partner"
    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    SYSTEM = "system"


class Actor(BaseModel):
    """Who caused an event: a person in a role, for an agency (partners), or the system itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    role: Role
    agency: str | None = Field(default=None, max_length=200)


SYSTEM_ACTOR = Actor(id="system", role=Role.SYSTEM)


class DomainEvent(BaseModel):
    """Base of every event payload. Subclasses are named in the past tense, are immutable,
    and are registered with `@event` under a type name and a schema version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1


class Metadata(BaseModel):
    """Why and by whom a batch of events is being recorded."""

    model_config = ConfigDict(frozen=True)

    actor: Actor
    correlation_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None

    def caused_by(self, cause: Envelope, actor: Actor | None = None) -> Metadata:
        """Metadata for events recorded in reaction to `cause`: same correlation, caused by it."""
        return Metadata(
            actor=actor or self.actor,
            correlation_id=cause.correlation_id,
            causation_id=cause.event_id,
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """One recorded event: its payload plus identity, position in its stream, time and cause."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    schema_version: int
    occurred_at: AwareDatetime
    stream_id: str
    stream_version: int = Field(ge=1)
    correlation_id: str
    causation_id: str | None
    actor: Actor
    payload: SerializeAsAny[DomainEvent]

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def record(
        cls,
        payload: DomainEvent,
        *,
        stream_id: str,
        stream_version: int,
        metadata: Metadata,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        return cls(
            event_id=event_id or str(uuid.uuid4()),
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            occurred_at=occurred_at or utc_now(),
            stream_id=stream_id,
            stream_version=stream_version,
            correlation_id=metadata.correlation_id,
            causation_id=metadata.causation_id,
            actor=metadata.actor,
            payload=payload,
        )
