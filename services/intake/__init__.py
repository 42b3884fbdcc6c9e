"""Intake: partners raise safeguarding concerns; a manager decides whether the s42 duty applies."""
