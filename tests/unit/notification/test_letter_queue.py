"""Letters the council prints itself go on its print queue, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notification.adapters.delivery import (
    LetterQueue,
    OutgoingMessage,
    PermanentDeliveryError,
)
from services.notification.domain.safety import EmailAddressee, PostalAddressee
from shared.events.notification import PostalAddress
from tests.support.print_queue import InMemoryPrintQueue

MESSAGE = OutgoingMessage(reference="event-1.person", subject="Your plan", body="Hello Mary.\n")
MARY = PostalAddressee(
    name="Mary Smith", address=PostalAddress(lines=("10 High Street",), postcode="WR1 2AB")
)
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


async def test_a_letter_is_put_on_the_print_queue() -> None:
    queue = InMemoryPrintQueue()
    reference = await LetterQueue(queue, clock=lambda: NOW).send(MESSAGE, MARY)
    letter = queue.letters["event-1.person"]
    assert (letter.addressee, letter.subject, letter.body, letter.queued_at) == (
        MARY,
        "Your plan",
        "Hello Mary.\n",
        NOW,
    )
    assert reference == "print-queue:event-1.person"


async def test_queueing_the_same_letter_again_prints_it_once() -> None:
    queue = InMemoryPrintQueue()
    letters = LetterQueue(queue)
    first = await letters.send(MESSAGE, MARY)
    again = await letters.send(MESSAGE, MARY)
    assert first == again
    assert len(queue.letters) == 1


async def test_the_print_queue_takes_only_letters() -> None:
    with pytest.raises(PermanentDeliveryError, match="only takes letters"):
        await LetterQueue(InMemoryPrintQueue()).send(
            MESSAGE, EmailAddressee(name="Mary", email="mary@example.org")
        )
