"""The outside world, for intake: nothing beyond the shared Kafka and MongoDB plumbing yet.
A new connection to something outside (an identity provider client, a partner registry) goes here."""
