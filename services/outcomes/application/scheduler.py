"""Noticing when a date agreed with the person passes: the next contact, review or plan action
they agreed did not happen. Making Safeguarding Personal asks for timeliness as the person sees
it, so this flags their own agreed dates, not a global deadline; each missed date becomes a work
item for the lead worker (`read_models.work_items`).

Each pass asks the agreed-dates index which cases have a date passed, and lets each case decide
what it missed. Passes may overlap (two service instances, a slow pass): the case records a missed
date once, and the event store's version check makes the slower of two racing passes reload and
find nothing left to record.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from services.outcomes.application.commands import CaseCommands
from services.outcomes.read_models.due_dates import DueDates
from shared.events import Envelope
from shared.events.envelope import SYSTEM_ACTOR

log = logging.getLogger(__name__)


class MissedDatesWatch:
    def __init__(
        self, commands: CaseCommands, due_dates: DueDates, interval_seconds: float
    ) -> None:
        self.commands = commands
        self.due_dates = due_dates
        self.interval_seconds = interval_seconds

    async def run(self) -> None:
        """Check every `interval_seconds` until cancelled; a failed pass is logged and retried
        at the next tick, because a missed date not flagged today is still flagged tomorrow."""
        while True:
            try:
                await self.notice_missed_dates(datetime.now(UTC))
            except Exception:
                log.exception("missed-dates pass failed; next pass will retry")
            await asyncio.sleep(self.interval_seconds)

    async def notice_missed_dates(self, now: datetime) -> list[Envelope]:
        """One pass: record AgreedDateMissed for every agreed date passed by `now`."""
        correlation_id = str(uuid.uuid4())
        recorded: list[Envelope] = []
        for case_id in await self.due_dates.cases_with_a_date_passed(now):
            try:
                recorded += await self.commands.execute(
                    case_id,
                    SYSTEM_ACTOR,
                    lambda case: case.notice_missed_dates(),
                    correlation_id=correlation_id,
                    now=now,
                )
            except Exception:
                # One case failing must not stop the others being noticed.
                log.exception("could not record a missed date", extra={"case_id": case_id})
        if recorded:
            log.info("agreed dates missed", extra={"count": len(recorded)})
        return recorded
