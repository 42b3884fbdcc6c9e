"""The retention rule: when a person's records have been kept long enough to be erased.

Person-level on purpose: a council keeps a person's safeguarding file together and counts its
retention period from the last contact, so nothing of hers is erased while any concern about her
is open, and the period runs from the last of her concerns to close. A legal hold stops it
whatever the dates. Err towards keeping: a person with no closed concern is never due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ConcernHeld:
    """One concern about the person, as retention sees it."""

    closed_at: datetime | None
    """When it closed (its case closed); None while it is open."""


@dataclass(frozen=True)
class RecordsHeld:
    """What the council holds about one person, as retention sees it."""

    concerns: Sequence[ConcernHeld]
    on_legal_hold: bool


def last_closed(records: RecordsHeld) -> datetime | None:
    """When the last of her concerns closed; None while any is open (or there is none)."""
    closures = [concern.closed_at for concern in records.concerns]
    if not closures or any(closed is None for closed in closures):
        return None
    return max(closed for closed in closures if closed is not None)


def due_for_erasure(records: RecordsHeld, now: datetime, period: timedelta) -> bool:
    """Whether retention erases her now: every concern closed, the last longer than `period`
    ago, and no legal hold."""
    if records.on_legal_hold:
        return False
    closed = last_closed(records)
    return closed is not None and now - closed > period
