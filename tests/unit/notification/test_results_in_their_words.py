"""Messages never claim more than the person said: what the review and the conclusion say about
results follows the person's own ratings ("partly" is never "achieved"; nothing says "you are
safer now"), and the council's own view is given as "we think"."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.notification.domain.messages import Ratings, StepFacts
from shared.events.notification import MessageFormat, RecipientRole
from shared.events.outcomes import ExperienceAnswer, ReviewStage
from shared.sac import Achievement, ActionTakenAndResult, RiskOutcome
from tests.unit.notification.letters import every_recipients_message
from tests.unit.notification.records import case_facts, step_of
from tests.unit.notification.story import Story

TEMPLATES = ("outcomes_reviewed", "enquiry_concluded")
OVERCLAIMS = re.compile(
    r"safer now|you are safe\b|you are safer|is safe now|all (?:of )?(?:your|the) outcomes "
    r"(?:were|have been) (?:fully )?achieved|outcomes were met",
    re.IGNORECASE,
)


def bodies(template: str, facts: StepFacts) -> dict[tuple[RecipientRole, MessageFormat], str]:
    """What Bethany, and a representative or advocate of hers, are sent."""
    every = every_recipients_message(template, facts, person_name="Bethany Hill")
    return {recipient: rendered.body for recipient, rendered in every.items()}


def review(ratings: Ratings, feels_safer: ExperienceAnswer, final: bool = False) -> StepFacts:
    return StepFacts(
        reference="SG-2026-4F7K2Q", ratings=ratings, feels_safer=feels_safer, final_review=final
    )


def conclusion(ratings: Ratings) -> StepFacts:
    return StepFacts(
        reference="SG-2026-4F7K2Q",
        conclusion=ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
        risk_outcome=RiskOutcome.RISK_REDUCED,
        ratings=ratings,
    )


def test_one_outcome_rated_partly_is_never_called_achieved() -> None:
    partly = Ratings(fully=0, partly=1, not_achieved=0)
    for template, facts in (
        ("outcomes_reviewed", review(partly, ExperienceAnswer.PARTLY)),
        ("enquiry_concluded", conclusion(partly)),
    ):
        for (role, format), body in bodies(template, facts).items():
            if role is RecipientRole.PERSON and format is MessageFormat.EASY_READ:
                assert "Things that happened as you wanted: 0." in body
                assert "Things that partly happened: 1." in body
            else:
                assert "said 0 were fully achieved, 1 partly achieved" in body
            assert not re.search(r"\b1 (?:was|were) (?:fully )?achieved", body)


def test_feeling_partly_safer_is_never_told_as_feeling_safer() -> None:
    for (role, _), body in bodies(
        "outcomes_reviewed",
        review(Ratings(fully=1, partly=0, not_achieved=0), ExperienceAnswer.PARTLY),
    ).items():
        who = "You said you" if role is RecipientRole.PERSON else "Bethany said they"
        assert f"{who} feel a little safer, but not fully safe." in body
        assert f"{who} feel safer." not in body


def test_feeling_safer_is_told_as_the_persons_own_words() -> None:
    for (role, _), body in bodies(
        "outcomes_reviewed",
        review(Ratings(fully=1, partly=0, not_achieved=0), ExperienceAnswer.YES),
    ).items():
        who = "You said you" if role is RecipientRole.PERSON else "Bethany said they"
        assert f"{who} feel safer." in body


def test_not_being_asked_about_safety_says_nothing_about_it() -> None:
    for body in bodies(
        "outcomes_reviewed",
        review(Ratings(fully=1, partly=0, not_achieved=0), ExperienceAnswer.NOT_ASKED),
    ).values():
        assert not re.search(r"\bsafer?\b", body, re.IGNORECASE)


def test_the_councils_view_of_the_risk_is_given_as_what_we_think() -> None:
    for body in bodies(
        "enquiry_concluded", conclusion(Ratings(fully=0, partly=1, not_achieved=0))
    ).values():
        assert "We think the risk" in body


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(
    fully=st.integers(0, 5),
    partly=st.integers(0, 5),
    not_achieved=st.integers(0, 5),
    feels_safer=st.sampled_from(ExperienceAnswer),
    final=st.booleans(),
    template=st.sampled_from(TEMPLATES),
)
def test_what_a_message_says_of_results_is_what_the_person_rated(
    fully: int,
    partly: int,
    not_achieved: int,
    feels_safer: ExperienceAnswer,
    final: bool,
    template: str,
) -> None:
    ratings = Ratings(fully=fully, partly=partly, not_achieved=not_achieved)
    facts = (
        review(ratings, feels_safer, final)
        if template == "outcomes_reviewed"
        else conclusion(ratings)
    )
    for (role, format), body in bodies(template, facts).items():
        assert not OVERCLAIMS.search(body), body
        if ratings.total == 0:
            assert "achieved" not in body.replace("were achieved, and whether", "")
            continue
        if role is RecipientRole.PERSON and format is MessageFormat.EASY_READ:
            assert f"Things that happened as you wanted: {fully}.\n" in body
            assert f"Things that partly happened: {partly}.\n" in body
            assert f"Things that have not happened: {not_achieved}." in body
        else:
            verb = "was" if fully == 1 else "were"
            assert (
                f"said {fully} {verb} fully achieved, {partly} partly achieved and "
                f"{not_achieved} not achieved." in body
            )
        if feels_safer is not ExperienceAnswer.YES:
            assert "feel safer." not in body


@pytest.mark.parametrize(
    ("ratings", "counts"),
    [
        ((Achievement.PARTIALLY,), (0, 1, 0)),
        ((Achievement.FULLY, Achievement.FULLY, Achievement.NOT_ACHIEVED), (2, 0, 1)),
        ((), (0, 0, 0)),
    ],
)
def test_a_review_counts_the_persons_own_ratings(
    ratings: tuple[Achievement, ...], counts: tuple[int, int, int]
) -> None:
    story = Story()
    reviewed = story.outcomes_reviewed(ratings=ratings, stage=ReviewStage.CLOSURE)
    facts = step_of(reviewed, story, case=case_facts(story)).facts
    assert facts is not None
    assert facts.ratings == Ratings(fully=counts[0], partly=counts[1], not_achieved=counts[2])
    assert facts.final_review


def test_a_conclusion_counts_the_persons_own_view_of_each_outcome() -> None:
    story = Story()
    concluded = story.enquiry_concluded(achievements=(Achievement.PARTIALLY, Achievement.PARTIALLY))
    facts = step_of(concluded, story, case=case_facts(story)).facts
    assert facts is not None
    assert facts.ratings == Ratings(fully=0, partly=2, not_achieved=0)
    assert (facts.conclusion, facts.risk_outcome) == (
        ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
        RiskOutcome.RISK_REDUCED,
    )
