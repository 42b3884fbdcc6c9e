"""Concerns posted at the same moment are raised together, in one transaction.

Each partner's POST waits for its concern to be recorded, as before. While `WRITERS` groups are
being written, the concerns posted meanwhile wait and form the next groups: a concern posted
alone is written at once, and under load the database sees a few statements per group
(`IntakeCommands.raise_concerns`) instead of about ten per concern.

Nothing about a concern changes with the company it is raised in. No two groups being written
hold submissions that share a record or a person's matching key (those wait for a later group), and
a group that cannot be raised together (a person recognised by two of its submissions, a key
used for a different submission, a concurrent writer, any failure) is raised one by one, each in
a transaction of its own exactly as a concern posted alone: every partner gets the answer, or
the error, they would have got alone. A group whose transaction runs too long (the database is
slow) is raised again as two halves, so no group is tried for ever.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass, field
from typing import Final

from services.intake.application.commands import (
    IntakeCommands,
    Received,
    StillBusy,
    Submitted,
)
from shared.metrics import CONCERNS_POSTED
from shared.mongo import Session, TransactionTooLong, in_transaction

log = logging.getLogger(__name__)

GROUP_LIMIT: Final = 100
"""At most this many concerns in one group's transaction: a few statements of at most this
many documents each, far inside MongoDB's 60 s limit (and `TIME_LIMIT_S` below)."""
WRITERS: Final = 4
"""Groups written at once. More than one, because the database serves a service's transactions
side by side: one group at a time would leave the partners' concerns one transaction's share of
a busy database."""
TIME_LIMIT_S: Final = 30.0
"""A group still being written after this long is abandoned and raised again as two halves
(as a consumer batch is: well inside MongoDB's 60 s)."""


@dataclass
class _Posted:
    submitted: Submitted
    answer: asyncio.Future[Received]
    kept_apart: set[str] = field(default_factory=set)


class RaisingTogether:
    """Raises concerns posted over HTTP, together with those posted at the same moment."""

    def __init__(
        self, commands: IntakeCommands, limit: int = GROUP_LIMIT, writers: int = WRITERS
    ) -> None:
        self.commands = commands
        self.limit = limit
        self.writers = writers
        self._waiting: list[_Posted] = []
        self._in_flight: set[str] = set()
        """What the groups being written hold (`kept_apart`): no other group takes it."""
        self._writing: set[asyncio.Task[None]] = set()

    async def raise_concern(self, submitted: Submitted) -> Received:
        """Raise one partner's concern; its answer, or `raise_concern`'s error for it."""
        posted = _Posted(
            submitted,
            asyncio.get_running_loop().create_future(),
            self.commands.kept_apart(submitted),
        )
        self._waiting.append(posted)
        if len(self._writing) < self.writers:
            # In a context of its own: a writer serves many requests, not the first one's.
            writer = asyncio.create_task(self._write_groups(), context=contextvars.Context())
            self._writing.add(writer)
            writer.add_done_callback(self._writing.discard)
        # A partner who stops waiting does not stop the group: the concern is still raised,
        # and sending it again gets the same answer.
        return await posted.answer

    async def _write_groups(self) -> None:
        while group := self._next_group():
            try:
                await self._write(group)
            except BaseException:
                # Only when the service stops: nobody is left waiting for ever.
                for posted in [*group, *self._waiting]:
                    _fail(posted, StillBusy("the service is stopping"))
                self._waiting = []
                raise
            finally:
                for posted in group:
                    self._in_flight -= posted.kept_apart

    def _next_group(self) -> list[_Posted]:
        """The longest run of waiting concerns, in order, that share nothing kept apart with
        each other or with the groups being written; the rest wait, in the order they came."""
        group: list[_Posted] = []
        rest: list[_Posted] = []
        for posted in self._waiting:
            if len(group) < self.limit and not posted.kept_apart & self._in_flight:
                group.append(posted)
                self._in_flight |= posted.kept_apart
            else:
                rest.append(posted)
        self._waiting = rest
        return group

    async def _write(self, group: list[_Posted]) -> None:
        if len(group) > 1:
            batch = [posted.submitted for posted in group]

            async def work(tx: Session) -> list[Received]:
                return await self.commands.raise_concerns(batch, tx)

            try:
                answers = await in_transaction(
                    self.commands.client, work, attempts=1, time_limit=TIME_LIMIT_S
                )
            except TransactionTooLong:
                # The database is slow now: smaller groups, never the same one again.
                half = len(group) // 2
                await self._write(group[:half])
                await self._write(group[half:])
                return
            except Exception as error:  # any other failure: each is raised alone
                log.info(
                    "concerns posted together are raised one by one",
                    extra={"error": error, "concerns": len(group)},
                )
                CONCERNS_POSTED.labels(raised="one_by_one").inc(len(group))
            else:
                CONCERNS_POSTED.labels(raised="together").inc(len(group))
                for posted, answer in zip(group, answers, strict=True):
                    _answer(posted, answer)
                return
        else:
            CONCERNS_POSTED.labels(raised="alone").inc()
        for posted in group:
            await self._raise_alone(posted)

    async def _raise_alone(self, posted: _Posted) -> None:
        submitted = posted.submitted
        try:
            received = await self.commands.raise_concern(
                submitted.submission,
                actor=submitted.actor,
                via=submitted.via,
                idempotency_key=submitted.idempotency_key,
                correlation_id=submitted.correlation_id,
            )
        except Exception as error:  # handed to the one who posted it
            _fail(posted, error)
        else:
            _answer(posted, received)


def _answer(posted: _Posted, received: Received) -> None:
    if not posted.answer.done():
        posted.answer.set_result(received)


def _fail(posted: _Posted, error: BaseException) -> None:
    if not posted.answer.done():
        posted.answer.set_exception(error)
