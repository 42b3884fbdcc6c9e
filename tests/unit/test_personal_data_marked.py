"""Every event field that holds a person's identifying or special-category data is marked
personal (`shared.personal_data`), so it is sealed under the subject's data key and erased with
it: a new field whose name or type says it is personal cannot be added unmarked."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from enum import Enum

from pydantic import BaseModel

from shared.events import intake, notification, outcomes
from shared.events.registry import registered_events
from shared.personal_data import erased_placeholder, is_personal, personal_fields

PERSONAL_WORDS = frozenset(
    {
        "name", "birth", "nhs", "email", "phone", "address", "postcode", "lines", "town",
        "contact", "words", "description", "note", "text", "summary", "view", "said", "agreed",
        "explanation", "detail", "wishes", "purpose", "how", "wording", "reasons", "decision",
        "interests", "action", "relationship", "homes", "recipients", "participants", "invited",
        "consulted", "organisation", "present", "routes",
    }
)  # fmt: skip
"""Names that say a field holds someone's details or free text about them."""

NOT_PERSONAL: dict[str, str] = {
    "LeadWorkerAssigned.name": "a member of staff, recorded as staff",
    "LeadWorkerAssigned.contact": "a member of staff's work contact",
    "ConcernSubmissionRejected.reasons": "field names and kinds of error only, never values",
    "CaseAllocated.worker": "a member of staff",
    "PersonInformed.message_summary": "which step she was told about, in the service's words",
    "PractitionerContactRequired.message_summary": "which step, in the service's words",
    "BestInterestsDecisionMade.decision_id": "an id",
    "MentalCapacityAssessed.lacks_capacity": "a statistic of the national return",
    "PractitionerContactRequired.detail": "why a practitioner must act, in the service's words",
    "FormalActionWishesRecorded.wish": "a yes/no answer kept for the formal-action rule",
    "AgreedDateMissed.agreed_date": "a date",
    "AgreedDateMissed.agreed_at": "a date",
    "NextContactAgreed.agreed_at": "a date",
    "OutcomeAgreed.agreed_outcome_id": "an id",
    "OutcomeAgreed.agreed_at": "a date",
}
"""Fields whose names sound personal but hold nothing about the person, and why."""

EVENT_MODULES = (intake, notification, outcomes)


def events() -> dict[str, type[BaseModel]]:
    """The services' event contracts (not the test-only events some tests register)."""
    modules = {module.__name__ for module in EVENT_MODULES}
    return {n: e for n, e in registered_events().items() if e.__module__ in modules}


def holds_text(annotation: object) -> bool:
    if annotation is str:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return False
    return any(holds_text(a) for a in typing.get_args(annotation))


def value_objects(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from value_objects(argument)


def unmarked(model: type[BaseModel], path: str) -> Iterator[str]:
    """Paths to fields that sound personal and are not marked; a value object not marked as a
    whole is looked into."""
    for name, field in model.model_fields.items():
        where = f"{path}.{name}"
        if is_personal(field) or where in NOT_PERSONAL:
            continue
        inner = list(value_objects(field.annotation))
        if inner:
            for value_object in inner:
                yield from unmarked(value_object, where)
            continue
        says_personal = bool(PERSONAL_WORDS & set(name.split("_"))) and not name.endswith("_id")
        if (says_personal and holds_text(field.annotation)) or "birth" in name:
            yield where


def test_every_field_whose_name_says_it_is_personal_is_marked() -> None:
    assert EVENT_MODULES
    found = [path for name, event in events().items() for path in unmarked(event, name)]

    assert not found, (
        f"mark these Personal (shared.personal_data) or explain in NOT_PERSONAL: {found}"
    )


def test_the_check_finds_an_unmarked_personal_field() -> None:
    class Sneaky(BaseModel):
        carer_phone: str

    assert list(unmarked(Sneaky, "Sneaky")) == ["Sneaky.carer_phone"]


def test_every_exemption_names_a_field_that_exists() -> None:
    contracts = events()
    for path in NOT_PERSONAL:
        event, field = path.split(".")
        assert field in contracts[event].model_fields, path


def test_the_person_her_representative_the_source_of_risk_and_the_referrer_are_personal() -> None:
    marked = {path for path, _ in personal_fields(intake.ConcernRaised)}

    assert {
        "person",
        "communication.representative",
        "alleged_source_of_risk",
        "referrer",
        "what_happened.description",
        "involvement.person_own_words",
    } <= marked


def test_the_national_return_statistics_stay_clear() -> None:
    marked = {path for path, _ in personal_fields(intake.ConcernRaised)}
    marked |= {path for path, _ in personal_fields(outcomes.CaseOpened)}

    assert not {p for p in marked if "risk_types" in p or "gender" in p or "ethnicity" in p}


def test_every_personal_field_has_an_erased_placeholder() -> None:
    for event in events().values():
        for _, field in personal_fields(event):
            erased_placeholder(field)  # raises TypeError for a field that accepts none
