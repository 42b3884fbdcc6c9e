"""How intake is configured and what it tells Kafka users about itself."""

from __future__ import annotations

import json

import pytest

from services.intake.asyncapi import INTAKE_EVENT_TYPES, document
from services.intake.settings import DEV_PARTNER, DEV_PARTNER_KEY, IntakeSettings
from shared.identity import hash_api_key
from shared.topics import CONCERN_SUBMISSIONS, INTAKE_EVENTS, dead_letter_topic


def test_no_partner_is_registered_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTNER_API_KEYS", raising=False)

    assert IntakeSettings().partner_api_keys == {}


def test_the_development_partner_key_makes_intake_insecure() -> None:
    settings = IntakeSettings(
        partner_api_keys={DEV_PARTNER: hash_api_key(DEV_PARTNER_KEY)},
        oidc_issuer="https://login.example/tenant",
        oidc_audience="api://safeguarding",
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
    )

    assert [i.setting for i in settings.insecurities()] == ["PARTNER_API_KEYS"]


def test_a_real_partner_key_and_sign_in_settings_are_secure() -> None:
    settings = IntakeSettings(
        partner_api_keys={"West Mercia Police": hash_api_key("a key only West Mercia knows")},
        oidc_issuer="https://login.example/tenant",
        oidc_audience="api://safeguarding",
    )

    assert settings.insecurities() == []


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
    assert submission["headers"]["required"] == ["agency"]
    assert "partner_reference" in components["schemas"]["ConcernSubmission"]["properties"]


def test_the_asyncapi_document_says_who_may_write_as_which_agency() -> None:
    spec = document()
    channels = spec["channels"]
    assert isinstance(channels, dict)

    assert "Kafka ACLs" in channels["concern-submissions"]["description"]


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
