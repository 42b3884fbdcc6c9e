"""Which events are steps in a person's case, what the policy says about each, and what a
message about it may say."""

from __future__ import annotations

from datetime import date

import pytest

from services.notification.domain.messages import render
from services.notification.domain.steps import CaseFacts, Council, message_context, step_for
from shared.events import Envelope
from shared.events.intake import NoFurtherActionRoute, S42Decision, S42DecisionMade
from shared.events.notification import MessageFormat
from shared.events.outcomes import FormalActionBasis
from tests.unit.notification.story import Story

COUNCIL = Council(
    name="Worcestershire County Council",
    contact_team="the adult safeguarding team",
    contact_details="01905 000000",
)


def facts_after(story: Story, *events: Envelope) -> CaseFacts:
    facts = CaseFacts(case_id=story.case_id, person_id=story.person_id)
    for event in events:
        facts = facts.after(event)
    return facts


def test_a_meeting_the_person_is_not_invited_to_is_not_messaged() -> None:
    story = Story()
    step = step_for(
        story.meeting_arranged(person_invited=False),
        person_id=story.person_id,
        case=None,
        concern=None,
    )
    assert step is not None
    assert (step.tell, step.why_not) == (False, "the person is not invited to this meeting")


def test_a_meeting_the_person_is_invited_to_is_messaged_within_a_day() -> None:
    story = Story()
    arranged = story.meeting_arranged(person_invited=True)
    step = step_for(arranged, person_id=story.person_id, case=None, concern=None)
    assert step is not None
    assert step.template == "meeting_arranged"
    assert step.deadline is not None
    assert (step.deadline - arranged.occurred_at).days == 1


def test_a_formal_action_after_an_override_judged_unsafe_to_tell_is_withheld_too() -> None:
    story = Story()
    case = facts_after(story, story.case_opened(), story.wishes_overridden(person_told=False))
    taken = story.formal_action_taken(FormalActionBasis.WISHES_OVERRIDDEN)
    step = step_for(taken, person_id=story.person_id, case=case, concern=None)
    assert step is not None
    assert step.unsafe_to_tell is not None
    assert step.unsafe_to_tell.why == "Her son reads her post and would know."


def test_a_formal_action_after_an_override_the_person_was_told_of_is_told() -> None:
    story = Story()
    case = facts_after(story, story.case_opened(), story.wishes_overridden(person_told=True))
    taken = story.formal_action_taken(FormalActionBasis.WISHES_OVERRIDDEN)
    step = step_for(taken, person_id=story.person_id, case=case, concern=None)
    assert step is not None
    assert step.unsafe_to_tell is None
    assert step.template == "formal_action_taken"


def test_an_event_with_no_person_to_tell_is_no_step() -> None:
    story = Story()
    assert step_for(story.concern_raised(), person_id=None, case=None, concern=None) is None


def test_case_facts_keep_the_reference_and_the_version_they_applied() -> None:
    story = Story()
    facts = facts_after(story, story.case_opened())
    assert (facts.reference, facts.concern_id, facts.version) == (
        story.reference,
        story.concern_id,
        1,
    )


def test_the_s42_decision_is_explained_in_plain_words_without_jargon() -> None:
    story = Story()
    decided = story.s42_decision_made(S42Decision.S42_ENQUIRY)
    context = message_context(
        decided,
        greeting_name="Mary Smith",
        reference=story.reference,
        format=MessageFormat.EASY_READ,
        case=None,
        council=COUNCIL,
    )
    message = render("s42_decision", MessageFormat.EASY_READ, context)
    assert "We will find out what happened.\nWe will ask you what you want to happen." in (
        message.body
    )
    assert "s42" not in message.body.casefold()
    assert message.body.startswith("Hello Mary.\n")


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
    context = message_context(
        decided.model_copy(update={"payload": payload}),
        greeting_name="Mary",
        reference=story.reference,
        format=format,
        case=None,
        council=COUNCIL,
    )
    assert context.decision


def test_a_message_names_the_lead_worker_the_case_has() -> None:
    story = Story()
    case = facts_after(story, story.case_opened()).model_copy(
        update={
            "lead_worker_name": "Sam Jones",
            "lead_worker_contact": "01905 111111",
            "review_on": date(2026, 6, 1),
        }
    )
    context = message_context(
        story.formal_action_taken(FormalActionBasis.PERSON_WANTS_IT),
        greeting_name="Mary Smith",
        reference=story.reference,
        format=MessageFormat.STANDARD,
        case=case,
        council=COUNCIL,
    )
    message = render("formal_action_taken", MessageFormat.STANDARD, context)
    assert "The police have been told about what happened." in message.body
    assert "Your lead worker, Sam Jones" in message.body


def test_a_detail_too_long_for_a_message_is_refused_rather_than_cut() -> None:
    story = Story()
    overridden = story.wishes_overridden(person_told=True)
    long_reason = overridden.payload.model_copy(update={"reason": "x" * 2001})
    with pytest.raises(ValueError, match="does not fit"):
        message_context(
            overridden.model_copy(update={"payload": long_reason}),
            greeting_name="Mary",
            reference=story.reference,
            format=MessageFormat.STANDARD,
            case=None,
            council=COUNCIL,
        )
