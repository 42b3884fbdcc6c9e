"""What the person wants, in their own words, and what is agreed with them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.outcomes.domain import Case, UnknownOutcome
from shared.events.outcomes import ExpressedBy, OutcomeCategory

SON = "I want the abuse to stop – but I still want to see my son"


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def test_desired_outcome_is_stored_exactly_as_the_person_said_it(case: Case) -> None:
    words = "  i just want it to STOP!!  \n"

    expressed = case.express_desired_outcome(
        text=words, expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )

    assert expressed.text == words
    assert case.desired_outcomes[expressed.desired_outcome_id].text == words


def test_wanting_the_abuse_to_stop_but_still_seeing_my_son_is_valid_and_never_flagged(
    case: Case,
) -> None:
    stop = case.express_desired_outcome(
        text=SON,
        expressed_by=ExpressedBy.PERSON,
        expressed_at=at(4),
        category=OutcomeCategory.RELATIONSHIP,
    )
    safer = case.express_desired_outcome(
        text="I want to feel safer",
        expressed_by=ExpressedBy.PERSON,
        expressed_at=at(4),
        category=OutcomeCategory.SAFETY,
    )

    assert [o.text for o in case.desired_outcomes.values()] == [SON, "I want to feel safer"]
    assert not case.desired_outcomes[stop.desired_outcome_id].withdrawn
    assert not case.desired_outcomes[safer.desired_outcome_id].withdrawn


def test_desired_outcome_records_who_said_it_and_when(case: Case) -> None:
    expressed = case.express_desired_outcome(
        text="She wants an apology from the agency",
        expressed_by=ExpressedBy.REPRESENTATIVE,
        expressed_at=at(4),
        category=OutcomeCategory.APOLOGY,
    )

    assert expressed.expressed_by is ExpressedBy.REPRESENTATIVE
    assert expressed.expressed_at == at(4)
    assert expressed.category is OutcomeCategory.APOLOGY


def test_desired_outcome_needs_no_category(case: Case) -> None:
    expressed = case.express_desired_outcome(
        text="I want to make new friends", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )

    assert expressed.category is None


def test_empty_words_are_refused(case: Case) -> None:
    with pytest.raises(ValidationError, match="text"):
        case.express_desired_outcome(text="", expressed_by=ExpressedBy.PERSON, expressed_at=at(4))


def test_revision_keeps_the_earlier_words_in_the_history(case: Case) -> None:
    first = case.express_desired_outcome(
        text="I never want to see him again", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )

    revised = case.revise_desired_outcome(
        first.desired_outcome_id,
        text="I want to see him, but only with someone there",
        expressed_by=ExpressedBy.PERSON,
        revised_at=at(9),
    )

    assert revised.previous_text == "I never want to see him again"
    outcome = case.desired_outcomes[first.desired_outcome_id]
    assert outcome.text == "I want to see him, but only with someone there"
    assert outcome.earlier_texts == ["I never want to see him again"]


def test_withdrawn_outcome_keeps_the_persons_reason(case: Case) -> None:
    first = case.express_desired_outcome(
        text="I want to move out", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )

    case.withdraw_desired_outcome(
        first.desired_outcome_id,
        reason="I've changed my mind, I love this flat",
        withdrawn_at=at(8),
    )

    outcome = case.desired_outcomes[first.desired_outcome_id]
    assert outcome.withdrawn
    assert outcome.withdrawn_because == "I've changed my mind, I love this flat"


def test_withdrawn_outcome_cannot_be_revised(case: Case) -> None:
    first = case.express_desired_outcome(
        text="I want to move out", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    case.withdraw_desired_outcome(first.desired_outcome_id, reason="Staying", withdrawn_at=at(8))

    with pytest.raises(UnknownOutcome, match="withdrawn"):
        case.revise_desired_outcome(
            first.desired_outcome_id,
            text="I want to move in June",
            expressed_by=ExpressedBy.PERSON,
            revised_at=at(9),
        )


def test_agreed_outcome_links_to_the_desired_outcomes_it_serves(case: Case) -> None:
    stop = case.express_desired_outcome(
        text=SON, expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    safer = case.express_desired_outcome(
        text="I want to feel safer", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )

    agreed = case.agree_outcome(
        wording="Margaret sees her son at the day centre, with staff present",
        serves=[stop.desired_outcome_id, safer.desired_outcome_id],
        agreed_at=at(6),
    )

    assert agreed.serves == (stop.desired_outcome_id, safer.desired_outcome_id)
    assert case.agreed_outcomes[agreed.agreed_outcome_id].wording == agreed.wording


def test_agreed_outcome_must_serve_a_desired_outcome_that_exists(case: Case) -> None:
    with pytest.raises(UnknownOutcome, match="no-such-outcome"):
        case.agree_outcome(wording="Something", serves=["no-such-outcome"], agreed_at=at(6))


def test_agreed_outcome_cannot_serve_a_withdrawn_outcome(case: Case) -> None:
    first = case.express_desired_outcome(
        text="I want to move out", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    case.withdraw_desired_outcome(first.desired_outcome_id, reason="Staying", withdrawn_at=at(5))

    with pytest.raises(UnknownOutcome, match="withdrawn"):
        case.agree_outcome(wording="Move", serves=[first.desired_outcome_id], agreed_at=at(6))


def test_agreed_outcome_must_serve_at_least_one_desired_outcome(case: Case) -> None:
    with pytest.raises(ValidationError, match="serves"):
        case.agree_outcome(wording="Nothing in particular", serves=[], agreed_at=at(6))
