"""The event catalogue, generated from the contracts (the README's copy is checked against it).

python -m shared.events.catalogue
"""

from __future__ import annotations

import importlib

from shared.events.registry import registered_events

SERVICES = ("intake", "outcomes", "notification")


def catalogue() -> str:
    for service in SERVICES:
        importlib.import_module(f"shared.events.{service}")
    rows = ["| event | service | version | what happened |", "|---|---|---|---|"]
    for name, cls in registered_events().items():
        service = cls.__module__.rsplit(".", 1)[-1]
        if service not in SERVICES:
            continue
        summary = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        rows.append(f"| `{name}` | {service} | {cls.schema_version} | {summary} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(catalogue(), end="")
