"""The council's print queue, kept in MongoDB (`print_queue`): one document per letter, keyed by
the delivery reference, so queueing the same letter again stores nothing new and the print room
never prints it twice.
"""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from services.notification.adapters.delivery import QueuedLetter, TransientDeliveryError
from shared.mongo import Database, Document
from shared.observability import kind_of_failure


class MongoPrintQueue:
    """A `PrintQueue` for the `LetterQueue` sender."""

    def __init__(self, database: Database) -> None:
        self.collection = database["print_queue"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("printed", ASCENDING), ("queued_at", ASCENDING)])

    async def enqueue(self, letter: QueuedLetter) -> None:
        document: Document = letter.model_dump(mode="json")
        document |= {"queued_at": letter.queued_at, "printed": False}
        try:
            await self.collection.update_one(
                {"_id": letter.reference}, {"$setOnInsert": document}, upsert=True
            )
        except PyMongoError as error:
            raise TransientDeliveryError(
                f"could not store the letter ({kind_of_failure(error)})"
            ) from error

    async def waiting(self) -> list[QueuedLetter]:
        """Letters not yet printed, oldest first."""
        cursor = self.collection.find({"printed": False}).sort("queued_at", ASCENDING)
        return [
            QueuedLetter.model_validate({k: v for k, v in d.items() if k not in ("_id", "printed")})
            async for d in cursor
        ]
