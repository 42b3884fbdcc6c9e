"""Recognising a person already on record, so a second concern is linked, not duplicated."""

from __future__ import annotations

from datetime import date

from services.intake.domain.matching import matched_by, person_match_keys
from shared.events.intake import ContactPoints, MatchedBy, Person, PostalAddress


def person(
    name: str = "Margaret Hill",
    *,
    nhs_number: str | None = None,
    date_of_birth: date | None = date(1941, 6, 14),
    postcode: str | None = "WR1 2AB",
) -> Person:
    address = (
        None if postcode is None else PostalAddress(lines=["14 Orchard Close"], postcode=postcode)
    )
    return Person(
        name=name,
        nhs_number=nhs_number,
        date_of_birth=date_of_birth,
        contact=ContactPoints(address=address),
    )


def test_the_nhs_number_is_the_key_when_it_is_known() -> None:
    assert person_match_keys(person(nhs_number="943 476 5919")) == ["nhs_number:9434765919"]


def test_without_an_nhs_number_name_date_of_birth_and_postcode_together_are_the_key() -> None:
    assert person_match_keys(person()) == ["name_dob_postcode:margaret hill|1941-06-14|WR12AB"]


def test_names_match_whatever_their_case_accents_punctuation_or_spacing() -> None:
    written_one_way = person("  Zoë  O'Brien ")
    written_another = person("zoe obrien")
    assert person_match_keys(written_one_way) == person_match_keys(written_another)


def test_postcodes_match_whatever_their_case_or_spacing() -> None:
    assert person_match_keys(person(postcode="wr12ab")) == person_match_keys(
        person(postcode="WR1  2AB")
    )


def test_different_dates_of_birth_are_different_people() -> None:
    assert person_match_keys(person(date_of_birth=date(1941, 6, 15))) != person_match_keys(person())


def test_without_a_date_of_birth_there_is_no_key() -> None:
    assert person_match_keys(person(date_of_birth=None)) == []


def test_without_an_address_there_is_no_key() -> None:
    assert person_match_keys(person(postcode=None)) == []


def test_the_key_says_how_the_person_was_matched() -> None:
    [by_nhs] = person_match_keys(person(nhs_number="9434765919"))
    [by_details] = person_match_keys(person())
    assert matched_by(by_nhs) is MatchedBy.NHS_NUMBER
    assert matched_by(by_details) is MatchedBy.NAME_DOB_POSTCODE
