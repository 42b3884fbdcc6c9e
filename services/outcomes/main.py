"""`safeguarding-outcomes`: run the outcomes service (settings from the environment)."""

from __future__ import annotations

import asyncio

import uvicorn

from services.outcomes.app import build
from services.outcomes.settings import OutcomesSettings
from shared.identity import settings_to_start
from shared.observability import configure_logging
from shared.process import settle_garbage_collection


async def serve(settings: OutcomesSettings) -> None:
    # Built inside the running loop: the Kafka producer binds to the loop it is created in.
    app, _ = build(settings)
    config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None)
    await uvicorn.Server(config).serve()


def run() -> None:
    settings = settings_to_start(OutcomesSettings, "outcomes")
    configure_logging("outcomes", settings.log_level)
    settle_garbage_collection()
    asyncio.run(serve(settings))


if __name__ == "__main__":
    run()
