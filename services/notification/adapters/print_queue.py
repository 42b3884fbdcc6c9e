"""The council's print queue, kept in MongoDB (`print_queue`): one document per letter, keyed by
the delivery reference, so queueing the same letter again stores nothing new and the print room
never prints it twice.

Once the print room records a letter as printed, the queue keeps a reference to it, not the
letter: the addressee, heading and body are removed; the key, when it was queued and printed,
and the SHA-256 of the body printed (to prove later what was sent, against a copy) stay.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from services.notification.adapters.delivery import (
    QueuedLetter,
    TransientDeliveryError,
    text_sha256,
)
from shared.mongo import Database, Document, Session, in_transaction
from shared.observability import kind_of_failure

LETTER_FIELDS = ("addressee", "subject", "body")
"""What the queue holds of the letter itself, removed once it is printed."""


NOT_PRINTED: Document = {"printed": False}
"""The letters not recorded printed, withdrawn ones among them: a query the index serves."""


def still_to_print(letter: Document) -> bool:
    """A letter the print room should still print: not printed, and not withdrawn. Checked here
    on what was read by reference or from `NOT_PRINTED`: the test server would read the whole
    queue for a query on a field its index does not hold."""
    return not letter["printed"] and "withdrawn_at" not in letter


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
        cursor = self.collection.find(NOT_PRINTED).sort("queued_at", ASCENDING)
        return [
            QueuedLetter.model_validate({k: v for k, v in d.items() if k not in ("_id", "printed")})
            async for d in cursor
            if still_to_print(d)
        ]

    async def is_printed(self, reference: str) -> bool | None:
        """Whether the letter under this reference was recorded printed; None if there is none."""
        letter = await self.collection.find_one({"_id": reference}, {"printed": 1})
        return None if letter is None else bool(letter["printed"])

    async def printed(self, reference: str, now: datetime) -> bool:
        """The print room printed this letter: keep a reference to it instead of the letter.
        Returns False if no letter waits under this reference (unknown, or recorded already).
        Read and written in one transaction, so a letter withdrawn meanwhile (its person erased)
        conflicts with this write rather than being recorded printed."""

        async def record(session: Session) -> bool:
            letter = await self.collection.find_one({"_id": reference}, session=session)
            if letter is None or not still_to_print(letter):
                return False
            await self.collection.update_one(
                {"_id": reference},
                {
                    "$set": {
                        "printed": True,
                        "printed_at": now,
                        "sent_sha256": text_sha256(letter["body"]),
                    },
                    "$unset": dict.fromkeys(LETTER_FIELDS, ""),
                },
                session=session,
            )
            return True

        return await in_transaction(self.collection.database.client, record)

    async def withdraw(self, references: list[str], now: datetime, session: Session) -> None:
        """The person these letters are to was erased: those not yet printed are never printed,
        and no letter is kept whole, only its reference and times."""
        withdrawn = [
            letter["_id"]
            async for letter in self.collection.find(
                {"_id": {"$in": references}}, {"printed": 1, "withdrawn_at": 1}, session=session
            )
            if still_to_print(letter)
        ]
        if withdrawn:
            await self.collection.update_many(
                {"_id": {"$in": withdrawn}},
                {"$set": {"withdrawn_at": now}, "$unset": dict.fromkeys(LETTER_FIELDS, "")},
                session=session,
            )
