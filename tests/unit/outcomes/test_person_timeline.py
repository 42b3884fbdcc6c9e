"""The person's timeline: what happened, what was said and by whom, what they were told, in
order, written to one reader (the person); case notes between professionals for staff."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.outcomes.domain import Case
from services.outcomes.read_models.timeline import (
    EntryKind,
    Timeline,
    TimelineEntry,
    fold_timeline,
)
from shared.events import Actor, Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import (
    Channel,
    InformingWithheld,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    WithholdingReason,
    informing_stream,
)
from shared.events.outcomes import (
    CaseOpened,
    CeasedReason,
    ContactMode,
    ExpressedBy,
    FormalActionKind,
    Professional,
    RiskDetail,
    SacCaseDetails,
    StatutoryGround,
    Wish,
)
from shared.sac import (
    ActionTakenAndResult,
    MentalCapacity,
    MspAsked,
    RiskLocation,
    RiskSource,
    RiskType,
)
from tests.unit.outcomes.histories import THEIR_NEW_WORDS, THEIR_WORDS, a_whole_case, at, recorded


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
            message_summary="the enquiry about them has started",
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


def test_each_said_entry_says_who_spoke_and_what_it_was_about(history: list[Envelope]) -> None:
    said = [(e.said_by, e.about) for e in timeline(history).entries if e.kind is EntryKind.SAID]

    assert said == [
        (ExpressedBy.PERSON, "the outcome wanted"),
        (ExpressedBy.PERSON, "the outcome wanted"),
        (ExpressedBy.PERSON, "the outcome wanted, changed"),
        (ExpressedBy.PERSON, "an outcome no longer wanted"),
        (ExpressedBy.PERSON, "a police referral"),
        (ExpressedBy.PERSON, "closing the case"),
    ]


def test_a_wish_about_formal_action_says_which_action_it_was_about(
    history: list[Envelope],
) -> None:
    texts = [e.text for e in timeline(history).entries]

    assert "You said you do not want a police referral." in texts


def _events(opened: CaseOpened, case: Case, actor: Actor) -> list[Envelope]:
    return recorded([opened, *case.pending_events], actor)


def test_a_representatives_words_are_shown_as_theirs_never_as_the_persons(
    opened: CaseOpened, enquiry: Case, practitioner: Actor
) -> None:
    enquiry.express_desired_outcome(
        text="I want Mum to move in with me", expressed_by=ExpressedBy.REPRESENTATIVE
    )
    enquiry.record_formal_action_wishes(
        practitioner,
        FormalActionKind.POLICE,
        wish=Wish.WANTS,
        in_their_words="Call the police on him.",
        expressed_by=ExpressedBy.REPRESENTATIVE,
    )

    entries = timeline(_events(opened, enquiry, practitioner)).entries

    said = {e.text: e.said_by for e in entries if e.kind is EntryKind.SAID}
    assert said["I want Mum to move in with me"] is ExpressedBy.REPRESENTATIVE
    assert said["Call the police on him."] is ExpressedBy.REPRESENTATIVE
    assert (
        "Your representative said they want a police referral. This is their view, recorded as "
        "theirs; only you can give your own."
    ) in [e.text for e in entries]


def test_every_entry_but_case_notes_is_written_to_the_person(history: list[Envelope]) -> None:
    entries = timeline([*history, told(history[1], role=RecipientRole.REPRESENTATIVE)]).entries

    for entry in entries:
        if entry.kind in (EntryKind.HAPPENED, EntryKind.TOLD):
            assert "about them" not in entry.text
            assert " they " not in f" {entry.text} " or "said they" in entry.text


def test_a_case_note_is_on_the_timeline_for_staff_only(
    opened: CaseOpened, enquiry: Case, practitioner: Actor
) -> None:
    enquiry.record_case_note(
        contact_with=[Professional(name="Dr Amir Shah", role="GP", organisation="Severn Surgery")],
        mode=ContactMode.PHONE,
        what_was_said="Two missed appointments.",
        what_was_agreed="The GP sees her alone next time.",
        recorded_by="Asha Patel",
    )

    [note] = [
        e
        for e in timeline(_events(opened, enquiry, practitioner)).entries
        if e.kind is EntryKind.NOTE
    ]

    assert note.text == (
        "Case note, for staff only. Phone call with Dr Amir Shah (GP, Severn Surgery), recorded "
        "by Asha Patel. Said: Two missed appointments. Agreed: The GP sees her alone next time."
    )


def test_a_repeat_report_of_the_incident_is_on_the_timeline_with_her_words(
    opened: CaseOpened, case: Case, practitioner: Actor
) -> None:
    case.join_repeat_concern(
        concern_id="concern-2",
        reference="SG-2026-BBBBBB",
        concern_raised_at=datetime(2026, 3, 5, 9, tzinfo=UTC),
        persons_own_words="He came back for the card.",
    )

    entries = timeline(_events(opened, case, practitioner)).entries

    texts = [(e.kind, e.text, e.said_by) for e in entries]
    assert (
        EntryKind.HAPPENED,
        "Another concern about the same incident was raised (reference SG-2026-BBBBBB); it is "
        "dealt with in this case.",
        None,
    ) in texts
    assert (EntryKind.SAID, "He came back for the card.", ExpressedBy.PERSON) in texts


def test_an_action_taken_says_on_what_it_was_taken(
    opened: CaseOpened, enquiry: Case, practitioner: Actor, manager: Actor
) -> None:
    enquiry.override_wishes(
        manager,
        FormalActionKind.POLICE,
        grounds=[StatutoryGround.OTHERS_AT_RISK],
        reason="He is taking money from other neighbours too",
        person_told=True,
    )
    enquiry.take_formal_action(
        practitioner, FormalActionKind.POLICE, description="Referral", requested_by="Asha"
    )

    texts = [e.text for e in timeline(_events(opened, enquiry, practitioner)).entries]

    assert (
        "A police referral was made (a safeguarding manager decided it against your wishes): "
        "Referral"
    ) in texts


def test_an_enquiry_that_ceased_says_why_to_the_person(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    enquiry.cease_enquiry(
        manager,
        reason=CeasedReason.PERSONS_REQUEST,
        explanation="She asked us to stop.",
        persons_view="Please leave it now.",
        case_details=SacCaseDetails(
            risks=(
                RiskDetail(
                    risk_type=RiskType.PHYSICAL,
                    location=RiskLocation.OWN_HOME,
                    source=RiskSource.KNOWN_TO_INDIVIDUAL,
                ),
            ),
            action_taken_and_result=ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST,
            mental_capacity=MentalCapacity.DID_NOT_LACK_CAPACITY,
        ),
        msp_asked=MspAsked.ASKED_NONE_EXPRESSED,
    )

    entries = timeline(_events(opened, enquiry, manager)).entries

    texts = [(e.kind, e.text) for e in entries]
    assert (
        EntryKind.HAPPENED,
        "The safeguarding enquiry stopped before its conclusion, as you asked.",
    ) in texts
    assert (EntryKind.SAID, "Please leave it now.") in texts


def test_what_the_person_was_told_appears_as_told_with_how_and_about_what(
    history: list[Envelope],
) -> None:
    started = history[1]

    entries = timeline([*history, told(started)]).entries

    [entry] = [e for e in entries if e.kind is EntryKind.TOLD]
    assert entry.text == "You were told by text message about the start of the enquiry."
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


def overridden(
    opened: CaseOpened, enquiry: Case, manager: Actor, *, person_told: bool
) -> list[Envelope]:
    """The case's history once a manager overrode her wishes about the police, and the
    referral was made."""
    enquiry.record_formal_action_wishes(
        manager,
        FormalActionKind.POLICE,
        wish=Wish.DOES_NOT_WANT,
        in_their_words="Not the police, he's my son.",
        expressed_by=ExpressedBy.PERSON,
        recorded_at=at(4),
    )
    enquiry.override_wishes(
        manager,
        FormalActionKind.POLICE,
        grounds=[StatutoryGround.OTHERS_AT_RISK],
        reason="Other older people in the street are at risk from the same man.",
        person_told=person_told,
        why_not_told=None if person_told else "Her son reads her post and would know.",
    )
    enquiry.take_formal_action(
        manager,
        FormalActionKind.POLICE,
        description="Referred to the public protection unit.",
        requested_by="Asha Patel",
        taken_at=at(6),
    )
    return recorded([opened, *enquiry.pending_events], manager)


def withheld(about: Envelope, *, version: int = 1) -> Envelope:
    person_id = str(about.payload.model_dump()["person_id"])
    return Envelope.record(
        InformingWithheld(
            person_id=person_id,
            source_event_id=about.event_id,
            source_event_type=about.event_type,
            case_id=about.stream_id,
            reason=WithholdingReason.RISK_TO_PERSON,
            reason_text="Her son reads her post and would know.",
            review_date=date(2026, 4, 2),
            decided_by=SYSTEM_ACTOR,
        ),
        stream_id=informing_stream(person_id),
        stream_version=version,
        metadata=Metadata(actor=SYSTEM_ACTOR),
    )


def entry_for(timeline: Timeline, starts: str) -> TimelineEntry:
    [entry] = [e for e in timeline.entries if e.text.startswith(starts)]
    return entry


def test_an_override_the_manager_judged_unsafe_to_tell_is_marked_and_left_out_of_her_view(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    history = overridden(opened, enquiry, manager, person_told=False)
    whole = timeline(history)
    assert entry_for(whole, "A safeguarding manager decided").withheld_from_person
    her_view = [e.text for e in whole.as_the_person_may_see_it().entries]
    assert not any(text.startswith("A safeguarding manager decided") for text in her_view)
    assert "Not the police, he's my son." in her_view


def test_an_override_she_was_told_of_is_in_her_view(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    history = overridden(opened, enquiry, manager, person_told=True)
    whole = timeline(history)
    assert not entry_for(whole, "A safeguarding manager decided").withheld_from_person
    her_view = [e.text for e in whole.as_the_person_may_see_it().entries]
    assert any(text.startswith("A safeguarding manager decided") for text in her_view)


def test_a_step_notification_withheld_from_her_is_marked_and_left_out_of_her_view(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    history = overridden(opened, enquiry, manager, person_told=False)
    taken = history[-1]
    whole = timeline([*history, withheld(taken)])
    assert entry_for(whole, "A police referral was made").withheld_from_person
    her_view = whole.as_the_person_may_see_it()
    assert not any(e.text.startswith("A police referral was made") for e in her_view.entries)
    assert len(whole.entries) - len(her_view.entries) == 2


def test_a_step_not_withheld_stays_in_her_view(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    history = overridden(opened, enquiry, manager, person_told=True)
    whole = timeline(history)
    assert not entry_for(whole, "A police referral was made").withheld_from_person
    assert whole.as_the_person_may_see_it() == whole


def test_a_withholding_that_arrives_before_its_step_still_marks_it(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    history = overridden(opened, enquiry, manager, person_told=False)
    case_id = history[0].stream_id
    notice = withheld(history[-1])
    withheld_first = fold_timeline(case_id, fold_timeline(case_id, None, [notice]), history)
    withheld_last = fold_timeline(case_id, fold_timeline(case_id, None, history), [notice])
    assert withheld_first == withheld_last
    assert entry_for(
        Timeline.model_validate(withheld_first), "A police referral was made"
    ).withheld_from_person


def test_a_case_moved_to_the_right_person_is_their_timeline(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    enquiry.move_to_person("person-9e8d7c6b-0000-4000-8000-000000000002")
    moved = timeline(recorded([opened, *enquiry.pending_events], manager))
    assert moved.person_id == "person-9e8d7c6b-0000-4000-8000-000000000002"
    assert timeline(recorded([opened], manager)).person_id == opened.person_id
