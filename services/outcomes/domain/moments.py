"""When something happened, and when it was recorded.

When a step was recorded is always the server's time: the envelope's `occurred_at`, and the time
of every sign-off (a conclusion, a cessation, an override, a closure), because the national
return counts by them and a return must not be backdated or future-dated. A practitioner writing
something up after the event may say when it happened, within bounds: not in the future (beyond
a little clock drift between their device and the server) and not before the concern was raised.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.outcomes.domain.refusals import TimeOutOfBounds

CLOCK_DRIFT = timedelta(minutes=2)
"""How far ahead of the server's clock a given time may be and still count as now."""


def when_it_happened(
    field: str, given: datetime | None, *, now: datetime, not_before: datetime
) -> datetime:
    """`given` if it lies between `not_before` and `now`; `now` when nothing was given."""
    if given is None:
        return now
    allowed = f"a time from {not_before.isoformat()} (when the concern was raised) until now"
    if given > now + CLOCK_DRIFT:
        raise TimeOutOfBounds(
            field, f"is in the future ({given.isoformat()}, now is {now.isoformat()})", allowed
        )
    if given < not_before:
        raise TimeOutOfBounds(
            field, f"is before the concern was raised ({given.isoformat()})", allowed
        )
    return given
