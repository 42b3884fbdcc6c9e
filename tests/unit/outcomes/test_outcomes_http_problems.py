"""How the case's refusals reach a practitioner or manager: problem details (RFC 9457) that name
the rule, with the status saying what kind of refusal it is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.outcomes.api import invalid_event_problem, refusal_problem
from services.outcomes.domain import (
    CaseIsClosed,
    CaseRefused,
    FormalActionRefused,
    NotPermitted,
    UnknownOutcome,
)
from shared.events.outcomes import FormalActionKind, StatutoryGround, WishesOverridden


def test_a_formal_action_refusal_is_unprocessable_and_names_the_action_field() -> None:
    problem = refusal_problem(FormalActionRefused("The person has not consented")).problem

    assert problem.status == 422
    assert problem.title.startswith("Formal action refused")
    assert problem.detail == "The person has not consented"
    assert [e.field for e in problem.errors] == ["action"]


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (NotPermitted("Only a manager may"), 403),
        (CaseIsClosed("Case SG-1 was closed"), 409),
        (UnknownOutcome("No desired outcome 'x'"), 422),
        (CaseRefused("The enquiry has already started"), 422),
    ],
)
def test_each_kind_of_refusal_has_its_status_and_keeps_the_rules_message(
    refusal: CaseRefused, status: int
) -> None:
    problem = refusal_problem(refusal).problem

    assert (problem.status, problem.detail) == (status, str(refusal))


def test_an_event_the_case_could_not_hold_is_unprocessable_and_says_why() -> None:
    with pytest.raises(ValidationError) as raised:
        WishesOverridden(
            case_id="case-1",
            person_id="person-1",
            action=FormalActionKind.POLICE,
            grounds=(StatutoryGround.CRIME_OR_SUSPECTED_CRIME,),
            reason="A crime",
            person_told=False,
            overridden_by="manager-owen",
            overridden_at=datetime(2026, 3, 3, tzinfo=UTC),
        )

    problem = invalid_event_problem(raised.value).problem

    assert problem.status == 422
    assert "WishesOverridden" in problem.title
    assert problem.detail == "(body): why_not_told is required when the person was not told"
