"""The practitioner in the benchmark. Nothing about a concern is sent before a practitioner's
safe-contact decision, so the benchmark plays one: for every concern raised it records that an
email to the person is safe, as soon as notification has read the concern. When each decision
was recorded is kept, so the figures can say how long informing takes once a practitioner has
decided, apart from how long the decision took.

Notification has read a concern when the person's ContactPreferencesRecorded is on its topic (it
is committed with the concern's waiting decision): the practitioner asks then, as someone
working from the list of concerns awaiting a decision would, rather than asking again and
again. Every request is audited and costs the database as much as informing someone does, so
asking every 50 ms from the moment a concern was raised made the benchmark's practitioner half of
notification's load at 20 concerns/s."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

from bench.arrivals import Arrivals, Json, TopicArrivals
from infra.sign_in import StaffSignIn, TestUser
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS

PRACTITIONERS = 48
"""Decisions being recorded at once: enough that a visible concern waits for none at the rates
the benchmark offers, as a council's practitioners work side by side (`decided_after_visible` in
the results shows the wait; with 8 at once it was seconds in the flat-out phase, the
benchmark's own limit rather than the system's)."""

NOT_READ_YET_PAUSE_S = 0.5
"""After a 404 (notification has not read the concern yet: rare, see above) or a 409 (busy with
another step of the person), how long before asking again."""


class Practitioner:
    def __init__(
        self,
        kafka: str,
        notification_url: str,
        sign_in: StaffSignIn,
        workers: int = PRACTITIONERS,
    ) -> None:
        self.notification_url = notification_url
        self.sign_in = sign_in
        self.workers = workers
        self.visible = Arrivals()
        """Concern id -> when notification had read it, so a practitioner could decide
        (perf_counter): when the person's ContactPreferencesRecorded arrived; for a person whose
        preferences had arrived already, when the concern's ConcernRaised did."""
        self.decided = Arrivals()
        """Concern id -> when its safe-contact decision was recorded (perf_counter)."""
        self.asked: list[float] = []
        """How long each decision request took to be answered 201 (seconds)."""
        self.asked_again = 0
        """Requests answered 404 or 409, each asked again after a pause."""
        self.refused = 0
        self.transport_errors = 0
        self._waiting: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._raised = TopicArrivals(kafka, INTAKE_EVENTS, {"ConcernRaised"}, self._to_decide)
        self._read = TopicArrivals(
            kafka, NOTIFICATION_EVENTS, {"ContactPreferencesRecorded"}, self._read_by_notification
        )
        self._concerns_of: dict[str, list[str]] = {}
        """Person id -> concerns raised about them that notification has not read yet."""
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None

    def _to_decide(self, _: str, payload: Json) -> str | None:
        concern_id, person_id = payload.get("concern_id"), payload.get("person_id")
        if isinstance(concern_id, str) and isinstance(person_id, str):
            if person_id in self._read.seen:
                self._visible(person_id, concern_id)
            else:
                self._concerns_of.setdefault(person_id, []).append(concern_id)
            return concern_id
        return None

    def _read_by_notification(self, _: str, payload: Json) -> str | None:
        person_id = payload.get("person_id")
        if not isinstance(person_id, str):
            return None
        for concern_id in self._concerns_of.pop(person_id, []):
            self._visible(person_id, concern_id)
        return person_id

    def _visible(self, person_id: str, concern_id: str) -> None:
        self.visible.arrived(concern_id, time.perf_counter())
        self._waiting.put_nowait((person_id, concern_id))

    async def start(self) -> None:
        self._http = httpx.AsyncClient(
            base_url=self.notification_url,
            timeout=60,
            limits=httpx.Limits(max_connections=self.workers),
        )
        await self._read.start()
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
        await self._read.stop()
        if self._http is not None:
            await self._http.aclose()

    async def _decide(self) -> None:
        assert self._http is not None
        while True:
            person_id, concern_id = await self._waiting.get()
            asked = time.perf_counter()
            try:
                response = await self._http.post(
                    f"/people/{person_id}/safe-contact",
                    json={
                        "concern_id": concern_id,
                        "routes": [{"role": "person", "channel": "email"}],
                    },
                    headers=await self.sign_in.headers(TestUser.PRACTITIONER),
                )
            except httpx.TransportError:
                # The connection broke (e.g. the server closed a kept-alive one as it was
                # reused): ask again, as a practitioner would.
                self.transport_errors += 1
                await asyncio.sleep(NOT_READ_YET_PAUSE_S)
                self._waiting.put_nowait((person_id, concern_id))
                continue
            if response.status_code == 201:
                answered = time.perf_counter()
                self.decided.arrived(concern_id, answered)
                self.asked.append(answered - asked)
            elif response.status_code in (404, 409):
                self.asked_again += 1
                # Not read yet (404), or busy with another step of this person (409): again soon.
                await asyncio.sleep(NOT_READ_YET_PAUSE_S)
                self._waiting.put_nowait((person_id, concern_id))
            else:
                self.refused += 1
