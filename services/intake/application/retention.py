"""The retention job: erases, through the erasure command, every person whose records the
retention rule (`domain.retention`) says have been kept long enough.

A pass looks only at the people whose records may have become due since the last one, never at
everyone on record:
- the people of each closure whose period has run and that no pass has looked at yet: the
  partner view records every case's closure `awaiting_retention` (it follows outcomes'
  CaseClosed), and a pass reads those closures by index and marks them looked at once it has
  looked at their people (the concern of the case and its repeats, each about whom it is now);
- the people a pass found past the period but under a legal hold, or with a concern still open
  (`WATCHED_PEOPLE`): a hold lifted, or an open concern moved to someone else, makes her due
  with no new closure, so she is looked at again at every pass until her verdict changes;
- the people a concern has just moved to or from: each holds another set of concerns, with no
  closure of hers (a closed concern moved to a new person may be all she has).
A person whose last closure is still inside the period is not watched: that closure is still
awaiting retention, and brings her back once its period has run.

Passes may overlap (two instances, a slow pass): erasure is idempotent, and the hold is checked
again inside the erasure's own transaction, so a hold placed during a pass still wins. A pass
that fails part way leaves its closures awaiting retention, and the next looks at them again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

from services.intake.application.commands import (
    PEOPLE,
    RETENTION_WATCHED,
    IntakeCommands,
    UnderLegalHold,
)
from services.intake.domain.retention import (
    WATCHED,
    ConcernHeld,
    RecordsHeld,
    Verdict,
    verdict,
)
from services.intake.read_models.partner_view import (
    AWAITING_RETENTION,
    CLOSED_CASES,
    CONCERNS,
    case_of,
)
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ErasureReason
from shared.mongo import Database, Document, Session, in_transaction

log = logging.getLogger(__name__)

REASON: Final = "The retention period after her last concern closed had passed."
WATCHED_PEOPLE: Final = RETENTION_WATCHED
"""The people found past the period under a legal hold, or with a concern still open, and
those a concern has just moved to or from (`IntakeCommands.change`)."""
RETENTION_STATE: Final = "retention_state"
CLOSURES_MARKED: Final = "closures from before marked"


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
        self.watched = database[WATCHED_PEOPLE]
        self.state = database[RETENTION_STATE]
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

    async def mark_closures_from_before(self) -> None:
        """Once, at start-up: closures recorded before closures were marked awaiting retention
        are marked now, so none is passed over (one write over the closures, never again)."""
        if await self.state.find_one({"_id": CLOSURES_MARKED}) is not None:
            return
        await self.closed_cases.update_many(
            {AWAITING_RETENTION: {"$exists": False}}, {"$set": {AWAITING_RETENTION: True}}
        )
        await self.state.update_one(
            {"_id": CLOSURES_MARKED}, {"$set": {"at": datetime.now(UTC)}}, upsert=True
        )

    async def erase_expired(self) -> list[str]:
        """One pass: erase everyone due by the clock's now; the people erased."""
        now = self.clock()
        # Each closure as read: one whose case closed again meanwhile stays awaiting.
        crossed = await self.closed_cases.find(
            # Past the period exactly when the rule says so: longer than it ago.
            {AWAITING_RETENTION: True, "closed_at": {"$lt": now - self.period}},
            projection={"closed_at": 1},
        ).to_list()
        people = {str(doc["_id"]) async for doc in self.watched.find({}, projection={"_id": 1})}
        looked_at: list[Document] = []
        for closure in crossed:
            found = await self.people_of_case(str(closure["_id"]))
            if found is None:
                continue  # its concern is not in the partner view yet: the next pass
            people |= found
            looked_at.append(closure)
        correlation_id = str(uuid.uuid4())
        erased = [
            person_id
            for person_id in sorted(people)
            if await self._look_at(person_id, now, correlation_id)
        ]
        for closure in looked_at:
            await in_transaction(self.commands.client, partial(self._looked_at, closure))
        if erased:
            log.info("people erased by retention", extra={"count": len(erased)})
        return erased

    async def _looked_at(self, closure: Document, tx: Session) -> None:
        """The closure no longer awaits retention, unless its case closed again (another date)
        since it was read: read and written by `_id`, the only index the test server uses for
        it."""
        current = await self.closed_cases.find_one({"_id": closure["_id"]}, session=tx)
        if current is not None and current.get("closed_at") == closure["closed_at"]:
            await self.closed_cases.update_one(
                {"_id": closure["_id"]}, {"$set": {AWAITING_RETENTION: False}}, session=tx
            )

    async def people_of_case(self, case_id: str) -> set[str] | None:
        """Whom the case's concern and its repeats are about now; None while the partner view
        has not seen its concern."""
        concerns = [
            str(doc["_id"])
            async for doc in self.concerns.find({"case_id": case_id}, projection={"_id": 1})
        ]
        if not concerns:
            return None
        for concern_id in list(concerns):
            concerns += [
                str(doc["_id"])
                async for doc in self.concerns.find(
                    {"repeat_of": concern_id}, projection={"_id": 1}
                )
            ]
        people = {await self.commands.person_of("concern", c) for c in concerns}
        return {person for person in people if person is not None}

    async def _look_at(self, person_id: str, now: datetime, correlation_id: str) -> bool:
        """Erase her if she is due; watch her if she may become due with no new closure.
        Whether she was erased."""
        her = await self.people.find_one({"_id": person_id}, projection={"erased_at": 1})
        if her is None or her.get("erased_at") is not None:
            await self._watch(person_id, None)
            return False
        found = verdict(await self.records_of(person_id), now, self.period)
        if found is Verdict.DUE:
            try:
                await self.commands.erase(
                    person_id,
                    reason_kind=ErasureReason.RETENTION,
                    reason=REASON,
                    actor=SYSTEM_ACTOR,
                    correlation_id=correlation_id,
                )
            except UnderLegalHold:
                found = Verdict.HELD  # placed since her records were read
            except Exception:
                # One person failing must not keep the others past their period; she is
                # looked at again at the next pass.
                log.exception("could not erase a person past retention")
                await self._watch(person_id, Verdict.DUE)
                return False
            else:
                await self._watch(person_id, None)
                return True
        await self._watch(person_id, found if found in WATCHED else None)
        return False

    async def _watch(self, person_id: str, found: Verdict | None) -> None:
        if found is None:
            await self.watched.delete_one({"_id": person_id})
        else:
            await self.watched.update_one(
                {"_id": person_id}, {"$set": {"why": found.value}}, upsert=True
            )

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
