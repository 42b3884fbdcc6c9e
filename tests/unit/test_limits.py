"""Every request and every event is bounded: each string has a maximum length and each list a
maximum number of items, so no request or message can make an event too large to record or to
publish, or an answer too large to send. Checked on the contracts themselves (JSON Schema) and
on what each service's OpenAPI document says it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from shared.events import Envelope, Metadata, decode, encode, registered_events
from shared.events import intake as _intake  # noqa: F401  (registers the events)
from shared.events import notification as _notification  # noqa: F401
from shared.events import outcomes as _outcomes  # noqa: F401
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ConcernSubmissionRejected, SubmissionChannel
from shared.limits import MAX_LISTED_PROBLEMS, MAX_REASON_CHARS, capped
from tests.support.openapi import openapi_documents

Schema = dict[str, Any]
UNBOUNDED_BY_NATURE = {
    "date",
    "date-time",
    "uuid",
    # Days whose rule depends on today (see tests/support/formats.py): still YYYY-MM-DD.
    "adult-birth-date",
    "date-up-to-today",
    "date-from-today",
}


def unbounded(schema: Schema, definitions: Schema, path: str, seen: frozenset[str]) -> list[str]:
    """Where in `schema` a string has no maximum length or a list no maximum size."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        return unbounded(definitions[name], definitions, path, seen | {name})
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += unbounded(option, definitions, path, seen)
    kind = schema.get("type")
    if (
        kind == "string"
        and "maxLength" not in schema
        and "enum" not in schema
        and "const" not in schema
        and schema.get("format") not in UNBOUNDED_BY_NATURE
    ):
        found.append(f"{path}: a string with no maxLength")
    if kind == "array":
        if "maxItems" not in schema:
            found.append(f"{path}: a list with no maxItems")
        if "items" in schema:
            found += unbounded(schema["items"], definitions, f"{path}[]", seen)
    if kind == "object":
        for name, field in schema.get("properties", {}).items():
            found += unbounded(field, definitions, f"{path}.{name}", seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                found.append(f"{path}: a map with no maxProperties")
            found += unbounded(extra, definitions, f"{path}{{}}", seen)
    return found


SYSTEM_EVENTS = sorted(
    name for name, cls in registered_events().items() if cls.__module__.startswith("shared.events.")
)


@pytest.mark.parametrize("event_type", SYSTEM_EVENTS)
def test_every_event_is_bounded(event_type: str) -> None:
    schema = registered_events()[event_type].model_json_schema()
    assert unbounded(schema, schema.get("$defs", {}), event_type, frozenset()) == []


async def test_everything_every_service_accepts_over_http_is_bounded() -> None:
    found: list[str] = []
    for service, document in (await openapi_documents()).items():
        definitions = document.get("components", {}).get("schemas", {})
        for route, operations in document["paths"].items():
            for method, operation in operations.items():
                where = f"{service} {method.upper()} {route}"
                for parameter in operation.get("parameters", []):
                    found += unbounded(
                        parameter["schema"],
                        definitions,
                        f"{where} {parameter['in']} {parameter['name']}",
                        frozenset(),
                    )
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    found += unbounded(media["schema"], definitions, f"{where} body", frozenset())
    assert found == []


def test_a_rejection_of_thousands_of_problems_lists_the_first_and_counts_the_rest() -> None:
    from services.intake.domain.submission import ConcernSubmission, problems_in

    body = {f"unknown_{i}": i for i in range(7000)}
    try:
        ConcernSubmission.model_validate(body)
    except ValueError as error:
        problems = problems_in(error)  # type: ignore[arg-type]
    assert len(problems) == MAX_LISTED_PROBLEMS + 1
    assert "more problems not listed" in problems[-1].problem
    rejected = ConcernSubmissionRejected(
        agency="a", reasons=problems, submitted_via=SubmissionChannel.KAFKA
    )
    envelope = Envelope.record(
        rejected,
        stream_id="submission-a-1",
        stream_version=1,
        metadata=Metadata(actor=SYSTEM_ACTOR),
    )
    assert len(encode(envelope)) < 64 * 1024
    assert decode(encode(envelope)) == envelope


def test_a_capped_text_says_how_much_was_cut_and_fits_its_limit() -> None:
    text = "x" * 1_000_000
    cut = capped(text)
    assert len(cut) <= MAX_REASON_CHARS
    assert cut.endswith(f"({1_000_000 - (MAX_REASON_CHARS - 40)} more characters)")
    assert capped("short") == "short"
