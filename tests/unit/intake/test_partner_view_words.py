"""What a partner reads about its concern: plain words, and the case id every service agrees on."""

from __future__ import annotations

import pytest

from services.intake.application.commands import what_happens_next
from services.intake.read_models.partner_view import (
    Stage,
    case_of,
    decision_in_plain_words,
    status_text,
)
from services.outcomes.domain.case import case_id_for
from shared.events.intake import NoFurtherActionRoute, S42Decision


@pytest.mark.parametrize("route", list(NoFurtherActionRoute))
def test_every_no_further_action_route_has_plain_words(route: NoFurtherActionRoute) -> None:
    words = decision_in_plain_words(S42Decision.NO_FURTHER_ACTION, route)

    assert words
    assert "_" not in words


def test_an_s42_enquiry_is_named_for_the_care_act() -> None:
    assert "section 42" in decision_in_plain_words(S42Decision.S42_ENQUIRY, None)


def test_a_decided_status_says_what_was_decided() -> None:
    words = decision_in_plain_words(S42Decision.OTHER_ENQUIRY, None)

    assert status_text(Stage.DECIDED, words) == f"decided: {words}"


@pytest.mark.parametrize("stage", [Stage.RECEIVED, Stage.BEING_LOOKED_AT, Stage.CLOSED])
def test_other_statuses_are_the_stage_itself(stage: Stage) -> None:
    assert status_text(stage) == stage.value


def test_the_partner_view_finds_a_concerns_case_as_outcomes_names_it() -> None:
    concern_id = "concern-0b7c3a52-5d0e-4f0e-9c55-3f3c1f1c2a10"

    assert case_of(concern_id) == case_id_for(concern_id)


def test_what_happens_next_quotes_the_reference_and_where_to_follow_it() -> None:
    text = what_happens_next("SG-2026-4F7K2Q")

    assert "SG-2026-4F7K2Q" in text
    assert "GET /partner/concerns/SG-2026-4F7K2Q" in text
