"""The break-the-glass form asks by the services' own rule for `X-Access-Reason`, keeps the
reason to the record it was given for, and only ever sends the browser back within the web app."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.practitioner_web.api import local_path, reason_error, record_of
from shared.access import reason_problem


@given(st.text(max_size=520))
def test_the_form_accepts_exactly_what_the_services_accept(reason: str) -> None:
    assert (reason_error(reason) is None) == (bool(reason) and reason_problem(reason) is None)


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter why you need to see this record"),
        ("curious", "Reason must be between 10 and 500 characters"),
        ("x" * 501, "Reason must be between 10 and 500 characters"),
        ("Covering\x07the duty desk", "Reason must be written with letters"),
        (" Covering the duty desk", "Reason must be written with letters"),
    ],
)
def test_a_reason_refused_says_why(reason: str, message: str) -> None:
    error = reason_error(reason)
    assert error is not None
    assert error.question == "reason"
    assert error.message.startswith(message)


@pytest.mark.parametrize(
    ("path", "record"),
    [
        ("/cases/case-1", "/cases/case-1"),
        ("/cases/case-1/chronology", "/cases/case-1"),
        ("/cases/case-1/record/conversation", "/cases/case-1"),
        ("/people/person-1", "/people/person-1"),
    ],
)
def test_a_reason_covers_the_pages_of_its_record(path: str, record: str) -> None:
    assert record_of(path) == record


def test_a_reason_for_one_case_does_not_cover_another() -> None:
    assert record_of("/cases/case-1") != record_of("/cases/case-12")
    assert record_of("/cases/case-1") != record_of("/people/case-1")


@pytest.mark.parametrize(
    "back", ["//evil.example/", "/\\evil.example", "https://evil.example/", "evil", ""]
)
def test_the_form_never_sends_the_browser_elsewhere(back: str) -> None:
    assert local_path(back) == "/work"


def test_the_form_sends_the_browser_back_to_the_record() -> None:
    assert local_path("/cases/case-1?view=table") == "/cases/case-1?view=table"
