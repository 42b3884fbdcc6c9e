"""Whether each background worker is getting anywhere, so `/health` tells the truth.

A worker that is alive but stuck (retrying the same message, batch or outbox entry for ever) is
as bad as a dead one: nothing behind it moves. Each worker says when it starts a piece of work
and when the work moved on; `/health` answers 503 while any worker has been on the same piece of
work for longer than the threshold, and `worker_stuck` / `worker_seconds_on_current_work` show it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.metrics import WORKER_SECONDS_ON_CURRENT_WORK, WORKER_STUCK

Clock = Callable[[], float]


@dataclass
class WorkerProgress:
    """One worker's progress. `working()` when a piece of work starts, `advanced()` whenever it
    moves on (a batch committed, a message parked, an entry published), `idle()` when there is
    nothing to do. Idle is never stuck."""

    name: str
    stuck_after_seconds: float
    clock: Clock = field(default=time.monotonic)
    _since: float | None = None
    _last_progress: float | None = None

    def working(self) -> None:
        if self._since is None:
            self._since = self.clock()

    def advanced(self) -> None:
        now = self.clock()
        self._last_progress = now
        if self._since is not None:
            self._since = now

    def idle(self) -> None:
        self._since = None
        self._last_progress = self.clock()

    @property
    def seconds_on_current_work(self) -> float:
        return 0.0 if self._since is None else max(self.clock() - self._since, 0.0)

    @property
    def stuck(self) -> bool:
        return self.seconds_on_current_work > self.stuck_after_seconds

    def report(self) -> dict[str, float | bool | None]:
        """What `/health` shows for this worker, and the metrics it sets."""
        waiting = self.seconds_on_current_work
        WORKER_SECONDS_ON_CURRENT_WORK.labels(self.name).set(waiting)
        WORKER_STUCK.labels(self.name).set(1 if self.stuck else 0)
        return {
            "stuck": self.stuck,
            "seconds_on_current_work": round(waiting, 1),
            "seconds_since_last_progress": (
                None
                if self._last_progress is None
                else round(self.clock() - self._last_progress, 1)
            ),
        }
