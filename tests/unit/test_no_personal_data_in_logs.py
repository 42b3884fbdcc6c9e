"""No personal data in logs: whatever an exception's text quotes (a pydantic ValidationError
quotes the input; a duplicate key error quotes the key) never reaches a log line, however the
exception gets there, while the kind of error and where it happened still do."""

from __future__ import annotations

import json
import logging
import string

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from shared.observability import JsonFormatter, kind_of_failure

NAME = "Daniel Hill"
NHS_NUMBER = "943 476 5919"


class Referral(BaseModel):
    what_happened: str = Field(max_length=5)
    nhs_number: int


def a_validation_error(text: str) -> ValidationError:
    try:
        Referral.model_validate({"what_happened": text, "nhs_number": text})
    except ValidationError as error:
        return error
    raise AssertionError("the referral was valid")


def logged(
    message: str,
    *args: object,
    extra: dict[str, object] | None = None,
    error: BaseException | None = None,
) -> str:
    record = logging.LogRecord("test", logging.WARNING, __file__, 1, message, args, None)
    if error is not None:
        record.exc_info = (type(error), error, error.__traceback__)
    for key, value in (extra or {}).items():
        setattr(record, key, value)
    return JsonFormatter("test").format(record)


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_a_validation_error_is_logged_as_its_fields_and_kinds_never_the_input() -> None:
    error = raised(a_validation_error(f"Her son {NAME} has taken her card"))
    line = json.loads(logged("could not read", error=error))
    assert NAME not in json.dumps(line)
    assert line["error"] == (
        "ValidationError of Referral (what_happened: string_too_long; nhs_number: int_parsing)"
    )
    assert any("test_no_personal_data_in_logs.py" in frame for frame in line["traceback"])


def test_an_exception_passed_as_an_extra_is_logged_as_its_kind() -> None:
    line = json.loads(logged("relay will retry", extra={"error": KeyError(NHS_NUMBER)}))
    assert line["error"] == "KeyError"
    assert NHS_NUMBER not in json.dumps(line)


def test_an_exception_passed_as_a_message_argument_is_logged_as_its_kind() -> None:
    line = json.loads(logged("attempt failed: %s", ValueError(f"to {NAME}")))
    assert line["message"] == "attempt failed: ValueError"


def test_the_error_an_exception_came_from_is_named_but_not_quoted() -> None:
    try:
        try:
            raise ValueError(f"dup key: {{ _id: 'nhs:{NHS_NUMBER}' }}")
        except ValueError as cause:
            raise RuntimeError("recording failed") from cause
    except RuntimeError as error:
        line = json.loads(logged("failed", error=error))
    assert NHS_NUMBER not in json.dumps(line)
    assert "ValueError" in line["traceback"]


def test_ids_and_counts_are_still_logged() -> None:
    line = json.loads(logged("held", extra={"stream_id": "case-1", "waiting_for": 3}))
    assert (line["stream_id"], line["waiting_for"]) == ("case-1", 3)


def test_the_kind_of_a_plain_error_is_its_type() -> None:
    assert kind_of_failure(OSError(f"cannot write to {NAME}")) == "OSError"


words = st.text(string.ascii_letters + string.digits + " ", min_size=3, max_size=40)


@given(words)
def test_no_text_an_exception_quotes_reaches_the_log_whichever_way_it_is_logged(
    words: str,
) -> None:
    value = f"Mrs {words} of 1 Mill Lane"
    for error in (raised(a_validation_error(value)), raised(ValueError(value))):
        lines = [
            logged("failed", error=error),
            logged("failed", extra={"error": error}),
            logged("failed: %s", error),
            logged("failed: %(e)s", {"e": error}),
        ]
        assert [line for line in lines if value in line] == []
