"""The manager's sign-off: the national return's case details and the person's view of whether
each outcome they expressed was achieved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.outcomes.domain import Case, CaseRefused, NotPermitted, UnknownOutcome
from shared.events.envelope import Actor
from shared.events.outcomes import (
    EnquiryConcluded,
    ExpressedBy,
    OutcomeAchievement,
    RiskDetail,
    SacCaseDetails,
)
from shared.sac import (
    Achievement,
    ActionTakenAndResult,
    MentalCapacity,
    MspAsked,
    RiskLocation,
    RiskOutcome,
    RiskSource,
    RiskType,
)

FINANCIAL_AT_HOME = RiskDetail(
    risk_type=RiskType.FINANCIAL_OR_MATERIAL,
    location=RiskLocation.OWN_HOME,
    source=RiskSource.KNOWN_TO_INDIVIDUAL,
)
DETAILS = SacCaseDetails(
    risks=(FINANCIAL_AT_HOME,),
    action_taken_and_result=ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
    risk_outcome=RiskOutcome.RISK_REDUCED,
    mental_capacity=MentalCapacity.DID_NOT_LACK_CAPACITY,
)


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def express(case: Case, text: str = "I want my money back") -> str:
    return case.express_desired_outcome(
        text=text, expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    ).desired_outcome_id


def conclude(
    case: Case,
    actor: Actor,
    msp_asked: MspAsked,
    achievements: Sequence[OutcomeAchievement] = (),
    case_details: SacCaseDetails = DETAILS,
) -> EnquiryConcluded:
    return case.conclude_enquiry(
        actor,
        case_details=case_details,
        msp_asked=msp_asked,
        achievements=achievements,
        concluded_at=at(28),
    )


def test_conclusion_records_the_sac_case_details_and_the_persons_view(
    enquiry: Case, manager: Actor
) -> None:
    money = express(enquiry)
    son = express(enquiry, "I want the abuse to stop – but I still want to see my son")
    achievements = [
        OutcomeAchievement(desired_outcome_id=money, achievement=Achievement.PARTIALLY),
        OutcomeAchievement(desired_outcome_id=son, achievement=Achievement.FULLY),
    ]

    concluded = conclude(enquiry, manager, MspAsked.ASKED_AND_EXPRESSED, achievements)

    assert concluded.case_details == DETAILS
    assert concluded.achievements == tuple(achievements)
    assert concluded.concluded_by == manager.id
    assert enquiry.concluded == concluded


def test_only_a_manager_may_conclude_an_enquiry(enquiry: Case, practitioner: Actor) -> None:
    with pytest.raises(NotPermitted, match="sign off"):
        conclude(enquiry, practitioner, MspAsked.NOT_ASKED)


def test_enquiry_cannot_be_concluded_before_it_started(case: Case, manager: Actor) -> None:
    with pytest.raises(CaseRefused, match="No enquiry has started"):
        conclude(case, manager, MspAsked.NOT_ASKED)


def test_enquiry_cannot_be_concluded_twice(enquiry: Case, manager: Actor) -> None:
    conclude(enquiry, manager, MspAsked.DONT_KNOW)

    with pytest.raises(CaseRefused, match="already been concluded"):
        conclude(enquiry, manager, MspAsked.DONT_KNOW)


def test_achievement_refused_for_an_outcome_never_expressed(enquiry: Case, manager: Actor) -> None:
    express(enquiry)

    with pytest.raises(UnknownOutcome, match="only for outcomes the person expressed"):
        conclude(
            enquiry,
            manager,
            MspAsked.ASKED_AND_EXPRESSED,
            [OutcomeAchievement(desired_outcome_id="never-said", achievement=Achievement.FULLY)],
        )


def test_achievement_refused_for_a_withdrawn_outcome(enquiry: Case, manager: Actor) -> None:
    kept = express(enquiry)
    dropped = express(enquiry, "I want to move out")
    enquiry.withdraw_desired_outcome(dropped, reason="I'm staying", withdrawn_at=at(9))

    with pytest.raises(UnknownOutcome, match="withdrawn"):
        conclude(
            enquiry,
            manager,
            MspAsked.ASKED_AND_EXPRESSED,
            [
                OutcomeAchievement(desired_outcome_id=kept, achievement=Achievement.FULLY),
                OutcomeAchievement(desired_outcome_id=dropped, achievement=Achievement.FULLY),
            ],
        )


def test_asked_and_expressed_requires_an_expressed_outcome(enquiry: Case, manager: Actor) -> None:
    with pytest.raises(CaseRefused, match="needs at least one desired outcome"):
        conclude(enquiry, manager, MspAsked.ASKED_AND_EXPRESSED)


def test_asked_none_expressed_requires_that_no_outcome_was_expressed(
    enquiry: Case, manager: Actor
) -> None:
    express(enquiry)

    with pytest.raises(CaseRefused, match="contradicts"):
        conclude(enquiry, manager, MspAsked.ASKED_NONE_EXPRESSED)


def test_asked_none_expressed_is_accepted_when_every_outcome_was_withdrawn(
    enquiry: Case, manager: Actor
) -> None:
    dropped = express(enquiry)
    enquiry.withdraw_desired_outcome(dropped, reason="Sorted it myself", withdrawn_at=at(9))

    concluded = conclude(enquiry, manager, MspAsked.ASKED_NONE_EXPRESSED)

    assert concluded.achievements == ()


def test_every_expressed_outcome_needs_the_persons_view_of_achievement(
    enquiry: Case, manager: Actor
) -> None:
    money = express(enquiry)
    son = express(enquiry, "I still want to see my son")

    with pytest.raises(CaseRefused, match=f"missing: {son}"):
        conclude(
            enquiry,
            manager,
            MspAsked.ASKED_AND_EXPRESSED,
            [OutcomeAchievement(desired_outcome_id=money, achievement=Achievement.FULLY)],
        )


def test_achievement_is_recorded_only_when_outcomes_were_expressed(
    enquiry: Case, manager: Actor
) -> None:
    money = express(enquiry)

    with pytest.raises(CaseRefused, match="only when msp_asked is 'asked_and_expressed'"):
        conclude(
            enquiry,
            manager,
            MspAsked.NOT_RECORDED,
            [OutcomeAchievement(desired_outcome_id=money, achievement=Achievement.FULLY)],
        )


def test_one_achievement_per_outcome(enquiry: Case, manager: Actor) -> None:
    money = express(enquiry)

    with pytest.raises(CaseRefused, match="repeated"):
        conclude(
            enquiry,
            manager,
            MspAsked.ASKED_AND_EXPRESSED,
            [
                OutcomeAchievement(desired_outcome_id=money, achievement=Achievement.FULLY),
                OutcomeAchievement(desired_outcome_id=money, achievement=Achievement.PARTIALLY),
            ],
        )


def test_one_enquiry_can_record_several_risks() -> None:
    neglect = RiskDetail(
        risk_type=RiskType.NEGLECT_AND_ACTS_OF_OMISSION,
        location=RiskLocation.CARE_HOME_RESIDENTIAL,
        source=RiskSource.SERVICE_PROVIDER,
    )

    details = DETAILS.model_copy(update={"risks": (FINANCIAL_AT_HOME, neglect)})

    assert SacCaseDetails.model_validate(details.model_dump()).risks == (FINANCIAL_AT_HOME, neglect)


def test_at_least_one_risk_is_required() -> None:
    with pytest.raises(ValidationError, match="risks"):
        SacCaseDetails(
            risks=(),
            action_taken_and_result=ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN,
            mental_capacity=MentalCapacity.DONT_KNOW,
        )


@pytest.mark.parametrize(
    "action",
    [
        ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
        ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN,
    ],
)
def test_risk_outcome_is_required_when_action_was_taken_on_a_risk(
    action: ActionTakenAndResult,
) -> None:
    with pytest.raises(ValidationError, match="risk_outcome is required"):
        SacCaseDetails(
            risks=(FINANCIAL_AT_HOME,),
            action_taken_and_result=action,
            mental_capacity=MentalCapacity.DONT_KNOW,
        )


@pytest.mark.parametrize(
    "action",
    [
        ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN,
        ActionTakenAndResult.INCONCLUSIVE_NO_ACTION_TAKEN,
        ActionTakenAndResult.NO_RISK_ACTION_TAKEN,
        ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN,
        ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST,
    ],
)
def test_risk_outcome_is_forbidden_unless_action_was_taken_on_a_risk(
    action: ActionTakenAndResult,
) -> None:
    with pytest.raises(ValidationError, match="risk_outcome must be left out"):
        SacCaseDetails(
            risks=(FINANCIAL_AT_HOME,),
            action_taken_and_result=action,
            risk_outcome=RiskOutcome.RISK_REMAINED,
            mental_capacity=MentalCapacity.DONT_KNOW,
        )


def test_lacked_capacity_needs_whether_an_advocate_family_or_friend_supported_them() -> None:
    with pytest.raises(ValidationError, match="lacked_capacity_supported is required"):
        DETAILS.model_validate(
            {**DETAILS.model_dump(), "mental_capacity": MentalCapacity.LACKED_CAPACITY}
        )


def test_support_is_recorded_only_for_a_person_who_lacked_capacity() -> None:
    with pytest.raises(ValidationError, match="applies only when the person lacked capacity"):
        DETAILS.model_validate({**DETAILS.model_dump(), "lacked_capacity_supported": True})
