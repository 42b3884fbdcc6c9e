#!/usr/bin/env bash
# Creates every Kafka topic the system uses before any service starts (compose's `kafka-init`).
#
# The broker runs with auto-creation off, so a mistyped topic name fails loudly instead of
# quietly creating a topic nobody reads. The partition count is fixed up front: services key
# every message by stream id, and a later change of count would send a case's next events to
# another partition, out of order with its earlier ones.
#
# The list must equal shared/topics.py `all_topics()` and the count `PARTITIONS`;
# tests/unit/test_compose.py holds them together.
set -euo pipefail

bootstrap="${KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"
kafka_topics=/opt/kafka/bin/kafka-topics.sh

PARTITIONS=3
# One broker, so one copy; a managed cluster should use 3 and min.insync.replicas=2.
REPLICATION_FACTOR=1
TOPICS=(
  safeguarding.concerns.submitted
  safeguarding.concerns.submitted.dlt
  safeguarding.intake.events
  safeguarding.intake.events.dlt
  safeguarding.outcomes.events
  safeguarding.outcomes.events.dlt
  safeguarding.notification.events
  safeguarding.notification.events.dlt
)

for topic in "${TOPICS[@]}"; do
  "$kafka_topics" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR"
done

# --if-not-exists also accepts a topic made earlier with another partition count; starting the
# services on one would break per-case ordering, so stop here and say which topic is wrong.
described="$("$kafka_topics" --bootstrap-server "$bootstrap" --describe --exclude-internal)"
for topic in "${TOPICS[@]}"; do
  count="$(awk -v topic="$topic" '
    $1 == "Topic:" && $2 == topic {
      for (i = 3; i < NF; i++) if ($i == "PartitionCount:") print $(i + 1)
    }' <<<"$described")"
  if [[ "$count" != "$PARTITIONS" ]]; then
    echo "topic $topic has ${count:-no} partitions; the services need exactly $PARTITIONS" >&2
    exit 1
  fi
done

echo "topics ready: ${TOPICS[*]} ($PARTITIONS partitions each)"
