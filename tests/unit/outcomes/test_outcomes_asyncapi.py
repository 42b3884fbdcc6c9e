"""The AsyncAPI document declares what the outcomes service consumes and publishes."""

from __future__ import annotations

import json

from services.outcomes.asyncapi import document
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS, OUTCOMES_EVENTS


def addresses(doc: dict[str, object]) -> set[str]:
    channels = doc["channels"]
    assert isinstance(channels, dict)
    return {channel["address"] for channel in channels.values()}


def test_asyncapi_names_the_channels_it_consumes_and_publishes() -> None:
    doc = document()

    assert addresses(doc) == {INTAKE_EVENTS, OUTCOMES_EVENTS, NOTIFICATION_EVENTS}
    operations = doc["operations"]
    assert isinstance(operations, dict)
    assert sorted(op["action"] for op in operations.values()) == [
        "receive",
        "receive",
        "receive",
        "send",
    ]


def test_asyncapi_gives_each_message_its_envelope_and_event_schema() -> None:
    schemas = document()["components"]["schemas"]  # type: ignore[index]

    for name in ("ConcernRaisedEnvelope", "S42DecisionMadeEnvelope", "PersonInformedEnvelope"):
        assert name in schemas
    for name in ("CaseOpenedEnvelope", "WishesOverriddenEnvelope", "EnquiryConcludedEnvelope"):
        assert name in schemas
    assert schemas["DesiredOutcomeExpressedEnvelope"]["properties"]["payload"] == {
        "$ref": "#/components/schemas/DesiredOutcomeExpressed"
    }


def test_asyncapi_document_is_json() -> None:
    assert json.loads(json.dumps(document()))["asyncapi"] == "3.0.0"
