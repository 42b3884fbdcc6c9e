"""Event type registry, upcasting and the JSON wire format.

Every event type is registered once under `(event_type, schema_version)`. An event recorded under
an older version is upcast, one version at a time, by the functions registered with `@upcaster`,
then validated against the current model — so old events in the store and on Kafka still load.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from shared.events.envelope import Actor, DomainEvent, Envelope
from shared.personal_data import (
    DataKeys,
    SealedDataError,
    SealingKey,
    holds_personal_data,
    open_sealed,
    seal,
    validated,
)

E = TypeVar("E", bound=type[DomainEvent])
JsonObject = dict[str, JsonValue]
Upcaster = Callable[[JsonObject], JsonObject]

_AS_RECORDED = "as recorded"
"""Where `decode` keeps the JSON it read an envelope from (`as_recorded`)."""

_current: dict[str, type[DomainEvent]] = {}
_upcasters: dict[tuple[str, int], Upcaster] = {}


class DecodeError(ValueError):
    """A message is not a valid event: it cannot be accepted and goes to the dead-letter topic."""


def event(name: str, version: int = 1) -> Callable[[E], E]:
    """Register a payload class as the current version of event type `name`."""

    def register(cls: E) -> E:
        if name in _current and _current[name] is not cls:
            raise ValueError(f"event type {name!r} is already registered")
        cls.event_type = name
        cls.schema_version = version
        _current[name] = cls
        return cls

    return register


def upcaster(name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register the function that turns version `from_version` of `name` into the next one."""

    def register(fn: Upcaster) -> Upcaster:
        _upcasters[(name, from_version)] = fn
        return fn

    return register


def registered_events() -> dict[str, type[DomainEvent]]:
    return dict(sorted(_current.items()))


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str
    event_type: str
    schema_version: int
    occurred_at: datetime
    stream_id: str
    stream_version: int
    correlation_id: str
    causation_id: str | None
    actor: Actor
    payload: JsonObject


def encode(envelope: Envelope, *, sealing: SealingKey | None = None) -> bytes:
    """The event's JSON; with `sealing`, each personal field is sealed under that subject's
    data key (`shared.personal_data`)."""
    if sealing is None:
        return envelope.model_dump_json().encode()
    document: JsonObject = envelope.model_dump(mode="json")
    payload = document["payload"]
    assert isinstance(payload, dict)
    document["payload"] = seal(type(envelope.payload), payload, envelope.event_id, sealing)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def decode(raw: bytes | str | JsonObject, *, keys: DataKeys | None = None) -> Envelope:
    """Parse, upcast, open sealed personal fields with `keys` (fetched from the keyring first;
    a destroyed key gives the field's erased placeholder) and validate one event. Raises
    DecodeError saying what is wrong."""
    try:
        wire = (
            _Wire.model_validate(raw) if isinstance(raw, dict) else _Wire.model_validate_json(raw)
        )
    except ValidationError as error:
        raise DecodeError(f"not an event envelope: {_explain(error)}") from error
    cls = _current.get(wire.event_type)
    if cls is None:
        raise DecodeError(f"unknown event type {wire.event_type!r}")
    payload = wire.payload
    version = wire.schema_version
    if version > cls.schema_version:
        raise DecodeError(
            f"{wire.event_type} version {version} is newer than this service knows "
            f"({cls.schema_version})"
        )
    while version < cls.schema_version:
        step = _upcasters.get((wire.event_type, version))
        if step is None:
            raise DecodeError(f"no upcaster for {wire.event_type} from version {version}")
        payload = step(payload)
        version += 1
    try:
        opened = open_sealed(cls, payload, wire.event_id, keys or {})
    except SealedDataError as error:
        raise DecodeError(f"invalid {wire.event_type}: {error}") from error
    try:
        model = validated(cls, opened)
        envelope = Envelope(
            event_id=wire.event_id,
            event_type=wire.event_type,
            schema_version=cls.schema_version,
            occurred_at=wire.occurred_at,
            stream_id=wire.stream_id,
            stream_version=wire.stream_version,
            correlation_id=wire.correlation_id,
            causation_id=wire.causation_id,
            actor=wire.actor,
            payload=model,
        )
    except ValidationError as error:
        raise DecodeError(f"invalid {wire.event_type}: {_explain(error)}") from error
    # Beside the fields, not one of them: two envelopes of the same event stay equal whichever
    # form they were read from.
    envelope.__dict__[_AS_RECORDED] = raw
    return envelope


def as_document(envelope: Envelope) -> JsonObject:
    """The envelope as a JSON-compatible dict (for the event store)."""
    document: JsonObject = json.loads(encode(envelope))
    return document


def as_recorded(envelope: Envelope) -> JsonObject:
    """The event as it was recorded and published, its personal fields still sealed: the form to
    keep it in outside the event store (held back, waiting for a case), so the person's data is
    not kept readable there; `decode` with the keyring's keys opens it again when it is used.

    Raises ValueError for an event with personal fields that was not read from a record (it has
    no sealed form), rather than keep it opened."""
    raw: bytes | str | JsonObject | None = envelope.__dict__.get(_AS_RECORDED)
    if raw is None:
        if holds_personal_data(type(envelope.payload)):
            raise ValueError(f"{envelope.event_type} was not read from a record: no sealed form")
        return as_document(envelope)
    if isinstance(raw, dict):
        return dict(raw)
    document: JsonObject = json.loads(raw)
    return document


def kafka_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    """Id, type and correlation mirrored into Kafka headers, so tools can route without parsing."""
    return [
        ("event_id", envelope.event_id.encode()),
        ("event_type", envelope.event_type.encode()),
        ("schema_version", str(envelope.schema_version).encode()),
        ("correlation_id", envelope.correlation_id.encode()),
    ]


def _explain(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or '(root)'}: {item['msg']}"
        for item in error.errors(include_url=False)
    )
