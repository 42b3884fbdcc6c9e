"""Refuse to start insecurely.

Outside development mode a service (or the web app) exits with a clear message when a secret is
missing, too short, or a value published in this repository, or when sign-in is not set up. The
message names the setting and what is wrong, never the value.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from pydantic import ValidationError
from pydantic_settings import SettingsError

MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Insecurity:
    setting: str
    problem: str

    def __str__(self) -> str:
        return f"{self.setting} {self.problem}"


def secret_insecurity(
    setting: str,
    value: str | None,
    *,
    development_values: Collection[str] = (),
    min_length: int = MIN_SECRET_LENGTH,
) -> Insecurity | None:
    """What is wrong with a secret setting's value, if anything."""
    if not value:
        return Insecurity(setting, "is not set")
    if value in development_values:
        return Insecurity(setting, "is a development value published in the source code")
    if len(value) < min_length:
        return Insecurity(setting, f"is shorter than {min_length} characters")
    return None


class RefusedToStart(SystemExit):
    """Exits the process with status 78 (EX_CONFIG) and the reasons on stderr."""


def refuse_to_start_insecurely(
    service: str, found: Sequence[Insecurity], *, development_mode: bool
) -> None:
    if not found:
        return
    reasons = "\n".join(f"  - {insecurity}" for insecurity in found)
    if development_mode:
        print(
            f"{service}: DEVELOPMENT_MODE is on, so it starts although:\n{reasons}",
            file=sys.stderr,
            flush=True,
        )
        return
    print(
        f"{service} refuses to start:\n{reasons}\n"
        "Set these (see the README's Configuration). DEVELOPMENT_MODE=true allows them on a "
        "developer's machine only.",
        file=sys.stderr,
        flush=True,
    )
    raise RefusedToStart(78)


class CheckedSettings(Protocol):
    @property
    def development_mode(self) -> bool: ...

    def insecurities(self) -> list[Insecurity]: ...


S = TypeVar("S", bound=CheckedSettings)


def settings_to_start(load: type[S], service: str) -> S:
    """The settings from the environment, or exit: when one cannot be read (the message names
    it, never its value, which may be a secret), or when they are insecure."""
    try:
        settings = load()
    except ValidationError as error:
        unreadable = [
            Insecurity("_".join(str(p) for p in e["loc"]).upper(), f"cannot be read: {e['msg']}")
            for e in error.errors(include_input=False, include_url=False)
        ]
        refuse_to_start_insecurely(service, unreadable, development_mode=False)
        raise  # unreachable: refusing exits
    except SettingsError as error:
        # Raised before validation, e.g. for JSON that does not parse; its text names the field.
        field = re.search(r'field "(\w+)"', str(error))
        setting = field[1].upper() if field else "a setting"
        refuse_to_start_insecurely(
            service, [Insecurity(setting, "cannot be read")], development_mode=False
        )
        raise  # unreachable: refusing exits
    refuse_to_start_insecurely(
        service, settings.insecurities(), development_mode=settings.development_mode
    )
    return settings
