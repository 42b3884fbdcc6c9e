"""Every service has one shape, and its domain stays pure.

`domain/` holds decisions only: aggregates, rules, policy tables and wording. It may use the
standard library's pure modules, pydantic (contracts are pydantic models), jinja2 (the reviewed
wording of messages), the matching libraries (phonenumbers, rapidfuzz, nicknames) and the shared
event contracts; never a database, broker, web framework,
HTTP client or another layer of its own service. A domain that reaches for I/O can no longer be
tested, or reasoned about, on its own.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
SERVICE_NAMES = ("intake", "outcomes", "notification", "practitioner_web")
PACKAGES = frozenset({"domain", "application", "read_models", "adapters"})
EXTRA_FOLDERS = {"practitioner_web": frozenset({"templates"})}
"""The web app's pages and its few static files: the entrypoint's, like api.py."""
ENTRYPOINTS = frozenset(
    {"__init__.py", "api.py", "app.py", "main.py", "settings.py", "asyncapi.py"}
)

PURE_STANDARD_LIBRARY = frozenset(
    {
        "__future__",
        "abc",
        "base64",
        "binascii",
        "collections",
        "csv",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "functools",
        "hashlib",
        "io",
        "itertools",
        "json",
        "math",
        "pathlib",
        "re",
        "string",
        "types",
        "typing",
        "unicodedata",
        "uuid",
        "zoneinfo",
    }
)
PURE_LIBRARIES = frozenset(
    {
        "pydantic",
        "pydantic_core",
        "jinja2",
        "phonenumbers",
        "rapidfuzz",
        "nicknames",
        "cryptography",  # signatures: computation only
    }
)
SHARED_CONTRACTS = ("shared.events", "shared.sac", "shared.matching", "shared.limits")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _allowed_in_domain(module: str, service: str) -> bool:
    top = module.partition(".")[0]
    if top in PURE_STANDARD_LIBRARY or top in PURE_LIBRARIES:
        return True
    if any(module == c or module.startswith(f"{c}.") for c in SHARED_CONTRACTS):
        return True
    own_domain = f"services.{service}.domain"
    return module == own_domain or module.startswith(f"{own_domain}.")


def _domain_modules() -> list[tuple[str, Path]]:
    return [
        (service, path)
        for service in SERVICE_NAMES
        for path in sorted((SERVICES / service / "domain").rglob("*.py"))
    ]


@pytest.mark.parametrize(
    ("service", "path"),
    _domain_modules(),
    ids=lambda v: str(v.relative_to(SERVICES)) if isinstance(v, Path) else v,
)
def test_a_domain_module_imports_no_io_or_framework_code(service: str, path: Path) -> None:
    forbidden = [m for m in _imports(path) if not _allowed_in_domain(m, service)]
    assert forbidden == [], f"{path.relative_to(SERVICES)} imports {forbidden}"


def test_the_purity_check_catches_io_and_other_layers() -> None:
    # The rule itself: a check that allowed everything would pass every module above.
    for module in (
        "pymongo",
        "aiokafka",
        "faststream.kafka",
        "fastapi",
        "httpx",
        "smtplib",
        "asyncio",
        "socket",
        "shared.mongo",
        "shared.eventstore",
        "services.notification.adapters.delivery",
        "services.notification.read_models.decisions",
        "services.intake.domain",
    ):
        assert not _allowed_in_domain(module, "notification"), module
    assert _allowed_in_domain("services.notification.domain.safety", "notification")
    assert _allowed_in_domain("shared.events.outcomes", "notification")
    assert "asyncio" in sys.stdlib_module_names  # the allow-list is not a typo of a real module


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_service_has_the_same_shape(service: str) -> None:
    folder = SERVICES / service
    packages = {p.name for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"}
    modules = {p.name for p in folder.glob("*.py")}
    assert packages == PACKAGES | EXTRA_FOLDERS.get(service, frozenset())
    assert modules == ENTRYPOINTS
    for package in PACKAGES:
        assert (folder / package / "__init__.py").is_file(), f"{service}/{package}"
