"""Requests are bounded before any work: the body limit and the header limits of
`shared.http.BoundedRequests`, at and just past each bound, whichever way the body is framed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from shared.http import BoundedRequests, install_correlation, install_problem_handlers
from shared.limits import MAX_REQUEST_BODY_BYTES, MAX_REQUEST_HEADERS

LIMIT = 1000


def an_app(limit: int = LIMIT) -> tuple[FastAPI, list[int]]:
    """An app whose one route reads the body, recording how much it got."""
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BoundedRequests, max_body_bytes=limit)
    read: list[int] = []

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        read.append(len(body))
        return {"read": len(body)}

    return app, read


async def post(app: FastAPI, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/echo", **kwargs)  # type: ignore[arg-type]


async def chunks(total: int, size: int = 100) -> AsyncIterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


async def test_a_body_at_the_limit_is_read() -> None:
    app, read = an_app()
    response = await post(app, content=b"x" * LIMIT)
    assert response.status_code == 200
    assert read == [LIMIT]


async def test_a_declared_body_one_byte_over_the_limit_is_413_and_never_read() -> None:
    app, read = an_app()
    response = await post(app, content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "(body)", "problem": "is too large", "allowed": f"at most {LIMIT} bytes"}
    ]
    assert read == []


async def test_a_chunked_body_at_the_limit_is_read() -> None:
    app, read = an_app()
    response = await post(app, content=chunks(LIMIT))
    assert response.status_code == 200
    assert read == [LIMIT]


async def test_a_chunked_body_past_the_limit_is_413_and_never_handed_over() -> None:
    app, read = an_app()
    response = await post(app, content=chunks(LIMIT + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert read == []


@pytest.mark.parametrize("declared", ["1001", " 1001", "+1001", "0001001"])
async def test_a_declared_length_over_the_limit_in_any_spelling_is_413(declared: str) -> None:
    app, read = an_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        request = client.build_request("POST", "/echo", content=b"x" * 1001)
        request.headers["Content-Length"] = declared
        response = await client.send(request)
    assert response.status_code == 413
    assert read == []


async def test_too_many_headers_are_431_before_the_route() -> None:
    app, read = an_app()
    headers = {f"x-h{i}": "1" for i in range(MAX_REQUEST_HEADERS + 1)}
    response = await post(app, content=b"{}", headers=headers)
    assert response.status_code == 431
    assert response.json()["errors"][0]["field"] == "(headers)"
    assert read == []


async def test_headers_too_long_together_are_431() -> None:
    app, read = an_app()
    response = await post(app, content=b"{}", headers={"x-long": "a" * 17_000})
    assert response.status_code == 431
    assert read == []


async def test_headers_within_the_bounds_pass() -> None:
    app, read = an_app()
    response = await post(app, content=b"{}", headers={"x-long": "a" * 8_000})
    assert response.status_code == 200
    assert read == [2]


def test_the_services_limit_is_a_mebibyte() -> None:
    assert MAX_REQUEST_BODY_BYTES == 1024 * 1024


async def test_a_chunked_body_past_the_limit_is_413_behind_the_services_own_middleware() -> None:
    # The correlation middleware wraps what the app receives: the refusal must still be a 413.
    app, read = an_app()
    install_correlation(app)
    app.user_middleware.reverse()  # BoundedRequests outermost, as create_app adds it
    response = await post(app, content=chunks(LIMIT + 1))
    assert response.status_code == 413
    assert read == []
