"""Notification's domain: the informing policy, the safety rules for routes, contact preferences,
the person's informing record and the words messages use. Plain Python, no I/O."""
