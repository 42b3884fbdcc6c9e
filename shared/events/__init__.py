"""Event contracts: the envelope every event travels in, and the registry of event types."""

from shared.events.envelope import Actor, DomainEvent, Envelope, Metadata, Role
from shared.events.registry import (
    DecodeError,
    decode,
    encode,
    event,
    kafka_headers,
    registered_events,
    upcaster,
)

__all__ = [
    "Actor",
    "DecodeError",
    "DomainEvent",
    "Envelope",
    "Metadata",
    "Role",
    "decode",
    "encode",
    "event",
    "kafka_headers",
    "registered_events",
    "upcaster",
]
