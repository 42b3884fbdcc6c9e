"""Every event contract's data about people other than the person is marked for redaction
review in a subject access bundle (`shared/events/third_party.py`): a new field about someone
else cannot be added without a rule that marks it."""

from __future__ import annotations

import typing
from collections.abc import Iterator

from pydantic import BaseModel

from shared.events import intake, notification, outcomes
from shared.events.registry import registered_events
from shared.events.third_party import THIRD_PARTY_EVENTS, THIRD_PARTY_FIELDS, third_party_reason

HERS = {"person"}
"""Fields holding the person's own details (her name and contact points)."""


def models_in(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from models_in(argument)


def unmarked_people(model: type[BaseModel], path: str) -> Iterator[str]:
    """Paths to values naming someone that no rule marks."""
    for name, field in model.model_fields.items():
        if name in THIRD_PARTY_FIELDS or name in HERS:
            continue
        for inner in models_in(field.annotation):
            if "role" in inner.model_fields:
                continue  # rule 2: an entry with a role other than hers
            if "name" in inner.model_fields:
                yield f"{path}.{name}"
            yield from unmarked_people(inner, f"{path}.{name}")


def test_every_value_naming_someone_else_is_marked_by_a_rule() -> None:
    assert {intake.__name__, outcomes.__name__, notification.__name__}  # every contract loaded
    assert len(registered_events()) > 30
    unmarked = [
        path
        for event_type, model in registered_events().items()
        if event_type not in THIRD_PARTY_EVENTS
        for path in unmarked_people(model, event_type)
    ]
    assert unmarked == []


def test_an_event_whose_own_fields_name_someone_is_marked_whole() -> None:
    naming = {
        event_type
        for event_type, model in registered_events().items()
        if {"name", "contact"} & set(model.model_fields)
    }
    assert naming == set(THIRD_PARTY_EVENTS)


def test_the_rules_mark_other_people_and_never_her() -> None:
    assert third_party_reason("referrer", {"name": "PC Jones"}) is not None
    assert third_party_reason("alleged_source_of_risk", None) is not None
    representative = {"role": "representative", "name": "Dan Hill", "contact": {}}
    assert third_party_reason(None, representative) == "another person (representative)"
    assert third_party_reason(None, {"role": "other_professional", "name": "Dr Patel"})
    assert third_party_reason(None, {"role": "person", "name": "Margaret Hill"}) is None
    assert third_party_reason("person", {"name": "Margaret Hill"}) is None
    assert third_party_reason("role", "representative") is None
