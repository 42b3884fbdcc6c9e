"""The outside world, for intake: the registry of partner agencies (`partners`); otherwise the
shared Kafka and MongoDB plumbing. A new connection to something outside goes here."""
