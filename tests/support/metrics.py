"""Reading this process's metrics in tests."""

from __future__ import annotations

from prometheus_client import REGISTRY


def commands_counted(command: str, collection: str = "") -> float:
    """How many `command`s on `collection` the counted MongoDB clients of this process have sent
    so far (`database_commands_total`; a transaction's commit has no collection)."""
    value = REGISTRY.get_sample_value(
        "database_commands_total", {"command": command, "collection": collection}
    )
    return value or 0.0


def command_seconds(command: str, collection: str = "") -> float:
    """How long the `command`s on `collection` of this process's counted clients took so far, in
    seconds (`database_command_seconds_total`)."""
    value = REGISTRY.get_sample_value(
        "database_command_seconds_total", {"command": command, "collection": collection}
    )
    return value or 0.0
