"""Capacity for a specific decision, advocacy under Care Act s68, open risk discussions, and a
plan that serves what was agreed with the person."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from services.outcomes.domain import Case, UnknownOutcome
from shared.events.outcomes import (
    ExpressedBy,
    FormalActionKind,
    Participant,
    ParticipantRole,
    PlanAction,
    RiskOption,
)

PERSON = Participant(role=ParticipantRole.PERSON, name="Margaret Hughes")
WORKER = Participant(role=ParticipantRole.PRACTITIONER, name="Asha Patel")


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def test_mental_capacity_is_assessed_for_one_specific_decision(case: Case) -> None:
    assessed = case.assess_mental_capacity(
        decision="Whether to let her son manage her bank card",
        lacks_capacity=False,
        assessed_by="Asha Patel",
        assessed_at=at(5),
    )

    assert assessed.decision == "Whether to let her son manage her bank card"
    assert assessed.lacks_capacity is False
    assert assessed.formal_action is None


def test_a_capacity_assessment_can_be_tied_to_one_formal_action(case: Case) -> None:
    assessed = case.assess_mental_capacity(
        decision="Whether to report her son to the police",
        lacks_capacity=True,
        assessed_by="Asha Patel",
        assessed_at=at(5),
        best_interests="To decide with her advocate",
        formal_action=FormalActionKind.POLICE,
    )

    assert assessed.formal_action is FormalActionKind.POLICE
    assert case.formal_action.lacks_capacity_for(FormalActionKind.POLICE)
    assert not case.formal_action.lacks_capacity_for(FormalActionKind.LEGAL)


def test_lacking_capacity_needs_a_best_interests_note(case: Case) -> None:
    with pytest.raises(ValidationError, match="best_interests is required"):
        case.assess_mental_capacity(
            decision="Where to live",
            lacks_capacity=True,
            assessed_by="Asha Patel",
            assessed_at=at(5),
        )


def test_advocate_appointment_records_both_s68_conditions(case: Case) -> None:
    appointed = case.appoint_advocate(
        name="Dee Owusu",
        organisation="County Advocacy Hub",
        substantial_difficulty="Retaining and weighing information about the enquiry",
        no_appropriate_person="Her only relative is the alleged source of risk",
        appointed_at=at(5),
    )

    assert appointed.organisation == "County Advocacy Hub"
    assert appointed.no_appropriate_person == "Her only relative is the alleged source of risk"


def test_risk_discussion_records_options_who_was_there_and_the_persons_decision(
    case: Case,
) -> None:
    options = [
        RiskOption(
            option="Keep seeing her son at home",
            risks="He has taken money before when visiting",
            benefits="It is the relationship that matters most to her",
        ),
        RiskOption(
            option="See him at the day centre",
            risks="Fewer visits; he may not come",
            benefits="Staff are present; no access to her purse",
        ),
    ]

    held = case.hold_risk_discussion(
        present=[PERSON, WORKER],
        options=options,
        persons_decision="I'll see him at the centre – for now.",
        decided_by=ExpressedBy.PERSON,
        held_at=at(6),
    )

    assert held.options == tuple(options)
    assert held.present == (PERSON, WORKER)
    assert held.persons_decision == "I'll see him at the centre – for now."


def test_plan_action_serving_an_agreed_outcome_is_agreed_with_owner_and_date(case: Case) -> None:
    wanted = case.express_desired_outcome(
        text="I want to feel safer", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    agreed = case.agree_outcome(
        wording="Feels safe at home", serves=[wanted.desired_outcome_id], agreed_at=at(5)
    )

    plan = case.agree_plan(
        actions=[
            PlanAction(
                description="Fit a key safe and change the locks",
                serves=(agreed.agreed_outcome_id,),
                owner="Housing officer",
                agreed_date=date(2026, 3, 20),
            )
        ],
        agreed_at=at(6),
    )

    assert case.plan == plan
    assert plan.actions[0].serves == (agreed.agreed_outcome_id,)
    assert plan.actions[0].agreed_date == date(2026, 3, 20)


def test_plan_actions_must_serve_an_outcome_agreed_with_the_person(case: Case) -> None:
    with pytest.raises(UnknownOutcome, match="must serve an outcome agreed with the person"):
        case.agree_plan(
            actions=[
                PlanAction(
                    description="Review care package",
                    serves=("not-an-agreed-outcome",),
                    owner="Asha Patel",
                    agreed_date=date(2026, 3, 20),
                )
            ],
            agreed_at=at(6),
        )
