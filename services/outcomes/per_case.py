"""A read model with one document per case, written in batches.

Replaying a year of events must be fast, so a batch costs a fixed number of round trips whatever
its size: the events are grouped by case, the affected documents are read with one query, folded
in memory, and written back with one bulk write of whole-document replacements.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

from pymongo import ReplaceOne

from shared.events import Envelope
from shared.mongo import Collection, Database, Document, Session
from shared.projection import Projection


class PerCaseProjection(Projection):
    collection_name: str

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.read_models = (self.collection_name,)

    @property
    def collection(self) -> Collection:
        return self.database[self.collection_name]

    @abstractmethod
    def case_of(self, event: Envelope) -> str | None:
        """The case this event belongs to in this read model, or None to pass it over."""

    @abstractmethod
    def fold(self, case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
        """The case's document after `events` (in order); `document` is None the first time."""

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        by_case: dict[str, list[Envelope]] = {}
        for event in events:
            case_id = self.case_of(event)
            if case_id is not None:
                by_case.setdefault(case_id, []).append(event)
        if not by_case:
            return
        stored = {
            document["_id"]: document
            async for document in self.collection.find(
                {"_id": {"$in": list(by_case)}}, session=session
            )
        }
        writes = [
            ReplaceOne(
                {"_id": case_id},
                {**self.fold(case_id, stored.get(case_id), case_events), "_id": case_id},
                upsert=True,
            )
            for case_id, case_events in by_case.items()
        ]
        await self.collection.bulk_write(writes, ordered=False, session=session)
