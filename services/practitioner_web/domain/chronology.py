"""The case's chronology: the person's timeline (what happened, what they said, what they were
told, and the case notes for staff), filtered by kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

KIND_WORDS = {
    "happened": "What happened",
    "said": "What they said",
    "told": "What they were told",
    "note": "Case notes (staff only)",
}
SAID_BY_WORDS = {
    "person": "They said",
    "representative": "Their representative said",
    "advocate": "Their advocate said",
}


def entries_of_kinds(
    entries: Sequence[Mapping[str, Any]], kinds: Sequence[str]
) -> list[Mapping[str, Any]]:
    wanted = {k for k in kinds if k in KIND_WORDS}
    return [e for e in entries if not wanted or e["kind"] in wanted]
