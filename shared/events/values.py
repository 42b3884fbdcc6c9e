"""Field types more than one service's contract uses, defined once so that what a producer may
send and what a consumer accepts cannot drift apart (a language intake accepted once failed
notification's own, narrower, rule, and those people were never told anything).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

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


def not_blank(value: str) -> str:
    if not value.strip():
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
]
"""A name, role, relationship or agency: 1 to 200 characters on one line. Control characters and
line breaks are removed where it enters the system (they have no place in a name, and in a mail
header they are an injection); everything else is kept exactly as given."""

Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]
"""An identifier or reference one service gives and others quote (`concern-<uuid>`, a case's
reference, an event id)."""

Language = OneLine
"""The language a person prefers, as the referrer wrote it ("Polish", "BSL", "pl"): intake
accepts it and notification records it with this one definition."""
