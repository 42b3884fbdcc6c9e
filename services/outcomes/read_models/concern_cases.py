"""The `concern_cases` collection: which case each concern belongs to (its own, or the open case a
repeat report joined), and the repeat reports that arrived before the case they join was open.

Written in the same transaction as the case events it indexes (by the case-opening reaction), so
it never disagrees with them. Each concern's document is also where a repeat waits for its case:
the reaction opening a case and the one parking a repeat for it both write that one document, so
if they run at once (two instances, two partitions) one of them conflicts and is retried, and a
repeat is never left waiting for a case that opened meanwhile. A waiting repeat is kept as it was
published, its personal fields sealed; the reaction opens it when it joins.
"""

from __future__ import annotations

from pymongo import ReturnDocument

from shared.events import Envelope
from shared.events.registry import as_recorded
from shared.mongo import Database, Document, Session

COLLECTION = "concern_cases"


class ConcernCases:
    def __init__(self, database: Database) -> None:
        self.collection = database[COLLECTION]

    async def case_of(self, concern_id: str, session: Session | None = None) -> str | None:
        document = await self.collection.find_one({"_id": concern_id}, session=session)
        case_id = document.get("case_id") if document else None
        return str(case_id) if case_id else None

    async def belongs_to(self, concern_id: str, case_id: str, session: Session) -> list[Document]:
        """Record that the concern's case is `case_id`; returns the repeat reports (their
        ConcernRaised, as recorded: sealed) that were waiting for it, and forgets them."""
        before: Document | None = await self.collection.find_one_and_update(
            {"_id": concern_id},
            {"$set": {"case_id": case_id, "waiting": []}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
            session=session,
        )
        waiting: list[Document] = before.get("waiting", []) if before else []
        return waiting

    async def wait_for_case(self, concern_id: str, repeat: Envelope, session: Session) -> None:
        """Park a repeat report until the case of the concern it repeats is open."""
        await self.collection.update_one(
            {"_id": concern_id},
            {"$push": {"waiting": as_recorded(repeat)}, "$setOnInsert": {"case_id": None}},
            upsert=True,
            session=session,
        )
