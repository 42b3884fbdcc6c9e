"""What notification does: the informing reaction to intake's and outcomes' events, the delivery
worker, the overdue pass, and what practitioners record. Load, let the record decide, append."""
