"""A case from opening to closure: its identity, its stream, and the record it keeps."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.outcomes.domain import (
    Case,
    CaseIsClosed,
    CaseRefused,
    TimeOutOfBounds,
    case_id_for,
)
from services.outcomes.domain.moments import CLOCK_DRIFT
from shared.events.envelope import Actor
from shared.events.outcomes import (
    CaseClosed,
    CaseEvent,
    CaseOpened,
    ContactMode,
    ConversationMode,
    Demographics,
    EnquiryKind,
    EnquiryStarted,
    Experience,
    ExperienceAnswer,
    ExpressedBy,
    FormalActionKind,
    OutcomeAchievement,
    Participant,
    ParticipantRole,
    Professional,
    ReviewStage,
    RiskDetail,
    RiskOption,
    SacCaseDetails,
    Wish,
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
from tests.unit.outcomes.conftest import NOW, RAISED_AT

CONCERN_ID = "concern-6f1c0a52-8d3e-4b8f-9a57-2b8d7f0e1c11"
PERSON = Participant(role=ParticipantRole.PERSON, name="Margaret Hughes")
WORKER = Participant(role=ParticipantRole.PRACTITIONER, name="Asha Patel")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_case_id_is_derived_from_the_concern_so_redelivery_cannot_open_two_cases() -> None:
    expected = f"case-{uuid.uuid5(uuid.NAMESPACE_URL, CONCERN_ID)}"

    assert case_id_for(CONCERN_ID) == expected
    assert case_id_for(CONCERN_ID) == case_id_for(CONCERN_ID)


def test_opening_a_case_leaves_case_opened_pending_on_an_empty_stream() -> None:
    case = Case.open(
        concern_id=CONCERN_ID,
        person_id="person-1",
        reference="SG-2026-4F7K2Q",
        concern_raised_at=at(2, 9),
        opened_at=at(2, 9),
    )

    assert case.stored_version == 0
    [opened] = case.pending_events
    assert isinstance(opened, CaseOpened)
    assert (opened.case_id, opened.concern_id, opened.person_id, opened.reference) == (
        case_id_for(CONCERN_ID),
        CONCERN_ID,
        "person-1",
        "SG-2026-4F7K2Q",
    )


def test_case_rebuilt_from_history_knows_its_stored_version_and_has_nothing_pending(
    opened: CaseOpened, enquiry: Case
) -> None:
    rebuilt = Case.from_history([opened, *enquiry.pending_events], now=NOW)

    assert rebuilt.stored_version == 2
    assert rebuilt.pending_events == ()
    assert rebuilt.enquiry_kind is EnquiryKind.S42_ENQUIRY


def test_history_that_does_not_start_with_case_opened_is_refused(enquiry: Case) -> None:
    with pytest.raises(ValueError, match="starts with CaseOpened"):
        Case.from_history(enquiry.pending_events, now=NOW)


def test_enquiry_starts_with_the_kind_the_manager_decided(case: Case) -> None:
    started = case.start_enquiry(EnquiryKind.OTHER_ENQUIRY, started_at=at(3))

    assert isinstance(started, EnquiryStarted)
    assert started.kind is EnquiryKind.OTHER_ENQUIRY
    assert case.enquiry_kind is EnquiryKind.OTHER_ENQUIRY


def test_enquiry_cannot_start_twice(enquiry: Case) -> None:
    with pytest.raises(CaseRefused, match="already started"):
        enquiry.start_enquiry(EnquiryKind.S42_ENQUIRY, started_at=at(4))


def test_conversation_records_who_took_part_when_how_and_what_was_said(case: Case) -> None:
    advocate = Participant(role=ParticipantRole.ADVOCATE, name="Dee Owusu")

    held = case.hold_conversation(
        participants=[PERSON, advocate, WORKER],
        held_at=at(4),
        mode=ConversationMode.IN_PERSON,
        summary="Talked at home about what happened and what Margaret wants now.",
    )

    assert held.participants == (PERSON, advocate, WORKER)
    assert held.held_at == at(4)
    assert held.mode is ConversationMode.IN_PERSON


def test_conversation_must_include_the_person_or_someone_speaking_for_them(case: Case) -> None:
    with pytest.raises(CaseRefused, match="include the person"):
        case.hold_conversation(
            participants=[WORKER, Participant(role=ParticipantRole.OTHER_PROFESSIONAL, name="GP")],
            held_at=at(4),
            mode=ConversationMode.PHONE,
            summary="Professionals' discussion.",
        )


def test_lead_worker_is_assigned_with_how_to_reach_them(case: Case) -> None:
    assigned = case.assign_lead_worker(
        name="Asha Patel", contact="01905 000000, asha.patel@example.gov.uk", assigned_at=at(3)
    )

    assert case.lead_worker == assigned
    assert assigned.contact == "01905 000000, asha.patel@example.gov.uk"


def test_meeting_records_who_is_invited_and_whether_the_person_is(case: Case) -> None:
    arranged = case.arrange_meeting(
        meets_at=at(10, 14),
        where_or_how="Video call; Margaret joins from home with her advocate",
        purpose="Agree the safeguarding plan",
        invited=[PERSON, WORKER],
        person_invited=True,
    )

    assert arranged.person_invited is True
    assert arranged.invited == (PERSON, WORKER)


def test_case_can_be_closed_from_any_stage_with_the_persons_view(case: Case) -> None:
    closed = case.close(
        reason="The person moved to another council's area",
        person_view="  I'm happy to go — thank you for listening.\n",
        feedback_to_referrer=True,
        sar_considered=False,
    )

    assert isinstance(closed, CaseClosed)
    assert closed.person_view == "  I'm happy to go — thank you for listening.\n"
    assert (closed.feedback_to_referrer, closed.sar_considered) == (True, False)


def test_closed_case_refuses_further_changes(case: Case) -> None:
    case.close(
        reason="No further action",
        person_view=None,
        feedback_to_referrer=True,
        sar_considered=False,
    )

    with pytest.raises(CaseIsClosed, match="cannot change"):
        case.express_desired_outcome(
            text="I want to feel safer", expressed_by=ExpressedBy.PERSON, expressed_at=at(6)
        )


def test_closed_case_cannot_be_closed_again(case: Case) -> None:
    case.close(
        reason="No further action",
        person_view=None,
        feedback_to_referrer=False,
        sar_considered=False,
    )

    with pytest.raises(CaseIsClosed):
        case.close(
            reason="Again",
            person_view=None,
            feedback_to_referrer=False,
            sar_considered=False,
        )


def test_every_event_carries_the_person_and_the_case(
    enquiry: Case, manager: Actor, practitioner: Actor
) -> None:
    wanted = enquiry.express_desired_outcome(
        text="I want to feel safer", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    agreed = enquiry.agree_outcome(
        wording="Margaret feels safe at home", serves=[wanted.desired_outcome_id], agreed_at=at(4)
    )
    enquiry.hold_conversation(
        participants=[PERSON], held_at=at(4), mode=ConversationMode.PHONE, summary="Check-in"
    )
    enquiry.record_formal_action_wishes(
        manager,
        FormalActionKind.POLICE,
        wish=Wish.WANTS,
        in_their_words="Yes, tell the police.",
        expressed_by=ExpressedBy.PERSON,
        recorded_at=at(4),
    )
    enquiry.take_formal_action(
        practitioner,
        FormalActionKind.POLICE,
        description="Referral",
        requested_by="Margaret",
        taken_at=at(5),
    )
    enquiry.hold_risk_discussion(
        present=[PERSON, WORKER],
        options=[RiskOption(option="Stay", risks="Alone at night", benefits="Her own home")],
        persons_decision="I'm staying.",
        decided_by=ExpressedBy.PERSON,
        held_at=at(5),
    )
    enquiry.agree_next_contact(contact_on=date(2026, 3, 12), agreed_at=at(5))
    enquiry.agree_review_date(review_on=date(2026, 4, 2), agreed_at=at(5))
    enquiry.review_outcomes(
        stage=ReviewStage.REVIEW,
        ratings=[],
        experience=Experience(
            felt_listened_to=ExperienceAnswer.YES,
            felt_involved=ExperienceAnswer.YES,
            felt_informed=ExperienceAnswer.PARTLY,
            feels_safer=ExperienceAnswer.YES,
        ),
        reviewed_at=at(20),
    )
    enquiry.conclude_enquiry(
        manager,
        case_details=SacCaseDetails(
            risks=(
                RiskDetail(
                    risk_type=RiskType.PHYSICAL,
                    location=RiskLocation.OWN_HOME,
                    source=RiskSource.KNOWN_TO_INDIVIDUAL,
                ),
            ),
            action_taken_and_result=ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN,
            mental_capacity=MentalCapacity.DID_NOT_LACK_CAPACITY,
        ),
        msp_asked=MspAsked.ASKED_AND_EXPRESSED,
        achievements=[
            OutcomeAchievement(
                desired_outcome_id=wanted.desired_outcome_id, achievement=Achievement.FULLY
            )
        ],
    )
    enquiry.close(
        reason="Outcomes met",
        person_view="Done.",
        feedback_to_referrer=True,
        sar_considered=False,
    )

    events: tuple[CaseEvent, ...] = enquiry.pending_events
    assert len(events) == 12
    assert agreed in events
    assert {(e.case_id, e.person_id) for e in events} == {(enquiry.case_id, enquiry.person_id)}


# -- when things happened, and when they were recorded ------------------------------------


def test_when_it_happened_defaults_to_now_by_the_servers_clock(case: Case) -> None:
    held = case.hold_conversation(
        participants=[PERSON], mode=ConversationMode.PHONE, summary="Check-in"
    )

    assert held.held_at == NOW


def test_a_practitioner_may_say_when_it_happened_when_writing_it_up_later(case: Case) -> None:
    held = case.hold_conversation(
        participants=[PERSON], held_at=at(4), mode=ConversationMode.PHONE, summary="Check-in"
    )

    assert held.held_at == at(4)


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (NOW + CLOCK_DRIFT + timedelta(seconds=1), "is in the future"),
        (NOW + timedelta(days=365), "is in the future"),
        (RAISED_AT - timedelta(seconds=1), "is before the concern was raised"),
        (datetime(2025, 3, 2, 9, tzinfo=UTC), "is before the concern was raised"),
    ],
)
def test_when_it_happened_is_neither_in_the_future_nor_before_the_concern(
    case: Case, given: datetime, problem: str
) -> None:
    with pytest.raises(TimeOutOfBounds) as refused:
        case.express_desired_outcome(
            text="I want to feel safer", expressed_by=ExpressedBy.PERSON, expressed_at=given
        )

    assert refused.value.field == "expressed_at"
    assert refused.value.problem.startswith(problem)
    assert "when the concern was raised" in refused.value.allowed
    assert case.pending_events == ()


@pytest.mark.parametrize(
    "given",
    [
        RAISED_AT,
        NOW + CLOCK_DRIFT,
        datetime(2026, 3, 31, 14, 0, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_the_bounds_themselves_and_other_time_zones_are_allowed(
    case: Case, given: datetime
) -> None:
    assert (
        case.hold_conversation(
            participants=[PERSON], held_at=given, mode=ConversationMode.PHONE, summary="Call"
        ).held_at
        == given
    )


# -- contacts between professionals ------------------------------------------------------


def test_a_contact_between_professionals_is_recorded_as_a_case_note(case: Case) -> None:
    gp = Professional(name="Dr Amir Shah", role="GP", organisation="Severn Surgery")

    note = case.record_case_note(
        contact_with=[gp],
        mode=ContactMode.PHONE,
        what_was_said="Margaret has missed two appointments; her son answers the phone.",
        what_was_agreed="The GP will see her alone at her next visit.",
        recorded_by="Asha Patel",
        happened_at=at(6),
    )

    assert note.contact_with == (gp,)
    assert note.what_was_agreed == "The GP will see her alone at her next visit."
    assert note.happened_at == at(6)
    assert note.recorded_by == "Asha Patel"


def test_a_case_note_does_not_keep_a_contact_date_agreed_with_the_person(case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(4))
    case.record_case_note(
        contact_with=[Professional(name="PC Okafor", role="Police", organisation="WMP")],
        mode=ContactMode.MEETING,
        what_was_said="Strategy discussion.",
        recorded_by="Asha Patel",
        happened_at=at(9),
    )

    assert [m.agreed_date for m in case.missed_dates(at(20))] == [date(2026, 3, 10)]


# -- what the return counts about the person ---------------------------------------------


def test_demographics_are_recorded_on_the_case_with_the_returns_categories(case: Case) -> None:
    recorded = case.record_demographics(
        Demographics(
            date_of_birth=date(1941, 6, 14),
            gender=Gender.FEMALE,
            ethnicity=Ethnicity.WHITE,
            primary_support_reason=PrimarySupportReason.MEMORY_AND_COGNITION,
        )
    )

    assert recorded.demographics.primary_support_reason.label == (
        "Support with Memory and Cognition"
    )
    assert recorded.recorded_at == NOW


# -- a repeat report of the same incident ------------------------------------------------


def test_a_repeat_report_joins_the_open_case_once(opened: CaseOpened, case: Case) -> None:
    joined = case.join_repeat_concern(
        concern_id="concern-second-report",
        reference="SG-2026-AAAAAA",
        concern_raised_at=at(5),
        risk_types=[RiskType.FINANCIAL_OR_MATERIAL],
        persons_own_words="He took it again.",
    )

    assert joined is not None
    assert (joined.concern_id, joined.joined_at) == ("concern-second-report", NOW)
    rebuilt = Case.from_history([opened, *case.pending_events], now=NOW)
    assert (
        rebuilt.join_repeat_concern(
            concern_id="concern-second-report", reference="SG-2026-AAAAAA", concern_raised_at=at(5)
        )
        is None
    )
    assert (
        case.join_repeat_concern(
            concern_id=opened.concern_id, reference=opened.reference, concern_raised_at=at(5)
        )
        is None
    )


def test_a_closed_case_takes_no_repeat_report(case: Case) -> None:
    case.close(reason="Done", person_view=None, feedback_to_referrer=False, sar_considered=False)

    with pytest.raises(CaseIsClosed):
        case.join_repeat_concern(
            concern_id="concern-second-report", reference="SG-2026-AAAAAA", concern_raised_at=at(5)
        )


def test_a_conversation_names_case_notes_for_a_professionals_only_contact(case: Case) -> None:
    with pytest.raises(CaseRefused, match="as a case note"):
        case.hold_conversation(
            participants=[WORKER], held_at=at(4), mode=ConversationMode.PHONE, summary="Call"
        )
