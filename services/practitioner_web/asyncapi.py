"""The web app on Kafka: nothing. It publishes no events and consumes none; everything it records
goes through the intake, outcomes and notification HTTP APIs, which publish the events."""

from __future__ import annotations

from typing import Final

PUBLISHES: Final[tuple[str, ...]] = ()
CONSUMES: Final[tuple[str, ...]] = ()
