"""Letters printed and posted by the council itself: the sender hands each letter to a print queue.

The queue is a port: the service stores letters in MongoDB, tests use an in-memory queue.
Whoever runs the print room takes letters from the queue; a letter counts as handed over once
it is safely stored, which is what `PersonInformed` for a letter records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.notification.adapters.delivery.sender import (
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notification.domain.safety import Addressee, PostalAddressee
from shared.observability import kind_of_failure


class QueuedLetter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str
    addressee: PostalAddressee
    subject: str
    body: str
    queued_at: AwareDatetime


class PrintQueue(Protocol):
    async def enqueue(self, letter: QueuedLetter) -> None:
        """Store the letter for printing.

        Must be idempotent on `letter.reference` (e.g. a unique index): queueing the same
        reference again stores nothing new, so a redelivered event never prints a second letter.
        Raise TransientDeliveryError (or OSError) when the store cannot be reached."""
        ...


def print_queue_reference(reference: str) -> str:
    return f"print-queue:{reference}"


class LetterQueue:
    """A `Sender` for letters that puts them on the council's print queue."""

    def __init__(
        self, queue: PrintQueue, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._queue = queue
        self._clock = clock

    async def send(self, message: OutgoingMessage, recipient: Addressee) -> str:
        if not isinstance(recipient, PostalAddressee):
            raise PermanentDeliveryError("the print queue only takes letters")
        letter = QueuedLetter(
            reference=message.reference,
            addressee=recipient,
            subject=message.subject,
            body=message.body,
            queued_at=self._clock(),
        )
        try:
            await self._queue.enqueue(letter)
        except OSError as error:
            raise TransientDeliveryError(
                f"could not store the letter ({kind_of_failure(error)})"
            ) from error
        return print_queue_reference(message.reference)
