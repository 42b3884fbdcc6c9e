"""The retention job: erases, through the erasure command, every person whose records the
retention rule (`domain.retention`) says have been kept long enough.

Each pass reads who is not erased and not under a legal hold (intake's `people`), the concerns
about each (`IntakeCommands.concerns_of`), and when each concern's case closed (the partner view
follows outcomes' `CaseClosed`). Passes may overlap (two instances, a slow pass): erasure is
idempotent, and the hold is checked again inside the erasure's own transaction, so a hold placed
during a pass still wins.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from services.intake.application.commands import (
    PEOPLE,
    IntakeCommands,
    UnderLegalHold,
)
from services.intake.domain.retention import ConcernHeld, RecordsHeld, due_for_erasure
from services.intake.read_models.partner_view import CLOSED_CASES, CONCERNS, case_of
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ErasureReason
from shared.mongo import Database

log = logging.getLogger(__name__)

REASON: Final = "The retention period after her last concern closed had passed."


class RetentionWatch:
    def __init__(
        self,
        commands: IntakeCommands,
        database: Database,
        period: timedelta,
        interval_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.commands = commands
        self.people = database[PEOPLE]
        self.concerns = database[CONCERNS]
        self.closed_cases = database[CLOSED_CASES]
        self.period = period
        self.interval_seconds = interval_seconds
        self.clock = clock

    async def run(self) -> None:
        """A pass every `interval_seconds` until cancelled; a failed pass is logged and the next
        one tries again (a person erased a day late is still erased)."""
        while True:
            try:
                await self.erase_expired()
            except Exception:
                log.exception("retention pass failed; next pass will retry")
            await asyncio.sleep(self.interval_seconds)

    async def erase_expired(self) -> list[str]:
        """One pass: erase everyone due by the clock's now; the people erased."""
        now = self.clock()
        correlation_id = str(uuid.uuid4())
        erased: list[str] = []
        candidates = self.people.find(
            {"erased_at": {"$exists": False}, "legal_hold": {"$ne": True}}, projection={"_id": 1}
        )
        async for person in candidates:
            person_id = str(person["_id"])
            if not due_for_erasure(await self.records_of(person_id), now, self.period):
                continue
            try:
                await self.commands.erase(
                    person_id,
                    reason_kind=ErasureReason.RETENTION,
                    reason=REASON,
                    actor=SYSTEM_ACTOR,
                    correlation_id=correlation_id,
                )
                erased.append(person_id)
            except UnderLegalHold:
                continue
            except Exception:
                # One person failing must not keep the others past their period.
                log.exception("could not erase a person past retention")
        if erased:
            log.info("people erased by retention", extra={"count": len(erased)})
        return erased

    async def records_of(self, person_id: str) -> RecordsHeld:
        """What retention needs to know about her: each concern's closure, and her hold."""
        person = await self.people.find_one({"_id": person_id}, projection={"legal_hold": 1})
        concern_ids = await self.commands.concerns_of(person_id)
        concerns = {
            doc["_id"]: doc
            async for doc in self.concerns.find(
                {"_id": {"$in": concern_ids}}, projection={"repeat_of": 1}
            )
        }
        # A repeat concern is dealt with in the case of the concern it repeats.
        case_ids = {
            concern_id: case_of(concerns.get(concern_id, {}).get("repeat_of") or concern_id)
            for concern_id in concern_ids
        }
        closed = {
            doc["_id"]: doc["closed_at"]
            async for doc in self.closed_cases.find({"_id": {"$in": list(case_ids.values())}})
        }
        return RecordsHeld(
            concerns=[ConcernHeld(closed_at=_aware(closed.get(case_ids[c]))) for c in concern_ids],
            on_legal_hold=bool(person and person.get("legal_hold")),
        )


def _aware(moment: datetime | None) -> datetime | None:
    """MongoDB gives datetimes back without their zone; they were stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
