"""Values for the formats our schemas name (`nhs-number`, `uk-postcode`, ...), for schemathesis
and Hypothesis: what a format promises, generated, so a schema-valid value is a valid value.

`register()` teaches schemathesis the formats (the API conformance run loads this module as its
hooks: SCHEMATHESIS_HOOKS=tests.support.formats).
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

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

FORMATS: dict[str, Strategy] = {
    "nhs-number": nhs_numbers(),
    "uk-postcode": POSTCODES,
    "email-address": EMAILS,
    "phone-number": PHONES,
}


def register() -> None:
    for name, strategy in FORMATS.items():
        schemathesis.openapi.format(name, strategy)


register()
