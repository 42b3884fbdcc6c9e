"""Waking a worker as soon as work is written, without polling fast.

A change stream over the collection signals each insert; a bounded poll covers the time the
change stream is unavailable (or misses something), so a worker waits at most `poll_interval`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pymongo.errors import PyMongoError

from shared.mongo import Collection

log = logging.getLogger(__name__)


class InsertSignal:
    def __init__(self, collection: Collection, poll_interval: float) -> None:
        self.collection = collection
        self.poll_interval = poll_interval
        self._inserted = asyncio.Event()
        self.watching = asyncio.Event()
        """Set while the change stream is open (inserts from then on wake the worker)."""

    async def watch(self) -> None:
        """Run until cancelled, setting the signal on every insert."""
        while True:
            try:
                async with await self.collection.watch(
                    [{"$match": {"operationType": "insert"}}]
                ) as stream:
                    self.watching.set()
                    async for _ in stream:
                        self._inserted.set()
            except PyMongoError as error:
                self.watching.clear()
                log.info("change stream unavailable; polling", extra={"error": error})
                await asyncio.sleep(self.poll_interval)

    async def wait(self) -> None:
        """Return when something was inserted since the last wait, or after the poll interval."""
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation that
        # arrives just as the event is set, and the worker then never stops.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_interval):
                await self._inserted.wait()
        self._inserted.clear()
