"""The three services' HTTP APIs, called with the signed-in user's access token.

A refusal (4xx with RFC 9457 problem details) comes back as `Refused`, which the pages show as
errors on the form; 401 as `SignInAgain` (the token expired or was revoked); anything the
services could not answer (5xx, unreachable) as `ServiceUnavailable`.

A read a member of staff asked to make outside their team ("break the glass") carries their
reason in `X-Access-Reason` on every call made while answering that page (`reading_with_reason`):
in a header, never in a URL.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from shared.access import OUTSIDE_TEAM, REASON_HEADER

Json = Any
Service = Literal["intake", "outcomes", "notification"]
_ACCESS_REASON: ContextVar[str | None] = ContextVar("access_reason", default=None)


def reading_with_reason(reason: str | None) -> None:
    """The calls made for the rest of this request carry `reason` (None: no reason)."""
    _ACCESS_REASON.set(reason)


@dataclass(frozen=True)
class FieldRefusal:
    field: str
    problem: str
    allowed: str | None = None


@dataclass
class Refused(Exception):
    """The service refused: its status, title, detail and the fields it named."""

    status: int
    title: str
    detail: str
    errors: tuple[FieldRefusal, ...] = field(default=())
    type: str = "about:blank"

    @property
    def outside_team(self) -> bool:
        """Refused because it belongs to another team: a reason would let the user read it."""
        return self.status == 403 and self.type == OUTSIDE_TEAM

    def __str__(self) -> str:
        return f"{self.status} {self.title}"


class SignInAgain(Exception):
    """The service did not accept the user's token."""


class ServiceUnavailable(Exception):
    """A service could not be reached or failed; nothing was recorded by this request."""


def refused_from(response: httpx.Response) -> Refused:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = tuple(
        FieldRefusal(
            field=str(e.get("field", "")),
            problem=str(e.get("problem", "")),
            allowed=str(e["allowed"]) if e.get("allowed") else None,
        )
        for e in body.get("errors") or ()
        if isinstance(e, dict)
    )
    return Refused(
        status=response.status_code,
        title=str(body.get("title") or "Refused"),
        detail=str(body.get("detail") or ""),
        errors=errors,
        type=str(body.get("type") or "about:blank"),
    )


class Services:
    """One HTTP client for the web app; each call names the user's token."""

    def __init__(self, urls: dict[Service, str], http: httpx.AsyncClient) -> None:
        self.urls = urls
        self.http = http

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        method: str,
        service: Service,
        path: str,
        token: str,
        *,
        body: Json | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if (reason := _ACCESS_REASON.get()) is not None:
            headers[REASON_HEADER] = reason
        try:
            response = await self.http.request(
                method, f"{self.urls[service]}{path}", json=body, params=params, headers=headers
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"{service} could not be reached") from error
        if response.status_code == 401:
            raise SignInAgain
        if response.status_code >= 500:
            raise ServiceUnavailable(f"{service} answered {response.status_code}")
        if response.status_code >= 400:
            raise refused_from(response)
        return response

    async def get(
        self, service: Service, path: str, token: str, params: dict[str, str] | None = None
    ) -> Json:
        return (await self.call("GET", service, path, token, params=params)).json()

    async def find(
        self, service: Service, path: str, token: str, params: dict[str, str] | None = None
    ) -> Json | None:
        """The resource, or None when the service has none (404) yet."""
        try:
            return await self.get(service, path, token, params)
        except Refused as refused:
            if refused.status == 404:
                return None
            raise

    async def post(self, service: Service, path: str, token: str, body: Json) -> Json:
        return (await self.call("POST", service, path, token, body=body)).json()

    async def put(self, service: Service, path: str, token: str, body: Json) -> Json:
        return (await self.call("PUT", service, path, token, body=body)).json()
