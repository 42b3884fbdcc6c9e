"""The outcomes events as they travel: registered, and the person's words unchanged by the
journey."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.outcomes.domain import Case, FormalActionRefused
from shared.events import Metadata, decode, encode, registered_events
from shared.events.envelope import Actor, Envelope, Role
from shared.events.intake import ConcernRaised
from shared.events.outcomes import (
    CaseEvent,
    CaseOpened,
    DesiredOutcomeExpressed,
    ExpressedBy,
    FormalActionBasis,
    FormalActionKind,
    FormalActionTaken,
    FormalActionWishesRecorded,
    WishesOverridden,
)

CATALOGUE = [
    "CaseOpened",
    "CaseMovedToPerson",
    "EnquiryStarted",
    "LeadWorkerAssigned",
    "CaseAllocated",
    "ConversationHeld",
    "DesiredOutcomeExpressed",
    "DesiredOutcomeRevised",
    "DesiredOutcomeWithdrawn",
    "OutcomeAgreed",
    "FormalActionWishesRecorded",
    "MentalCapacityAssessed",
    "AdvocateAppointed",
    "RiskDiscussionHeld",
    "MeetingArranged",
    "SafeguardingPlanAgreed",
    "WishesOverridden",
    "FormalActionTaken",
    "NextContactAgreed",
    "ReviewDateAgreed",
    "AgreedDateMissed",
    "OutcomesReviewed",
    "EnquiryConcluded",
    "CaseClosed",
    "RepeatConcernJoined",
    "DemographicsRecorded",
    "CaseNoteRecorded",
    "BestInterestsDecisionMade",
    "PlanActionCompleted",
    "EnquiryCeased",
]
FIXTURES = Path(__file__).parents[2] / "fixtures" / "events"


@pytest.mark.parametrize(
    "words",
    [
        "I want the abuse to stop – but I still want to see my son",
        "I want to know this won't happen to anyone else.",
        "  Dw i eisiau teimlo'n fwy diogel  ",
        "He said \"it's nothing\" — it ISN'T nothing!!\nI want an apology.\t",
        "Je veux me sentir en sécurité 🙂 (日本語も)",
    ],
)
def test_verbatim_outcome_text_survives_encode_and_decode_exactly(words: str) -> None:
    payload = DesiredOutcomeExpressed(
        case_id="case-1",
        person_id="person-1",
        desired_outcome_id="outcome-1",
        text=words,
        expressed_by=ExpressedBy.PERSON,
        expressed_at=datetime(2026, 3, 4, 10, tzinfo=UTC),
    )
    envelope = Envelope.record(
        payload,
        stream_id="case-1",
        stream_version=3,
        metadata=Metadata(actor=Actor(id="practitioner-asha", role=Role.PRACTITIONER)),
    )

    decoded = decode(encode(envelope)).payload

    assert isinstance(decoded, DesiredOutcomeExpressed)
    assert decoded.text == words
    assert decoded == payload


def test_every_outcomes_event_in_the_catalogue_is_registered() -> None:
    registered = registered_events()

    assert all(name in registered for name in CATALOGUE)


def test_every_outcomes_event_carries_the_person_and_the_case() -> None:
    registered = registered_events()

    for name in CATALOGUE:
        assert issubclass(registered[name], CaseEvent)
        assert {"case_id", "person_id"} <= set(registered[name].model_fields)


def _first_published_case() -> list[Envelope]:
    lines = (FIXTURES / "CaseEvents.v1-as-first-published.jsonl").read_text().splitlines()
    return [decode(line) for line in lines]


def test_case_events_as_first_published_still_load_with_their_new_fields_empty() -> None:
    events = [e.payload for e in _first_published_case()]

    opened, wish, _, overridden, taken, _ = events
    assert isinstance(opened, CaseOpened)
    assert opened.demographics is None
    assert isinstance(wish, FormalActionWishesRecorded)
    assert wish.recorded_by is None
    assert isinstance(overridden, WishesOverridden)
    assert overridden.override_id is None
    assert isinstance(taken, FormalActionTaken)
    assert (taken.authority_id, taken.taken_by) == (None, None)


def test_a_case_as_first_published_still_decides_by_todays_rule() -> None:
    """Its old override (on the capacity ground, before overrides were named) allowed one
    action, which was taken; its old consent does not say who heard it, so it cannot count."""
    history = [e.payload for e in _first_published_case()]
    assert all(isinstance(e, CaseEvent) for e in history)
    case = Case.from_history(
        [e for e in history if isinstance(e, CaseEvent)], now=datetime(2026, 3, 20, tzinfo=UTC)
    )
    colleague = Actor(id="practitioner-ben", role=Role.PRACTITIONER)

    with pytest.raises(FormalActionRefused):
        case.take_formal_action(
            colleague, FormalActionKind.POLICE, description="Again", requested_by="Ben"
        )
    assert case.formal_action.lacks_capacity_for(FormalActionKind.POLICE) is False
    [taken] = [e for e in history if isinstance(e, FormalActionTaken)]
    assert taken.basis is FormalActionBasis.WISHES_OVERRIDDEN


def test_a_concern_as_first_published_has_no_repeat_of() -> None:
    raised = decode((FIXTURES / "ConcernRaised.v1-as-first-published.json").read_bytes())

    assert isinstance(raised.payload, ConcernRaised)
    assert raised.payload.repeat_of_concern_id is None
