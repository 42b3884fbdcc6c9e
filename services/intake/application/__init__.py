"""What intake does: the commands partners and staff send (raise, gather, decide, link), and
the Kafka submissions it turns into concerns. Load, let the domain decide, append."""
