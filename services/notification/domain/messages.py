"""The words a recipient receives: fixed, reviewed wording per step, filled only from typed,
bounded values.

Staff free text never reaches a message: a manager's reasons, a meeting's place and purpose, a
lead worker's "contact" note are the council's record, not the person's letter. What a message may
say about a step is `StepFacts` (dates, names, the council's own categories), and
`MessageContext` adds who it is for and who it is from. Neither has a field for anything about the
alleged source of risk, and both refuse unknown fields, so no template, however it is edited, can
put their details into a message that might be read by them or in front of them.

Each recipient gets their own message: the person one written to them ("you"); a representative or
advocate one written to them as themselves, about the person. Templates are
`templates/<step>.<audience>.<format>.txt.j2`; the first line is `Subject: ...` (the heading of a
letter), then a blank line, then the body. Easy-read versions use short sentences, one idea per line.

Discreet by default: an email's subject and a text message say only that the council has a message
and how to reach it, and an email body opens with a line that says nothing about the case, so a
lock screen or a shared inbox shows nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from services.notification.domain import plain_words
from shared.events.intake import NoFurtherActionRoute, S42Decision
from shared.events.notification import MessageFormat, RecipientRole
from shared.events.outcomes import (
    ExperienceAnswer,
    FormalActionKind,
    MeetingFormat,
    StatutoryGround,
)
from shared.sac import ActionTakenAndResult, RiskOutcome

TEMPLATES = Path(__file__).parent / "templates"
UK_TIME = ZoneInfo("Europe/London")
SUBJECT_PREFIX = "Subject: "
SMS_LIMIT = 160
"""One text message: longer ones arrive in parts, and a lock screen shows the first."""

_NO_CONTROL = r"^[^\x00-\x1f\x7f]+$"
RecipientName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_CONTROL)
]
"""A recipient's name as recorded: one line, bounded."""
StaffName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=100,
        pattern=r"^[^\W\d_](?:[^\W\d_]|[ .'’-])*$",
    ),
]
"""A member of staff's or an advocate's name: letters and name punctuation only (no digits), so a
note or a number typed into a name field does not reach the person."""
OrganisationName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=120,
        pattern=r"^[^\W\d_](?:[^\W\d_]|[ .,&'’()-])*$",
    ),
]
ContactDetail = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=3,
        max_length=120,
        pattern=r"^(?:\+?[0-9 ()-]{7,20}|[^@\s]+@[^@\s]+\.[^@\s]+)$",
    ),
]
"""A phone number or an email address, and nothing else."""
Reference = Annotated[
    str, StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9-]+$")
]
CouncilText = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=_NO_CONTROL)]


class Audience(StrEnum):
    PERSON = "person"
    """The person the case is about: written to as "you"."""
    SUPPORTER = "supporter"
    """A representative or advocate: written to as themselves, about the person."""


class Ratings(BaseModel):
    """How many outcomes the person rated fully, partly or not achieved, in their own view."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fully: int = Field(ge=0, le=100)
    partly: int = Field(ge=0, le=100)
    not_achieved: int = Field(ge=0, le=100)

    @property
    def total(self) -> int:
        return self.fully + self.partly + self.not_achieved


class StepFacts(BaseModel):
    """What a message about one step may say: typed values and the council's own categories."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: Reference
    s42_decision: S42Decision | None = None
    no_further_action_route: NoFurtherActionRoute | None = None
    lead_worker_name: StaffName | None = None
    lead_worker_contact: ContactDetail | None = None
    advocate_name: StaffName | None = None
    advocate_organisation: OrganisationName | None = None
    meeting_at: AwareDatetime | None = None
    meeting_format: MeetingFormat | None = None
    formal_action: FormalActionKind | None = None
    override_grounds: tuple[StatutoryGround, ...] = Field(default=(), max_length=10)
    final_review: bool = False
    ratings: Ratings | None = None
    feels_safer: ExperienceAnswer | None = None
    conclusion: ActionTakenAndResult | None = None
    risk_outcome: RiskOutcome | None = None
    review_on: date | None = None
    next_contact_on: date | None = None


class MessageContext(BaseModel):
    """Everything a message may use: the step's facts, whom it is for, and who it is from.
    Deliberately nothing about the alleged source of risk."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    audience: Audience = Audience.PERSON
    first_name: RecipientName
    """How the recipient is greeted: their own name."""
    person_name: RecipientName | None = None
    """For a supporter: the person the message is about."""
    supporter_role: RecipientRole | None = None
    council_name: CouncilText
    who_to_contact: CouncilText
    how_to_contact: CouncilText
    facts: StepFacts


@dataclass(frozen=True)
class Council:
    """Who the messages come from and how to reach them."""

    name: str
    contact_team: str
    contact_details: str


def context_for(
    role: RecipientRole,
    *,
    recipient_name: str,
    person_name: str,
    facts: StepFacts,
    council: Council,
) -> MessageContext:
    """The context of one recipient's message: the person greeted by their first name; a
    representative or advocate by their own name, about the person."""
    supporter = role is not RecipientRole.PERSON
    return MessageContext(
        audience=Audience.SUPPORTER if supporter else Audience.PERSON,
        first_name=recipient_name if supporter else first_name_of(recipient_name),
        person_name=person_name if supporter else None,
        supporter_role=role if supporter else None,
        council_name=council.name,
        who_to_contact=council.contact_team,
        how_to_contact=council.contact_details,
        facts=facts,
    )


class RenderedMessage(BaseModel):
    """One recipient's message about one step, in each form a channel sends."""

    model_config = ConfigDict(frozen=True)

    template: str
    format: MessageFormat
    audience: Audience = Audience.PERSON
    subject: str
    """The heading of the letter (inside the envelope)."""
    body: str
    email_subject: str
    """What an inbox or a lock screen shows: only that the council has a message."""
    sms: str
    """A text message: that there is a message, and how to reach the council."""


class MissingMessageDetail(ValueError):
    """A template needs a detail the context does not have; sending it would say 'None'."""


class MalformedTemplate(ValueError):
    """A template does not start with a `Subject: ` line followed by a blank line."""


def email_subject(council_name: str) -> str:
    return f"A private message from {council_name}"


def sms_text(council_name: str, contact_details: str) -> str:
    return f"{council_name} has a private message for you. Please contact us: {contact_details}"


def _refuse_missing(value: object) -> object:
    if value is None:
        raise MissingMessageDetail("a template printed a detail that was not given")
    return value


def _long_date(value: date | None) -> str:
    """GOV.UK style: 3 March 2026."""
    if value is None:
        raise MissingMessageDetail("a template needs a date that was not given")
    if isinstance(value, datetime):
        value = value.astimezone(UK_TIME).date()
    return f"{value.day} {value:%B %Y}"


def _time_of_day(value: datetime | None) -> str:
    """GOV.UK style, in UK time: 9am, 2:30pm, midday."""
    if value is None:
        raise MissingMessageDetail("a template needs a time that was not given")
    local = value.astimezone(UK_TIME)
    if local.hour == 12 and local.minute == 0:
        return "midday"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        # Plain-text messages: HTML escaping would turn "O'Brien" into "O&#39;Brien".
        autoescape=False,
        finalize=_refuse_missing,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["long_date"] = _long_date
    environment.filters["time_of_day"] = _time_of_day
    return environment


_ENVIRONMENT = _environment()


def template_file(template: str, audience: Audience, format: MessageFormat) -> str:
    return f"{template}.{audience.value}.{format.value}.txt.j2"


def formats_for(audience: Audience) -> tuple[MessageFormat, ...]:
    """Easy read is the person's own choice; supporters are written to in standard English."""
    return tuple(MessageFormat) if audience is Audience.PERSON else (MessageFormat.STANDARD,)


def variables_of(context: MessageContext, format: MessageFormat) -> dict[str, object]:
    """What a template sees: the context's fields, the step's facts, and the plain words the
    council's categories stand for (never words a member of staff typed)."""
    facts = context.facts
    about = (
        plain_words.About(first_name_of(context.person_name or ""))
        if context.audience is Audience.SUPPORTER
        else plain_words.YOU
    )
    variables: dict[str, object] = {
        name: getattr(context, name) for name in MessageContext.model_fields if name != "facts"
    }
    variables |= {name: getattr(facts, name) for name in StepFacts.model_fields}
    variables |= {
        "person_first_name": about.name,
        "supporter_role_words": plain_words.SUPPORTER_ROLES.get(context.supporter_role)
        if context.supporter_role is not None
        else None,
        "decision": plain_words.s42_decision(facts, format, about),
        "findings": plain_words.findings(facts, format, about),
        "review_summary": plain_words.review_summary(facts, format, about),
        "action_to_come": plain_words.action_to_come(facts),
        "action_taken": plain_words.action_taken(facts),
        "grounds": plain_words.grounds(facts, about),
        "meeting_how": plain_words.MEETING_FORMATS[facts.meeting_format]
        if facts.meeting_format is not None
        else None,
    }
    return variables


DERIVED_WORDS = frozenset(
    {
        "person_first_name",
        "supporter_role_words",
        "decision",
        "findings",
        "review_summary",
        "action_to_come",
        "action_taken",
        "grounds",
        "meeting_how",
    }
)
TEMPLATE_VARIABLES = frozenset(
    {*(n for n in MessageContext.model_fields if n != "facts"), *StepFacts.model_fields}
    | DERIVED_WORDS
)
"""Every name a template may use."""


def render(
    template: str, audience: Audience, format: MessageFormat, context: MessageContext
) -> RenderedMessage:
    """The message for `template`, for this recipient, in their format. Raises
    MissingMessageDetail when the template needs a detail the context lacks, so nothing
    half-filled is ever sent."""
    if format not in formats_for(audience):
        format = MessageFormat.STANDARD
    file = template_file(template, audience, format)
    text = _ENVIRONMENT.get_template(file).render(variables_of(context, format))
    first_line, _, rest = text.partition("\n")
    if not first_line.startswith(SUBJECT_PREFIX) or not rest.startswith("\n"):
        raise MalformedTemplate(f"{file} must start with 'Subject: ...' and a blank line")
    return RenderedMessage(
        template=template,
        format=format,
        audience=audience,
        subject=first_line.removeprefix(SUBJECT_PREFIX).strip(),
        body=re.sub(r"\n{3,}", "\n\n", rest.strip("\n")) + "\n",
        email_subject=email_subject(context.council_name),
        sms=sms_text(context.council_name, context.how_to_contact),
    )


def first_name_of(name: str) -> str:
    """The name a message greets the person by: the first word of their name as given."""
    words = name.split()
    return words[0] if words else name


def template_source(template: str, audience: Audience, format: MessageFormat) -> str:
    """The template's text, for checks that read it rather than render it."""
    return (TEMPLATES / template_file(template, audience, format)).read_text(encoding="utf-8")


def environment() -> Environment:
    """The environment templates are rendered in (for checks that parse templates)."""
    return _ENVIRONMENT


_SENSITIVE = re.compile(
    r"safeguard|concern|abuse|harm|neglect|police|risk|enquir|investigat|danger|victim|court",
    re.IGNORECASE,
)


def is_discreet(text: str) -> bool:
    """True when `text` says nothing about why the council is writing: what a lock screen may
    show (an email's subject and first line, a text message)."""
    return _SENSITIVE.search(text) is None
