"""docker-compose.yml against the Compose Specification's own JSON schema, so that a field the
engine would reject fails here, where no engine runs.

The schema is `infra/compose/compose-spec.schema.json`, vendored unchanged from the Compose
Specification (github.com/compose-spec/compose-spec, `schema/compose-spec.json` at commit
170098ba07d9f53c383a41bfd4c5166b0a4529a6, Apache License 2.0); replace it from there to follow
the specification. It is checked with `jsonschema`.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "infra" / "compose" / "compose-spec.schema.json"
COMPOSE_FILE = ROOT / "docker-compose.yml"


@functools.cache
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def problems(document: dict[str, Any]) -> list[str]:
    return sorted(
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator().iter_errors(document)
    )


def test_the_compose_file_follows_the_compose_specification() -> None:
    assert problems(compose()) == []


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("a misspelt service key", lambda d: d["services"]["intake"].update(restrat="always")),
        (
            "a healthcheck with an unknown field",
            lambda d: d["services"]["mongo"]["healthcheck"].update(intervall="5s"),
        ),
        (
            "depends_on with an unknown condition key",
            lambda d: d["services"]["intake"].update(
                depends_on={"kafka": {"condition": "service_healthy", "wait": True}}
            ),
        ),
        ("a top-level key the engine does not know", lambda d: d.update(servcies={})),
    ],
)
def test_a_field_the_engine_would_reject_is_caught(where: str, change: Any) -> None:
    broken = copy.deepcopy(compose())
    change(broken)
    assert problems(broken) != [], where
