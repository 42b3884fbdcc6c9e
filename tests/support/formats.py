"""Values for the formats our schemas name (`nhs-number`, `uk-postcode`, ...), for schemathesis
and Hypothesis: what a format promises, generated, so a schema-valid value is a valid value.

`register()` teaches schemathesis the formats (the API conformance run loads this module as its
hooks: SCHEMATHESIS_HOOKS=tests.support.formats), and the one rule no schema can state: a
period's end is not before its start.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import schemathesis
from hypothesis import strategies as st

from services.intake.domain.submission import ADULT_AGE, OLDEST_AGE, uk_today
from shared.events.intake import nhs_number_check_digit_is_valid

Strategy = st.SearchStrategy[str]


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    nine = draw(st.from_regex(r"[0-9]{9}", fullmatch=True))
    total = sum(int(d) * weight for d, weight in zip(nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    digits = nine + str(check)
    if not nhs_number_check_digit_is_valid(digits):
        digits = "9434765919"  # check digit 10 is never issued: use a known valid number
    return draw(st.sampled_from([digits, f"{digits[:3]} {digits[3:6]} {digits[6:]}"]))


POSTCODES: Strategy = st.from_regex(
    r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}", fullmatch=True
).filter(lambda p: len(p) <= 10)
EMAILS: Strategy = st.from_regex(r"[a-z0-9._%+-]{1,30}@[a-z0-9-]{1,30}\.[a-z]{2,6}", fullmatch=True)
PHONES: Strategy = st.from_regex(r"\+?[0-9]{7,15}", fullmatch=True)


def _days(first: date, last: date) -> Strategy:
    return st.dates(min_value=first, max_value=last).map(date.isoformat)


def _years_ago(years: int) -> date:
    today = uk_today()
    return today.replace(year=today.year - years, day=min(today.day, 28))


# A day's margin at each end: "today" may turn over between generating and checking.
_TODAY = uk_today()

FORMATS: dict[str, Strategy] = {
    "nhs-number": nhs_numbers(),
    "uk-postcode": POSTCODES,
    "email-address": EMAILS,
    "phone-number": PHONES,
    "adult-birth-date": _days(
        _years_ago(OLDEST_AGE) + timedelta(days=2), _years_ago(ADULT_AGE) - timedelta(days=2)
    ),
    "date-up-to-today": _days(date(1900, 1, 1), _TODAY - timedelta(days=1)),
    "date-from-today": _days(_TODAY + timedelta(days=1), date(2099, 12, 31)),
}


def register() -> None:
    for name, strategy in FORMATS.items():
        schemathesis.openapi.format(name, strategy)


@schemathesis.hook
def filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
    """A report's period ends on or after the day it starts (`to` >= `from`): the one rule of a
    request that its schema cannot state, so generated requests keep to it."""
    if ctx.operation.path != "/reports/msp" or not query:
        return True
    start, end = query.get("from"), query.get("to")
    return not (isinstance(start, str) and isinstance(end, str) and end < start)


register()
