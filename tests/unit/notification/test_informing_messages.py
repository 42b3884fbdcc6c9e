"""The words recipients receive: each their own message (the person's to the person; a
representative's or advocate's to them, about the person), plain English, easy read when the
person needs it, discreet on a lock screen, nothing about the alleged source of risk, and nothing
half-filled."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from jinja2 import meta
from pydantic import ValidationError

from services.notification.domain.messages import (
    SMS_LIMIT,
    TEMPLATE_VARIABLES,
    TEMPLATES,
    Audience,
    MessageContext,
    MissingMessageDetail,
    Ratings,
    RenderedMessage,
    StepFacts,
    context_for,
    environment,
    formats_for,
    is_discreet,
    template_file,
    template_source,
)
from services.notification.domain.policy import templates_in_use
from shared.events.intake import S42Decision
from shared.events.notification import MessageFormat, RecipientRole
from shared.events.outcomes import (
    ExperienceAnswer,
    FormalActionKind,
    MeetingFormat,
    StatutoryGround,
)
from shared.sac import ActionTakenAndResult, RiskOutcome
from tests.unit.notification import letters
from tests.unit.notification.letters import COUNCIL, audience_of

FACTS = StepFacts(
    reference="SG-2026-4F7K2Q",
    s42_decision=S42Decision.S42_ENQUIRY,
    lead_worker_name="Sam Jones",
    lead_worker_contact="01905 111111",
    advocate_name="Asha Patel",
    advocate_organisation="Worcestershire Advocacy",
    meeting_at=datetime(2026, 6, 10, 13, 30, tzinfo=UTC),
    meeting_format=MeetingFormat.IN_PERSON,
    formal_action=FormalActionKind.POLICE,
    override_grounds=(StatutoryGround.OTHERS_AT_RISK, StatutoryGround.COERCION_OR_CONTROL),
    ratings=Ratings(fully=1, partly=1, not_achieved=1),
    feels_safer=ExperienceAnswer.PARTLY,
    conclusion=ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
    risk_outcome=RiskOutcome.RISK_REDUCED,
    review_on=date(2026, 9, 1),
    next_contact_on=date(2026, 6, 1),
)
TEMPLATES_IN_USE = sorted(templates_in_use())
JARGON = ("s42", "section 42", "enquiry", "safeguarding", "outcome", "advocate", "mental capacity")
SUPPORTERS = (RecipientRole.REPRESENTATIVE, RecipientRole.ADVOCATE)
EVERY_MESSAGE = [
    (template, role, format)
    for template in TEMPLATES_IN_USE
    for role in RecipientRole
    for format in formats_for(audience_of(role))
]


def message(
    template: str,
    role: RecipientRole = RecipientRole.PERSON,
    format: MessageFormat = MessageFormat.STANDARD,
    *,
    facts: StepFacts = FACTS,
    recipient_name: str | None = None,
) -> RenderedMessage:
    return letters.message(template, facts, role, format, recipient_name=recipient_name)


def written_words(source: str) -> str:
    """The template's own wording: each {{ detail }} counts as one word, {% tags %} as none."""
    return re.sub(r"\{\{.*?\}\}", "X", re.sub(r"\{%.*?%\}", "", source))


def opening(body: str) -> str:
    """What a mail app's preview shows of an email: its first two paragraphs."""
    return "\n\n".join(body.split("\n\n")[:2])


def test_easy_read_preference_renders_the_easy_read_text() -> None:
    rendered = message("enquiry_started", format=MessageFormat.EASY_READ)
    assert rendered.subject == "We will find out what happened"
    assert rendered.body.startswith("Hello Mary.\n\n")
    assert "\nWe will find out what happened.\n" in rendered.body


def test_standard_format_renders_the_standard_text() -> None:
    rendered = message("enquiry_started")
    assert rendered.subject == "We are looking into what happened – reference SG-2026-4F7K2Q"
    assert rendered.body.startswith("Dear Mary,\n")


@pytest.mark.parametrize(("template", "role", "format"), EVERY_MESSAGE)
def test_every_message_has_a_subject_and_a_body(
    template: str, role: RecipientRole, format: MessageFormat
) -> None:
    rendered = message(template, role, format)
    assert rendered.subject
    assert "Subject:" not in rendered.body
    assert "None" not in rendered.body
    assert (rendered.template, rendered.format) == (template, format)


@pytest.mark.parametrize("template", TEMPLATES_IN_USE)
def test_the_persons_message_greets_them_and_speaks_to_them(template: str) -> None:
    for format in MessageFormat:
        rendered = message(template, format=format)
        assert rendered.audience is Audience.PERSON
        assert rendered.body.startswith(("Dear Mary,\n", "Hello Mary.\n"))
        assert "Mary Smith's" not in rendered.body


@pytest.mark.parametrize("template", TEMPLATES_IN_USE)
@pytest.mark.parametrize(
    ("role", "as_who"),
    [
        (RecipientRole.REPRESENTATIVE, "representative"),
        (RecipientRole.ADVOCATE, "independent advocate"),
    ],
)
def test_a_supporters_message_is_written_to_them_as_themselves_about_the_person(
    template: str, role: RecipientRole, as_who: str
) -> None:
    rendered = message(template, role)
    assert rendered.audience is Audience.SUPPORTER
    assert rendered.body.startswith("Dear Ruth Smith,\n")
    assert f"We are writing to you as Mary Smith's {as_who}." in rendered.body
    assert not re.search(r"(Dear|Hello) Mary\b", rendered.body)
    assert "about you" not in rendered.body
    assert "your safety" not in rendered.body


@pytest.mark.parametrize("role", SUPPORTERS)
def test_a_supporter_who_asked_for_easy_read_still_gets_their_own_standard_message(
    role: RecipientRole,
) -> None:
    rendered = message("case_closed", role, MessageFormat.EASY_READ)
    assert (rendered.audience, rendered.format) == (Audience.SUPPORTER, MessageFormat.STANDARD)
    assert rendered.body.startswith("Dear Ruth Smith,\n")


def test_a_representative_is_told_of_the_advocate_not_that_they_are_the_advocate() -> None:
    rendered = message("advocate_appointed", RecipientRole.REPRESENTATIVE)
    assert "You have been appointed" not in rendered.body
    assert "Asha Patel" in rendered.body


def test_the_advocate_is_told_they_were_appointed() -> None:
    rendered = message("advocate_appointed", RecipientRole.ADVOCATE, recipient_name="Asha Patel")
    assert rendered.body.startswith("Dear Asha Patel,\n")
    assert "You have been appointed as Mary's independent advocate." in rendered.body


@pytest.mark.parametrize(("template", "role", "format"), EVERY_MESSAGE)
def test_the_email_subject_and_text_message_say_nothing_of_the_case(
    template: str, role: RecipientRole, format: MessageFormat
) -> None:
    rendered = message(template, role, format)
    assert rendered.email_subject == "A private message from Worcestershire County Council"
    assert rendered.sms == (
        "Worcestershire County Council has a private message for you. "
        "Please contact us: 01905 000000"
    )
    assert len(rendered.sms) <= SMS_LIMIT
    assert is_discreet(rendered.email_subject)
    assert is_discreet(rendered.sms)
    assert "Mary" not in rendered.sms
    assert "SG-2026" not in rendered.sms


@pytest.mark.parametrize(("template", "role", "format"), EVERY_MESSAGE)
def test_an_emails_opening_lines_say_nothing_of_the_case(
    template: str, role: RecipientRole, format: MessageFormat
) -> None:
    first = opening(message(template, role, format).body)
    assert "private message" in first
    assert is_discreet(first), first


@pytest.mark.parametrize(
    "text",
    [
        "About a concern",
        "Your safeguarding enquiry",
        "The police",
        "RISK to you",
        "We are investigating",
        "abuse",
        "Our enquiries",
    ],
)
def test_a_line_that_says_what_the_message_is_about_is_not_discreet(text: str) -> None:
    assert not is_discreet(text)


def test_the_letter_heading_may_say_what_it_is_about_but_only_inside_the_envelope() -> None:
    rendered = message("concern_received")
    assert not is_discreet(rendered.subject)
    assert is_discreet(rendered.email_subject)


@pytest.mark.parametrize("template", TEMPLATES_IN_USE)
def test_easy_read_uses_no_jargon(template: str) -> None:
    source = template_source(template, Audience.PERSON, MessageFormat.EASY_READ)
    words = written_words(source).casefold()
    assert [term for term in JARGON if term in words] == []


@pytest.mark.parametrize("template", TEMPLATES_IN_USE)
def test_easy_read_keeps_to_short_sentences_one_idea_per_line(template: str) -> None:
    prose = written_words(template_source(template, Audience.PERSON, MessageFormat.EASY_READ))
    long_lines = [line for line in prose.splitlines() if len(line.split()) > 12]
    assert long_lines == []


@pytest.mark.parametrize(("template", "role", "format"), EVERY_MESSAGE)
def test_templates_can_only_use_what_a_message_may_say(
    template: str, role: RecipientRole, format: MessageFormat
) -> None:
    parsed = environment().parse(template_source(template, audience_of(role), format))
    assert meta.find_undeclared_variables(parsed) <= TEMPLATE_VARIABLES


def test_the_message_context_has_no_place_for_the_alleged_source_of_risk() -> None:
    context = context_for(
        RecipientRole.PERSON,
        recipient_name="Mary Smith",
        person_name="Mary Smith",
        facts=FACTS,
        council=COUNCIL,
    )
    with pytest.raises(ValidationError, match="alleged_source_of_risk_name"):
        MessageContext.model_validate(
            context.model_dump() | {"alleged_source_of_risk_name": "John Smith"}
        )
    with pytest.raises(ValidationError, match="override_reason"):
        StepFacts.model_validate(FACTS.model_dump() | {"override_reason": "He reads her post"})


def test_nothing_a_template_may_use_is_about_the_source_of_risk_or_staff_notes() -> None:
    names = " ".join(TEMPLATE_VARIABLES).casefold()
    forbidden = ("source", "alleged", "perpetrator", "reason", "purpose", "place", "where", "note")
    assert [word for word in forbidden if word in names] == []


def test_a_missing_detail_is_refused_rather_than_sent_as_none() -> None:
    without_action = FACTS.model_copy(update={"formal_action": None})
    with pytest.raises(MissingMessageDetail):
        message("wishes_overridden", facts=without_action)


def test_a_message_detail_the_template_does_not_need_may_be_absent() -> None:
    without_meeting = FACTS.model_copy(update={"meeting_at": None, "meeting_format": None})
    assert message("case_closed", facts=without_meeting).body


def test_meeting_times_are_given_in_uk_time() -> None:
    rendered = message("meeting_arranged")
    assert "When: 10 June 2026 at 2:30pm" in rendered.body
    assert "How: in person" in rendered.body


def test_names_are_written_as_given_not_html_escaped() -> None:
    rendered = message("concern_received", recipient_name="Siobhán O'Brien")
    assert "Dear Siobhán," in rendered.body
    supporter = message(
        "concern_received", RecipientRole.REPRESENTATIVE, recipient_name="Siobhán O'Brien"
    )
    assert "Dear Siobhán O'Brien," in supporter.body


def test_a_recipient_name_on_two_lines_is_refused() -> None:
    with pytest.raises(ValidationError):
        context_for(
            RecipientRole.REPRESENTATIVE,
            recipient_name="Ruth Smith\nSubject: urgent",
            person_name="Mary Smith",
            facts=FACTS,
            council=COUNCIL,
        )


def test_a_template_file_is_named_for_its_message_audience_and_format() -> None:
    assert (
        template_file("case_closed", Audience.PERSON, MessageFormat.EASY_READ)
        == "case_closed.person.easy_read.txt.j2"
    )
    assert (
        template_file("case_closed", Audience.SUPPORTER, MessageFormat.STANDARD)
        == "case_closed.supporter.standard.txt.j2"
    )


@pytest.mark.parametrize("template", TEMPLATES_IN_USE)
def test_every_message_exists_for_every_audience_and_format_it_is_written_in(
    template: str,
) -> None:
    for audience in Audience:
        for format in formats_for(audience):
            assert (TEMPLATES / template_file(template, audience, format)).is_file()
