"""What a service shows to anyone who can reach it: the API documentation only in development
mode unless API_DOCS says otherwise, and metrics only to the holder of METRICS_TOKEN."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from shared.config import ServiceSettings
from shared.http import create_app
from shared.runtime import ServiceRuntime

TOKEN = "a-metrics-token-of-forty-characters-long"


def an_app(**values: object) -> FastAPI:
    settings = ServiceSettings.model_validate(
        {
            "mongodb_database": "exposure",
            "http_port": 1,
            "oidc_issuer": "https://login.example.org/tenant/v2.0",
            "oidc_audience": "api://safeguarding",
            **values,
        }
    )
    return create_app(ServiceRuntime.create("exposure", settings, "t"), title="t", description="t")


async def get(app: FastAPI, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers=headers)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_api_documentation_is_off_outside_development_mode(path: str) -> None:
    assert (await get(an_app(development_mode=False), path)).status_code == 404


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_api_documentation_is_on_in_development_mode(path: str) -> None:
    assert (await get(an_app(development_mode=True), path)).status_code == 200


async def test_api_docs_can_be_switched_on_outside_development_mode_and_off_inside() -> None:
    on = an_app(development_mode=False, api_docs=True)
    off = an_app(development_mode=True, api_docs=False)
    assert (await get(on, "/openapi.json")).status_code == 200
    assert (await get(off, "/openapi.json")).status_code == 404


async def test_metrics_answer_the_metrics_token() -> None:
    app = an_app(development_mode=False, metrics_token=TOKEN)
    response = await get(app, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "dead_letters_total" in response.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Bearer  {TOKEN}",
        f"Basic {TOKEN}",
        TOKEN,
        f"Bearer {TOKEN.upper()}",
    ],
)
async def test_metrics_refuse_anything_but_the_token(authorization: str | None) -> None:
    app = an_app(development_mode=True, metrics_token=TOKEN)
    headers = {"Authorization": authorization} if authorization is not None else None
    response = await get(app, "/metrics", headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "dead_letters_total" not in response.text


async def test_without_a_token_metrics_answer_nobody_outside_development_mode() -> None:
    assert (await get(an_app(development_mode=False), "/metrics")).status_code == 401
    assert (await get(an_app(development_mode=True), "/metrics")).status_code == 200


def test_a_short_metrics_token_is_refused_at_start() -> None:
    settings = ServiceSettings.model_validate(
        {
            "mongodb_database": "x",
            "http_port": 1,
            "oidc_issuer": "https://login.example.org/tenant/v2.0",
            "oidc_audience": "api://safeguarding",
            "key_encryption_key": "a key-encryption key of the council's own, not published",
            "metrics_token": "short",
        }
    )
    assert [i.setting for i in settings.insecurities()] == ["METRICS_TOKEN"]
