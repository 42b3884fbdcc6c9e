"""The person's timeline: what happened, what they said, what they were told, in order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.outcomes.domain import Case
from services.outcomes.read_models.timeline import EntryKind, Timeline, fold_timeline
from shared.events import Actor, Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import (
    Channel,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    informing_stream,
)
from shared.events.outcomes import CaseOpened
from tests.unit.outcomes.histories import THEIR_NEW_WORDS, THEIR_WORDS, a_whole_case


@pytest.fixture
def history(opened: CaseOpened, enquiry: Case, manager: Actor) -> list[Envelope]:
    return a_whole_case(opened, enquiry, manager)


def told(
    about: Envelope, *, version: int = 1, role: RecipientRole = RecipientRole.PERSON
) -> Envelope:
    person_id = str(about.payload.model_dump()["person_id"])
    return Envelope.record(
        PersonInformed(
            person_id=person_id,
            source_event_id=about.event_id,
            source_event_type=about.event_type,
            case_id=about.stream_id,
            recipient_role=role,
            channel=Channel.SMS,
            format=MessageFormat.STANDARD,
            informed_at=datetime(2026, 3, 3, 12, tzinfo=UTC),
            message_summary="Your enquiry has started",
        ),
        stream_id=informing_stream(person_id),
        stream_version=version,
        metadata=Metadata(actor=SYSTEM_ACTOR),
    )


def timeline(events: list[Envelope]) -> Timeline:
    return Timeline.model_validate(fold_timeline(events[0].stream_id, None, events))


def test_said_entries_are_the_persons_words_exactly_and_nothing_else(
    history: list[Envelope],
) -> None:
    said = [e.text for e in timeline(history).entries if e.kind is EntryKind.SAID]

    assert said == [
        THEIR_WORDS,
        "I want an apology",
        THEIR_NEW_WORDS,
        "He said sorry.",
        "Not the police, he's my son.",
        "I feel listened to.",
    ]


def test_what_the_person_was_told_appears_as_told_with_how_and_about_what(
    history: list[Envelope],
) -> None:
    started = history[1]

    entries = timeline([*history, told(started)]).entries

    [entry] = [e for e in entries if e.kind is EntryKind.TOLD]
    assert entry.text == (
        "You were told by text message about the start of the enquiry: Your enquiry has started"
    )
    assert entry.at == datetime(2026, 3, 3, 12, tzinfo=UTC)


def test_a_representative_being_told_says_so(history: list[Envelope]) -> None:
    entries = timeline([*history, told(history[1], role=RecipientRole.REPRESENTATIVE)]).entries

    assert any(e.text.startswith("Your representative was told") for e in entries)


def test_a_withdrawn_outcome_says_which_words_were_withdrawn(history: list[Envelope]) -> None:
    texts = [e.text for e in timeline(history).entries]

    assert "You said you no longer want an outcome: I want an apology" in texts


def test_entries_are_in_the_order_things_happened(history: list[Envelope]) -> None:
    entries = timeline([*history, told(history[1])]).entries

    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert entries[0].text.startswith("A safeguarding concern was raised about you")
    texts = [e.text for e in entries]
    assert texts.index("The safeguarding enquiry was concluded.") < texts.index(
        "Your case was closed: Outcomes met"
    )


def test_the_timeline_is_the_same_whichever_topic_arrives_first(history: list[Envelope]) -> None:
    case_id = history[0].stream_id
    notice = told(history[1])

    told_first = fold_timeline(case_id, fold_timeline(case_id, None, [notice]), history)
    told_last = fold_timeline(case_id, fold_timeline(case_id, None, history), [notice])

    assert told_first == told_last
