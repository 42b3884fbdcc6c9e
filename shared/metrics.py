"""Prometheus metrics every service exposes on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_PENDING = Gauge(
    "outbox_pending_events", "Events committed but not yet published to Kafka", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_pending_age_seconds",
    "Age of the oldest event waiting in the outbox (the relay's lag)",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "outbox_published_events_total", "Events published from the outbox", ["service"]
)
CONSUMER_LAG = Gauge(
    "consumer_lag_messages",
    "Messages on a partition not yet handled",
    ["group", "topic", "partition"],
)
EVENTS_HANDLED = Counter(
    "consumer_events_handled_total", "Events applied by a projection or reaction", ["group"]
)
DUPLICATES_SKIPPED = Counter(
    "consumer_duplicates_skipped_total", "Redelivered events that changed nothing", ["group"]
)
DEAD_LETTERS = Counter(
    "dead_letters_total", "Messages parked on a dead-letter topic", ["topic", "group"]
)
TRANSIENT_RETRIES = Counter(
    "consumer_transient_retries_total",
    "Batches retried because a dependency (MongoDB) was unavailable",
    ["group"],
)
