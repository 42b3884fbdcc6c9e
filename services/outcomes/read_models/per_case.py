"""A read model with one document per case, written in batches, that tracks in each document
the last version it applied of every stream that feeds it.

Replaying a year of events must be fast, so a batch costs a fixed handful of round trips
whatever its size: the events are grouped by case, the affected documents are read in a few
queries, folded in memory, and written back with one bulk write (a plain replacement where the
document exists, an upsert where it is new). `Projection` hands `project` each stream's events
in order and without gaps (holding a stream back across one); the applied versions kept in the
document as well make each document's own write self-checking: the read model and the record of
what it applied change in one write, so a redelivered or republished event changes nothing.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

from pymongo import ReplaceOne

from shared.events import Envelope
from shared.metrics import DUPLICATES_SKIPPED
from shared.mongo import Collection, Database, Document, Session
from shared.projection import Projection

# A long `$in` is slow on some MongoDB-wire servers (SecantusDB's cost grows with its square);
# short ones in sequence stay fast everywhere.
_IDS_PER_QUERY = 50


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
        """The case this event belongs to in this read model, or None to pass it over. Must
        always give the same answer for the same event (redeliveries are recognised by it)."""

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
        stored = await self._load(list(by_case), session)
        writes: list[ReplaceOne[Document]] = []
        for case_id, events in by_case.items():
            document = stored.get(case_id)
            applied = (
                {a["stream_id"]: a["version"] for a in document["applied"]} if document else {}
            )
            fresh: list[Envelope] = []
            for event in events:
                if event.stream_version <= applied.get(event.stream_id, 0):
                    DUPLICATES_SKIPPED.labels(self.name).inc()
                    continue
                fresh.append(event)
                applied[event.stream_id] = event.stream_version
            if not fresh:
                continue
            folded = {
                **self.fold(case_id, document, fresh),
                "_id": case_id,
                "applied": [{"stream_id": s, "version": v} for s, v in sorted(applied.items())],
            }
            writes.append(ReplaceOne({"_id": case_id}, folded, upsert=document is None))
        if writes:
            await self.collection.bulk_write(writes, ordered=False, session=session)

    async def _load(self, case_ids: list[str], session: Session) -> dict[str, Document]:
        stored: dict[str, Document] = {}
        for start in range(0, len(case_ids), _IDS_PER_QUERY):
            chunk = case_ids[start : start + _IDS_PER_QUERY]
            async for document in self.collection.find({"_id": {"$in": chunk}}, session=session):
                stored[document["_id"]] = document
        return stored
