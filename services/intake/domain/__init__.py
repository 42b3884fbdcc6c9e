"""Intake's domain: the Concern aggregate (`concern`), what a partner submits (`submission`),
and the rules for recognising a person and a repeat report (`matching`). Plain Python, no I/O."""
