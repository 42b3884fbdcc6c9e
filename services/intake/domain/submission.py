"""What a partner sends to raise a concern: the same JSON over HTTP and over Kafka.

The agency is never in the body: it comes from the partner's API key (HTTP) or the `agency`
header (Kafka), so one partner cannot raise concerns in another's name.

`problems_in` turns a validation failure into the list of problems that goes back to the partner,
both in an HTTP problem-details body and in a dead-letter record, so both say the same thing.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Annotated, Final, TypeGuard, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError, from_json

from shared.events.intake import (
    AllegedSourceOfRisk,
    CommunicationNeeds,
    LongText,
    PartnerReference,
    Person,
    PersonInvolvement,
    Referrer,
    SubmissionProblem,
    WhatHappened,
    YesNoUnknown,
)
from shared.events.values import Day, Documented
from shared.limits import MAX_LISTED_PROBLEMS, MAX_PROBLEM_FIELD_CHARS, capped


def _england() -> ZoneInfo:
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # pragma: no cover - only on hosts without a time zone database
        # UTC is at most an hour behind UK time: a date entered just after midnight in summer may
        # be refused as "in the future" for that hour, which is safer than refusing to start.
        return ZoneInfo("UTC")


UK: Final = _england()

ADULT_AGE: Final = 18
OLDEST_AGE: Final = 130
ADULT_BIRTH_DATE: Final = {
    "format": "adult-birth-date",
    "description": "YYYY-MM-DD: the person is 18 to 130 years old today (UK time)",
}
UP_TO_TODAY: Final = {"format": "date-up-to-today", "description": "YYYY-MM-DD, not after today"}
"""Formats of dates whose rule depends on the day (a schema cannot say "today")."""


def uk_today() -> date:
    """Partners write dates as they are in England, whatever the server's clock zone."""
    return datetime.now(UK).date()


def _age_on(day: date, born: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class SubmittedPerson(Person):
    """The person, as submitted: the date of birth must be of an adult, today."""

    date_of_birth: Annotated[Day, Documented(ADULT_BIRTH_DATE)] | None = Field(
        default=None, description="Date of birth, if known: of an adult, not over 130."
    )

    @field_validator("date_of_birth")
    @classmethod
    def _born_an_adult(cls, value: date | None) -> date | None:
        if value is None:
            return value
        today = uk_today()
        if value > today:
            raise PydanticCustomError(
                "date_in_future", "is in the future", {"allowed": f"a date up to {today}"}
            )
        age = _age_on(today, value)
        if age < ADULT_AGE:
            # s42 of the Care Act covers adults; children's safeguarding is a different duty.
            raise PydanticCustomError(
                "under_18",
                "makes the person under 18: adult safeguarding is for adults; "
                "raise a concern about a child with children's services",
                {"allowed": f"a date up to {_years_before(today, ADULT_AGE)}"},
            )
        if age > OLDEST_AGE:
            raise PydanticCustomError(
                "implausible_age",
                "makes the person over 130",
                {"allowed": f"a date after {_years_before(today, OLDEST_AGE + 1)}"},
            )
        return value


class SubmittedWhatHappened(WhatHappened):
    """What happened, as submitted: it cannot have happened after today."""

    incident_date: Annotated[Day, Documented(UP_TO_TODAY)] = Field(
        description="When it happened (not after today); if it is ongoing, the most recent "
        "date known."
    )

    @field_validator("incident_date")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        today = uk_today()
        if value > today:
            raise PydanticCustomError(
                "date_in_future", "is in the future", {"allowed": f"a date up to {today}"}
            )
        return value


EXAMPLE: Final[dict[str, JsonValue]] = {
    "partner_reference": "WMP-2026-118842",
    "person": {
        "name": "Margaret Hill",
        "date_of_birth": "1941-06-14",
        "nhs_number": "943 476 5919",
        "gender": "female",
        "ethnicity": "white",
        "primary_support_reason": "physical_support",
        "contact": {
            "phone": "01632 960123",
            "address": {"lines": ["14 Orchard Close"], "town": "Worcester", "postcode": "WR1 2AB"},
        },
    },
    "care_and_support_needs": "yes",
    "what_happened": {
        "description": "A neighbour called us after hearing shouting. Mrs Hill told officers that "
        "her son Daniel takes her bank card every week when her pension is paid and shouts at "
        "her when she asks for it back. There was little food in the house. She said she is "
        "frightened of him when he has been drinking.",
        "risk_types": ["financial_or_material", "psychological"],
        "location": "own_home",
        "source": "known_to_individual",
        "incident_date": "2026-01-12",
    },
    "immediate_safety_actions": "Officers spoke to Daniel Hill, who left the house. Mrs Hill "
    "asked her bank to cancel the card. Her niece is staying with her tonight at her request.",
    "involvement": {
        "person_aware": "yes",
        "person_consented": "yes",
        "person_own_words": "I want the abuse to stop – but I still want to see my son.",
    },
    "communication": {
        "language": "English",
        "interpreter_needed": False,
        "easy_read": False,
        "representative": {
            "name": "Susan Price",
            "relationship": "niece",
            "contact": {"phone": "07700 900456"},
        },
    },
    "alleged_source_of_risk": {
        "name": "Daniel Hill",
        "relationship": "son",
        "contact": {
            "phone": "07700 900789",
            "address": {"lines": ["3 Mill Lane"], "town": "Worcester", "postcode": "WR2 5XY"},
        },
    },
    "referrer": {
        "name": "PC Sam Okafor",
        "role": "Police constable, public protection unit",
        "email": "sam.okafor@police.example.org",
        "phone": "01632 960321",
    },
}


class ConcernSubmission(BaseModel):
    """A safeguarding concern about an adult, as a partner agency submits it."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [EXAMPLE]}
    )

    partner_reference: PartnerReference = Field(
        description="Your own id for this submission (1 to 100 characters); we quote it back."
    )
    person: SubmittedPerson = Field(description="The adult the concern is about.")
    care_and_support_needs: YesNoUnknown = Field(
        description="Does the person appear to have care and support needs?"
    )
    what_happened: SubmittedWhatHappened = Field(description="What happened, where and by whom.")
    immediate_safety_actions: LongText | None = Field(
        default=None, description="Anything done at once to keep the person safe."
    )
    involvement: PersonInvolvement = Field(
        description="Whether the person knows, agreed, and what they said."
    )
    communication: CommunicationNeeds = Field(
        default_factory=CommunicationNeeds,
        description="How to communicate with the person, and who should be involved.",
    )
    alleged_source_of_risk: AllegedSourceOfRisk | None = Field(
        default=None, description="Who is said to be causing the risk, if known."
    )
    referrer: Referrer = Field(description="Who at your agency is raising the concern.")


# --- explaining what is wrong ---------------------------------------------------------------------

ROOT_FIELD: Final = "(submission)"


def problems_in(
    error: ValidationError | Iterable[ErrorDetails],
    model: type[BaseModel] = ConcernSubmission,
) -> list[SubmissionProblem]:
    """Each problem in a failed validation of `model`: which field, what is wrong, what is allowed.

    Takes a pydantic ValidationError, or the error list FastAPI puts in a RequestValidationError
    (whose locations start with "body").
    """
    details = list(error.errors(include_url=False) if isinstance(error, ValidationError) else error)
    listed = [_problem(detail, model) for detail in details[:MAX_LISTED_PROBLEMS]]
    if len(details) > MAX_LISTED_PROBLEMS:
        listed.append(
            SubmissionProblem(
                field=ROOT_FIELD,
                problem=f"has {len(details) - MAX_LISTED_PROBLEMS} more problems not listed here",
                allowed="a submission as the documented schema describes; fix the problems "
                "listed and send it again to see the rest",
            )
        )
    return listed


def readable_partner_reference(raw: bytes | str | Mapping[str, object]) -> str | None:
    """The partner's reference from a submission that may be invalid, so a rejection can quote it."""
    document: object = raw
    if isinstance(raw, bytes | str):
        try:
            # pydantic-core's parser refuses deep nesting with a ValueError; json.loads would
            # raise RecursionError.
            document = from_json(raw)
        except ValueError:
            return None
    if not isinstance(document, Mapping):
        return None
    reference = document.get("partner_reference")
    if isinstance(reference, str) and reference.strip() and len(reference) <= 100:
        return reference
    return None


def _problem(detail: ErrorDetails, model: type[BaseModel]) -> SubmissionProblem:
    location = tuple(detail["loc"])
    if location[:1] == ("body",):
        location = location[1:]
    kind = detail["type"]
    context = detail.get("ctx") or {}
    found = _type_at(model, location)
    problem, allowed = _explain(kind, str(detail["msg"]), context, found, model, location)
    return SubmissionProblem(
        field=capped(_field_name(location), MAX_PROBLEM_FIELD_CHARS),
        problem=capped(problem),
        allowed=capped(allowed) if allowed is not None else None,
    )


def _explain(
    kind: str,
    message: str,
    context: Mapping[str, object],
    found: object,
    model: type[BaseModel],
    location: tuple[int | str, ...],
) -> tuple[str, str | None]:
    if "allowed" in context:
        return message, str(context["allowed"])
    if kind == "missing":
        return "is required", _allowed_values(found)
    if kind == "extra_forbidden":
        parent = _type_at(model, location[:-1])
        fields = ", ".join(parent.model_fields) if _is_model(parent) else None
        return "is not a field here", fields
    if kind in ("enum", "literal_error"):
        return "is not one of the allowed values", _allowed_values(found)
    if kind == "too_short":
        return "has too few items", f"at least {context.get('min_length')}" + _of_values(found)
    if kind == "too_long":
        return "has too many items", f"at most {context.get('max_length')}"
    if kind == "string_too_short":
        return "is empty", f"at least {context.get('min_length')} character(s)"
    if kind == "string_too_long":
        return "is too long", f"at most {context.get('max_length')} characters"
    if kind == "greater_than_equal":
        return "is too small", f"{context.get('ge')} or more"
    if kind == "less_than_equal":
        return "is too large", f"{context.get('le')} or less"
    if kind.startswith("date"):
        return "is not a date", "a date written YYYY-MM-DD"
    if kind.startswith("bool"):
        return "is not true or false", "true or false"
    if kind.startswith("int"):
        return "is not a whole number", "a whole number"
    if kind == "string_type":
        return "is not text", "a JSON string"
    if kind == "list_type":
        return "is not a list", "a JSON array" + _of_values(found)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "is not an object", _allowed_values(found)
    if kind == "json_invalid":
        return f"is not valid JSON ({context.get('error')})", "a JSON object"
    return message.removeprefix("Value error, "), None


def _field_name(location: tuple[int | str, ...]) -> str:
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name or ROOT_FIELD


def _allowed_values(found: object) -> str | None:
    inner = _unwrapped(found)
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return ", ".join(str(member.value) for member in inner)
    if _is_model(inner):
        return "an object with the fields " + ", ".join(inner.model_fields)
    return None


def _of_values(found: object) -> str:
    inner = _unwrapped(found)
    if get_origin(inner) is list:
        values = _allowed_values(get_args(inner)[0])
        if values:
            return f", from: {values}"
    return ""


def _is_model(found: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(found, type) and issubclass(found, BaseModel)


def _unwrapped(annotation: object) -> object:
    """The type an annotation is about: without Annotated metadata, and without `| None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            present = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(present) != 1:
                return annotation
            annotation = present[0]
        else:
            return annotation


def _type_at(model: type[BaseModel], location: tuple[int | str, ...]) -> object:
    """The declared type at a location in `model`, or None where the location is not in it."""
    found: object = model
    for part in location:
        inner = _unwrapped(found)
        if isinstance(part, int) and get_origin(inner) is list:
            found = get_args(inner)[0]
        elif isinstance(part, str) and _is_model(inner):
            fields = inner.model_fields
            if part not in fields:
                return None
            found = fields[part].annotation
        else:
            return None
    return found
