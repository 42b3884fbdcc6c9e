"""Field types more than one service's contract uses, defined once so that what a producer may
send and what a consumer accepts cannot drift apart (a language intake accepted once failed
notification's own, narrower, rule, and those people were never told anything).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

_LINE_BREAKING = {"Cc", "Zl", "Zp"}
"""Control characters (CR, LF, tab, NUL, DEL, C1) and line/paragraph separators."""


def without_control_characters(value: object) -> object:
    """A one-line text as it may be used anywhere (a mail header, a letter's address block):
    line breaks and tabs become spaces, other control characters are removed. Other values are
    left for validation to refuse."""
    if not isinstance(value, str):
        return value
    return "".join(
        (" " if c.isspace() else "") if unicodedata.category(c) in _LINE_BREAKING else c
        for c in value
    )


VISIBLE = (
    "[^\\t\\n\\v\\f\\r \\x00-\\x1f\\x7f-\\x9f\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]"
)
"""One visible character: the pattern a text must contain somewhere. Spelt out character by
character rather than with `\\s`, because Python and the ECMA-262 patterns of JSON Schema
disagree about which characters `\\s` means; this way the schema and the check agree."""
_VISIBLE = re.compile(VISIBLE)


@dataclass(frozen=True, eq=False)  # hashable by identity: type annotations are hashed
class Documented:
    """Adds to a type's JSON Schema what its validators check, so the schema states the rule
    (a format with a name and a description, a pattern, a cross-field requirement)."""

    schema: dict[str, Any]

    def __get_pydantic_json_schema__(
        self, source: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        documented = handler(source)
        documented.update(self.schema)
        return documented


def given(field: str) -> dict[str, Any]:
    """JSON Schema: `field` is present and not null."""
    return {"required": [field], "properties": {field: {"not": {"type": "null"}}}}


def not_given(field: str) -> dict[str, Any]:
    """JSON Schema: `field` is absent or null."""
    return {"properties": {field: {"type": "null"}}}


def at_least_one_of(*fields: str) -> Callable[[dict[str, Any]], None]:
    """A model's JSON Schema says at least one of these optional fields is given, each branch
    with the field's own schema (so a generator that picks a branch still makes a valid value)."""

    def state(schema: dict[str, Any]) -> None:
        branches = []
        for field in fields:
            declared = schema["properties"][field]
            present = [s for s in declared.get("anyOf", [declared]) if s.get("type") != "null"]
            value = present[0] if len(present) == 1 else {"anyOf": present}
            branches.append({"required": [field], "properties": {field: value}})
        schema["anyOf"] = branches

    return state


def not_blank(value: str) -> str:
    if not _VISIBLE.search(value):
        raise PydanticCustomError(
            "blank_text",
            "contains only spaces",
            {"allowed": "text with at least one visible character"},
        )
    return value


OneLine = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    # Runs before the length is checked (validators listed later wrap those listed earlier).
    BeforeValidator(without_control_characters),
    AfterValidator(not_blank),
    Documented({"pattern": VISIBLE}),
]
"""A name, role, relationship or agency: 1 to 200 characters on one line. Control characters and
line breaks are removed where it enters the system (they have no place in a name, and in a mail
header they are an injection); everything else is kept exactly as given."""

Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]
"""An identifier or reference one service gives and others quote (`concern-<uuid>`, a case's
reference, an event id)."""


def _written_as_text(value: object) -> object:
    """JSON has no dates: a date or a time arrives as text. A number is refused rather than read
    as seconds since 1970, as pydantic would otherwise do."""
    if isinstance(value, int | float):
        raise PydanticCustomError(
            "date_not_text", "is not written as text", {"allowed": "a date written YYYY-MM-DD"}
        )
    return value


def a_number(value: object) -> object:
    """A JSON number (18 or 18.0 alike, as JSON Schema's integer allows), never text or a
    boolean, which pydantic would otherwise turn into a number. Use as a `mode="before"` field
    validator (as an annotation it would hide the field's bounds from its JSON Schema)."""
    if isinstance(value, str | bool):
        raise PydanticCustomError("not_a_number", "is not a number", {"allowed": "a JSON number"})
    return value


Day = Annotated[date, BeforeValidator(_written_as_text)]
"""A calendar day, written YYYY-MM-DD."""


def _exists_in_utc(value: datetime) -> datetime:
    """Every moment is kept and ordered in UTC: one that has no UTC time (the first hours of
    year 1 with a positive offset, the last of 9999 with a negative one) is refused here rather
    than failing wherever it is converted."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "moment_not_in_utc",
            "has no time in UTC",
            {"allowed": "a date and time between the years 1 and 9999 in UTC"},
        ) from None
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_written_as_text), AfterValidator(_exists_in_utc)]
"""A moment, written as an ISO 8601 date and time with its offset from UTC."""

Language = OneLine
"""The language a person prefers, as the referrer wrote it ("Polish", "BSL", "pl"): intake
accepts it and notification records it with this one definition."""
