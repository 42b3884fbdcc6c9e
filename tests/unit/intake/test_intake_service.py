"""How intake is configured and what it tells Kafka users about itself."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from services.intake.asyncapi import INTAKE_EVENT_TYPES, document
from services.intake.domain.signature import PURPOSE
from services.intake.settings import (
    DEV_PARTNER,
    DEV_PARTNER_KEY,
    DEV_PARTNER_PUBLIC_KEY,
    IntakeSettings,
)
from shared.identity import hash_api_key
from shared.topics import CONCERN_SUBMISSIONS, INTAKE_EVENTS, dead_letter_topic

KEY_ENCRYPTION_KEY = "a key-encryption key of the council's own, not published"
MATCHING_KEY = "a matching key of the council's own, not published"


def test_no_partner_is_registered_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTNER_API_KEYS", raising=False)

    assert IntakeSettings().partner_api_keys == {}


def test_the_development_partner_key_makes_intake_insecure() -> None:
    settings = IntakeSettings(
        partner_api_keys={DEV_PARTNER: hash_api_key(DEV_PARTNER_KEY)},
        oidc_issuer="https://login.example/tenant",
        oidc_audience="api://safeguarding",
        key_encryption_key=KEY_ENCRYPTION_KEY,
        matching_key=MATCHING_KEY,
    )

    assert [str(i) for i in settings.insecurities()] == [
        f"PARTNER_API_KEYS gives {DEV_PARTNER!r} a development key published in the source code"
    ]


@pytest.mark.parametrize("digest", ["", "ab" * 31, "zz" * 32, "ab" * 33, "dev-only-partner-key"])
def test_a_partner_key_that_is_not_a_sha256_hash_makes_intake_insecure(digest: str) -> None:
    settings = IntakeSettings(
        partner_api_keys={"West Mercia Police": digest},
        oidc_issuer="https://login.example/tenant",
        oidc_audience="api://safeguarding",
        key_encryption_key=KEY_ENCRYPTION_KEY,
        matching_key=MATCHING_KEY,
    )

    assert [i.setting for i in settings.insecurities()] == ["PARTNER_API_KEYS"]


def test_a_real_partner_key_and_sign_in_settings_are_secure() -> None:
    settings = IntakeSettings(
        partner_api_keys={"West Mercia Police": hash_api_key("a key only West Mercia knows")},
        oidc_issuer="https://login.example/tenant",
        oidc_audience="api://safeguarding",
        key_encryption_key=KEY_ENCRYPTION_KEY,
        matching_key=MATCHING_KEY,
    )

    assert settings.insecurities() == []


def test_the_development_partners_signing_key_makes_intake_insecure() -> None:
    settings = IntakeSettings(
        partner_api_keys={"West Mercia Police": hash_api_key("a key only West Mercia knows")},
        partner_signing_keys={"West Mercia Police": DEV_PARTNER_PUBLIC_KEY},
        oidc_issuer="https://login.example/tenant",
        oidc_audience="api://safeguarding",
        key_encryption_key=KEY_ENCRYPTION_KEY,
        matching_key=MATCHING_KEY,
    )

    assert [str(i) for i in settings.insecurities()] == [
        "PARTNER_SIGNING_KEYS gives 'West Mercia Police' a development key published in the "
        "source code"
    ]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "not base64!",
        base64.b64encode(b"x" * 31).decode(),
        base64.b64encode(b"x" * 33).decode(),
        "ab" * 32,  # hex, not base64 of 32 bytes
    ],
)
def test_a_signing_key_that_is_not_an_ed25519_public_key_is_refused(key: str) -> None:
    with pytest.raises(ValidationError) as refused:
        IntakeSettings(partner_signing_keys={"West Mercia Police": key})

    [error] = refused.value.errors()
    assert error["loc"] == ("partner_signing_keys",)
    assert "the key for 'West Mercia Police' is not" in error["msg"]


def test_partner_keys_are_read_from_the_environment_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARTNER_API_KEYS", json.dumps({"West Mercia Police": "ab" * 32}))

    assert IntakeSettings().partner_api_keys == {"West Mercia Police": "ab" * 32}


def test_intake_listens_on_its_own_port_and_database() -> None:
    settings = IntakeSettings()

    assert (settings.http_port, settings.mongodb_database) == (8001, "intake")


def test_the_asyncapi_document_names_the_channels_intake_reads_and_writes() -> None:
    addresses = {channel["address"] for channel in document()["channels"].values()}  # type: ignore[attr-defined]

    assert addresses == {
        CONCERN_SUBMISSIONS,
        INTAKE_EVENTS,
        dead_letter_topic(CONCERN_SUBMISSIONS),
    }


def test_the_asyncapi_document_gives_the_submission_schema_and_the_agency_header() -> None:
    spec = document()
    components = spec["components"]
    assert isinstance(components, dict)
    [submission] = [
        m for name, m in components["messages"].items() if name.startswith("concern-submissions")
    ]

    assert submission["payload"] == {"$ref": "#/components/schemas/ConcernSubmission"}
    assert submission["headers"]["required"] == ["agency", "signature"]
    assert "partner_reference" in components["schemas"]["ConcernSubmission"]["properties"]


def test_the_asyncapi_document_says_how_a_partner_signs_in_its_own_name() -> None:
    spec = document()
    channels = spec["channels"]
    assert isinstance(channels, dict)
    description = channels["concern-submissions"]["description"]

    assert "Ed25519 signature" in description
    assert PURPOSE.decode() in description


def test_the_asyncapi_document_describes_every_intake_event_payload() -> None:
    spec = document()
    components = spec["components"]
    assert isinstance(components, dict)
    payload = components["schemas"]["Envelope"]["properties"]["payload"]

    assert [ref["$ref"].rsplit("/", 1)[1] for ref in payload["oneOf"]] == [
        e.__name__ for e in INTAKE_EVENT_TYPES
    ]
    assert all(e.__name__ in components["schemas"] for e in INTAKE_EVENT_TYPES)
    json.dumps(spec)
