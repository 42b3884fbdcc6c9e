"""Question pages, the way the GOV.UK Design System asks them: one form of questions, each
answer checked here (an error says what to do, "Enter…", "Select…"), then check your answers,
then the record is made through a service's API. A refusal by the service (problem details naming
a field) is shown on that question, so a rule of the domain reads as a form error, never a crash.

Pure: a form is data, answers are strings from the browser, and `body` turns them into the API's
JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from typing import Any

Answers = dict[str, str | list[str]]
Body = dict[str, Any]
MAX_TEXT = 4000


class Kind(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    RADIOS = "radios"
    CHECKBOXES = "checkboxes"
    DATE = "date"
    TIME = "time"
    """A time of day on the 24-hour clock, like 14:30."""
    SELECT = "select"


@dataclass(frozen=True)
class Choice:
    value: str
    text: str
    hint: str | None = None


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    kind: Kind = Kind.TEXT
    required: bool = True
    hint: str | None = None
    choices: tuple[Choice, ...] = ()
    api_fields: tuple[str, ...] = ()
    """The fields the service names when it refuses something this question answers."""
    noun: str | None = None
    """How the error names the answer: "Enter <noun>", "Select <noun>"."""
    group: str | None = None
    """A heading over this and the following questions of the same group."""

    @property
    def what(self) -> str:
        return self.noun or self.label[0].lower() + self.label[1:].rstrip("?")

    def missing(self) -> str:
        if self.kind in (Kind.RADIOS, Kind.SELECT):
            return f"Select {self.what}"
        if self.kind is Kind.CHECKBOXES:
            return f"Select at least one: {self.what}"
        return f"Enter {self.what}"


@dataclass(frozen=True)
class Form:
    key: str
    title: str
    questions: tuple[Question, ...]
    body: Callable[[Answers], Body]
    method: str = "POST"
    caption: str = ""
    lead: str = ""
    """A line under the heading saying what the record is for."""
    done: str = "Recorded"
    managers_only: bool = False
    confirm: str = "Confirm and record"

    def question(self, name: str) -> Question | None:
        return next((q for q in self.questions if q.name == name), None)


@dataclass(frozen=True)
class FormError:
    question: str | None
    """The question's name, or None for the form as a whole."""
    message: str


@dataclass(frozen=True)
class Row:
    """One line of check your answers."""

    question: str
    key: str
    value: str


@dataclass
class Checked:
    answers: Answers
    errors: list[FormError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- reading the browser's answers ----------------------------------------------------------------


NEXT_STEP = "next_step"
"""The name of the buttons that say what to do with the answers (check, change, confirm): never
a question's name."""


def answers_from(form: Form, posted: Mapping[str, Sequence[str]]) -> Answers:
    """The answers to `form`'s questions out of a posted form (anything else is ignored)."""
    answers: Answers = {}
    for q in form.questions:
        if q.kind is Kind.CHECKBOXES:
            answers[q.name] = [v for v in posted.get(q.name, ()) if v]
        elif q.kind is Kind.DATE:
            for part in ("day", "month", "year"):
                answers[f"{q.name}-{part}"] = _first(posted, f"{q.name}-{part}").strip()
        else:
            answers[q.name] = _first(posted, q.name).strip()
    return answers


def _first(posted: Mapping[str, Sequence[str]], name: str) -> str:
    values = posted.get(name, ())
    return values[0] if values else ""


def date_of(answers: Answers, name: str) -> date | None:
    try:
        return date(
            int(str(answers.get(f"{name}-year", ""))),
            int(str(answers.get(f"{name}-month", ""))),
            int(str(answers.get(f"{name}-day", ""))),
        )
    except ValueError:
        return None


_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


def time_of(answers: Answers, name: str) -> time | None:
    found = _TIME.fullmatch(text(answers, name) or "")
    return time(int(found[1]), int(found[2])) if found else None


def text(answers: Answers, name: str) -> str | None:
    value = answers.get(name)
    return value if isinstance(value, str) and value else None


def values(answers: Answers, name: str) -> list[str]:
    value = answers.get(name)
    return value if isinstance(value, list) else []


# --- checking them --------------------------------------------------------------------------------


def check(form: Form, answers: Answers) -> Checked:
    """Each question's own rules: given when required, one of its choices, a real date, not too
    long. The domain's rules are the services' and come back as refusals (`refusal_errors`)."""
    errors: list[FormError] = []
    for q in form.questions:
        problem = _problem(q, answers)
        if problem:
            errors.append(FormError(q.name, problem))
    return Checked(answers, errors)


def _problem(q: Question, answers: Answers) -> str | None:
    if q.kind is Kind.DATE:
        parts = [str(answers.get(f"{q.name}-{p}", "")) for p in ("day", "month", "year")]
        if not any(parts):
            return q.missing() if q.required else None
        if not all(parts):
            missing = [p for p, v in zip(("day", "month", "year"), parts, strict=True) if not v]
            return f"{q.label} must include a {' and '.join(missing)}"
        if date_of(answers, q.name) is None or len(parts[2]) != 4:
            return f"{q.label} must be a real date"
        return None
    if q.kind is Kind.CHECKBOXES:
        chosen = values(answers, q.name)
        if q.required and not chosen:
            return q.missing()
        allowed = {c.value for c in q.choices}
        return None if set(chosen) <= allowed else q.missing()
    value = text(answers, q.name)
    if value is None:
        return q.missing() if q.required else None
    if q.kind is Kind.TIME and time_of(answers, q.name) is None:
        return f"{q.label} must be a time on the 24-hour clock, like 14:30"
    if q.choices and value not in {c.value for c in q.choices}:
        return q.missing()
    if len(value) > MAX_TEXT:
        return f"{q.label} must be {MAX_TEXT:,} characters or fewer"
    return None


def refusal_errors(
    form: Form, title: str, detail: str, fields: Sequence[tuple[str, str]]
) -> list[FormError]:
    """A service's refusal as errors on the questions it concerns. `fields` are the (field,
    problem) pairs of its problem details; one that no question answers is shown for the form."""
    errors: list[FormError] = []
    for api_field, problem in fields:
        question = _question_for(form, api_field)
        errors.append(FormError(question.name if question else None, _sentence(problem)))
    if not errors:
        errors.append(FormError(None, _sentence(detail or title)))
    return errors


def _question_for(form: Form, api_field: str) -> Question | None:
    head = api_field.split(".")[0]
    for q in form.questions:
        if api_field in q.api_fields or head in q.api_fields or q.name in (api_field, head):
            return q
    return None


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:] if message else "The service refused this"


# --- check your answers ---------------------------------------------------------------------------


def summary(form: Form, answers: Answers) -> list[Row]:
    rows = []
    for q in form.questions:
        if q.kind is Kind.DATE:
            when = date_of(answers, q.name)
            shown = f"{when:%-d %B %Y}" if when else ""
        elif q.kind is Kind.CHECKBOXES:
            names = {c.value: c.text for c in q.choices}
            shown = "\n".join(names.get(v, v) for v in values(answers, q.name))
        else:
            value = text(answers, q.name) or ""
            shown = {c.value: c.text for c in q.choices}.get(value, value)
        if shown or q.required:
            rows.append(Row(q.name, q.label, shown or "Not given"))
    return rows


def hidden_fields(form: Form, answers: Answers) -> list[tuple[str, str]]:
    """The answers as hidden inputs, so check your answers can send them on (or back)."""
    pairs: list[tuple[str, str]] = []
    for name, value in answers.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return pairs


def choices_of(kind: type[StrEnum], words: Mapping[str, str] | None = None) -> tuple[Choice, ...]:
    """Choices for an enum: its `label` (the national return's), or the given words, or its
    value in plain words."""
    chosen = []
    for member in kind:
        label = getattr(member, "label", None)
        shown = (words or {}).get(member.value) or label or member.value.replace("_", " ")
        chosen.append(Choice(member.value, shown[:1].upper() + shown[1:]))
    return tuple(chosen)


YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))
