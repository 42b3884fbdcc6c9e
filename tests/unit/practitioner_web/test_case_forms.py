"""The web app's question pages for capacity, best interests, advocacy, meetings, changed or
withdrawn outcomes, overrides, cessation and telling them in person: what each asks, what it
refuses before the service is asked, and that the body it sends is one the service's own request
model accepts (so a filled-in form never turns into a 422 of the web app's making)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from services.notification.api import ToldByPractitioner
from services.outcomes.application import requests
from services.practitioner_web.domain import forms, steps
from services.practitioner_web.domain.forms import Answers, Form, Kind

CTX = steps.CaseContext(
    person_name="Margaret Hill",
    recorder="Asha Patel",
    desired_outcomes=(("o-1", "I want him to stop taking my money"),),
    capacity_assessments=(("a-1", "Whether to report her son to the police"),),
)


def posted(**answers: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in answers.items()}


def accepted(form: Form, model: type[BaseModel], **answers: str | list[str]) -> Any:
    read = forms.answers_from(form, posted(**answers))
    checked = forms.check(form, read)
    assert checked.ok, checked.errors
    return model.model_validate(form.body(read))


def errors_of(form: Form, **answers: str | list[str]) -> dict[str | None, str]:
    checked = forms.check(form, forms.answers_from(form, posted(**answers)))
    return {e.question: e.message for e in checked.errors}


def day(prefix: str, when: date) -> dict[str, str]:
    return {
        f"{prefix}-day": str(when.day),
        f"{prefix}-month": str(when.month),
        f"{prefix}-year": str(when.year),
    }


def test_a_capacity_assessment_sends_what_the_service_takes() -> None:
    made = accepted(
        steps.mental_capacity(CTX),
        requests.AssessMentalCapacity,
        decision="Whether to report her son to the police",
        lacks_capacity="yes",
        best_interests="A referral protects her savings; she is distressed by the idea.",
        formal_action="police",
    )
    assert made.lacks_capacity is True
    assert made.formal_action == "police"
    assert made.assessed_by is None  # the service names the caller


def test_a_capacity_assessment_needs_the_decision_and_the_answer() -> None:
    assert errors_of(steps.mental_capacity(CTX)) == {
        "decision": "Enter the decision",
        "lacks_capacity": "Select whether they lack capacity",
    }


def test_a_best_interests_decision_offers_only_assessments_finding_capacity_lacking() -> None:
    form = steps.best_interests(CTX)
    question = form.question("capacity_assessment_id")
    assert question is not None
    assert [c.value for c in question.choices] == ["a-1"]
    made = accepted(
        form,
        requests.MakeBestInterestsDecision,
        action="police",
        capacity_assessment_id="a-1",
        in_best_interests="no",
        persons_wishes="He's still my son.",
        consulted_role="family_or_friend",
        consulted_name="Susan Hill",
        consulted_view="She would be heartbroken.",
        reasons="The harm of a prosecution to her outweighs the benefit.",
    )
    assert made.in_best_interests is False
    assert [c.name for c in made.consulted] == ["Susan Hill"]
    # an assessment not offered is not accepted by the form
    assert "capacity_assessment_id" in errors_of(form, capacity_assessment_id="a-2")


def test_an_advocate_is_recorded_with_a_way_to_reach_them_only_when_given() -> None:
    answers: dict[str, str] = {
        "name": "Priya Shah",
        "organisation": "Worcestershire Advocacy",
        "substantial_difficulty": "Retaining information",
        "no_appropriate_person": "Her niece is a witness",
    }
    without = accepted(steps.advocate(CTX), requests.AppointAdvocate, **answers)
    assert without.contact is None
    reached = accepted(
        steps.advocate(CTX), requests.AppointAdvocate, email="priya@example.org", **answers
    )
    assert reached.contact is not None
    assert reached.contact.email == "priya@example.org"


def test_a_meeting_is_at_the_time_typed_on_the_council_s_clock() -> None:
    made = accepted(
        steps.meeting(CTX),
        requests.ArrangeMeeting,
        **day("day", date(2027, 7, 1)),
        time="14:30",
        format="video",
        where_or_how="Teams link sent by email",
        purpose="Agree the plan",
        others="Susan Hill, PC Sam Okafor",
        person_invited="yes",
    )
    # 14:30 in England in July is 13:30 UTC (British Summer Time)
    assert made.meets_at.astimezone(UTC) == datetime(2027, 7, 1, 13, 30, tzinfo=UTC)
    assert [p.name for p in made.invited] == ["Asha Patel", "Susan Hill", "PC Sam Okafor"]
    assert made.person_invited is True


@pytest.mark.parametrize("typed", ["14.30", "9:05", "09:05", "23:59", "0:00"])
def test_a_time_may_be_written_as_people_write_it(typed: str) -> None:
    assert "time" not in errors_of(steps.meeting(CTX), time=typed)


@pytest.mark.parametrize("typed", ["24:00", "2:30pm", "14:3", "1430", "14:60", "noon", "14 30"])
def test_a_time_that_is_not_one_says_how_to_write_it(typed: str) -> None:
    assert (
        errors_of(steps.meeting(CTX), time=typed)["time"]
        == "Time must be a time on the 24-hour clock, like 14:30"
    )


@given(st.text(max_size=8))
def test_whatever_is_typed_as_a_time_is_either_refused_or_a_real_time(typed: str) -> None:
    form = steps.meeting(CTX)
    read: Answers = {"time": typed.strip()}
    problem = forms.check(form, read).errors
    if not any(e.question == "time" for e in problem) and typed.strip():
        assert forms.time_of(read, "time") is not None


def test_changed_words_are_sent_as_a_revision_and_a_withdrawal_needs_their_reason() -> None:
    revise = steps.revise_outcome(CTX, "I want him to stop taking my money")
    assert revise.method == "PUT"
    assert "I want him to stop taking my money" in revise.caption
    made = accepted(
        revise,
        requests.ReviseDesiredOutcome,
        text="I want my money back",
        expressed_by="person",
    )
    assert made.text == "I want my money back"
    withdraw = steps.withdraw_outcome(CTX, "I want him to stop taking my money")
    assert errors_of(withdraw) == {"reason": "Enter why they no longer want it, in their own words"}
    accepted(withdraw, requests.WithdrawDesiredOutcome, reason="He has paid it back.")


def test_only_a_manager_may_override_their_wishes_or_end_the_enquiry_early() -> None:
    managers = {key for key, make in steps.CASE_FORMS.items() if make(CTX).managers_only}
    assert managers == {"allocation", "override-wishes", "conclusion", "cessation"}


def test_an_override_never_offers_lacking_capacity_as_a_ground() -> None:
    form = steps.override_wishes(CTX)
    grounds = form.question("grounds")
    assert grounds is not None
    assert grounds.kind is Kind.CHECKBOXES
    assert "lacks_capacity_best_interests" not in {c.value for c in grounds.choices}
    assert "grounds" in errors_of(form, grounds=["lacks_capacity_best_interests"])
    made = accepted(
        form,
        requests.OverrideWishes,
        action="police",
        grounds=["others_at_risk"],
        reason="Her son is also taking money from a neighbour.",
        person_told="yes",
    )
    assert made.person_told is True


def test_a_cessation_carries_the_national_return_like_a_conclusion() -> None:
    made = accepted(
        steps.cessation(CTX),
        requests.CeaseEnquiry,
        reason="persons_request",
        explanation="She asked us to stop; she is safe with her niece.",
        persons_view="I've had enough of it all.",
        risk_types=["financial_or_material"],
        location="own_home",
        source="known_to_individual",
        action_taken_and_result="ceased_at_individuals_request",
        mental_capacity="did_not_lack_capacity",
        msp_asked="asked_and_expressed",
        **{"achieved_o-1": "partially"},
    )
    assert made.reason == "persons_request"
    assert [a.desired_outcome_id for a in made.achievements] == ["o-1"]
    conclusion = steps.conclusion(CTX)
    assert [q.name for q in conclusion.questions] == [
        q.name for q in steps.cessation(CTX).questions[3:]
    ]


def test_telling_them_in_person_offers_only_who_was_not_sent_anything() -> None:
    form = steps.told_by_practitioner("the decision", ("person",), "event-1")
    roles = form.question("recipient_role")
    assert roles is not None
    assert [c.value for c in roles.choices] == ["person"]
    told = accepted(form, ToldByPractitioner, recipient_role="person", format="easy_read")
    assert told.source_event_id == "event-1"
    assert told.channel == "practitioner_call"
    assert "recipient_role" in errors_of(form, recipient_role="advocate")


def test_every_case_form_has_an_address_in_the_service() -> None:
    assert set(steps.CASE_FORMS) == set(steps.CASE_PATHS)
    assert set(steps.OUTCOME_FORMS) == set(steps.OUTCOME_PATHS)


def test_an_allocation_names_a_team_and_a_worker_only_when_given() -> None:
    to_team = accepted(steps.allocation(CTX), requests.AllocateCase, team="north-team")
    assert (to_team.team, to_team.worker) == ("north-team", None)
    to_worker = accepted(
        steps.allocation(CTX), requests.AllocateCase, team="north-team", worker="Asha Patel"
    )
    assert to_worker.worker == "Asha Patel"
    assert errors_of(steps.allocation(CTX), worker="Asha Patel") == {"team": "Enter the team"}
