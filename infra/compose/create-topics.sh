#!/usr/bin/env bash
# Creates every Kafka topic the system uses before any service starts (compose's `kafka-init`),
# then each service's, the operator's and the trial partner's Kafka user (SCRAM-SHA-512) and
# their ACLs.
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
kafka_bin="${KAFKA_BIN:-/opt/kafka/bin}"
kafka_topics="$kafka_bin/kafka-topics.sh"

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

# Users and what they may do. The broker allows nothing without an ACL, so each service's user
# reads only the topics its consumers read, writes only its own events and the dead-letter twins
# of what it reads, and uses only consumer groups and transactional ids under its own prefix
# (CONSUMER_GROUP_PREFIX.<service>.). Every command here can run again: the password is set
# anew and an ACL that exists already is kept.
kafka_configs="$kafka_bin/kafka-configs.sh"
kafka_acls="$kafka_bin/kafka-acls.sh"
group_prefix="${CONSUMER_GROUP_PREFIX:-safeguarding}"

INTAKE_READS=(
  safeguarding.concerns.submitted
  safeguarding.intake.events
  safeguarding.outcomes.events
)
OUTCOMES_READS=(
  safeguarding.intake.events
  safeguarding.outcomes.events
  safeguarding.notification.events
)
NOTIFICATION_READS=(
  safeguarding.intake.events
  safeguarding.outcomes.events
)

user() { # name, password
  "$kafka_configs" --bootstrap-server "$bootstrap" --alter --entity-type users \
    --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$2]" > /dev/null
}

allow() { # name, then what kafka-acls.sh grants it
  local name="$1"
  shift
  "$kafka_acls" --bootstrap-server "$bootstrap" --add --allow-principal "User:$name" "$@" > /dev/null
}

service_user() { # name, password, its events topic, the topics it reads...
  local name="$1" password="$2" events="$3"
  shift 3
  user "$name" "$password"
  local reads=() writes=(--topic "$events")
  for topic in "$@"; do
    reads+=(--topic "$topic")
    writes+=(--topic "$topic.dlt")
  done
  allow "$name" --operation Read --operation Describe "${reads[@]}"
  allow "$name" --operation Write --operation Describe "${writes[@]}"
  allow "$name" --operation Read --resource-pattern-type prefixed --group "$group_prefix.$name."
  allow "$name" --operation Write --operation Describe --resource-pattern-type prefixed \
    --transactional-id "$group_prefix.$name."
}

service_user intake "$INTAKE_KAFKA_PASSWORD" safeguarding.intake.events "${INTAKE_READS[@]}"
service_user outcomes "$OUTCOMES_KAFKA_PASSWORD" safeguarding.outcomes.events "${OUTCOMES_READS[@]}"
service_user notification "$NOTIFICATION_KAFKA_PASSWORD" safeguarding.notification.events \
  "${NOTIFICATION_READS[@]}"

# The operator's user (safeguarding-ops, for dead letters) reads the dead-letter topics, writes
# resolutions to them and deletes the records a resolution redacts (DeleteRecords needs Delete on
# the topic), and writes a replayed message back to the topic it came from. It reads nothing
# else and uses no consumer group (it reads without one).
user ops "$OPS_KAFKA_PASSWORD"
dead_letters=()
replayed_to=()
for topic in "${TOPICS[@]}"; do
  if [[ "$topic" == *.dlt ]]; then
    dead_letters+=(--topic "$topic")
  else
    replayed_to+=(--topic "$topic")
  fi
done
allow ops --operation Read --operation Write --operation Describe --operation Delete \
  "${dead_letters[@]}"
allow ops --operation Write --operation Describe "${replayed_to[@]}"

# A partner's user may publish submissions and nothing else: it cannot read any topic, so it
# never sees another partner's submissions or the council's events.
user trial-partner "$TRIAL_PARTNER_KAFKA_PASSWORD"
allow trial-partner --operation Write --operation Describe --topic safeguarding.concerns.submitted

echo "kafka users ready: intake, outcomes, notification, ops, trial-partner"
