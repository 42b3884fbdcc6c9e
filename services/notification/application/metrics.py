"""The notification service's informing metrics, on /metrics with the shared ones."""

from __future__ import annotations

from prometheus_client import Gauge

INFORMING_OVERDUE = Gauge(
    "informing_overdue_steps",
    "Steps in people's cases whose deadline for telling them passed and who are still not told",
)
DELIVERIES_PENDING = Gauge(
    "notification_deliveries_pending", "Messages decided on and waiting to be sent"
)
