"""Notification's read models: informing decisions, pending deliveries, the case index and the
person's communications log."""
