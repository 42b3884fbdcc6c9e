"""Writing a batch of events to a read model kept as one document per concern."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import InsertOne, UpdateOne

from shared.events import Envelope
from shared.events.intake import ConcernRaised
from shared.mongo import Collection, Document, Session


async def change_each_concern(
    collection: Collection, changes: Sequence[tuple[Envelope, Document]], session: Session
) -> None:
    """Apply each event's change to its concern's document, in the batch's order; a concern's
    document is made by its ConcernRaised.

    The batch's new documents are inserted first, then the changes made in the batch's order:
    a concern's ConcernRaised comes before its other events, so each document still sees its
    own events in order, and the writes take one command for the inserts and one for the
    changes (in the batch's order they alternate, and each run of one kind is a command)."""
    inserts = [
        first_document(event.stream_id, change)
        for event, change in changes
        if isinstance(event.payload, ConcernRaised)
    ]
    updates = [
        UpdateOne({"_id": event.stream_id}, change)
        for event, change in changes
        if not isinstance(event.payload, ConcernRaised)
    ]
    writes: list[InsertOne[Document] | UpdateOne] = [*inserts, *updates]
    if writes:
        await collection.bulk_write(writes, session=session)


def first_document(concern_id: str, change: Document) -> InsertOne[Document]:
    """The concern's document as `change` (`$set`, `$setOnInsert`, `$max`) makes it when there
    is none, inserted. A projection applies ConcernRaised, the first event of a concern's
    stream, once and before the rest, so there is none; an insert costs the server about half
    what an upsert does."""
    unknown = set(change) - {"$set", "$setOnInsert", "$max"}
    if unknown:
        raise ValueError(f"a concern's first document cannot be made with {sorted(unknown)}")
    return InsertOne(
        {
            "_id": concern_id,
            **change.get("$setOnInsert", {}),
            **change.get("$max", {}),
            **change.get("$set", {}),
        }
    )
