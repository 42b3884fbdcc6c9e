"""Run one service under pyinstrument, to see where its time goes under load.

    python -m bench.profiled intake        # settings from the environment, like safeguarding-intake
    kill -USR1 <pid>                       # start recording
    kill -USR2 <pid>                       # stop; write .local/profiles/<service>-<time>.txt/.html

Only the window between the two signals is recorded, so start-up and idle time do not drown
what happens under load. The main thread is sampled (the event loop and everything it runs):
time spent waiting on MongoDB or Kafka shows as the loop's idle `select`.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from pyinstrument import Profiler

from shared.config import ServiceSettings
from shared.observability import configure_logging
from shared.runtime import ServiceRuntime

PROFILES = Path(__file__).resolve().parent.parent / ".local" / "profiles"


def service(name: str) -> tuple[ServiceSettings, Callable[[], tuple[FastAPI, ServiceRuntime]]]:
    if name == "intake":
        from services.intake.app import build as build_intake
        from services.intake.settings import IntakeSettings

        intake = IntakeSettings()
        return intake, lambda: build_intake(intake)
    if name == "outcomes":
        from services.outcomes.app import build as build_outcomes
        from services.outcomes.settings import OutcomesSettings

        outcomes = OutcomesSettings()
        return outcomes, lambda: build_outcomes(outcomes)
    if name == "notification":
        from services.notification.app import build as build_notification
        from services.notification.settings import NotificationSettings

        notification = NotificationSettings()
        return notification, lambda: build_notification(notification)
    raise SystemExit(f"unknown service {name!r}: intake, outcomes or notification")


class Recording:
    def __init__(self, name: str) -> None:
        self.name = name
        self.profiler: Profiler | None = None

    def start(self, *_: object) -> None:
        if self.profiler is None:
            self.profiler = Profiler(interval=0.001, async_mode="disabled")
            self.profiler.start()

    def stop(self, *_: object) -> None:
        if self.profiler is None:
            return
        session = self.profiler.stop()
        self.profiler = None
        PROFILES.mkdir(parents=True, exist_ok=True)
        stem = PROFILES / f"{self.name}-{time.strftime('%Y%m%dT%H%M%S')}"
        from pyinstrument.renderers import ConsoleRenderer, HTMLRenderer

        stem.with_suffix(".txt").write_text(
            ConsoleRenderer(unicode=True, color=False, show_all=False).render(session)
        )
        stem.with_suffix(".html").write_text(HTMLRenderer().render(session))


async def serve(name: str) -> None:
    settings, build = service(name)
    configure_logging(name, settings.log_level)
    recording = Recording(name)
    signal.signal(signal.SIGUSR1, recording.start)
    signal.signal(signal.SIGUSR2, recording.stop)
    app, _ = build()
    config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None)
    try:
        await uvicorn.Server(config).serve()
    finally:
        recording.stop()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1] if len(sys.argv) > 1 else ""))
