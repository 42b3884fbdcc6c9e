"""The envelope and the registry: JSON round trips, headers, upcasting, clear decode errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.events import (
    Actor,
    DecodeError,
    Envelope,
    Metadata,
    Role,
    decode,
    encode,
    kafka_headers,
)
from tests.support.events import AmountRecorded, NameGiven

FIXTURES = Path(__file__).parents[1] / "fixtures" / "events"
POLICE = Actor(id="pc-1234", role=Role.PARTNER, agency="West Mercia Police")


def recorded(payload: AmountRecorded | NameGiven) -> Envelope:
    return Envelope.record(
        payload, stream_id="case-1", stream_version=1, metadata=Metadata(actor=POLICE)
    )


def test_an_event_survives_a_json_round_trip_exactly() -> None:
    envelope = recorded(
        AmountRecorded(amount=3, note="I want the abuse to stop – but I still want to see my son")
    )
    assert decode(encode(envelope)) == envelope


def test_occurred_at_is_utc() -> None:
    envelope = recorded(AmountRecorded(amount=1))
    assert envelope.occurred_at.utcoffset() is not None
    assert envelope.occurred_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_id_type_and_correlation_are_mirrored_into_kafka_headers() -> None:
    envelope = recorded(AmountRecorded(amount=1))
    headers = dict(kafka_headers(envelope))
    assert headers["event_id"] == envelope.event_id.encode()
    assert headers["event_type"] == b"TestAmountRecorded"
    assert headers["correlation_id"] == envelope.correlation_id.encode()


def test_events_are_immutable() -> None:
    event = AmountRecorded(amount=1)
    with pytest.raises(ValueError, match="frozen"):
        event.amount = 2  # type: ignore[misc]


def test_a_version_1_fixture_is_upcast_and_loads() -> None:
    raw = (FIXTURES / "TestNameGiven.v1.json").read_bytes()
    assert json.loads(raw)["schema_version"] == 1
    envelope = decode(raw)
    assert envelope.schema_version == 2
    assert envelope.payload == NameGiven(given_name="Mary", family_name="Smith")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not an event envelope"),
        (b'{"event_type": "TestAmountRecorded"}', "event_id: Field required"),
        (
            encode(recorded(AmountRecorded(amount=1))).replace(b"TestAmountRecorded", b"Nonsense"),
            "unknown event type 'Nonsense'",
        ),
        (
            encode(recorded(AmountRecorded(amount=1))).replace(b'"amount":1', b'"amount":"lots"'),
            "invalid TestAmountRecorded: amount",
        ),
        (
            encode(recorded(AmountRecorded(amount=1))).replace(
                b'"schema_version":1', b'"schema_version":9'
            ),
            "newer than this service knows",
        ),
    ],
)
def test_an_unreadable_message_is_refused_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode(raw)
