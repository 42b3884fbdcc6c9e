"""The outside world, for outcomes: nothing beyond the shared Kafka and MongoDB plumbing yet.
A new connection to something outside goes here."""
