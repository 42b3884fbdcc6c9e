"""What in an event is personal, and how it is sealed so that destroying one key erases it.

The one home for the rule "this field holds a person's identifying or special-category data":
an event field annotated `Personal[T]` (or `Annotated[T, PERSONAL]`). A whole value object is
marked where it can be (a `Person`, a representative, a list of recipients): fewer marks, the
same effect.

Sealing (crypto-shredding): in the stored and published JSON each personal field becomes one
string `pd1:<subject>:<base64(nonce|ciphertext)>`, the field's JSON value encrypted with AES-256-GCM
under the subject's data key (`shared.keyring`), with the event id and the field's path as
associated data, so a sealed value cannot be moved to another event or field. Everything else
stays clear. Once the subject's key is destroyed, opening the field gives its erased placeholder
(`erased_placeholder`): the event still validates and downstream code keeps its types.

`seal` and `open_sealed` are pure: the keys are fetched (asynchronously, from the keyring) first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import types
import typing
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple, TypeVar, Union

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, JsonValue, TypeAdapter, ValidationError, create_model
from pydantic.fields import FieldInfo

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

SEALED_PREFIX = "pd1:"
NONCE_BYTES = 12
DATA_KEY_BYTES = 32
ERASED = "erased"
"""What an erased text reads as."""

_SUBJECT = r"[A-Za-z0-9_.\-]{1,200}"
_SEALED_BODY = r"[A-Za-z0-9+/]{40,}={0,2}"  # nonce, at least the 16-byte tag, base64
_SEALED = re.compile(f"^pd1:({_SUBJECT}):({_SEALED_BODY})$")
_SEALED_IN_JSON = re.compile(f'"pd1:({_SUBJECT}):{_SEALED_BODY}"')
_SAFE_SUBJECT = re.compile(_SUBJECT)
SEALED_VALUE = re.compile(f"pd1:{_SUBJECT}:{_SEALED_BODY}")
"""A sealed value anywhere in a text: ciphertext, which says nothing about the person."""


@dataclass(frozen=True, eq=False)  # hashable by identity: type annotations are hashed
class PersonalData:
    """Marks an event field as a person's identifying or special-category data."""


PERSONAL = PersonalData()
Personal = Annotated[T, PERSONAL]
"""`Personal[Person]`: this field is sealed under the subject's data key."""

JsonObject = dict[str, JsonValue]


class SealedDataError(ValueError):
    """A sealed field cannot be opened: tampered with, moved from another event or field, or
    sealed under a subject whose key was not fetched. Names the field, never its content."""


@dataclass(frozen=True)
class SealingKey:
    """The key a writer seals an event's personal fields with."""

    subject: str
    key: bytes


DataKeys = Mapping[str, bytes | None]
"""The keys a reader opens sealed fields with, by subject; None: the key was destroyed."""
NO_KEYS: DataKeys = MappingProxyType({})


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)


def is_personal(field: FieldInfo) -> bool:
    return any(isinstance(m, PersonalData) for m in field.metadata)


def personal_fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    """Every marked field of `model` and of the value objects it holds, as (path, field);
    list items are `[]` in the path."""
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        if is_personal(field):
            yield path, field
            continue
        for inner, many in _models_in(field.annotation):
            yield from personal_fields(inner, f"{path}{'[]' if many else ''}.")


@cache
def holds_personal_data(model: type[BaseModel]) -> bool:
    return any(True for _ in personal_fields(model))


def sealed_subjects(raw: bytes | str | JsonValue) -> set[str]:
    """The subjects whose keys opening `raw` needs (to fetch them before decoding)."""
    if isinstance(raw, bytes):
        text = raw.decode(errors="replace")
    elif isinstance(raw, str):
        text = raw
    else:
        text = json.dumps(raw, default=str)
    return set(_SEALED_IN_JSON.findall(text))


def subject_named(name: str) -> str:
    """The keyring's subject for a stream or concern id: the id itself when it is made of
    letters, digits, `_`, `.` and `-` (as `concern-<uuid>` is), else a SHA-256 of it."""
    if _SAFE_SUBJECT.fullmatch(name):
        return name
    return f"sha256-{hashlib.sha256(name.encode()).hexdigest()}"


def is_subject(name: str) -> bool:
    return _SAFE_SUBJECT.fullmatch(name) is not None


def seal(model: type[BaseModel], payload: JsonObject, event_id: str, key: SealingKey) -> JsonObject:
    """`payload` (the JSON form of a `model`) with each personal field sealed under `key`."""
    return _walk(model, payload, event_id, "", lambda value, aad: _seal_one(value, aad, key))


@dataclass(frozen=True)
class Opened:
    payload: dict[str, Any]
    """The payload with its sealed fields opened (or replaced by their erased placeholders)."""
    erased: frozenset[str]
    """The paths of the erased fields (`referrer`, `recipients.0.contact`)."""


def open_sealed(
    model: type[BaseModel], payload: JsonObject, event_id: str, keys: DataKeys
) -> Opened:
    """`payload` with each sealed field opened: its JSON value, or, where the key was destroyed,
    the field's erased placeholder. Raises SealedDataError for a sealed value that does not
    belong where it is."""
    erased: set[str] = set()

    def open_one(value: JsonValue, aad: str, field: FieldInfo) -> Any:
        found = _SEALED.match(value) if isinstance(value, str) else None
        if found is None:
            return value  # recorded in clear (before sealing, or by a writer without a keyring)
        subject, body = found.groups()
        if subject not in keys:
            raise SealedDataError(f"{_field_of(aad)}: no key was fetched for its subject")
        data_key = keys[subject]
        if data_key is None:
            erased.add(_field_of(aad))
            return erased_placeholder(field)
        try:
            sealed = base64.b64decode(body, validate=True)
            plain = AESGCM(data_key).decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(aad, subject)
            )
        except (InvalidTag, ValueError, binascii.Error) as error:
            raise SealedDataError(
                f"{_field_of(aad)}: sealed value does not open (tampered with, or moved from "
                "another event or field)"
            ) from error
        return json.loads(plain)

    opened: dict[str, Any] = _walk(model, payload, event_id, "", open_one, with_field=True)
    return Opened(opened, frozenset(erased))


def validated(model: type[M], opened: Opened) -> M:
    """The event `opened` holds, validated. A value object's placeholder may not pass the
    value object's own checks (an erased referrer has no way to reach them, which a referrer
    must have): then the placeholder is taken as it is and everything around it is still
    validated; an error anywhere else is raised as it is."""
    return _validated(model, opened.payload, opened.erased)


def _validated(model: type[M], payload: dict[str, Any], erased: Collection[str]) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        below = {path.split(".", 1)[0] for path in erased}
        if not erased or any(not e["loc"] or e["loc"][0] not in below for e in error.errors()):
            raise
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    checked = dict(payload)
    for key in below:
        inner = [path[len(key) + 1 :] for path in erased if path.startswith(f"{key}.")]
        if not inner:
            continue  # the placeholder itself, taken as it is
        found = _models_in(fields[key].annotation)
        if not found:
            continue
        value_object, many = found[0]
        if many and isinstance(payload[key], list):
            items = [
                _validated(
                    value_object,
                    item,
                    [p.split(".", 1)[1] for p in inner if p.split(".", 1)[0] == str(i)],
                )
                for i, item in enumerate(payload[key])
            ]
            checked[key] = tuple(items) if _is_tuple(fields[key].annotation) else items
        elif isinstance(payload[key], dict):
            checked[key] = _validated(value_object, payload[key], inner)
    lenient = _lenient(model, frozenset(below)).model_validate(checked)
    return model.model_construct(
        _fields_set=lenient.model_fields_set,
        **{name: getattr(lenient, name) for name in model.model_fields},
    )


def _is_tuple(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is Annotated or origin in (Union, types.UnionType):
        return any(_is_tuple(a) for a in typing.get_args(annotation))
    return origin is tuple


@cache
def _lenient(model: type[M], erased: frozenset[str]) -> type[M]:
    """`model` taking the fields named in `erased` as they are (already checked, or an erased
    placeholder)."""
    loose: dict[str, Any] = {
        name: (Any, field.default if not field.is_required() else ...)
        for name, field in model.model_fields.items()
        if (field.alias or name) in erased
    }
    lenient: type[M] = create_model(f"Erased{model.__name__}", __base__=model, **loose)
    return lenient


def erased_placeholder(field: FieldInfo) -> Any:
    """What a personal field reads as once erased: "erased" for text, None where the value may
    be absent, an empty list, or a value object that names no one and has no contact points
    (built without validation, so no valid NHS number etc. is needed): the first of these the
    field accepts. Raises TypeError for a field that accepts none of them."""
    found = _placeholders.get(id(field))
    if found is None:
        found = (field, _first_accepted(field))
        _placeholders[id(field)] = found
    return found[1]


_placeholders: dict[int, tuple[FieldInfo, Any]] = {}
"""By field (each kept here, so its id stays its own): placeholders are worked out once."""


def _first_accepted(field: FieldInfo) -> Any:
    placeholder = _placeholder_of(field.annotation)
    if isinstance(placeholder, BaseModel):
        return placeholder  # its own checks may refuse it: see `validated`
    declared: Any = Annotated[field.annotation, *field.metadata]
    accepts: TypeAdapter[Any] = TypeAdapter(declared)
    for candidate in (placeholder, None):
        try:
            accepts.validate_python(candidate)
        except ValidationError:
            continue
        return candidate
    raise TypeError(f"no erased placeholder fits {field.annotation}")


def _placeholder_of(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _placeholder_of(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        present = [a for a in typing.get_args(annotation) if a is not type(None)]
        text = len(present) == 1 and isinstance(_placeholder_of(present[0]), str)
        optional = len(present) < len(typing.get_args(annotation))
        if optional and not text:
            return None
        return _placeholder_of(present[0]) if len(present) == 1 else None
    if origin in (list, tuple):
        return origin()
    if annotation is str:
        return ERASED
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        required = {
            name: _placeholder_of(field.annotation)
            for name, field in annotation.model_fields.items()
            if field.is_required()
        }
        return annotation.model_construct(**required)
    return None


# --- the walk over a payload and its model ---------------------------------------------------------


def _walk(
    model: type[BaseModel],
    payload: JsonObject,
    event_id: str,
    prefix: str,
    change: Any,
    *,
    with_field: bool = False,
) -> dict[str, Any]:
    if not holds_personal_data(model):
        return payload
    result: dict[str, Any] = dict(payload)
    for key, field, personal, holders in _fields_to_walk(model):
        if key not in result or result[key] is None:
            continue
        path = f"{prefix}{key}"
        value = result[key]
        if personal:
            aad = f"{event_id}|{path}"
            result[key] = change(value, aad, field) if with_field else change(value, aad)
            continue
        for inner, many in holders:
            if many and isinstance(value, list):
                result[key] = [
                    _walk(inner, item, event_id, f"{path}.{i}.", change, with_field=with_field)
                    if isinstance(item, dict)
                    else item
                    for i, item in enumerate(value)
                ]
            elif not many and isinstance(value, dict):
                result[key] = _walk(
                    inner, value, event_id, f"{path}.", change, with_field=with_field
                )
    return result


class _FieldToWalk(NamedTuple):
    key: str
    """The field's key in JSON."""
    field: FieldInfo
    personal: bool
    holders: tuple[tuple[type[BaseModel], bool], ...]
    """The value objects holding personal data it holds, and whether as items of a list."""


@cache
def _fields_to_walk(model: type[BaseModel]) -> tuple[_FieldToWalk, ...]:
    """The fields of `model` the walk visits, worked out once per model: each marked field,
    and each field holding value objects that hold personal data. Every event read or written
    is walked, so this is not worked out again for each."""
    found = []
    for name, field in model.model_fields.items():
        if is_personal(field):
            found.append(_FieldToWalk(field.alias or name, field, True, ()))
            continue
        holders = tuple(
            (inner, many)
            for inner, many in _models_in(field.annotation)
            if holds_personal_data(inner)
        )
        if holders:
            found.append(_FieldToWalk(field.alias or name, field, False, holders))
    return tuple(found)


def _models_in(annotation: Any) -> list[tuple[type[BaseModel], bool]]:
    """The value-object types a field holds directly, and whether as items of a list."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [found for arg in typing.get_args(annotation) for found in _models_in(arg)]
    if origin in (list, tuple, set, frozenset):
        return [
            (inner, True)
            for arg in typing.get_args(annotation)
            if arg is not Ellipsis
            for inner, _ in _models_in(arg)
        ]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, False)]
    return []


def _seal_one(value: JsonValue, aad: str, key: SealingKey) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    sealed = AESGCM(key.key).encrypt(nonce, plain, _aad(aad, key.subject))
    return f"{SEALED_PREFIX}{key.subject}:{base64.b64encode(nonce + sealed).decode()}"


def _aad(event_and_path: str, subject: str) -> bytes:
    return f"{event_and_path}|{subject}".encode()


def _field_of(aad: str) -> str:
    return aad.split("|", 1)[1]
