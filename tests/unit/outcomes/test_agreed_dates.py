"""Timeliness for the person: their agreed dates (next contact, review, each plan action), and
noticing (once) when one passes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.outcomes.domain import Case, CaseRefused, UnknownOutcome
from shared.events.outcomes import (
    AgreedDateKind,
    CaseOpened,
    ConversationMode,
    Experience,
    ExperienceAnswer,
    ExpressedBy,
    Participant,
    ParticipantRole,
    PlanAction,
    ReviewStage,
)

PERSON = Participant(role=ParticipantRole.PERSON, name="Margaret Hughes")
EXPERIENCE = Experience(
    felt_listened_to=ExperienceAnswer.YES,
    felt_involved=ExperienceAnswer.YES,
    felt_informed=ExperienceAnswer.YES,
    feels_safer=ExperienceAnswer.PARTLY,
)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def talk(case: Case, held_at: datetime) -> None:
    case.hold_conversation(
        participants=[PERSON], held_at=held_at, mode=ConversationMode.PHONE, summary="Call"
    )


def review(case: Case, reviewed_at: datetime) -> None:
    case.review_outcomes(
        stage=ReviewStage.REVIEW, ratings=[], experience=EXPERIENCE, reviewed_at=reviewed_at
    )


@pytest.fixture(autouse=True)
def a_year_on(case: Case) -> None:
    """These cases decide late in the year, so the dates they give are all in the past."""
    case.now = at(12, 31)


def plan(case: Case, *actions: tuple[str, date], agreed_at: datetime) -> list[str]:
    wanted = case.express_desired_outcome(
        text="I want my money safe", expressed_by=ExpressedBy.PERSON, expressed_at=at(3, 3)
    )
    agreed = case.agree_outcome(
        wording="Her bank card is hers alone",
        serves=[wanted.desired_outcome_id],
        agreed_at=at(3, 3),
    )
    made = case.agree_plan(
        actions=[
            PlanAction(
                description=description,
                serves=(agreed.agreed_outcome_id,),
                owner="Asha Patel",
                agreed_date=by,
            )
            for description, by in actions
        ],
        agreed_at=agreed_at,
    )
    return [a.action_id for a in made.actions]


def test_missed_agreed_date_raises_agreed_date_missed_once(opened: CaseOpened, case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4))
    case.now = at(3, 11)

    [missed] = case.notice_missed_dates()

    assert (missed.kind, missed.agreed_date) == (AgreedDateKind.NEXT_CONTACT, date(2026, 3, 10))
    assert missed.noticed_at == at(3, 11)
    assert case.missed_dates(at(3, 12)) == []
    rebuilt = Case.from_history([opened, *case.pending_events], now=at(4, 30))
    assert rebuilt.missed_dates(at(4, 30)) == []


def test_missed_dates_changes_nothing_until_noticed(case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4))
    before = case.pending_events

    first = case.missed_dates(at(3, 11))

    assert case.missed_dates(at(3, 11)) == first
    assert case.pending_events == before


def test_agreed_date_is_not_missed_on_the_day_itself(case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4))

    assert case.missed_dates(at(3, 10, 23, 59)) == []


def test_agreed_date_passes_at_midnight_in_england_not_in_utc(case: Case) -> None:
    case.agree_review_date(review_on=date(2026, 6, 10), agreed_at=at(6, 1))

    # 23:30 UTC on 10 June is 00:30 on 11 June in England (BST).
    [missed] = case.missed_dates(at(6, 10, 23, 30))

    assert missed.agreed_date == date(2026, 6, 10)


def test_contact_date_kept_by_a_conversation_is_not_missed(case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4))
    talk(case, at(3, 9))

    assert case.missed_dates(at(3, 20)) == []


def test_conversation_before_the_agreement_does_not_keep_the_date(case: Case) -> None:
    talk(case, at(3, 4, 9))
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4, 11))

    assert [m.agreed_date for m in case.missed_dates(at(3, 11))] == [date(2026, 3, 10)]


def test_conversation_after_the_date_passed_does_not_keep_it(case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4))
    talk(case, at(3, 12))

    assert [m.agreed_date for m in case.missed_dates(at(3, 13))] == [date(2026, 3, 10)]


def test_review_date_is_kept_by_a_review_not_by_a_conversation(case: Case) -> None:
    case.agree_review_date(review_on=date(2026, 4, 1), agreed_at=at(3, 4))
    talk(case, at(3, 30))

    assert [m.kind for m in case.missed_dates(at(4, 2))] == [AgreedDateKind.REVIEW]
    review(case, at(4, 1))
    assert case.missed_dates(at(4, 2)) == []


def test_date_agreed_again_before_it_passed_replaces_it(case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4))
    case.agree_next_contact(contact_on=date(2026, 3, 17), agreed_at=at(3, 9))

    assert case.missed_dates(at(3, 12)) == []
    assert [m.agreed_date for m in case.missed_dates(at(3, 18))] == [date(2026, 3, 17)]


def test_closed_case_has_no_missed_dates(case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4))
    case.close(
        reason="Person declined further involvement",
        person_view="Leave it now please.",
        feedback_to_referrer=True,
        sar_considered=False,
    )

    assert case.missed_dates(at(3, 20)) == []


def test_agreed_date_cannot_be_before_the_day_it_was_agreed(case: Case) -> None:
    with pytest.raises(CaseRefused, match="cannot be before the day it was agreed"):
        case.agree_review_date(review_on=date(2026, 3, 1), agreed_at=at(3, 4))


def test_a_plan_actions_date_passed_undone_is_missed_with_what_it_was_and_who_follows_it_up(
    case: Case,
) -> None:
    case.assign_lead_worker(name="Asha Patel", contact="01905 000111", assigned_at=at(3, 3))
    [card, chain] = plan(
        case,
        ("New bank card only she can use", date(2026, 3, 20)),
        ("Fit a door chain", date(2026, 3, 27)),
        agreed_at=at(3, 5),
    )
    case.now = at(3, 21)

    [missed] = case.notice_missed_dates()

    assert missed.kind is AgreedDateKind.PLAN_ACTION
    assert (missed.plan_action_id, missed.plan_action) == (card, "New bank card only she can use")
    assert missed.lead_worker == "Asha Patel"
    assert [m.plan_action_id for m in case.missed_dates(at(3, 28))] == [chain]


def test_a_plan_action_done_by_its_date_is_not_missed(case: Case) -> None:
    [card] = plan(case, ("New bank card", date(2026, 3, 20)), agreed_at=at(3, 5))
    case.complete_plan_action(card, completed_at=at(3, 19), note="Bank confirmed")

    assert case.missed_dates(at(3, 25)) == []


def test_a_plan_action_done_late_was_still_missed(case: Case) -> None:
    [card] = plan(case, ("New bank card", date(2026, 3, 20)), agreed_at=at(3, 5))
    case.complete_plan_action(card, completed_at=at(3, 22))

    assert [m.plan_action_id for m in case.missed_dates(at(3, 25))] == [card]


def test_a_new_plan_before_the_date_replaces_the_old_plans_dates(case: Case) -> None:
    plan(case, ("New bank card", date(2026, 3, 20)), agreed_at=at(3, 5))
    [later] = plan(case, ("Move the account", date(2026, 3, 30)), agreed_at=at(3, 10))

    assert case.missed_dates(at(3, 25)) == []
    assert [m.plan_action_id for m in case.missed_dates(at(3, 31))] == [later]


def test_only_an_action_of_the_current_plan_can_be_done(case: Case) -> None:
    [old] = plan(case, ("New bank card", date(2026, 3, 20)), agreed_at=at(3, 5))
    plan(case, ("Move the account", date(2026, 3, 30)), agreed_at=at(3, 10))

    with pytest.raises(UnknownOutcome, match="current safeguarding plan"):
        case.complete_plan_action(old)


def test_a_plan_action_cannot_be_due_before_the_plan_was_agreed(case: Case) -> None:
    with pytest.raises(CaseRefused, match="cannot be before the day it was agreed"):
        plan(case, ("New bank card", date(2026, 3, 4)), agreed_at=at(3, 5))
