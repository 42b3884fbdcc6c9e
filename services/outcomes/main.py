"""`safeguarding-outcomes`: run the outcomes service."""

from __future__ import annotations

import uvicorn

from services.outcomes.app import build
from services.outcomes.settings import OutcomesSettings
from shared.observability import configure_logging


def run() -> None:
    settings = OutcomesSettings()
    configure_logging("outcomes", settings.log_level)
    app, _ = build(settings)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    run()
