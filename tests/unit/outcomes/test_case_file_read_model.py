"""The case file read model, folded from the case's events."""

from __future__ import annotations

import pytest

from services.outcomes.domain import Case
from services.outcomes.read_models.case_file import CaseFile, CaseStatus, fold_case_file
from shared.events import Actor, Envelope
from shared.events.outcomes import CaseOpened
from tests.unit.outcomes.histories import THEIR_NEW_WORDS, THEIR_WORDS, a_whole_case, recorded


@pytest.fixture
def history(opened: CaseOpened, enquiry: Case, manager: Actor) -> list[Envelope]:
    return a_whole_case(opened, enquiry, manager)


def case_file(history: list[Envelope]) -> CaseFile:
    return CaseFile.model_validate(fold_case_file(history[0].stream_id, None, history))


def test_case_file_keeps_every_wording_of_a_desired_outcome_verbatim(
    history: list[Envelope],
) -> None:
    son = case_file(history).desired_outcomes[0]

    assert son.text == THEIR_NEW_WORDS
    assert [w.text for w in son.history] == [THEIR_WORDS, THEIR_NEW_WORDS]


def test_case_file_shows_a_withdrawn_outcome_with_the_persons_reason(
    history: list[Envelope],
) -> None:
    sorry = case_file(history).desired_outcomes[1]

    assert sorry.text == "I want an apology"
    assert sorry.withdrawn is not None
    assert sorry.withdrawn.reason == "He said sorry."


def test_case_file_holds_wishes_plan_meeting_conclusion_and_closure(
    history: list[Envelope],
) -> None:
    file = case_file(history)

    assert [w.in_their_words for w in file.formal_action_wishes] == ["Not the police, he's my son."]
    assert file.plan is not None
    assert file.plan.actions[0].description == "Carer card from the bank"
    assert [m.purpose for m in file.meetings] == ["Plan review"]
    assert file.conclusion is not None
    assert file.closure is not None
    assert file.version == len(history)


def test_case_file_status_follows_the_case_from_open_to_closed(
    opened: CaseOpened, manager: Actor, history: list[Envelope]
) -> None:
    statuses = [case_file(history[:n]).status for n in (1, 2, len(history) - 1, len(history))]

    assert statuses == [
        CaseStatus.OPEN,
        CaseStatus.ENQUIRY,
        CaseStatus.CONCLUDED,
        CaseStatus.CLOSED,
    ]


@pytest.mark.parametrize("split", [1, 2, 5, 9])
def test_case_file_folded_batch_by_batch_equals_one_pass(
    history: list[Envelope], split: int
) -> None:
    case_id = history[0].stream_id
    in_batches = fold_case_file(case_id, None, history[:split])
    in_batches = fold_case_file(case_id, in_batches, history[split:])

    assert in_batches == fold_case_file(case_id, None, history)


def test_case_file_starts_with_what_the_concern_said(opened: CaseOpened, manager: Actor) -> None:
    concern = opened.model_copy(update={"persons_own_words": THEIR_WORDS})

    file = case_file(recorded([concern], manager))

    assert file.concern.persons_own_words == THEIR_WORDS
    assert file.status is CaseStatus.OPEN
