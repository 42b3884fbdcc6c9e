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
from enum import StrEnum


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


class Verdict(StrEnum):
    """What retention makes of her records now."""

    DUE = "due"
    """Every concern closed, the last longer than the period ago, and no legal hold."""
    HELD = "held"
    """Past the period, but under a legal hold: due once it is lifted."""
    STILL_OPEN = "still open"
    """A concern about her is open: due once it has closed (or moved to someone else) and the
    period has run."""
    NOT_YET = "not yet"
    """Every concern closed, the last inside the period: due once that closure's period runs."""
    NOTHING_HELD = "nothing held"
    """No concern about her: retention never erases her."""


def verdict(records: RecordsHeld, now: datetime, period: timedelta) -> Verdict:
    if not records.concerns:
        return Verdict.NOTHING_HELD
    closed = last_closed(records)
    if closed is None:
        return Verdict.STILL_OPEN
    if now - closed <= period:
        return Verdict.NOT_YET
    return Verdict.HELD if records.on_legal_hold else Verdict.DUE


def due_for_erasure(records: RecordsHeld, now: datetime, period: timedelta) -> bool:
    """Whether retention erases her now: every concern closed, the last longer than `period`
    ago, and no legal hold."""
    return verdict(records, now, period) is Verdict.DUE


WATCHED: frozenset[Verdict] = frozenset({Verdict.HELD, Verdict.STILL_OPEN})
"""Verdicts that can turn into DUE with no new closure of hers (a hold lifted, an open concern
moved to someone else): the retention job looks at her again at every pass until they do."""
