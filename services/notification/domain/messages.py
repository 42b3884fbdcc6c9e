"""The words a person receives: templates rendered with only what the person may be told.

`MessageContext` is the only thing a template can see. It has no field for anything about the
alleged source of risk (and refuses unknown fields), so no template, however it is edited, can put
their name or details into a message that might be read by them or in front of them.

Each template is `templates/<name>.<format>.txt.j2`; its first line is `Subject: ...`, then a blank
line, then the body. Easy-read versions use short sentences, one idea per line and no jargon.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events.notification import MessageFormat

TEMPLATES = Path(__file__).parent / "templates"
UK_TIME = ZoneInfo("Europe/London")
SUBJECT_PREFIX = "Subject: "


class MeetingDetails(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    starts_at: AwareDatetime
    place: str = Field(min_length=1, max_length=500)
    purpose: str | None = Field(default=None, max_length=500)


class MessageContext(BaseModel):
    """Everything a message may say. Deliberately nothing about the alleged source of risk."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_name: str = Field(min_length=1, max_length=100)
    council_name: str = Field(min_length=1, max_length=200)
    reference: str = Field(min_length=1, max_length=50)
    who_to_contact: str = Field(min_length=1, max_length=200)
    how_to_contact: str = Field(min_length=1, max_length=300)
    decision: str | None = Field(default=None, max_length=2000)
    """What was decided, in plain words."""
    lead_worker_name: str | None = Field(default=None, max_length=200)
    lead_worker_contact: str | None = Field(default=None, max_length=300)
    advocate_name: str | None = Field(default=None, max_length=200)
    advocate_contact: str | None = Field(default=None, max_length=300)
    meeting: MeetingDetails | None = None
    override_reason: str | None = Field(default=None, max_length=2000)
    """Why the person's wishes were overridden, in plain words."""
    review_on: date | None = None
    next_contact_on: date | None = None


class RenderedMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    template: str
    format: MessageFormat
    subject: str
    body: str


class MissingMessageDetail(ValueError):
    """A template needs a detail the context does not have; sending it would say 'None'."""


class MalformedTemplate(ValueError):
    """A template does not start with a `Subject: ` line followed by a blank line."""


def _refuse_missing(value: object) -> object:
    if value is None:
        raise MissingMessageDetail("a template printed a detail that was not given")
    return value


def _long_date(value: date) -> str:
    """GOV.UK style: 3 March 2026."""
    if isinstance(value, datetime):
        value = value.astimezone(UK_TIME).date()
    return f"{value.day} {value:%B %Y}"


def _time_of_day(value: datetime) -> str:
    """GOV.UK style, in UK time: 9am, 2:30pm, midday."""
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


def template_file(template: str, format: MessageFormat) -> str:
    return f"{template}.{format.value}.txt.j2"


def render(template: str, format: MessageFormat, context: MessageContext) -> RenderedMessage:
    """The message for `template` in the person's format. Raises MissingMessageDetail when the
    template needs a detail the context lacks, so nothing half-filled is ever sent."""
    variables = {name: getattr(context, name) for name in MessageContext.model_fields}
    text = _ENVIRONMENT.get_template(template_file(template, format)).render(variables)
    first_line, _, rest = text.partition("\n")
    if not first_line.startswith(SUBJECT_PREFIX) or not rest.startswith("\n"):
        raise MalformedTemplate(
            f"{template_file(template, format)} must start with 'Subject: ...' and a blank line"
        )
    return RenderedMessage(
        template=template,
        format=format,
        subject=first_line.removeprefix(SUBJECT_PREFIX).strip(),
        body=rest.strip("\n") + "\n",
    )


def template_source(template: str, format: MessageFormat) -> str:
    """The template's text, for checks that read it rather than render it."""
    return (TEMPLATES / template_file(template, format)).read_text(encoding="utf-8")


def environment() -> Environment:
    """The environment templates are rendered in (for checks that parse templates)."""
    return _ENVIRONMENT
