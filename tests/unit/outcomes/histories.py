"""A case's events as they come off the topic, for the read-model tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.outcomes.domain import Case
from shared.events import Actor, Envelope, Metadata
from shared.events.outcomes import (
    CaseEvent,
    CaseOpened,
    ExpressedBy,
    FormalActionKind,
    OutcomeAchievement,
    Participant,
    ParticipantRole,
    PlanAction,
    RiskDetail,
    SacCaseDetails,
    Wish,
)
from shared.sac import (
    Achievement,
    ActionTakenAndResult,
    MentalCapacity,
    MspAsked,
    RiskLocation,
    RiskSource,
    RiskType,
)

THEIR_WORDS = "I want the abuse to stop – but I still want to see my son"
THEIR_NEW_WORDS = "  I still want to see my son – on Sundays 🙂\n"


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def recorded(events: Sequence[CaseEvent], actor: Actor, first_version: int = 1) -> list[Envelope]:
    return [
        Envelope.record(
            e,
            stream_id=e.case_id,
            stream_version=n,
            metadata=Metadata(actor=actor),
            occurred_at=at(28, 18),
        )
        for n, e in enumerate(events, start=first_version)
    ]


def a_whole_case(opened: CaseOpened, enquiry: Case, manager: Actor) -> list[Envelope]:
    """From the concern to closure: outcomes expressed, revised and withdrawn, wishes, a plan,
    a meeting, a review, the conclusion and closure."""
    enquiry.assign_lead_worker(name="Asha Patel", contact="01905 000000", assigned_at=at(3))
    son = enquiry.express_desired_outcome(
        text=THEIR_WORDS, expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    sorry = enquiry.express_desired_outcome(
        text="I want an apology", expressed_by=ExpressedBy.PERSON, expressed_at=at(4, 11)
    )
    enquiry.revise_desired_outcome(
        son.desired_outcome_id,
        text=THEIR_NEW_WORDS,
        expressed_by=ExpressedBy.PERSON,
        revised_at=at(5),
    )
    enquiry.withdraw_desired_outcome(
        sorry.desired_outcome_id, reason="He said sorry.", withdrawn_at=at(6)
    )
    agreed = enquiry.agree_outcome(
        wording="Daniel visits on Sundays", serves=[son.desired_outcome_id], agreed_at=at(7)
    )
    enquiry.record_formal_action_wishes(
        manager,
        FormalActionKind.POLICE,
        wish=Wish.DOES_NOT_WANT,
        in_their_words="Not the police, he's my son.",
        expressed_by=ExpressedBy.PERSON,
        recorded_at=at(7, 11),
    )
    enquiry.agree_plan(
        actions=[
            PlanAction(
                description="Carer card from the bank",
                serves=(agreed.agreed_outcome_id,),
                owner="Asha Patel",
                agreed_date=at(20).date(),
            )
        ],
        agreed_at=at(8),
    )
    enquiry.arrange_meeting(
        meets_at=at(12, 14),
        where_or_how="At her home",
        purpose="Plan review",
        invited=[Participant(role=ParticipantRole.PERSON, name="Margaret Hill")],
        person_invited=True,
    )
    enquiry.conclude_enquiry(
        manager,
        case_details=SacCaseDetails(
            risks=(
                RiskDetail(
                    risk_type=RiskType.FINANCIAL_OR_MATERIAL,
                    location=RiskLocation.OWN_HOME,
                    source=RiskSource.KNOWN_TO_INDIVIDUAL,
                ),
            ),
            action_taken_and_result=ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN,
            mental_capacity=MentalCapacity.DID_NOT_LACK_CAPACITY,
        ),
        msp_asked=MspAsked.ASKED_AND_EXPRESSED,
        achievements=[
            OutcomeAchievement(
                desired_outcome_id=son.desired_outcome_id, achievement=Achievement.FULLY
            )
        ],
    )
    enquiry.close(
        reason="Outcomes met",
        person_view="I feel listened to.",
        feedback_to_referrer=True,
        sar_considered=False,
    )
    return recorded([opened, *enquiry.pending_events], manager)
