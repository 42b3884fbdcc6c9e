"""`safeguarding-practitioner-web`: run the practitioner web app (settings from the environment)."""

from __future__ import annotations

import uvicorn

from services.practitioner_web.app import build
from services.practitioner_web.settings import WebSettings
from shared.identity import settings_to_start
from shared.observability import configure_logging


def run() -> None:
    settings = settings_to_start(WebSettings, "practitioner-web")
    configure_logging("practitioner-web", settings.log_level)
    uvicorn.run(build(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    run()
