"""Timeliness for the person: their agreed dates, and noticing (once) when one passes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.outcomes.domain import Case, CaseRefused
from shared.events.outcomes import (
    AgreedDateKind,
    CaseOpened,
    ConversationMode,
    Experience,
    ExperienceAnswer,
    Participant,
    ParticipantRole,
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


def test_missed_agreed_date_raises_agreed_date_missed_once(opened: CaseOpened, case: Case) -> None:
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(3, 4))

    [missed] = case.notice_missed_dates(at(3, 11))

    assert (missed.kind, missed.agreed_date) == (AgreedDateKind.NEXT_CONTACT, date(2026, 3, 10))
    assert missed.noticed_at == at(3, 11)
    assert case.missed_dates(at(3, 12)) == []
    rebuilt = Case.from_history([opened, *case.pending_events])
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
        closed_at=at(3, 5),
    )

    assert case.missed_dates(at(3, 20)) == []


def test_agreed_date_cannot_be_before_the_day_it_was_agreed(case: Case) -> None:
    with pytest.raises(CaseRefused, match="cannot be before the day it was agreed"):
        case.agree_review_date(review_on=date(2026, 3, 1), agreed_at=at(3, 4))
