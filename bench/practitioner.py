"""The practitioner in the benchmark. Nothing about a concern is sent before a practitioner's
safe-contact decision, so the benchmark plays one: for every concern raised it records that an
email to the person is safe, as soon as notification has read the concern. When each decision
was recorded is kept, so the figures can say how long informing takes once a practitioner has
decided, apart from how long the decision took."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

from bench.arrivals import Arrivals, Json, TopicArrivals
from infra.sign_in import StaffSignIn, TestUser
from shared.topics import INTAKE_EVENTS

NOT_READ_YET_PAUSE_S = 0.05
"""After a 404 (notification has not read the concern yet), how long before asking again."""


class Practitioner:
    def __init__(
        self, kafka: str, notification_url: str, sign_in: StaffSignIn, workers: int = 8
    ) -> None:
        self.notification_url = notification_url
        self.sign_in = sign_in
        self.workers = workers
        self.decided = Arrivals()
        """Concern id -> when its safe-contact decision was recorded (perf_counter)."""
        self.refused = 0
        self._waiting: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._raised = TopicArrivals(kafka, INTAKE_EVENTS, {"ConcernRaised"}, self._to_decide)
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None

    def _to_decide(self, _: str, payload: Json) -> str | None:
        concern_id, person_id = payload.get("concern_id"), payload.get("person_id")
        if isinstance(concern_id, str) and isinstance(person_id, str):
            self._waiting.put_nowait((person_id, concern_id))
            return concern_id
        return None

    async def start(self) -> None:
        self._http = httpx.AsyncClient(base_url=self.notification_url, timeout=60)
        await self._raised.start()
        self._tasks = [
            asyncio.create_task(self._decide(), name=f"practitioner {n}")
            for n in range(self.workers)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._raised.stop()
        if self._http is not None:
            await self._http.aclose()

    async def _decide(self) -> None:
        assert self._http is not None
        while True:
            person_id, concern_id = await self._waiting.get()
            response = await self._http.post(
                f"/people/{person_id}/safe-contact",
                json={"concern_id": concern_id, "routes": [{"role": "person", "channel": "email"}]},
                headers=await self.sign_in.headers(TestUser.PRACTITIONER),
            )
            if response.status_code == 201:
                self.decided.arrived(concern_id, time.perf_counter())
            elif response.status_code in (404, 409):
                # Not read yet (404), or busy with another step of this person (409): again soon.
                await asyncio.sleep(NOT_READ_YET_PAUSE_S)
                self._waiting.put_nowait((person_id, concern_id))
            else:
                self.refused += 1
