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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pymongo import UpdateOne

from shared.events import Envelope
from shared.events.registry import as_recorded
from shared.mongo import Database, Document, Session

COLLECTION = "concern_cases"


@dataclass
class ConcernCase:
    """One concern's document: the case it belongs to (None until it has one) and the repeat
    reports waiting for that case (as read: recorded, sealed; or as just parked)."""

    case_id: str | None = None
    waiting: list[Document | Envelope] = field(default_factory=list)


class ConcernCases:
    def __init__(self, database: Database) -> None:
        self.collection = database[COLLECTION]

    async def case_of(self, concern_id: str, session: Session | None = None) -> str | None:
        document = await self.collection.find_one({"_id": concern_id}, session=session)
        case_id = document.get("case_id") if document else None
        return str(case_id) if case_id else None

    async def read(self, concern_ids: Sequence[str], session: Session) -> dict[str, ConcernCase]:
        """These concerns' documents, as they are in `session` (one for each, empty where
        there is none yet)."""
        wanted = sorted(set(concern_ids))
        found = {concern_id: ConcernCase() for concern_id in wanted}
        # Small `$in` lists: the test server's cost grows with the square of the list's length.
        for start in range(0, len(wanted), 100):
            cursor = self.collection.find(
                {"_id": {"$in": wanted[start : start + 100]}}, session=session
            )
            async for document in cursor:
                case_id = document.get("case_id")
                found[document["_id"]] = ConcernCase(
                    str(case_id) if case_id else None, list(document.get("waiting", []))
                )
        return found

    async def write(self, documents: Mapping[str, ConcernCase], session: Session) -> None:
        """Write these concerns' documents as they now are (read in `session` and changed)."""
        if documents:
            await self.collection.bulk_write(
                [
                    UpdateOne(
                        {"_id": concern_id},
                        {
                            "$set": {
                                "case_id": each.case_id,
                                "waiting": [
                                    as_recorded(w) if isinstance(w, Envelope) else w
                                    for w in each.waiting
                                ],
                            }
                        },
                        upsert=True,
                    )
                    for concern_id, each in sorted(documents.items())
                ],
                ordered=False,
                session=session,
            )
