"""Each service's OpenAPI document, built from its app without starting it."""

from __future__ import annotations

from typing import Any

from services.intake.app import build as build_intake
from services.intake.settings import IntakeSettings
from services.notification.app import build as build_notification
from services.notification.settings import NotificationSettings
from services.outcomes.app import build as build_outcomes
from services.outcomes.settings import OutcomesSettings


async def openapi_documents() -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for name, (app, runtime) in {
        "intake": build_intake(IntakeSettings()),
        "outcomes": build_outcomes(OutcomesSettings()),
        "notification": build_notification(NotificationSettings()),
    }.items():
        documents[name] = app.openapi()
        await runtime.client.close()
        await runtime.producer.stop()
    return documents
