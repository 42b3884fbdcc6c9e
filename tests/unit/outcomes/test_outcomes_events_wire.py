"""The outcomes events as they travel: registered, and the person's words unchanged by the
journey."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.events import Metadata, decode, encode, registered_events
from shared.events.envelope import Actor, Envelope, Role
from shared.events.outcomes import CaseEvent, DesiredOutcomeExpressed, ExpressedBy

CATALOGUE = [
    "CaseOpened",
    "CaseMovedToPerson",
    "EnquiryStarted",
    "LeadWorkerAssigned",
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
]


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
