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
    """Apply each event's change to its concern's document, in the batch's order, with one
    command; a concern's document is made by its ConcernRaised."""
    if changes:
        await collection.bulk_write(
            [
                first_document(event.stream_id, change)
                if isinstance(event.payload, ConcernRaised)
                else UpdateOne({"_id": event.stream_id}, change)
                for event, change in changes
            ],
            session=session,
        )


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
