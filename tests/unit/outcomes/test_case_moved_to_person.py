"""A case follows its concern when a practitioner moves the concern to another person at intake:
from then on it is about the right person, whatever its stage."""

from __future__ import annotations

from datetime import UTC, datetime

from services.outcomes.domain import Case
from shared.events.outcomes import CaseMovedToPerson, CaseOpened, LeadWorkerAssigned

RIGHT_PERSON = "person-9e8d7c6b-0000-4000-8000-000000000002"


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def test_a_case_moved_to_another_person_records_whom_it_was_about_and_whom_it_is_about_now(
    opened: CaseOpened, enquiry: Case
) -> None:
    moved = enquiry.move_to_person(RIGHT_PERSON)
    assert moved == CaseMovedToPerson(
        case_id=opened.case_id,
        person_id=RIGHT_PERSON,
        concern_id=opened.concern_id,
        previous_person_id=opened.person_id,
    )
    assert enquiry.person_id == RIGHT_PERSON


def test_a_case_already_about_the_person_is_not_moved(opened: CaseOpened, enquiry: Case) -> None:
    pending = enquiry.pending_events
    assert enquiry.move_to_person(opened.person_id) is None
    assert enquiry.pending_events == pending


def test_after_a_move_every_later_step_names_the_right_person(
    opened: CaseOpened, enquiry: Case
) -> None:
    enquiry.move_to_person(RIGHT_PERSON)
    assigned = enquiry.assign_lead_worker(
        name="Asha Patel", contact="01905 000000", assigned_at=at(4)
    )
    assert isinstance(assigned, LeadWorkerAssigned)
    assert assigned.person_id == RIGHT_PERSON


def test_a_moved_case_rebuilt_from_its_history_is_about_the_right_person(
    opened: CaseOpened, enquiry: Case
) -> None:
    enquiry.move_to_person(RIGHT_PERSON)
    rebuilt = Case.from_history([opened, *enquiry.pending_events], now=at(5))
    assert rebuilt.person_id == RIGHT_PERSON
    assert rebuilt.move_to_person(RIGHT_PERSON) is None


def test_a_closed_case_is_still_moved_to_the_right_person(opened: CaseOpened) -> None:
    case = Case.from_history([opened], now=at(5))
    case.close(
        reason="No further action",
        person_view=None,
        feedback_to_referrer=False,
        sar_considered=False,
    )
    moved = case.move_to_person(RIGHT_PERSON)
    assert moved is not None
    assert Case.from_history([opened, *case.pending_events], now=at(6)).person_id == RIGHT_PERSON


def test_a_case_moved_back_records_the_move_back(opened: CaseOpened, enquiry: Case) -> None:
    enquiry.move_to_person(RIGHT_PERSON)
    back = enquiry.move_to_person(opened.person_id)
    assert back is not None
    assert (back.previous_person_id, back.person_id) == (RIGHT_PERSON, opened.person_id)
