"""The retention rule, over generated records: nobody with an open concern, a legal hold or a
closure inside the period is ever erased; everyone else past the period is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.intake.domain.retention import (
    WATCHED,
    ConcernHeld,
    RecordsHeld,
    Verdict,
    due_for_erasure,
    last_closed,
    verdict,
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


@given(records, periods)
def test_each_verdict_says_what_stands_between_her_and_erasure(
    held: RecordsHeld, period: timedelta
) -> None:
    found = verdict(held, NOW, period)
    closures = [c.closed_at for c in held.concerns]
    if not closures:
        assert found is Verdict.NOTHING_HELD
    elif any(c is None for c in closures):
        assert found is Verdict.STILL_OPEN
    elif NOW - max(c for c in closures if c is not None) <= period:
        assert found is Verdict.NOT_YET
    else:
        assert found is (Verdict.HELD if held.on_legal_hold else Verdict.DUE)


@given(records, periods, st.data())
def test_whoever_becomes_due_with_no_new_closure_is_watched_or_has_a_closure_still_to_pass(
    held: RecordsHeld, period: timedelta, data: st.DataObject
) -> None:
    """What the retention job relies on to read only some people a pass: someone not due now,
    whose concerns stay hers, becomes due later with no new closure of hers (a hold lifted, an
    open concern moved away, time passing) only if she is watched, or her last closure's period
    has not yet run (so that closure is still awaiting retention). A closed concern moved away
    has the mover watch her (`IntakeCommands.change`)."""
    found = verdict(held, NOW, period)
    later = NOW + data.draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9000)))
    still_open = [c for c in held.concerns if c.closed_at is None]
    moved_away = (
        data.draw(st.lists(st.sampled_from(still_open), unique_by=id)) if still_open else []
    )
    afterwards = RecordsHeld(
        concerns=[c for c in held.concerns if not any(c is m for m in moved_away)],
        on_legal_hold=held.on_legal_hold and data.draw(st.booleans()),
    )
    if found is not Verdict.DUE and verdict(afterwards, later, period) is Verdict.DUE:
        last = last_closed(afterwards)
        assert last is not None
        assert found in WATCHED or NOW - last <= period
