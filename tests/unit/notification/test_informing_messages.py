"""The words people receive: plain English, easy read when they need it, nothing about the
alleged source of risk, and nothing half-filled."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from jinja2 import meta
from pydantic import ValidationError

from services.notification.domain.messages import (
    MeetingDetails,
    MessageContext,
    MissingMessageDetail,
    environment,
    render,
    template_file,
    template_source,
)
from services.notification.domain.policy import templates_in_use
from shared.events.notification import MessageFormat

FULL = MessageContext(
    first_name="Mary",
    council_name="Worcestershire County Council",
    reference="SG-2026-4F7K2Q",
    who_to_contact="the adult safeguarding team",
    how_to_contact="01905 000000",
    decision="We will look into what happened, with you.",
    lead_worker_name="Sam Jones",
    lead_worker_contact="01905 111111",
    advocate_name="Asha Patel",
    advocate_contact="asha@advocacy.example",
    meeting=MeetingDetails(
        starts_at=datetime(2026, 6, 10, 13, 30, tzinfo=UTC),
        place="your home",
        purpose="your plan",
    ),
    override_reason="Other people living at the care home are at risk too.",
    review_on=date(2026, 9, 1),
    next_contact_on=date(2026, 6, 1),
)
TEMPLATES = sorted(templates_in_use())
JARGON = ("s42", "section 42", "enquiry", "safeguarding", "outcome", "advocate", "mental capacity")


def written_words(source: str) -> str:
    """The template's own wording: each {{ detail }} counts as one word, {% tags %} as none."""
    return re.sub(r"\{\{.*?\}\}", "X", re.sub(r"\{%.*?%\}", "", source))


def test_easy_read_preference_renders_the_easy_read_text() -> None:
    message = render("enquiry_started", MessageFormat.EASY_READ, FULL)
    assert message.subject == "We will find out what happened"
    assert message.body.startswith("Hello Mary.\n\nWe will find out what happened.\n")


def test_standard_format_renders_the_standard_text() -> None:
    message = render("enquiry_started", MessageFormat.STANDARD, FULL)
    assert message.subject == "We are looking into what happened – reference SG-2026-4F7K2Q"
    assert message.body.startswith("Dear Mary,\n")


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("format", list(MessageFormat))
def test_every_message_has_a_subject_and_a_body(template: str, format: MessageFormat) -> None:
    message = render(template, format, FULL)
    assert message.subject
    assert "Subject:" not in message.body
    assert "None" not in message.body


@pytest.mark.parametrize("template", TEMPLATES)
def test_easy_read_uses_no_jargon(template: str) -> None:
    words = written_words(template_source(template, MessageFormat.EASY_READ)).casefold()
    assert [term for term in JARGON if term in words] == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_easy_read_keeps_to_short_sentences_one_idea_per_line(template: str) -> None:
    prose = written_words(template_source(template, MessageFormat.EASY_READ))
    long_lines = [line for line in prose.splitlines() if len(line.split()) > 12]
    assert long_lines == []


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("format", list(MessageFormat))
def test_templates_can_only_use_what_the_message_context_holds(
    template: str, format: MessageFormat
) -> None:
    parsed = environment().parse(template_source(template, format))
    assert meta.find_undeclared_variables(parsed) <= set(MessageContext.model_fields)


def test_the_message_context_has_no_place_for_the_alleged_source_of_risk() -> None:
    with pytest.raises(ValidationError, match="alleged_source_of_risk_name"):
        MessageContext.model_validate(
            FULL.model_dump() | {"alleged_source_of_risk_name": "John Smith"}
        )


def test_no_message_context_field_is_about_the_source_of_risk() -> None:
    fields = " ".join(MessageContext.model_fields).casefold()
    assert not any(word in fields for word in ("source", "alleged", "risk", "perpetrator"))


def test_a_missing_detail_is_refused_rather_than_sent_as_none() -> None:
    without_lead_worker = FULL.model_copy(update={"lead_worker_name": None})
    with pytest.raises(MissingMessageDetail):
        render("lead_worker_assigned", MessageFormat.STANDARD, without_lead_worker)


def test_a_message_detail_the_template_does_not_need_may_be_absent() -> None:
    without_meeting = FULL.model_copy(update={"meeting": None})
    assert render("case_closed", MessageFormat.STANDARD, without_meeting).body


def test_meeting_times_are_given_in_uk_time() -> None:
    message = render("meeting_arranged", MessageFormat.STANDARD, FULL)
    assert "When: 10 June 2026 at 2:30pm" in message.body


def test_names_are_written_as_given_not_html_escaped() -> None:
    message = render(
        "concern_received",
        MessageFormat.STANDARD,
        FULL.model_copy(update={"first_name": "Siobhán O'Brien"}),
    )
    assert "Dear Siobhán O'Brien," in message.body


def test_a_template_file_is_named_for_its_message_and_format() -> None:
    assert template_file("case_closed", MessageFormat.EASY_READ) == "case_closed.easy_read.txt.j2"
