"""Reviews: the person's own rating of their outcomes, and how the process felt to them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.outcomes.domain import Case, UnknownOutcome
from shared.events.outcomes import (
    Experience,
    ExperienceAnswer,
    ExpressedBy,
    OutcomeRating,
    ReviewStage,
)
from shared.sac import Achievement

EXPERIENCE = Experience(
    felt_listened_to=ExperienceAnswer.YES,
    felt_involved=ExperienceAnswer.PARTLY,
    felt_informed=ExperienceAnswer.NO,
    feels_safer=ExperienceAnswer.NOT_ASKED,
)


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def test_review_records_the_persons_own_rating_and_experience(case: Case) -> None:
    wanted = case.express_desired_outcome(
        text="I want to feel safer", expressed_by=ExpressedBy.PERSON, expressed_at=at(4)
    )
    agreed = case.agree_outcome(
        wording="Feels safe at home", serves=[wanted.desired_outcome_id], agreed_at=at(5)
    )
    ratings = [
        OutcomeRating(outcome_id=agreed.agreed_outcome_id, achievement=Achievement.FULLY),
        OutcomeRating(
            outcome_id=wanted.desired_outcome_id,
            achievement=Achievement.PARTIALLY,
            in_their_words="Better, but I still jump when the door goes",
        ),
    ]

    reviewed = case.review_outcomes(
        stage=ReviewStage.REVIEW,
        ratings=ratings,
        experience=EXPERIENCE,
        reviewed_at=at(20),
        person_view="Nobody told me about the meeting.",
    )

    assert reviewed.ratings == tuple(ratings)
    assert reviewed.experience.felt_informed is ExperienceAnswer.NO
    assert reviewed.person_view == "Nobody told me about the meeting."


def test_experience_can_be_captured_at_closure(case: Case) -> None:
    reviewed = case.review_outcomes(
        stage=ReviewStage.CLOSURE, ratings=[], experience=EXPERIENCE, reviewed_at=at(30)
    )

    assert reviewed.stage is ReviewStage.CLOSURE


def test_review_refuses_a_rating_for_an_outcome_the_case_does_not_hold(case: Case) -> None:
    with pytest.raises(UnknownOutcome, match="no-such-outcome"):
        case.review_outcomes(
            stage=ReviewStage.REVIEW,
            ratings=[OutcomeRating(outcome_id="no-such-outcome", achievement=Achievement.FULLY)],
            experience=EXPERIENCE,
            reviewed_at=at(20),
        )
