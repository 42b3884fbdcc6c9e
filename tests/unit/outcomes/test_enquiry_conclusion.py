"""How an enquiry ends: the manager's sign-off of its conclusion, or their record that it ceased
and why, each with the national return's case details and the person's view of whether each
outcome they expressed was achieved; and a case closes only once its enquiry has ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.outcomes.domain import (
    Case,
    CaseRefused,
    EnquiryNotEnded,
    NotPermitted,
    UnknownOutcome,
)
from shared.events.envelope import Actor
from shared.events.outcomes import (
    CeasedReason,
    EnquiryCeased,
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
from tests.unit.outcomes.conftest import NOW

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
    )


def cease(
    case: Case,
    actor: Actor,
    reason: CeasedReason = CeasedReason.PERSONS_REQUEST,
    result: ActionTakenAndResult = ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST,
    msp_asked: MspAsked = MspAsked.ASKED_NONE_EXPRESSED,
) -> EnquiryCeased:
    acted = result in (
        ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
        ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN,
    )
    return case.cease_enquiry(
        actor,
        reason=reason,
        explanation="She told us she wants to deal with it herself, with her niece.",
        persons_view="I don't want any more visits about this.",
        case_details=SacCaseDetails(
            risks=(FINANCIAL_AT_HOME,),
            action_taken_and_result=result,
            risk_outcome=RiskOutcome.RISK_REDUCED if acted else None,
            mental_capacity=MentalCapacity.DID_NOT_LACK_CAPACITY,
        ),
        msp_asked=msp_asked,
    )


def close(case: Case) -> None:
    case.close(
        reason="Nothing more to do",
        person_view=None,
        feedback_to_referrer=True,
        sar_considered=False,
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


def test_a_conclusion_is_signed_off_at_the_servers_time(enquiry: Case, manager: Actor) -> None:
    assert conclude(enquiry, manager, MspAsked.ASKED_NONE_EXPRESSED).concluded_at == NOW


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


def test_a_conclusion_cannot_say_the_enquiry_ceased_at_the_persons_request(
    enquiry: Case, manager: Actor
) -> None:
    details = DETAILS.model_copy(
        update={
            "action_taken_and_result": ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST,
            "risk_outcome": None,
        }
    )

    with pytest.raises(CaseRefused, match="record that the enquiry ceased"):
        conclude(enquiry, manager, MspAsked.DONT_KNOW, case_details=details)


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


@pytest.mark.parametrize("answer", [MspAsked.NOT_ASKED, MspAsked.DONT_KNOW, MspAsked.NOT_RECORDED])
def test_the_person_was_asked_when_outcomes_are_recorded_in_their_words(
    enquiry: Case, manager: Actor, answer: MspAsked
) -> None:
    express(enquiry)

    with pytest.raises(CaseRefused, match="contradicts the 1 desired outcome"):
        conclude(enquiry, manager, answer)


@pytest.mark.parametrize("answer", [MspAsked.NOT_ASKED, MspAsked.DONT_KNOW, MspAsked.NOT_RECORDED])
def test_the_person_was_asked_even_when_they_later_withdrew_every_outcome(
    enquiry: Case, manager: Actor, answer: MspAsked
) -> None:
    dropped = express(enquiry)
    enquiry.withdraw_desired_outcome(dropped, reason="Sorted it myself", withdrawn_at=at(9))

    with pytest.raises(CaseRefused, match="they were asked"):
        conclude(enquiry, manager, answer)


@pytest.mark.parametrize("answer", [MspAsked.NOT_ASKED, MspAsked.DONT_KNOW, MspAsked.NOT_RECORDED])
def test_not_asked_dont_know_and_not_recorded_are_accepted_when_nothing_was_recorded(
    enquiry: Case, manager: Actor, answer: MspAsked
) -> None:
    assert conclude(enquiry, manager, answer).msp_asked is answer


def test_achievement_is_recorded_only_when_outcomes_were_expressed(
    enquiry: Case, manager: Actor
) -> None:
    dropped = express(enquiry)
    enquiry.withdraw_desired_outcome(dropped, reason="Sorted it myself", withdrawn_at=at(9))

    with pytest.raises(UnknownOutcome, match="withdrawn"):
        conclude(
            enquiry,
            manager,
            MspAsked.ASKED_NONE_EXPRESSED,
            [OutcomeAchievement(desired_outcome_id=dropped, achievement=Achievement.FULLY)],
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


# -- an enquiry that ceased ----------------------------------------------------------------


def test_an_enquiry_that_ceased_at_the_persons_request_records_why_and_what_they_said(
    enquiry: Case, manager: Actor
) -> None:
    ceased = cease(enquiry, manager)

    assert ceased.reason is CeasedReason.PERSONS_REQUEST
    assert ceased.persons_view == "I don't want any more visits about this."
    assert ceased.ceased_by == manager.id
    assert ceased.ceased_at == NOW
    assert enquiry.enquiry_ended == ceased


def test_only_a_manager_may_record_that_an_enquiry_ceased(
    enquiry: Case, practitioner: Actor
) -> None:
    with pytest.raises(NotPermitted, match="record that an enquiry ceased"):
        cease(enquiry, practitioner)


def test_an_enquiry_ceased_at_the_persons_request_after_action_reports_the_action(
    enquiry: Case, manager: Actor
) -> None:
    ceased = cease(enquiry, manager, result=ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN)

    assert ceased.case_details.risk_outcome is RiskOutcome.RISK_REDUCED


@pytest.mark.parametrize(
    "result",
    [
        ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN,
        ActionTakenAndResult.INCONCLUSIVE_NO_ACTION_TAKEN,
        ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN,
    ],
)
def test_an_enquiry_ceased_at_the_persons_request_without_action_is_reported_as_such(
    enquiry: Case, manager: Actor, result: ActionTakenAndResult
) -> None:
    with pytest.raises(CaseRefused, match="ceased at individual's request and no action taken"):
        cease(enquiry, manager, result=result)


@pytest.mark.parametrize("reason", [CeasedReason.PERSON_DIED, CeasedReason.NO_LONGER_AT_RISK])
def test_only_the_persons_request_is_reported_as_ceased_at_their_request(
    enquiry: Case, manager: Actor, reason: CeasedReason
) -> None:
    with pytest.raises(CaseRefused, match="only when the person asked"):
        cease(enquiry, manager, reason=reason)
    assert (
        cease(enquiry, manager, reason, ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN).reason
        is reason
    )


def test_a_ceased_enquiry_keeps_the_msp_rules(enquiry: Case, manager: Actor) -> None:
    express(enquiry)

    with pytest.raises(CaseRefused, match="contradicts"):
        cease(enquiry, manager, msp_asked=MspAsked.NOT_RECORDED)


def test_an_enquiry_ends_once(enquiry: Case, manager: Actor) -> None:
    cease(enquiry, manager)

    with pytest.raises(CaseRefused, match="already ceased"):
        conclude(enquiry, manager, MspAsked.DONT_KNOW)
    with pytest.raises(CaseRefused, match="already ceased"):
        cease(enquiry, manager)


def test_an_enquiry_that_never_started_cannot_cease(case: Case, manager: Actor) -> None:
    with pytest.raises(CaseRefused, match="No enquiry has started"):
        cease(case, manager)


# -- closing the case ---------------------------------------------------------------------


def test_a_started_enquiry_must_end_before_the_case_closes(enquiry: Case) -> None:
    with pytest.raises(EnquiryNotEnded, match="concludes it, or records that it ceased"):
        close(enquiry)
    assert enquiry.closed is None


def test_a_case_closes_once_its_enquiry_concluded(enquiry: Case, manager: Actor) -> None:
    conclude(enquiry, manager, MspAsked.DONT_KNOW)
    close(enquiry)

    assert enquiry.closed is not None
    assert enquiry.closed.closed_at == NOW


def test_a_case_closes_once_its_enquiry_ceased(enquiry: Case, manager: Actor) -> None:
    cease(enquiry, manager)
    close(enquiry)

    assert enquiry.closed is not None


def test_a_case_without_an_enquiry_closes_at_any_time(case: Case) -> None:
    close(case)

    assert case.closed is not None
