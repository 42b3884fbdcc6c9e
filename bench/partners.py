"""Partner agencies raising concerns: over HTTP at a steady rate or as fast as intake takes
them, and as a burst of submissions on Kafka. Each concern is the demo's (a real, complete
submission) with its own partner reference and a new person's NHS number."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import httpx

from demo.story import concern
from services.intake.application.submissions import AGENCY_HEADER
from services.intake.domain.signature import SIGNATURE_HEADER, sign
from services.intake.settings import DEV_PARTNER, DEV_PARTNER_KEY, DEV_PARTNER_SIGNING_KEY


def submission(run: str, number: int) -> dict[str, object]:
    """A complete concern; its partner reference is `reference(run, number)`."""
    return concern(f"{run}-{number}")


def reference(run: str, number: int) -> str:
    return f"WMP-{run}-{number}"


def kafka_submission(run: str, number: int) -> bytes:
    return json.dumps(submission(run, number)).encode()


def kafka_headers(value: bytes) -> list[tuple[str, bytes]]:
    """The development partner's headers for `value`: its agency, and its signature."""
    return [
        (AGENCY_HEADER, DEV_PARTNER.encode()),
        (SIGNATURE_HEADER, sign(DEV_PARTNER_SIGNING_KEY, DEV_PARTNER, value)),
    ]


@dataclass
class Sent:
    """One HTTP submission: when it started and ended (perf_counter), and what came back."""

    number: int
    started: float
    ended: float
    status: int
    concern_id: str | None


@dataclass
class HttpPartner:
    client: httpx.AsyncClient
    run: str
    sent: list[Sent] = field(default_factory=list)
    _next: int = 0

    async def send_one(self) -> Sent:
        number = self._next
        self._next += 1
        body = submission(self.run, number)
        started = time.perf_counter()
        try:
            response = await self.client.post(
                "/concerns",
                json=body,
                headers={"X-API-Key": DEV_PARTNER_KEY, "Idempotency-Key": f"{self.run}-{number}"},
            )
            status = response.status_code
            concern_id = response.json().get("concern_id") if status == 202 else None
        except httpx.HTTPError:
            status, concern_id = 0, None
        result = Sent(number, started, time.perf_counter(), status, concern_id)
        self.sent.append(result)
        return result

    async def steady(self, rate: float, seconds: float) -> list[Sent]:
        """Open loop: one concern every 1/rate seconds whatever the answers take, as partners
        would send them."""
        count = max(1, round(rate * seconds))
        begun = time.perf_counter()
        tasks = []
        for i in range(count):
            delay = begun + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send_one()))
        return list(await asyncio.gather(*tasks))

    async def flat_out(self, seconds: float, limit: int, concurrency: int) -> list[Sent]:
        """Closed loop: `concurrency` partners each sending the next concern as soon as the last
        was answered, until `seconds` pass or `limit` concerns were sent."""
        deadline = time.perf_counter() + seconds
        results: list[Sent] = []

        async def partner() -> None:
            while time.perf_counter() < deadline and self._next < limit_at:
                results.append(await self.send_one())

        limit_at = self._next + limit
        await asyncio.gather(*(partner() for _ in range(concurrency)))
        return results
