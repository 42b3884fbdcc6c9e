"""The MSP report's case summaries, folded batch by batch from the case's events and from
PersonInformed, agree with the domain's one-pass `summarise`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.outcomes.domain import (
    Case,
    CaseSummary,
    is_a_decision_the_person_is_told_about,
    summarise,
)
from services.outcomes.read_models.msp_report import fold_summary
from shared.events import Actor, Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import (
    Channel,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    informing_stream,
)
from shared.events.outcomes import CaseOpened, Participant, ParticipantRole
from tests.unit.outcomes.histories import a_whole_case, recorded


@pytest.fixture
def history(opened: CaseOpened, enquiry: Case, manager: Actor) -> list[Envelope]:
    return a_whole_case(opened, enquiry, manager)


def told_of(events: list[Envelope]) -> list[Envelope]:
    return [
        Envelope.record(
            PersonInformed(
                person_id="person-1",
                source_event_id=e.event_id,
                source_event_type=e.event_type,
                case_id=e.stream_id,
                recipient_role=RecipientRole.PERSON,
                channel=Channel.EMAIL,
                format=MessageFormat.STANDARD,
                informed_at=datetime(2026, 3, 28, tzinfo=UTC),
                message_summary="An update",
            ),
            stream_id=informing_stream("person-1"),
            stream_version=n,
            metadata=Metadata(actor=SYSTEM_ACTOR),
        )
        for n, e in enumerate(events, start=1)
    ]


def summary_of(document: dict[str, object]) -> CaseSummary:
    return CaseSummary.model_validate(document["summary"])


def test_folded_summary_equals_summarise_when_told_of_every_decision(
    history: list[Envelope],
) -> None:
    decisions = [e for e in history if is_a_decision_the_person_is_told_about(e)]
    told = told_of(decisions)

    folded = fold_summary(history[0].stream_id, None, [*history, *told])

    informed = {e.payload.model_dump()["source_event_id"] for e in told}
    assert summary_of(folded) == summarise(history, informed)
    assert summary_of(folded).informed_of_every_decision is True


@pytest.mark.parametrize("split", [1, 3, 8])
def test_folded_summary_equals_summarise_whatever_the_batches_and_order(
    history: list[Envelope], split: int
) -> None:
    case_id = history[0].stream_id
    told = told_of([e for e in history if is_a_decision_the_person_is_told_about(e)][:2])
    arrivals = [*told, *history]

    folded = fold_summary(case_id, fold_summary(case_id, None, arrivals[:split]), arrivals[split:])

    informed = {e.payload.model_dump()["source_event_id"] for e in told}
    assert summary_of(folded) == summarise(history, informed)
    assert summary_of(folded).informed_of_every_decision is False


def test_a_summary_waits_for_its_case_when_person_informed_arrives_first(
    history: list[Envelope],
) -> None:
    folded = fold_summary(history[0].stream_id, None, told_of(history[1:2]))

    assert folded["summary"] is None
    assert folded["informed"] == [history[1].event_id]


def test_a_summary_keeps_real_dates_for_the_period_query(history: list[Envelope]) -> None:
    folded = fold_summary(history[0].stream_id, None, history)

    assert isinstance(folded["ended_at"], datetime)
    assert folded["ended_at"] == summarise(history).ended_at


@pytest.mark.parametrize("invited", [True, False])
def test_a_meeting_is_a_decision_to_tell_the_person_only_when_they_are_invited(
    opened: CaseOpened, enquiry: Case, manager: Actor, invited: bool
) -> None:
    meeting = enquiry.arrange_meeting(
        meets_at=datetime(2026, 3, 12, 14, tzinfo=UTC),
        where_or_how="At her home",
        purpose="Plan review",
        invited=[Participant(role=ParticipantRole.PERSON, name="Margaret Hill")],
        person_invited=invited,
    )
    [recorded_meeting] = recorded([meeting], manager, first_version=3)

    assert is_a_decision_the_person_is_told_about(recorded_meeting) is invited
