"""Waking a worker as soon as work is written, without polling fast.

The writers of this process say what they inserted (`inserted_into`), and the workers waiting
on that collection wake once the write commits; a bounded poll covers what this process did
not write (another instance, an operator's tool), so a worker waits at most `poll_interval`.

Not a change stream: on the MongoDB-wire test server every open change stream reads the
oplog under the storage lock on every poll, and a few of them halved what the services' own
transactions got (`python -m bench.server_limits`). Each service's writers and workers share a
process, so a signal in memory wakes them as promptly, at no cost to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref

from shared.mongo import Collection, Session, after_commit

_waiting: dict[str, weakref.WeakSet[InsertSignal]] = {}


def inserted_into(collection: Collection, session: Session | None) -> None:
    """Something was inserted into `collection` in `session`: wake the workers of this process
    waiting on it once that commits."""
    signals = _waiting.get(collection.full_name)
    if signals:
        after_commit(session, lambda: _wake(collection.full_name))


def _wake(name: str) -> None:
    for signal in list(_waiting.get(name, ())):
        signal._inserted.set()


class InsertSignal:
    def __init__(self, collection: Collection, poll_interval: float) -> None:
        self.collection = collection
        self.poll_interval = poll_interval
        self._inserted = asyncio.Event()
        self.watching = asyncio.Event()
        """Set while inserts of this process wake the worker (from `watch` on)."""

    async def watch(self) -> None:
        """Run until cancelled; meanwhile every insert this process commits into the collection
        sets the signal."""
        name = self.collection.full_name
        _waiting.setdefault(name, weakref.WeakSet()).add(self)
        self.watching.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.watching.clear()
            _waiting[name].discard(self)

    async def wait(self) -> None:
        """Return when something was inserted since the last wait, or after the poll interval."""
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation that
        # arrives just as the event is set, and the worker then never stops.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_interval):
                await self._inserted.wait()
        self._inserted.clear()
