"""Outcomes' read models: the case file, the person's timeline, the MSP report's case summaries,
and the agreed-dates index the scheduler asks."""
