"""A purge of the outbox that stops getting anywhere shows as a stuck worker (and so on /health).
What it deletes is proved on the real servers (tests/integration/test_outbox_relay.py)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any, cast

from shared.mongo import Collection
from shared.outbox import PublishedOutboxPurge
from shared.progress import WorkerProgress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class UnansweringOutbox:
    """An outbox whose database never answers a query."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    def find(self, *args: Any, **kwargs: Any) -> UnansweringOutbox:
        return self

    def limit(self, count: int) -> UnansweringOutbox:
        return self

    def __aiter__(self) -> UnansweringOutbox:
        return self

    async def __anext__(self) -> Any:
        self.asked.set()
        await asyncio.Event().wait()


async def test_a_purge_waiting_on_its_database_for_too_long_is_stuck() -> None:
    clock = Clock()
    progress = WorkerProgress("test:outbox-purge", 60.0, clock=clock)
    outbox = UnansweringOutbox()
    purge = PublishedOutboxPurge(
        cast(Collection, outbox), keep_published=timedelta(days=7), progress=progress
    )
    task = asyncio.create_task(purge.run())
    try:
        await asyncio.wait_for(outbox.asked.wait(), 5)
        clock.now = 59.0
        assert progress.stuck is False
        clock.now = 61.0
        assert progress.stuck is True
        assert progress.report()["stuck"] is True
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
