"""No staff free text reaches any message. Whatever a member of staff types into a manager's
reasons, a meeting's place and purpose, a lead worker's or advocate's name and contact note, or
any other free-text field of a step, the message every recipient gets (letter, email subject,
text message, in every format) is written only from typed facts: the text never appears in it."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.notification.domain.messages import StepFacts
from services.notification.domain.policy import templates_in_use
from services.notification.domain.steps import CaseFacts, Step, step_for
from shared.events import Envelope
from shared.events.outcomes import (
    CaseEvent,
    FormalActionBasis,
    Participant,
    ParticipantRole,
    PlanAction,
)
from tests.unit.notification.letters import every_recipients_message
from tests.unit.notification.story import NOW, Story

MARKER = "zq 7#staff-note"
"""In every piece of free text. A space, a digit and a '#': no name, organisation, phone number
or email address looks like it, so nothing that holds it may pass as one."""
free_text = st.builds(
    lambda before, after: f"{before}{MARKER}{after}".strip() or MARKER,
    st.text(max_size=30),
    st.text(max_size=30),
)


def typed_again(envelope: Envelope, **changes: Any) -> Envelope:
    """The event with staff's text in the given fields, validated as the event type requires."""
    payload = envelope.payload
    changed = type(payload).model_validate(payload.model_dump() | changes)
    return envelope.model_copy(update={"payload": changed})


def a_case_full_of_free_text(story: Story, text: dict[str, str]) -> list[Envelope]:
    """Every step the person is told about, with staff's text in every free-text field."""
    raised = story.concern_raised()
    happened = raised.payload.model_dump()["what_happened"]
    involvement = raised.payload.model_dump()["involvement"]
    return [
        typed_again(
            raised,
            what_happened=happened | {"description": text["what_happened"]},
            involvement=involvement | {"person_own_words": text["own_words"]},
        ),
        typed_again(
            story.s42_decision_made(),
            rationale=text["rationale"],
            decided_by=text["manager"][:200],
        ),
        story.case_opened(),
        story.enquiry_started(),
        typed_again(
            story.lead_worker_assigned(),
            name=text["lead_worker_name"][:200],
            contact=text["lead_worker_contact"],
        ),
        typed_again(
            story.advocate_appointed(),
            name=text["advocate_name"][:200],
            organisation=text["advocate_organisation"][:200],
            substantial_difficulty=text["difficulty"],
            no_appropriate_person=text["no_appropriate_person"],
        ),
        typed_again(
            story.meeting_arranged(person_invited=True),
            where_or_how=text["meeting_place"],
            purpose=text["meeting_purpose"],
            invited=(Participant(role=ParticipantRole.PRACTITIONER, name=text["invited"][:200]),),
        ),
        typed_again(
            story.plan_agreed(),
            actions=(
                PlanAction(
                    description=text["plan_action"],
                    serves=("agreed-1",),
                    owner=text["plan_owner"][:200],
                    agreed_date=NOW.date(),
                ),
            ),
        ),
        story.outcomes_reviewed(),
        typed_again(
            story.wishes_overridden(person_told=True),
            reason=text["override_reason"],
            overridden_by=text["manager"][:200],
        ),
        typed_again(
            story.formal_action_taken(FormalActionBasis.PERSON_WANTS_IT),
            description=text["formal_action"],
            requested_by=text["lead_worker_name"][:200],
        ),
        typed_again(story.enquiry_concluded(), concluded_by=text["manager"][:200]),
        typed_again(
            story.case_closed(), reason=text["closing_reason"], person_view=text["own_words"]
        ),
    ]


def told_steps(story: Story, events: list[Envelope]) -> list[Step]:
    """Each event as notification meets it, with the case facts as they stand by then."""
    case = CaseFacts(case_id=story.case_id, person_id=story.person_id)
    steps = []
    for envelope in events:
        if isinstance(envelope.payload, CaseEvent):
            case = case.after(envelope)
        step = step_for(
            envelope,
            person_id=story.person_id,
            case=case if isinstance(envelope.payload, CaseEvent) else None,
            concern=None,
        )
        if step is not None and step.tell:
            steps.append(step)
    return steps


def every_message(template: str, facts: StepFacts) -> list[str]:
    """What every recipient could see of this message: heading, body, email subject, text."""
    return [
        words
        for rendered in every_recipients_message(template, facts).values()
        for words in (rendered.subject, rendered.body, rendered.email_subject, rendered.sms)
    ]


def merged(facts: list[StepFacts]) -> StepFacts:
    """Everything any step's message may say, at once."""
    values: dict[str, object] = {}
    for one in facts:
        values |= {name: value for name, value in one if value not in (None, (), False)}
    return StepFacts.model_validate(values)


FIELDS = (
    "what_happened",
    "own_words",
    "rationale",
    "manager",
    "lead_worker_name",
    "lead_worker_contact",
    "advocate_name",
    "advocate_organisation",
    "difficulty",
    "no_appropriate_person",
    "meeting_place",
    "meeting_purpose",
    "invited",
    "plan_action",
    "plan_owner",
    "override_reason",
    "formal_action",
    "closing_reason",
)


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(text=st.fixed_dictionaries({field: free_text for field in FIELDS}))
def test_no_staff_free_text_reaches_any_message(text: dict[str, str]) -> None:
    story = Story()
    steps = told_steps(story, a_case_full_of_free_text(story, text))
    assert {step.template for step in steps} == templates_in_use()
    facts = []
    for step in steps:
        assert step.facts is not None
        facts.append(step.facts)
        for words in every_message(str(step.template), step.facts):
            assert MARKER not in words
    everything = merged(facts)
    for template in sorted(templates_in_use()):
        for words in every_message(template, everything):
            assert MARKER not in words


def test_the_marker_would_be_seen_if_free_text_got_through() -> None:
    """The check above can fail: a name that is a name reaches the message."""
    story = Story()
    named = typed_again(story.lead_worker_assigned(), name="Zq Staffnote")
    [step] = told_steps(story, [story.case_opened(), named])
    assert step.facts is not None
    assert any(
        "Zq Staffnote" in words for words in every_message("lead_worker_assigned", step.facts)
    )
