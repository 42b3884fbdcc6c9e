"""A read model with one document per case, written in batches, that tracks in each document
the last version it applied of every stream that feeds it.

Replaying a year of events must be fast, so a batch costs a fixed handful of round trips
whatever its size: the events are grouped by case, the affected documents are read in a few
queries, folded in memory, and written back with one bulk write (a replacement where the
document exists, an insert where it is new). `Projection` hands `project` each stream's events
in order and without gaps (holding a stream back across one); the applied versions kept in the
document as well make each document's own write self-checking: the read model and the record of
what it applied change in one write, so a redelivered or republished event changes nothing.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Sequence

from pymongo import InsertOne, ReplaceOne

from shared.events import Envelope
from shared.eventstore import EventStore
from shared.metrics import DUPLICATES_SKIPPED
from shared.mongo import Collection as MongoCollection
from shared.mongo import Database, Document, Session, whole_document_write
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
    def collection(self) -> MongoCollection:
        return self.database[self.collection_name]

    @abstractmethod
    def case_of(self, event: Envelope) -> str | None:
        """The case this event belongs to in this read model, or None to pass it over. Must
        always give the same answer for the same event (redeliveries are recognised by it)."""

    @abstractmethod
    def fold(self, case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
        """The case's document after `events` (in order); `document` is None the first time."""

    def fold_again(self, case_id: str, document: Document, own: Sequence[Envelope]) -> Document:
        """The case's document folded again from its own events (`own`, as far as `document`
        had applied them) after an erasure, equal to what a rebuild gives. By default the
        document is built from them alone; a read model fed by other topics too keeps what
        those added."""
        return self.fold(case_id, None, own)

    async def project_again(
        self, streams: Collection[str], store: EventStore, session: Session
    ) -> None:
        """Fold these cases again from the store, each as far as its document had applied its
        own stream; what applied stays as it was, so nothing is applied twice or skipped."""
        for case_id in sorted(streams):
            document = await self.collection.find_one({"_id": case_id}, session=session)
            if document is None:
                continue  # not projected yet: it will be, from erased events
            applied = {a["stream_id"]: a["version"] for a in document["applied"]}
            own = [
                e
                for e in await store.load(case_id, session)
                if e.stream_version <= applied.get(case_id, 0)
            ]
            again = self.fold_again(case_id, document, own)
            await self.collection.replace_one(
                {"_id": case_id},
                {**again, "_id": case_id, "applied": document["applied"]},
                session=session,
            )

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        by_case: dict[str, list[Envelope]] = {}
        for event in events:
            case_id = self.case_of(event)
            if case_id is not None:
                by_case.setdefault(case_id, []).append(event)
        if not by_case:
            return
        stored = await self._load(list(by_case), session)
        writes: list[InsertOne[Document] | ReplaceOne[Document]] = []
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
            writes.append(whole_document_write(folded, stored=document is not None))
        if writes:
            await self.collection.bulk_write(writes, ordered=False, session=session)

    async def _load(self, case_ids: list[str], session: Session) -> dict[str, Document]:
        stored: dict[str, Document] = {}
        for start in range(0, len(case_ids), _IDS_PER_QUERY):
            chunk = case_ids[start : start + _IDS_PER_QUERY]
            async for document in self.collection.find({"_id": {"$in": chunk}}, session=session):
                stored[document["_id"]] = document
        return stored
