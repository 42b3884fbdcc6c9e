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
SKIPPED_AS_ERASED = Counter(
    "consumer_events_skipped_as_erased_total",
    "Events a reaction skipped because the person they are about was erased (their key destroyed)",
    ["group", "event_type"],
)
DEAD_LETTERS = Counter(
    "dead_letters_total", "Messages parked on a dead-letter topic", ["topic", "group"]
)
TRANSIENT_RETRIES = Counter(
    "consumer_transient_retries_total",
    "Batches retried because a dependency (MongoDB) was unavailable",
    ["group"],
)
WORKER_STUCK = Gauge(
    "worker_stuck",
    "1 while a worker has been on the same message, batch or entry past its threshold",
    ["worker"],
)
WORKER_SECONDS_ON_CURRENT_WORK = Gauge(
    "worker_seconds_on_current_work",
    "Seconds a worker has spent on its current piece of work without moving on (0 when idle)",
    ["worker"],
)
PARKED_STREAMS = Gauge(
    "projection_parked_streams",
    "Streams a projection holds back because an earlier event of theirs has not arrived",
    ["projection"],
)
DEAD_LETTERS_TRUNCATED = Counter(
    "dead_letters_truncated_total",
    "Messages too large to park whole, parked truncated with their size and hash",
    ["topic", "group"],
)
TRANSIENT_BATCH_SPLITS = Counter(
    "consumer_batch_splits_total",
    "Batches halved because a transient failure repeated (e.g. a transaction ran too long)",
    ["group"],
)
DATABASE_COMMANDS = Counter(
    "database_commands_total",
    "Commands sent to MongoDB, by command and collection: what a piece of work costs the database",
    ["command", "collection"],
)
DATABASE_COMMAND_SECONDS = Counter(
    "database_command_seconds_total",
    "Seconds MongoDB commands took, from sending each until its answer, by command and "
    "collection: with database_commands_total, how long each kind takes on average",
    ["command", "collection"],
)
CONCERNS_POSTED = Counter(
    "intake_concerns_posted_total",
    "Concerns posted over HTTP, by how they were raised: alone, together with those posted at "
    "the same moment, or one by one after their group could not be raised together",
    ["raised"],
)
