"""The audit of access has one home (`StaffTokens.admit`): every staff route of every service
records the access, including routes nobody wrote audit code for. Each read route is called
with a manager's token (so no team rule refuses it) and must add exactly one entry naming it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.intake.app import build as build_intake
from services.intake.settings import IntakeSettings
from services.notification.app import build as build_notification
from services.notification.settings import NotificationSettings
from services.outcomes.app import build as build_outcomes
from services.outcomes.settings import OutcomesSettings
from shared.access import AUDIT_COLLECTION
from shared.identity import hash_api_key
from shared.mongo import Client
from shared.runtime import ServiceRuntime
from tests.support.staff import Staff, TestUser, identity_settings

NOT_STAFF = ("/health", "/metrics", "/partner/", "/openapi.json", "/docs", "/redoc")
QUERY_VALUES = {"from": "2026-01-01", "to": "2026-01-31"}


def probe_id(name: str) -> str:
    """An id of the form the service gives (`concern-<uuid>`) that names nothing on record."""
    return f"{name.removesuffix('_id')}-{uuid.uuid4()}"


BUILDERS: dict[str, Callable[[dict[str, Any]], tuple[FastAPI, ServiceRuntime]]] = {
    "intake": lambda s: build_intake(
        IntakeSettings.model_validate(
            {**s, "partner_api_keys": {"probe": hash_api_key("probe-key")}}
        )
    ),
    "outcomes": lambda s: build_outcomes(OutcomesSettings.model_validate(s)),
    "notification": lambda s: build_notification(NotificationSettings.model_validate(s)),
}


def staff_reads(app: FastAPI) -> list[tuple[str, str, dict[str, str]]]:
    """Every GET route for staff, from the OpenAPI document: its template, a path to call and
    its required query parameters."""
    reads = []
    for template, operations in app.openapi()["paths"].items():
        if "get" not in operations or template.startswith(NOT_STAFF):
            continue
        path, query = template, {}
        for parameter in operations["get"].get("parameters", []):
            name = parameter["name"]
            if parameter["in"] == "path":
                path = path.replace(f"{{{name}}}", probe_id(name))
            elif parameter["in"] == "query" and parameter.get("required"):
                query[name] = QUERY_VALUES.get(name, probe_id(name))
        reads.append((template, path, query))
    return reads


@pytest.mark.parametrize("service", sorted(BUILDERS))
async def test_every_staff_read_of_every_service_is_recorded(
    service: str, kafka_bootstrap: str, mongodb_uri: str, mongo_client: Client, staff: Staff
) -> None:
    database = f"audit_routes_{service}_{uuid.uuid4().hex[:8]}"
    app, runtime = BUILDERS[service](
        {
            "kafka_bootstrap_servers": kafka_bootstrap,
            "mongodb_uri": mongodb_uri,
            "mongodb_database": database,
            **identity_settings(),
        }
    )
    audit = mongo_client[database][AUDIT_COLLECTION]
    manager = staff.subject(TestUser.MANAGER)
    routes = staff_reads(app)
    assert len(routes) >= 3
    unrecorded: list[str] = []
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{service}"
        ) as http:
            for template, path, query in routes:
                before = await audit.count_documents({})
                response = await http.get(path, params=query, headers=staff.manager)
                assert response.status_code not in (401, 403, 422, 500), (template, response.text)
                newest = await audit.find_one({}, sort=[("seq", -1)])
                if (
                    await audit.count_documents({}) != before + 1
                    or newest is None
                    or (newest["route"], newest["staff_id"]) != (template, manager)
                ):
                    unrecorded.append(template)
    finally:
        await runtime.client.close()
        await runtime.staff.aclose()
        await mongo_client.drop_database(database)

    assert unrecorded == []
