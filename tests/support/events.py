"""Event contracts used only by the core's tests."""

from __future__ import annotations

from pydantic import JsonValue

from shared.events import DomainEvent, event, upcaster
from shared.personal_data import Personal


@event("TestAmountRecorded")
class AmountRecorded(DomainEvent):
    """A number was recorded on a test stream."""

    amount: int
    note: str = ""


@event("TestNoteWritten")
class NoteWritten(DomainEvent):
    """Someone wrote a note about a person on a test stream (personal data: sealed)."""

    note: Personal[str]


@event("TestNameGiven", version=2)
class NameGiven(DomainEvent):
    """Version 2 split the name: version 1 had a single `name`."""

    given_name: str
    family_name: str


@upcaster("TestNameGiven", from_version=1)
def _split_name(payload: dict[str, JsonValue]) -> dict[str, JsonValue]:
    given, _, family = str(payload["name"]).partition(" ")
    return {"given_name": given, "family_name": family}
