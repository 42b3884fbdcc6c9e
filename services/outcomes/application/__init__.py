"""What outcomes does: the commands practitioners and managers send, the reaction to intake's
decisions, and the missed-dates scheduler. Load the case, let it decide, append."""
