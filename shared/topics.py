"""The Kafka topics the system uses. Created explicitly (never auto-created) with a fixed
partition count, so that `key = stream id` keeps one case's events in order for ever."""

from typing import Final

PARTITIONS: Final = 3

CONCERN_SUBMISSIONS: Final = "safeguarding.concerns.submitted"
"""Partners publish concern submissions here. Untrusted input."""
INTAKE_EVENTS: Final = "safeguarding.intake.events"
OUTCOMES_EVENTS: Final = "safeguarding.outcomes.events"
NOTIFICATION_EVENTS: Final = "safeguarding.notification.events"

SYSTEM_TOPICS: Final = (CONCERN_SUBMISSIONS, INTAKE_EVENTS, OUTCOMES_EVENTS, NOTIFICATION_EVENTS)


def dead_letter_topic(topic: str) -> str:
    """Where a message from `topic` that cannot be accepted is parked, with its reason."""
    return f"{topic}.dlt"


def all_topics() -> tuple[str, ...]:
    """Every topic the system needs, each with its dead-letter twin."""
    return tuple(t for topic in SYSTEM_TOPICS for t in (topic, dead_letter_topic(topic)))
