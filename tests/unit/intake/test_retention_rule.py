"""The retention rule, over generated records: nobody with an open concern, a legal hold or a
closure inside the period is ever erased; everyone else past the period is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.intake.domain.retention import (
    ConcernHeld,
    RecordsHeld,
    due_for_erasure,
    last_closed,
)

NOW = datetime(2034, 5, 1, 9, 0, tzinfo=UTC)
PERIOD = timedelta(days=2920)

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2034, 5, 1), timezones=st.just(UTC)
)
concerns = st.lists(st.builds(ConcernHeld, closed_at=st.none() | moments), max_size=6)
records = st.builds(RecordsHeld, concerns=concerns, on_legal_hold=st.booleans())
periods = st.timedeltas(min_value=timedelta(days=1), max_value=timedelta(days=5000))


@given(records, periods)
def test_never_erases_someone_with_an_open_concern_a_hold_or_a_recent_closure(
    held: RecordsHeld, period: timedelta
) -> None:
    if due_for_erasure(held, NOW, period):
        assert not held.on_legal_hold
        assert held.concerns
        assert all(c.closed_at is not None for c in held.concerns)
        assert all(NOW - c.closed_at > period for c in held.concerns if c.closed_at is not None)


@given(records, periods)
def test_erases_everyone_past_the_period_without_a_hold(
    held: RecordsHeld, period: timedelta
) -> None:
    closures = [c.closed_at for c in held.concerns]
    past = bool(closures) and all(c is not None and NOW - c > period for c in closures)
    assert due_for_erasure(held, NOW, period) == (past and not held.on_legal_hold)


def test_the_period_runs_from_her_last_closure_not_her_first() -> None:
    first = ConcernHeld(closed_at=NOW - PERIOD - timedelta(days=400))
    last = ConcernHeld(closed_at=NOW - PERIOD + timedelta(days=1))
    held = RecordsHeld(concerns=[first, last], on_legal_hold=False)

    assert last_closed(held) == last.closed_at
    assert not due_for_erasure(held, NOW, PERIOD)
    assert due_for_erasure(held, NOW + timedelta(days=2), PERIOD)


def test_one_open_concern_keeps_every_record_however_old_the_others() -> None:
    old = ConcernHeld(closed_at=NOW - timedelta(days=9000))
    held = RecordsHeld(concerns=[old, ConcernHeld(closed_at=None)], on_legal_hold=False)

    assert last_closed(held) is None
    assert not due_for_erasure(held, NOW, PERIOD)


def test_a_person_with_no_concern_is_kept() -> None:
    assert not due_for_erasure(RecordsHeld(concerns=[], on_legal_hold=False), NOW, PERIOD)


def test_the_day_the_period_ends_she_is_still_kept() -> None:
    held = RecordsHeld(concerns=[ConcernHeld(closed_at=NOW - PERIOD)], on_legal_hold=False)

    assert not due_for_erasure(held, NOW, PERIOD)
    assert due_for_erasure(held, NOW + timedelta(seconds=1), PERIOD)
