"""The person index keeps keyed hashes of the matching keys: two people's keys are equal exactly
when their normalised details are, so matching decides as before, while the index itself holds no
NHS number, name, date of birth or postcode, and means nothing without the MATCHING_KEY."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.application.person_index import KEYED, MatchingKeys
from services.intake.domain.matching import matched_by, person_match_keys
from services.intake.settings import DEVELOPMENT_MATCHING_KEY, IntakeSettings
from shared.events.intake import MatchedBy, Person
from tests.unit.intake.test_person_matching import person

SIGN_IN = {"oidc_issuer": "https://login.example/tenant", "oidc_audience": "api://safeguarding"}
KEYS = MatchingKeys("a matching key of the council's own, not published")
NHS_NUMBERS = ("9434765919", "4010232137", "9434765870")


@pytest.mark.parametrize(
    "written",
    ["9434765919", "943 476 5919", "943  476  5919", " 9434765919 ", "943\t476\u00a05919"],
)
def test_an_nhs_number_in_any_spacing_gives_the_same_key(written: str) -> None:
    assert KEYS.of(person(nhs_number=written)) == KEYS.of(person(nhs_number="9434765919"))


def test_a_different_nhs_number_gives_a_different_key() -> None:
    assert KEYS.of(person(nhs_number="9434765919")) != KEYS.of(person(nhs_number="4010232137"))


def test_the_stored_key_says_how_the_person_was_matched_and_nothing_of_who_they_are() -> None:
    [by_nhs] = KEYS.of(person(nhs_number="943 476 5919"))
    [by_details] = KEYS.of(person())

    assert matched_by(by_nhs) is MatchedBy.NHS_NUMBER
    assert matched_by(by_details) is MatchedBy.NAME_DOB_POSTCODE
    for key in (by_nhs, by_details):
        assert KEYED.fullmatch(key), key
        for detail in ("9434765919", "margaret", "hill", "1941", "WR12AB", "WR1 2AB"):
            assert detail.casefold() not in key.casefold()


def test_a_clear_key_never_looks_hashed() -> None:
    # The re-keying tells a clear key from a hashed one by this shape alone.
    for clear in person_match_keys(person(nhs_number="9434765919")) + person_match_keys(person()):
        assert not KEYED.fullmatch(clear)


def test_without_the_matching_key_the_keys_cannot_be_recomputed() -> None:
    other = MatchingKeys("another council's matching key, not this one's")

    assert other.of(person(nhs_number="9434765919")) != KEYS.of(person(nhs_number="9434765919"))
    assert other.of(person()) != KEYS.of(person())


def test_a_person_without_a_key_has_no_hashed_key_either() -> None:
    assert KEYS.of(person(date_of_birth=None)) == []
    assert KEYS.of(person(postcode=None)) == []


# --- the property: hashed keys are equal exactly when the normalised keys are ----------------------

names = st.sampled_from(
    ["Zoë O'Brien", "zoe obrien", "  ZOE  O BRIEN", "Zoe O'Brian", "Zoé-Obrien"]
)
postcodes = st.sampled_from(["WR1 2AB", "wr12ab", "WR1  2AB", "WR1 2AA", "WR12 AB", "B1 1AA"])
birth_dates = st.sampled_from([date(1941, 6, 14), date(1941, 6, 15), date(1914, 6, 14), None])
nhs_numbers = st.one_of(
    st.none(),
    st.builds(
        lambda digits, gaps: re.sub(r"(\d{3})(\d{3})(\d{4})", rf"\1{gaps}\2{gaps}\3", digits),
        st.sampled_from(NHS_NUMBERS),
        st.sampled_from(["", " ", "  ", "\t"]),
    ),
)
people = st.builds(
    person, names, nhs_number=nhs_numbers, date_of_birth=birth_dates, postcode=postcodes
)


@given(people, people)
def test_hashed_keys_are_equal_exactly_when_the_normalised_keys_are(
    one: Person, other: Person
) -> None:
    same_person = person_match_keys(one) == person_match_keys(other)

    assert (KEYS.of(one) == KEYS.of(other)) is same_person


@given(people)
def test_every_hashed_key_is_one_for_one_with_a_normalised_key(one: Person) -> None:
    clear = person_match_keys(one)
    hashed = KEYS.of(one)

    assert len(hashed) == len(clear)
    assert [matched_by(k) for k in hashed] == [matched_by(k) for k in clear]


# --- the setting ------------------------------------------------------------------------------


def matching_key_problems(value: str | None) -> list[str]:
    settings = IntakeSettings.model_validate({**SIGN_IN, "matching_key": value})
    return [i.problem for i in settings.insecurities() if i.setting == "MATCHING_KEY"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "is not set"),
        ("  ", "is not set"),
        (DEVELOPMENT_MATCHING_KEY, "is a development value"),
        ("m" * 31, "is shorter than 32 characters"),
    ],
)
def test_a_missing_published_or_short_matching_key_is_insecure(
    value: str | None, problem: str
) -> None:
    [found] = matching_key_problems(value)

    assert found.startswith(problem)


def test_a_long_matching_key_of_ones_own_is_used() -> None:
    settings = IntakeSettings.model_validate({**SIGN_IN, "matching_key": "m" * 32})

    assert matching_key_problems("m" * 32) == []
    assert settings.matching_secret == "m" * 32


def test_unset_the_published_development_matching_key_is_used() -> None:
    settings = IntakeSettings.model_validate(SIGN_IN)

    assert settings.matching_secret == DEVELOPMENT_MATCHING_KEY
