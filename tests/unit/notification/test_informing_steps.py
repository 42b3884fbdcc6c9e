"""Which events are steps in a person's case, what the policy says about each, and what a
message about it may say (typed facts only, never staff free text)."""

from __future__ import annotations

from datetime import date

import pytest

from services.notification.domain.messages import StepFacts
from services.notification.domain.steps import (
    CaseFacts,
    ConcernFacts,
    moves_concern,
    person_of,
    step_for,
)
from shared.events import Envelope
from shared.events.intake import NoFurtherActionRoute, S42Decision, S42DecisionMade
from shared.events.notification import MessageFormat
from shared.events.outcomes import (
    ExperienceAnswer,
    FormalActionBasis,
    FormalActionKind,
    MeetingArranged,
    MeetingFormat,
    StatutoryGround,
)
from tests.unit.notification.letters import message
from tests.unit.notification.records import case_facts, step_of
from tests.unit.notification.story import Story


def facts_of(envelope: Envelope, story: Story, case: CaseFacts | None = None) -> StepFacts:
    facts = step_of(envelope, story, case=case).facts
    assert facts is not None
    return facts


def persons_message(facts: StepFacts, template: str, format: MessageFormat) -> str:
    return message(template, facts, format=format).body


def test_a_meeting_the_person_is_not_invited_to_is_not_messaged() -> None:
    story = Story()
    step = step_of(story.meeting_arranged(person_invited=False), story)
    assert (step.tell, step.why_not, step.facts) == (
        False,
        "the person is not invited to this meeting",
        None,
    )


def test_a_meeting_the_person_is_invited_to_is_messaged_within_a_day() -> None:
    story = Story()
    arranged = story.meeting_arranged(person_invited=True)
    step = step_of(arranged, story)
    assert step.template == "meeting_arranged"
    assert step.deadline is not None
    assert (step.deadline - arranged.occurred_at).days == 1


def test_a_meeting_message_may_say_when_and_how_but_not_where_or_what_for() -> None:
    story = Story()
    arranged = story.meeting_arranged(person_invited=True)
    assert isinstance(arranged.payload, MeetingArranged)
    by_video = arranged.model_copy(
        update={"payload": arranged.payload.model_copy(update={"format": MeetingFormat.VIDEO})}
    )
    facts = facts_of(by_video, story)
    assert (facts.meeting_at, facts.meeting_format) == (
        arranged.payload.meets_at,
        MeetingFormat.VIDEO,
    )
    body = persons_message(facts, "meeting_arranged", MessageFormat.STANDARD)
    assert "How: by video call" in body
    assert "Your home" not in body
    assert "Your plan" not in body


def test_a_formal_action_after_an_override_judged_unsafe_to_tell_is_withheld_too() -> None:
    story = Story()
    case = case_facts(story, story.wishes_overridden(person_told=False))
    taken = story.formal_action_taken(FormalActionBasis.WISHES_OVERRIDDEN)
    step = step_of(taken, story, case=case)
    assert step.unsafe_to_tell is not None
    assert step.unsafe_to_tell.why == "Her son reads her post and would know."


def test_a_formal_action_after_an_override_the_person_was_told_of_is_told() -> None:
    story = Story()
    case = case_facts(story, story.wishes_overridden(person_told=True))
    taken = story.formal_action_taken(FormalActionBasis.WISHES_OVERRIDDEN)
    step = step_of(taken, story, case=case)
    assert step.unsafe_to_tell is None
    assert step.template == "formal_action_taken"


def test_an_event_with_no_person_to_tell_is_no_step() -> None:
    story = Story()
    assert step_for(story.concern_raised(), person_id=None, case=None, concern=None) is None


def test_case_facts_keep_the_reference_and_the_version_they_applied() -> None:
    story = Story()
    facts = case_facts(story)
    assert (facts.reference, facts.concern_id, facts.version) == (
        story.reference,
        story.concern_id,
        1,
    )


def test_an_override_message_gives_the_statutory_grounds_never_the_managers_words() -> None:
    story = Story()
    facts = facts_of(story.wishes_overridden(person_told=True), story, case_facts(story))
    assert (facts.formal_action, facts.override_grounds) == (
        FormalActionKind.POLICE,
        (StatutoryGround.OTHERS_AT_RISK,),
    )
    body = persons_message(facts, "wishes_overridden", MessageFormat.STANDARD)
    assert "other people may be at risk" in body
    assert "same man" not in body


def test_an_override_message_does_not_claim_a_wish_that_was_not_recorded() -> None:
    story = Story()
    facts = facts_of(story.wishes_overridden(person_told=True), story, case_facts(story))
    for format in MessageFormat:
        body = persons_message(facts, "wishes_overridden", format)
        assert "You told us you did not want" not in body


def test_the_s42_decision_is_explained_in_plain_words_without_jargon() -> None:
    story = Story()
    facts = facts_of(story.s42_decision_made(S42Decision.S42_ENQUIRY), story)
    body = persons_message(facts, "s42_decision", MessageFormat.EASY_READ)
    assert "We will find out what happened.\nWe will ask you what you want to happen." in body
    assert "s42" not in body.casefold()
    assert "cannot protect herself" not in body
    assert body.startswith("Hello Mary.\n")


@pytest.mark.parametrize("route", list(NoFurtherActionRoute))
@pytest.mark.parametrize("format", list(MessageFormat))
def test_every_no_further_action_route_has_words_in_every_format(
    route: NoFurtherActionRoute, format: MessageFormat
) -> None:
    story = Story()
    decided = story.s42_decision_made(S42Decision.NO_FURTHER_ACTION)
    assert isinstance(decided.payload, S42DecisionMade)
    payload = decided.payload.model_copy(
        update={"route": route, "failed_criterion": "unable_to_protect_themselves"}
    )
    facts = facts_of(decided.model_copy(update={"payload": payload}), story)
    assert facts.no_further_action_route is route
    body = persons_message(facts, "s42_decision", format)
    assert "We will not" in body


def test_a_message_names_the_lead_worker_the_case_has() -> None:
    story = Story()
    case = case_facts(story, story.lead_worker_assigned()).model_copy(
        update={"review_on": date(2026, 6, 1)}
    )
    facts = facts_of(story.formal_action_taken(FormalActionBasis.PERSON_WANTS_IT), story, case)
    body = persons_message(facts, "formal_action_taken", MessageFormat.STANDARD)
    assert "The police have been told about what happened." in body
    assert "Your lead worker is Sam Jones. You can contact them on 01905 111111." in body
    assert "public protection unit" not in body


@pytest.mark.parametrize(
    "contact", ["01905 111111", "+44 1905 111111", "(01905) 111-111", "sam.jones@worcs.gov.uk"]
)
def test_a_lead_workers_phone_or_email_is_kept(contact: str) -> None:
    story = Story()
    facts = facts_of(story.lead_worker_assigned(contact=contact), story, case_facts(story))
    assert facts.lead_worker_contact == contact


@pytest.mark.parametrize(
    "contact",
    [
        "Ring the duty desk after 3pm, ask for Sam",
        "01905 111111 (not when her son is there)",
        "sam.jones@worcs.gov.uk or via her GP",
        "Use the back door",
    ],
)
def test_a_lead_workers_contact_note_that_is_not_plainly_a_phone_or_email_is_left_out(
    contact: str,
) -> None:
    story = Story()
    facts = facts_of(story.lead_worker_assigned(contact=contact), story, case_facts(story))
    assert facts.lead_worker_contact is None
    assert facts.lead_worker_name == "Sam Jones"
    body = persons_message(facts, "lead_worker_assigned", MessageFormat.STANDARD)
    assert contact not in body
    assert "Sam Jones is your lead worker" in body


@pytest.mark.parametrize("name", ["Siobhán O'Brien", "Anne-Marie Jones", "Dr Sam Okafor"])
def test_a_lead_workers_name_is_kept_as_written(name: str) -> None:
    story = Story()
    facts = facts_of(story.lead_worker_assigned(name=name), story, case_facts(story))
    assert facts.lead_worker_name == name


@pytest.mark.parametrize(
    "name",
    [
        "Sam Jones 07700 900123",
        "Sam (off until 3rd)",
        "Sam: see note",
        "x" * 101,
    ],
)
def test_a_lead_workers_name_holding_anything_but_a_name_is_left_out_not_cut(name: str) -> None:
    story = Story()
    facts = facts_of(story.lead_worker_assigned(name=name), story, case_facts(story))
    assert facts.lead_worker_name is None
    body = persons_message(facts, "lead_worker_assigned", MessageFormat.STANDARD)
    assert "We have named a lead worker for you." in body
    assert name[:20] not in body


def test_a_review_keeps_the_persons_own_ratings_and_how_safe_they_feel() -> None:
    story = Story()
    facts = facts_of(story.outcomes_reviewed(), story, case_facts(story))
    assert facts.ratings is not None
    assert (facts.ratings.fully, facts.ratings.partly, facts.ratings.not_achieved) == (1, 1, 1)
    assert (facts.feels_safer, facts.final_review) == (ExperienceAnswer.PARTLY, False)


# --- whose step it is ---------------------------------------------------------------------------


def test_a_practitioners_unlink_is_a_first_contact_step_for_the_new_person() -> None:
    story = Story()
    unlinked = story.unlinked(new_person_id="person-right")
    step = step_for(
        unlinked, person_id=person_of(unlinked.payload, None, None), case=None, concern=None
    )
    assert step is not None
    assert (step.person_id, step.template, step.concern_id) == (
        "person-right",
        "concern_received",
        story.concern_id,
    )
    assert step.deadline is not None
    assert (step.deadline - unlinked.occurred_at).days == 2
    assert not step.advocate_told


def test_a_practitioners_relink_is_a_first_contact_step_for_the_person_now_linked() -> None:
    story = Story()
    relinked = story.linked_by_hand(to="person-right")
    assert moves_concern(relinked.payload)
    step = step_for(
        relinked, person_id=person_of(relinked.payload, None, None), case=None, concern=None
    )
    assert step is not None
    assert (step.person_id, step.template) == ("person-right", "concern_received")


def test_recognising_the_person_when_the_concern_is_raised_is_not_a_move() -> None:
    story = Story()
    linked = story.linked_when_raised()
    assert not moves_concern(linked.payload)
    step = step_of(linked, story)
    assert (step.tell, step.why_not) == (False, "internal record keeping")


def test_a_relink_to_the_same_person_is_not_a_move() -> None:
    story = Story()
    assert not moves_concern(story.linked_by_hand(to=story.person_id).payload)


def test_after_a_move_the_concerns_current_person_is_whose_case_it_is() -> None:
    story = Story()
    concern = ConcernFacts(concern_id=story.concern_id, person_id=story.person_id)
    moved = concern.after(story.unlinked(new_person_id="person-right"))
    late_case_event = story.lead_worker_assigned()
    stale_case = case_facts(story)
    assert moved.person_id == "person-right"
    assert person_of(late_case_event.payload, stale_case, moved) == "person-right"
    assert person_of(late_case_event.payload, stale_case, None) == story.person_id


def test_a_repeat_concerns_raising_is_not_told_it_is_told_with_the_one_it_repeats() -> None:
    story, original = Story(), Story()
    concern = ConcernFacts(concern_id=story.concern_id, person_id=story.person_id)
    repeat = concern.after(story.repeat_linked(of=original))
    assert repeat.repeat_of == original.concern_id
    step = step_of(story.concern_raised(), story, concern=repeat)
    assert (step.tell, step.why_not) == (False, "a repeat of a concern the person is told about")


def test_a_concern_that_repeats_nothing_is_told() -> None:
    story = Story()
    concern = ConcernFacts(concern_id=story.concern_id, person_id=story.person_id)
    step = step_of(story.concern_raised(), story, concern=concern)
    assert (step.tell, step.template) == (True, "concern_received")
