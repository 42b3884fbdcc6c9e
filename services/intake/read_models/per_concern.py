"""Writing a batch of events to a read model kept as one document per concern."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import UpdateOne

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
                UpdateOne(
                    {"_id": event.stream_id},
                    change,
                    upsert=isinstance(event.payload, ConcernRaised),
                )
                for event, change in changes
            ],
            session=session,
        )
