"""Reading this process's metrics in tests."""

from __future__ import annotations

from prometheus_client import REGISTRY


def commands_counted(command: str, collection: str = "") -> float:
    """How many `command`s on `collection` the counted MongoDB clients of this process have sent
    so far (`database_commands_total`; a transaction's commit has no collection)."""
    return _by_command("database_commands_total", command, collection)


def command_seconds(command: str, collection: str = "") -> float:
    """How long the `command`s on `collection` of this process's counted clients took so far, in
    seconds (`database_command_seconds_total`)."""
    return _by_command("database_command_seconds_total", command, collection)


def _by_command(sample: str, command: str, collection: str) -> float:
    value = REGISTRY.get_sample_value(sample, {"command": command, "collection": collection})
    return value or 0.0
