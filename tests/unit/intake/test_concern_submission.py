"""A partner's concern submission: what is accepted, and how a refusal explains itself."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import JsonValue, ValidationError

from services.intake.domain.submission import (
    ConcernSubmission,
    problems_in,
    readable_partner_reference,
    uk_today,
)
from shared.events.intake import SubmissionProblem, nhs_number_check_digit_is_valid
from shared.sac import RiskType

OWN_WORDS = "I want the abuse to stop – but I still want to see my son"
REMOVE = object()


def changed(example: dict[str, JsonValue], path: str, value: object) -> dict[str, JsonValue]:
    """The example with the value at a dotted path replaced (or removed)."""
    *parents, last = path.split(".")
    node = example
    for name in parents:
        child = node[name]
        assert isinstance(child, dict)
        node = child
    if value is REMOVE:
        del node[last]
    else:
        node[last] = value  # type: ignore[assignment]
    return example


def problems(document: dict[str, JsonValue]) -> list[SubmissionProblem]:
    with pytest.raises(ValidationError) as refused:
        ConcernSubmission.model_validate(document)
    return problems_in(refused.value)


def the_problem(document: dict[str, JsonValue]) -> SubmissionProblem:
    found = problems(document)
    assert len(found) == 1, found
    return found[0]


def test_the_documented_example_is_accepted(example: dict[str, JsonValue]) -> None:
    submission = ConcernSubmission.model_validate(example)
    assert submission.partner_reference == "WMP-2026-118842"
    assert submission.what_happened.risk_types == [
        RiskType.FINANCIAL_OR_MATERIAL,
        RiskType.PSYCHOLOGICAL,
    ]


def test_the_example_is_published_in_the_json_schema() -> None:
    schema = ConcernSubmission.model_json_schema()
    assert ConcernSubmission.model_validate(schema["examples"][0])


def test_every_field_is_described_for_partners() -> None:
    schema = ConcernSubmission.model_json_schema()
    models = [schema, *schema["$defs"].values()]
    undescribed = [
        f"{model.get('title')}.{name}"
        for model in models
        for name, field in model.get("properties", {}).items()
        if not field.get("description")
    ]
    assert undescribed == []


def test_a_submission_with_only_what_is_required_is_accepted(
    example: dict[str, JsonValue],
) -> None:
    example["person"] = {"name": "Margaret Hill"}
    for optional in ("immediate_safety_actions", "communication", "alleged_source_of_risk"):
        del example[optional]
    example["involvement"] = {"person_aware": "unknown", "person_consented": "not_asked"}
    submission = ConcernSubmission.model_validate(example)
    assert submission.person.date_of_birth is None
    assert submission.communication.language == "English"


def test_the_persons_own_words_survive_a_round_trip_exactly(
    example: dict[str, JsonValue],
) -> None:
    words = f"  {OWN_WORDS}\n(she paused)  "
    changed(example, "involvement.person_own_words", words)
    received = ConcernSubmission.model_validate_json(json.dumps(example).encode())
    again = ConcernSubmission.model_validate_json(received.model_dump_json())
    assert again.involvement.person_own_words == words


@pytest.mark.parametrize(
    ("path", "value", "field", "problem"),
    [
        ("partner_reference", REMOVE, "partner_reference", "is required"),
        ("partner_reference", "x" * 101, "partner_reference", "is too long"),
        ("partner_reference", "   ", "partner_reference", "contains only spaces"),
        ("person.name", "", "person.name", "is empty"),
        ("person.nhs_number", "94347659", "person.nhs_number", "is not 10 digits"),
        ("person.approximate_age", 17, "person.approximate_age", "is too small"),
        ("person.approximate_age", 131, "person.approximate_age", "is too large"),
        ("person.date_of_birth", "14/06/1941", "person.date_of_birth", "is not a date"),
        ("person.gender", "woman", "person.gender", "is not one of the allowed values"),
        ("person.contact.email", "peggy.hill", "person.contact.email", "is not an email"),
        ("person.contact.phone", "call me", "person.contact.phone", "is not a phone number"),
        (
            "person.contact.address.postcode",
            "WR1",
            "person.contact.address.postcode",
            "is not a UK postcode",
        ),
        ("care_and_support_needs", "perhaps", "care_and_support_needs", "is not one of"),
        ("what_happened.description", " \n", "what_happened.description", "only spaces"),
        ("what_happened.location", "home", "what_happened.location", "is not one of"),
        ("what_happened.incident_date", REMOVE, "what_happened.incident_date", "is required"),
        (
            "what_happened.risk_types",
            ["psychological", "psychological"],
            "what_happened.risk_types",
            "more than once",
        ),
        ("involvement.person_consented", "maybe", "involvement.person_consented", "is not one"),
        ("communication.easy_read", "please", "communication.easy_read", "is not true or false"),
        ("alleged_source_of_risk", {}, "alleged_source_of_risk", "neither a name nor"),
    ],
)
def test_each_bad_field_is_named_with_its_problem(
    example: dict[str, JsonValue], path: str, value: object, field: str, problem: str
) -> None:
    found = the_problem(changed(example, path, value))
    assert found.field == field
    assert problem in found.problem


def test_a_wrong_nhs_check_digit_is_refused_and_the_error_says_so(
    example: dict[str, JsonValue],
) -> None:
    found = the_problem(changed(example, "person.nhs_number", "943 476 5918"))
    assert found.field == "person.nhs_number"
    assert "Modulus 11 check digit" in found.problem
    assert found.allowed is not None
    assert "Modulus 11" in found.allowed


def test_an_nhs_number_written_with_spaces_is_kept_as_its_ten_digits(
    submission: ConcernSubmission,
) -> None:
    assert submission.person.nhs_number == "9434765919"


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9434765919", True),
        ("4010232137", True),
        ("9434765918", False),
        ("0000000000", True),
        ("0000000400", False),  # the check works out as 10: no such NHS number can exist
        ("943476591", False),
    ],
)
def test_the_nhs_number_modulus_11_check(number: str, valid: bool) -> None:
    assert nhs_number_check_digit_is_valid(number) is valid


def test_a_date_of_birth_in_the_future_is_refused(example: dict[str, JsonValue]) -> None:
    tomorrow = uk_today() + timedelta(days=1)
    found = the_problem(changed(example, "person.date_of_birth", tomorrow.isoformat()))
    assert (found.field, found.problem) == ("person.date_of_birth", "is in the future")


def test_a_date_of_birth_of_a_child_is_pointed_to_childrens_services(
    example: dict[str, JsonValue],
) -> None:
    ten_years_ago = uk_today().replace(year=uk_today().year - 10, day=1)
    found = the_problem(changed(example, "person.date_of_birth", ten_years_ago.isoformat()))
    assert found.field == "person.date_of_birth"
    assert "children's services" in found.problem


def test_an_incident_in_the_future_is_refused(example: dict[str, JsonValue]) -> None:
    tomorrow = uk_today() + timedelta(days=1)
    found = the_problem(changed(example, "what_happened.incident_date", tomorrow.isoformat()))
    assert (found.field, found.problem) == ("what_happened.incident_date", "is in the future")


def test_a_concern_with_no_risk_type_is_refused_and_the_types_are_listed(
    example: dict[str, JsonValue],
) -> None:
    found = the_problem(changed(example, "what_happened.risk_types", []))
    assert found.field == "what_happened.risk_types"
    assert found.allowed is not None
    assert all(risk.value in found.allowed for risk in RiskType)


def test_an_unknown_risk_type_is_named_by_position_and_the_types_are_listed(
    example: dict[str, JsonValue],
) -> None:
    found = the_problem(changed(example, "what_happened.risk_types", ["psychological", "money"]))
    assert found.field == "what_happened.risk_types[1]"
    assert found.allowed == ", ".join(risk.value for risk in RiskType)


def test_the_agency_cannot_be_given_in_the_body(example: dict[str, JsonValue]) -> None:
    found = the_problem(changed(example, "agency", "Someone Else"))
    assert (found.field, found.problem) == ("agency", "is not a field here")
    assert found.allowed is not None
    assert "partner_reference" in found.allowed


def test_a_referrer_who_cannot_be_reached_is_refused(example: dict[str, JsonValue]) -> None:
    example["referrer"] = {"name": "PC Sam Okafor", "role": "Police constable"}
    found = the_problem(example)
    assert found.field == "referrer"
    assert found.allowed == "an email, a phone number, or both"


def test_every_problem_is_reported_at_once(example: dict[str, JsonValue]) -> None:
    changed(example, "person.nhs_number", "9434765918")
    changed(example, "what_happened.location", "home")
    del example["referrer"]
    assert {p.field for p in problems(example)} == {
        "person.nhs_number",
        "what_happened.location",
        "referrer",
    }


def test_a_message_that_is_not_json_is_explained() -> None:
    with pytest.raises(ValidationError) as refused:
        ConcernSubmission.model_validate_json(b"{not json")
    [found] = problems_in(refused.value)
    assert found.field == "(submission)"
    assert found.problem.startswith("is not valid JSON")


def test_errors_reported_by_the_http_layer_are_explained_the_same_way(
    example: dict[str, JsonValue],
) -> None:
    changed(example, "person.nhs_number", "9434765918")
    with pytest.raises(ValidationError) as refused:
        ConcernSubmission.model_validate(example)
    # The HTTP framework reports body errors with locations that start with "body".
    as_http_reports = [
        {**detail, "loc": ("body", *detail["loc"])}
        for detail in refused.value.errors(include_url=False)
    ]
    assert problems_in(as_http_reports) == problems_in(refused.value)  # type: ignore[arg-type]


def test_the_partner_reference_is_read_from_a_submission_that_is_refused() -> None:
    raw = json.dumps({"partner_reference": "WMP-1", "person": "nonsense"}).encode()
    assert readable_partner_reference(raw) == "WMP-1"


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b'{"partner_reference": 42}', b'{"partner_reference": "  "}'],
)
def test_an_unreadable_partner_reference_is_none(raw: bytes) -> None:
    assert readable_partner_reference(raw) is None
