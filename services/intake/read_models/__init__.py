"""Intake's read models: what a partner may see of its own concerns, and the triage queue."""
