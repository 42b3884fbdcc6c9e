"""`safeguarding-practitioner-web`: run the practitioner web app (settings from the environment)."""

from __future__ import annotations

import uvicorn

from services.practitioner_web.app import build
from services.practitioner_web.settings import WebSettings
from shared.identity import settings_to_start
from shared.observability import configure_logging
from shared.process import settle_garbage_collection


def run() -> None:
    settings = settings_to_start(WebSettings, "practitioner-web")
    configure_logging("practitioner-web", settings.log_level)
    settle_garbage_collection()
    uvicorn.run(build(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    run()
