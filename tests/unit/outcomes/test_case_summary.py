"""Folding a case's events into what the MSP report needs from it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.outcomes.domain import Case, CaseSummary, summarise
from shared.events import Metadata
from shared.events.envelope import Actor, Envelope
from shared.events.outcomes import (
    CaseEvent,
    CaseOpened,
    CeasedReason,
    Demographics,
    EnquiryKind,
    Experience,
    ExperienceAnswer,
    ExpressedBy,
    OutcomeAchievement,
    Participant,
    ParticipantRole,
    ReviewStage,
    RiskDetail,
    SacCaseDetails,
)
from shared.sac import (
    Achievement,
    ActionTakenAndResult,
    Ethnicity,
    Gender,
    MentalCapacity,
    MspAsked,
    PrimarySupportReason,
    RiskLocation,
    RiskSource,
    RiskType,
)
from tests.unit.outcomes.conftest import NOW

DETAILS = SacCaseDetails(
    risks=(
        RiskDetail(
            risk_type=RiskType.PSYCHOLOGICAL,
            location=RiskLocation.OWN_HOME,
            source=RiskSource.KNOWN_TO_INDIVIDUAL,
        ),
    ),
    action_taken_and_result=ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN,
    mental_capacity=MentalCapacity.DID_NOT_LACK_CAPACITY,
)


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def envelopes(actor: Actor, events: list[CaseEvent]) -> list[Envelope]:
    return [
        Envelope.record(e, stream_id=e.case_id, stream_version=n, metadata=Metadata(actor=actor))
        for n, e in enumerate(events, start=1)
    ]


@pytest.fixture
def concluded(opened: CaseOpened, enquiry: Case, manager: Actor) -> list[Envelope]:
    """A section 42 enquiry concluded with two outcomes, one fully and one not achieved."""
    enquiry.assign_lead_worker(name="Asha Patel", contact="01905 000000", assigned_at=at(3))
    safer = enquiry.express_desired_outcome(
        text="I want to feel safer", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    sorry = enquiry.express_desired_outcome(
        text="I want an apology", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    enquiry.arrange_meeting(
        meets_at=at(9),
        where_or_how="Office",
        purpose="Professionals' strategy discussion",
        invited=[Participant(role=ParticipantRole.PRACTITIONER, name="Asha Patel")],
        person_invited=False,
    )
    enquiry.conclude_enquiry(
        manager,
        case_details=DETAILS,
        msp_asked=MspAsked.ASKED_AND_EXPRESSED,
        achievements=[
            OutcomeAchievement(
                desired_outcome_id=safer.desired_outcome_id, achievement=Achievement.FULLY
            ),
            OutcomeAchievement(
                desired_outcome_id=sorry.desired_outcome_id, achievement=Achievement.NOT_ACHIEVED
            ),
        ],
    )
    return envelopes(manager, [opened, *enquiry.pending_events])


def told_about(history: list[Envelope], *event_types: str) -> set[str]:
    return {e.event_id for e in history if e.event_type in event_types}


def test_summary_folds_the_case_events(concluded: list[Envelope]) -> None:
    summary = summarise(concluded)

    assert summary.case_id == concluded[0].stream_id
    assert summary.concern_raised_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert summary.enquiry_kind is EnquiryKind.S42_ENQUIRY
    assert summary.enquiry_started_at == datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert summary.ended_at == NOW
    assert summary.ceased_reason is None
    assert summary.case_details == DETAILS
    assert summary.msp_asked is MspAsked.ASKED_AND_EXPRESSED
    assert summary.achievements == (Achievement.FULLY, Achievement.NOT_ACHIEVED)
    assert summary.overall_achievement is Achievement.PARTIALLY


def test_person_informed_of_every_decision_only_when_each_decision_was_told(
    concluded: list[Envelope],
) -> None:
    some = told_about(concluded, "EnquiryStarted", "LeadWorkerAssigned")

    assert summarise(concluded, informed_of=some).informed_of_every_decision is False


def test_meeting_the_person_is_not_invited_to_is_not_a_decision_to_tell_them(
    concluded: list[Envelope],
) -> None:
    every = told_about(concluded, "EnquiryStarted", "LeadWorkerAssigned", "EnquiryConcluded")

    assert summarise(concluded, informed_of=every).informed_of_every_decision is True


def test_summary_survives_storage_as_a_read_model(concluded: list[Envelope]) -> None:
    summary = summarise(concluded)

    assert CaseSummary.model_validate_json(summary.model_dump_json()) == summary


def test_summary_of_a_case_without_an_enquiry_has_only_the_concern(
    opened: CaseOpened, manager: Actor
) -> None:
    summary = summarise(envelopes(manager, [opened]))

    assert (summary.enquiry_kind, summary.ended_at, summary.msp_asked) == (None, None, None)
    assert summary.informed_of_every_decision is True


@pytest.mark.parametrize(
    ("achievements", "overall"),
    [
        ((Achievement.FULLY, Achievement.FULLY), Achievement.FULLY),
        ((Achievement.NOT_ACHIEVED, Achievement.NOT_ACHIEVED), Achievement.NOT_ACHIEVED),
        ((Achievement.FULLY, Achievement.NOT_ACHIEVED), Achievement.PARTIALLY),
        ((Achievement.PARTIALLY,), Achievement.PARTIALLY),
        ((), None),
    ],
)
def test_overall_view_is_fully_only_when_every_outcome_was_fully_achieved(
    achievements: tuple[Achievement, ...], overall: Achievement | None
) -> None:
    summary = CaseSummary(
        case_id="case-1", person_id="person-1", concern_raised_at=at(2), achievements=achievements
    )

    assert summary.overall_achievement is overall


def test_an_enquiry_that_ceased_has_ended_with_its_reason(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    enquiry.cease_enquiry(
        manager,
        reason=CeasedReason.PERSON_DIED,
        explanation="She died in hospital; the death is not linked to the concern.",
        case_details=DETAILS,
        msp_asked=MspAsked.NOT_RECORDED,
    )

    summary = summarise(envelopes(manager, [opened, *enquiry.pending_events]))

    assert (summary.ended_at, summary.ceased_reason) == (NOW, CeasedReason.PERSON_DIED)
    assert summary.case_details == DETAILS


def test_a_repeat_report_fills_in_what_was_not_known_and_a_practitioner_corrects_it(
    manager: Actor,
) -> None:
    case = Case.open(
        concern_id="concern-1",
        person_id="person-1",
        reference="SG-2026-AAAAAA",
        concern_raised_at=at(2),
        opened_at=at(2),
        demographics=Demographics(gender=Gender.FEMALE),
    )
    case.now = NOW
    case.join_repeat_concern(
        concern_id="concern-2",
        reference="SG-2026-BBBBBB",
        concern_raised_at=at(5),
        demographics=Demographics(gender=Gender.MALE, ethnicity=Ethnicity.ASIAN),
    )
    after_repeat = summarise(envelopes(manager, list(case.pending_events)))
    case.record_demographics(Demographics(primary_support_reason=PrimarySupportReason.SOCIAL))
    corrected = summarise(envelopes(manager, list(case.pending_events)))

    assert (after_repeat.demographics.gender, after_repeat.demographics.ethnicity) == (
        Gender.FEMALE,
        Ethnicity.ASIAN,
    )
    assert after_repeat.repeats_raised_at == (at(5),)
    assert corrected.demographics == Demographics(
        primary_support_reason=PrimarySupportReason.SOCIAL
    )


def _experience(listened: ExperienceAnswer) -> Experience:
    return Experience(
        felt_listened_to=listened,
        felt_involved=ExperienceAnswer.YES,
        felt_informed=ExperienceAnswer.YES,
        feels_safer=ExperienceAnswer.PARTLY,
    )


def test_the_experience_reported_is_from_the_closure_review_or_else_the_latest(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    def review(stage: ReviewStage, listened: ExperienceAnswer, day: int) -> Experience | None:
        enquiry.review_outcomes(
            stage=stage, ratings=[], experience=_experience(listened), reviewed_at=at(day)
        )
        return summarise(envelopes(manager, [opened, *enquiry.pending_events])).experience

    assert review(ReviewStage.REVIEW, ExperienceAnswer.NO, 10) == _experience(ExperienceAnswer.NO)
    assert review(ReviewStage.REVIEW, ExperienceAnswer.PARTLY, 12) == _experience(
        ExperienceAnswer.PARTLY
    )
    assert review(ReviewStage.CLOSURE, ExperienceAnswer.YES, 14) == _experience(
        ExperienceAnswer.YES
    )
    assert review(ReviewStage.REVIEW, ExperienceAnswer.NO, 16) == _experience(ExperienceAnswer.YES)
