"""Reading a partner's submission from Kafka: which agency sent it, and why it is refused."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from aiokafka.structs import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from pydantic import JsonValue

from services.intake.adapters.partners import PartnerRegistry
from services.intake.application.commands import IntakeCommands
from services.intake.application.submissions import (
    AGENCY_HEADER,
    ConcernSubmissions,
    agency_of,
    explained,
    idempotency_key,
    refusal_reasons,
    rejection_stream,
)
from services.intake.domain.signature import SIGNATURE_HEADER, sign
from services.intake.domain.submission import EXAMPLE, ConcernSubmission
from shared.events import DecodeError
from shared.eventstore import EventStore
from shared.topics import CONCERN_SUBMISSIONS

WEST_MERCIA = "West Mercia Police"
HEREFORDSHIRE = "Herefordshire NHS Trust"
KEYS = {WEST_MERCIA: Ed25519PrivateKey.generate(), HEREFORDSHIRE: Ed25519PrivateKey.generate()}
STRANGER = Ed25519PrivateKey.generate()
PARTNERS = PartnerRegistry(
    {WEST_MERCIA: "ab" * 32, HEREFORDSHIRE: "cd" * 32, "Shropshire Council": "ef" * 32},
    {agency: key.public_key() for agency, key in KEYS.items()},
)
OWN = Ed25519PrivateKey.generate()
"""Stands for "signed with the key of the agency it names" (a stranger's, for one not known)."""


def record(
    value: bytes | None,
    *,
    agency: bytes | None = b"West Mercia Police",
    offset: int = 7,
    key: Ed25519PrivateKey | None = OWN,
) -> ConsumerRecord[bytes, bytes]:
    headers = [] if agency is None else [(AGENCY_HEADER, agency)]
    if agency is not None and key is not None:
        name = agency.decode(errors="replace")
        signer = KEYS.get(name, STRANGER) if key is OWN else key
        headers.append((SIGNATURE_HEADER, sign(signer, name, value or b"")))
    return ConsumerRecord(
        CONCERN_SUBMISSIONS, 2, offset, 0, 0, b"key", value, None, 3, len(value or b""), headers
    )


def as_bytes(document: dict[str, JsonValue]) -> bytes:
    return json.dumps(document).encode()


@pytest.fixture
def reader() -> ConcernSubmissions:
    # Decoding needs neither the database nor the store.
    return ConcernSubmissions(
        IntakeCommands.__new__(IntakeCommands), EventStore.__new__(EventStore), PARTNERS
    )


def test_a_valid_submission_is_read_with_the_agency_from_its_header(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    message = reader.decode(record(as_bytes(example)))

    assert message.agency == "West Mercia Police"
    assert message.submission == ConcernSubmission.model_validate(example)


def test_the_partners_correlation_id_is_kept(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    raw = record(as_bytes(example))
    raw.headers.append(("correlation_id", b"wmp-trace-42"))

    assert reader.decode(raw).correlation_id == "wmp-trace-42"


def test_without_a_correlation_id_one_is_derived_from_the_position_so_redelivery_keeps_it(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    first = reader.decode(record(as_bytes(example))).correlation_id
    again = reader.decode(record(as_bytes(example))).correlation_id

    assert first == again


def test_an_invalid_submission_is_refused_naming_each_field_and_what_is_allowed(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    person = example["person"]
    assert isinstance(person, dict)
    person["nhs_number"] = "943 476 5918"

    with pytest.raises(DecodeError) as refused:
        reader.decode(record(as_bytes(example)))

    assert "person.nhs_number: fails the NHS number Modulus 11 check digit" in str(refused.value)
    assert "(allowed: 10 digits" in str(refused.value)


@pytest.mark.parametrize(
    ("agency", "problem"),
    [(None, "is missing"), (b"", "is not a usable"), (b"\xff\xfe", "is not a usable")],
)
def test_a_submission_without_a_usable_agency_header_is_refused(
    example: dict[str, JsonValue], agency: bytes | None, problem: str
) -> None:
    [reason] = refusal_reasons(record(as_bytes(example), agency=agency), PARTNERS)

    assert reason.field == "headers.agency"
    assert problem in reason.problem


def test_an_agency_name_longer_than_100_characters_is_not_usable() -> None:
    assert agency_of(record(b"{}", agency=b"x" * 101)) is None


def test_an_empty_message_is_refused() -> None:
    [reason] = refusal_reasons(record(None), PARTNERS)

    assert (reason.field, reason.problem) == ("(submission)", "is empty")


def test_a_message_that_is_not_json_is_refused() -> None:
    [reason] = refusal_reasons(record(b"{not json"), PARTNERS)

    assert reason.problem.startswith("is not valid JSON")


def test_every_problem_is_reported_at_once(example: dict[str, JsonValue]) -> None:
    del example["referrer"]

    reasons = refusal_reasons(record(as_bytes(example), agency=None), PARTNERS)

    assert [r.field for r in reasons] == ["headers.agency", "referrer"]
    assert explained(reasons).count(";") == 1


def test_refusals_of_one_submission_share_a_stream_named_for_the_partner_reference() -> None:
    assert rejection_stream("West Mercia Police", "WMP-1", record(b"")) == (
        "submission-West Mercia Police-WMP-1"
    )


def test_a_refusal_without_a_readable_reference_is_named_for_its_position() -> None:
    assert rejection_stream(None, None, record(b"", offset=41)) == "submission-unknown-offset-2-41"


def test_a_republished_submission_has_the_same_idempotency_key(
    submission: ConcernSubmission,
) -> None:
    assert idempotency_key(submission) == "partner-reference:WMP-2026-118842"


@pytest.mark.parametrize(
    "agency",
    [
        "Someone Else",
        "west mercia police",  # another spelling of a registered one
        "West Mercia Police ",
        " West Mercia Police",
        "West  Mercia Police",
        "West Mercia",
        "West Mercia Police Federation",
        "W\u0435st Mercia Police",  # a Cyrillic e
        "West Mercia Police\u200b",  # a zero-width space
    ],
)
def test_a_submission_naming_an_agency_not_registered_is_refused(
    reader: ConcernSubmissions, example: dict[str, JsonValue], agency: str
) -> None:
    raw = record(as_bytes(example), agency=agency.encode())

    [reason] = refusal_reasons(raw, PARTNERS)

    assert reason.field == "headers.agency"
    assert reason.problem in (
        "is not a partner agency registered with the council",
        "is not a usable agency name",
    )
    assert reader.authentic_agency(raw) is None
    with pytest.raises(DecodeError, match=r"headers\.agency"):
        reader.decode(raw)


@given(st.one_of(st.sampled_from(sorted(PARTNERS.hashed_keys)), st.text(min_size=1, max_size=100)))
def test_only_a_registered_agency_exactly_as_registered_and_signing_is_accepted(
    agency: str,
) -> None:
    raw = record(json.dumps(EXAMPLE).encode(), agency=agency.encode())

    accepted = refusal_reasons(raw, PARTNERS) == []

    assert accepted == (agency in KEYS)


def test_a_registered_agency_is_accepted(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    raw = record(as_bytes(example), agency=b"Herefordshire NHS Trust")

    assert refusal_reasons(raw, PARTNERS) == []
    assert reader.decode(raw).agency == "Herefordshire NHS Trust"


def assert_refused_for_its_signature(
    reader: ConcernSubmissions, raw: ConsumerRecord[bytes, bytes], problem: str
) -> None:
    [reason] = refusal_reasons(raw, PARTNERS)
    assert (reason.field, reason.problem) == ("headers.signature", problem)
    assert reader.authentic_agency(raw) is None
    with pytest.raises(DecodeError, match=r"headers\.signature"):
        reader.decode(raw)


NOT_THEIRS = "is not this agency's signature of this message"


def test_a_submission_in_one_partners_name_signed_by_another_is_refused(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    raw = record(as_bytes(example), agency=WEST_MERCIA.encode(), key=KEYS[HEREFORDSHIRE])

    assert_refused_for_its_signature(reader, raw, NOT_THEIRS)


def test_a_signed_submission_moved_to_another_partners_name_is_refused(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    value = as_bytes(example)
    raw = record(value, agency=WEST_MERCIA.encode(), key=None)
    raw.headers.append((SIGNATURE_HEADER, sign(KEYS[HEREFORDSHIRE], HEREFORDSHIRE, value)))

    assert_refused_for_its_signature(reader, raw, NOT_THEIRS)


@pytest.mark.parametrize(
    "change",
    [
        lambda v: v + b" ",  # whitespace JSON ignores
        lambda v: json.dumps(json.loads(v), indent=1).encode(),  # the same JSON, laid out again
        lambda v: v.replace(b"WMP-2026-118842", b"WMP-2026-118843"),  # another reference
        lambda v: v.replace(b'"', b'"', 1)[:-1] + b"}",  # the last byte, rewritten the same
    ],
)
def test_a_submission_changed_after_it_was_signed_is_refused(
    reader: ConcernSubmissions, change: Callable[[bytes], bytes]
) -> None:
    value = json.dumps(EXAMPLE).encode()
    raw = record(change(value), agency=WEST_MERCIA.encode(), key=None)
    raw.headers.append((SIGNATURE_HEADER, sign(KEYS[WEST_MERCIA], WEST_MERCIA, value)))

    if change(value) == value:
        assert refusal_reasons(raw, PARTNERS) == []  # unchanged, it is accepted
    else:
        assert_refused_for_its_signature(reader, raw, NOT_THEIRS)


@pytest.mark.parametrize(
    "signature",
    [b"", b"not base64!", b"A" * 88, b"=" * 300, sign(STRANGER, WEST_MERCIA, b"{}")],
)
def test_a_signature_that_is_not_one_is_refused(
    reader: ConcernSubmissions, example: dict[str, JsonValue], signature: bytes
) -> None:
    raw = record(as_bytes(example), key=None)
    raw.headers.append((SIGNATURE_HEADER, signature))

    assert_refused_for_its_signature(reader, raw, NOT_THEIRS)


def test_an_unsigned_submission_is_refused(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    assert_refused_for_its_signature(reader, record(as_bytes(example), key=None), "is missing")


def test_a_partner_without_a_signing_key_cannot_submit_over_kafka(
    reader: ConcernSubmissions, example: dict[str, JsonValue]
) -> None:
    raw = record(as_bytes(example), agency=b"Shropshire Council", key=STRANGER)

    assert_refused_for_its_signature(
        reader, raw, "cannot be checked: the council holds no signing key for this agency"
    )


@given(
    agency=st.sampled_from(sorted(KEYS)),
    claimed=st.text(min_size=1, max_size=100),
    value=st.binary(max_size=300),
    changed=st.binary(max_size=300),
)
def test_a_signature_holds_for_exactly_the_agency_and_value_it_was_made_for(
    agency: str, claimed: str, value: bytes, changed: bytes
) -> None:
    signature = sign(KEYS[agency], agency, value)

    assert PARTNERS.signed_by(agency, value, signature)
    assert PARTNERS.signed_by(agency, changed, signature) == (changed == value)
    assert PARTNERS.signed_by(claimed, value, signature) == (claimed == agency)
