"""An in-memory print queue with the same promise as the real one: idempotent on reference."""

from __future__ import annotations

from services.notification.adapters.delivery.letters import QueuedLetter


class InMemoryPrintQueue:
    def __init__(self) -> None:
        self.letters: dict[str, QueuedLetter] = {}

    async def enqueue(self, letter: QueuedLetter) -> None:
        self.letters.setdefault(letter.reference, letter)
