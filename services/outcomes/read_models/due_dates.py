"""The `agreed_dates` collection: which cases hold a date agreed with the person that has not
been kept or noticed yet, and the earliest such date, so the scheduler finds every case whose
date has passed with one query instead of loading every open case.

It is written in the same transaction as the case's events (see `commands`), so it can never
disagree with the case it indexes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from pymongo import ASCENDING

from services.outcomes.domain import Case
from services.outcomes.domain.england import day_in_england
from shared.mongo import Database, Session

COLLECTION = "agreed_dates"
_FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class DueDates:
    def __init__(self, database: Database) -> None:
        self.collection = database[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("earliest_agreed_date", ASCENDING)])

    async def track(self, case: Case, session: Session) -> None:
        """Index the case as it now stands (its pending events applied)."""
        # Asking the case what would be missed at a moment far ahead lists every date still
        # outstanding; the rule for what counts as kept or replaced stays in the domain.
        outstanding = sorted(missed.agreed_date for missed in case.missed_dates(_FAR_FUTURE))
        if not outstanding:
            await self.collection.delete_one({"_id": case.case_id}, session=session)
            return
        await self.collection.replace_one(
            {"_id": case.case_id},
            {
                "_id": case.case_id,
                "earliest_agreed_date": _midnight(outstanding[0]),
                "agreed_dates": [d.isoformat() for d in outstanding],
            },
            upsert=True,
            session=session,
        )

    async def cases_with_a_date_passed(self, now: datetime) -> list[str]:
        """Cases with an outstanding agreed date before today (in England)."""
        today = _midnight(day_in_england(now))
        cursor = self.collection.find(
            {"earliest_agreed_date": {"$lt": today}}, projection={"_id": 1}
        ).sort("earliest_agreed_date", ASCENDING)
        return [str(document["_id"]) async for document in cursor]
