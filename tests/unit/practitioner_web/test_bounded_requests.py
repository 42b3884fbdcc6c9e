"""The web app refuses an oversized request before it reads the session or any form: the same
limits as the services' APIs (`shared.http.BoundedRequests`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.practitioner_web.app import build
from services.practitioner_web.settings import WebSettings
from shared.limits import MAX_REQUEST_BODY_BYTES, MAX_REQUEST_HEADERS


@pytest.fixture
async def web() -> AsyncIterator[httpx.AsyncClient]:
    settings = WebSettings(
        oidc_issuer="http://127.0.0.1:9/realms/nowhere", oidc_audience="safeguarding-api"
    )
    transport = httpx.ASGITransport(app=build(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://web") as client:
        yield client


async def test_a_form_post_over_the_limit_is_413_before_sign_in_is_asked_for(
    web: httpx.AsyncClient,
) -> None:
    small = await web.post("/people/p-1/safe-contact", content=b"a=1")
    large = await web.post(
        "/people/p-1/safe-contact",
        content=b"a" * (MAX_REQUEST_BODY_BYTES + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert small.status_code != 413  # the route itself answers a small one (sign in first)
    assert large.status_code == 413


async def test_too_many_headers_are_431(web: httpx.AsyncClient) -> None:
    headers = {f"X-Extra-{i}": "x" for i in range(MAX_REQUEST_HEADERS + 1)}

    assert (await web.get("/health")).status_code == 200
    assert (await web.get("/health", headers=headers)).status_code == 431
