"""A stand-in for GOV.UK Notify that is a real HTTP server on 127.0.0.1.

It checks what the real service checks before accepting a notification: the bearer JWT (HS256
signature with the secret from the API key, `iss` = the service id, `iat` within 30 seconds) and
the shape of the request body for email, SMS and letters. It records what it accepted, and can be
told to fail the next requests (500 for a Notify outage, 400 for a refused request).

    with running_fake_notify() as notify:
        client = GovUkNotify(api_key=notify.api_key, templates=..., base_url=notify.base_url)
        ...
        assert notify.received[0].kind == "email"
"""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import jwt
import uvicorn
from pydantic import JsonValue
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.notification.adapters.delivery.notify import NotifyTemplates

TEST_API_KEY: Final = (
    "safeguarding_test-2a5e4a47-7a3c-4a41-9a51-8e3f0c9d1b62-6c1b9e0d-3f4a-4b8e-9d2c-1e5f7a9b3c4d"
)
TEST_TEMPLATES: Final = NotifyTemplates(
    email="f33517ff-2a88-4f6e-b855-c550268ce08a",
    sms="289a0d8e-4f8c-4b4e-a3c1-6f2d8a0c7b15",
    letter="9d0c2b6e-7e1a-4c3f-8b5d-1a2f3e4d5c6b",
)
TOKEN_LIFETIME_SECONDS: Final = 30

_ALLOWED: Final[dict[str, set[str]]] = {
    "email": {"template_id", "email_address", "personalisation", "reference", "email_reply_to_id"},
    "sms": {"template_id", "phone_number", "personalisation", "reference", "sms_sender_id"},
    "letter": {"template_id", "personalisation", "reference", "postage"},
}
_REQUIRED: Final[dict[str, set[str]]] = {
    "email": {"template_id", "email_address"},
    "sms": {"template_id", "phone_number"},
    "letter": {"template_id", "personalisation"},
}
_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2}$", re.IGNORECASE)


@dataclass(frozen=True)
class ReceivedNotification:
    kind: str
    """email, sms or letter."""
    notification_id: str
    body: dict[str, JsonValue]
    claims: dict[str, JsonValue]

    @property
    def personalisation(self) -> dict[str, JsonValue]:
        value = self.body.get("personalisation")
        return value if isinstance(value, dict) else {}


class _Refused(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


class FakeNotify:
    """The fake's state and its ASGI app. Safe to use from the test while the server runs."""

    def __init__(self, api_key: str = TEST_API_KEY) -> None:
        self.api_key = api_key
        self.base_url = ""
        # Split as Notify's own clients do (not with the code under test): the last 36 characters
        # are the secret, the 36 before the hyphen preceding it are the service id.
        self.service_id = api_key[-73:-37]
        self._secret = api_key[-36:]
        self._lock = threading.Lock()
        self._received: list[ReceivedNotification] = []
        self._failures: deque[int] = deque()
        self.app = Starlette(
            routes=[Route("/v2/notifications/{kind}", self._notification, methods=["POST"])]
        )

    @property
    def received(self) -> list[ReceivedNotification]:
        with self._lock:
            return list(self._received)

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` authenticated requests with `status` (500, 400, 429...)."""
        with self._lock:
            self._failures.extend([status] * count)

    async def _notification(self, request: Request) -> JSONResponse:
        kind = request.path_params["kind"]
        try:
            if kind not in _ALLOWED:
                raise _Refused(404, "NotFound", f"no such endpoint: {kind}")
            claims = self._verified_claims(request.headers.get("authorization"))
            with self._lock:
                forced = self._failures.popleft() if self._failures else None
            if forced is not None:
                raise _Refused(forced, "ForcedFailure", f"told to fail with {forced}")
            body = await request.json()
            if not isinstance(body, dict):
                raise _Refused(400, "ValidationError", "the request body must be a JSON object")
            _check_shape(kind, body)
        except _Refused as refused:
            return JSONResponse(
                {
                    "status_code": refused.status,
                    "errors": [{"error": refused.error, "message": refused.message}],
                },
                status_code=refused.status,
            )
        notification_id = str(uuid.uuid4())
        with self._lock:
            self._received.append(ReceivedNotification(kind, notification_id, body, claims))
        return JSONResponse(_accepted(kind, notification_id, body, self.base_url), status_code=201)

    def _verified_claims(self, authorization: str | None) -> dict[str, JsonValue]:
        if not authorization or not authorization.startswith("Bearer "):
            raise _Refused(401, "AuthError", "Unauthorized: authentication token must be provided")
        token = authorization.removeprefix("Bearer ")
        try:
            if jwt.get_unverified_header(token).get("alg") != "HS256":
                raise _Refused(403, "AuthError", "Invalid token: algorithm must be HS256")
            claims: dict[str, JsonValue] = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                options={"require": ["iss", "iat"], "verify_iat": False},
            )
        except jwt.InvalidTokenError as error:
            raise _Refused(403, "AuthError", f"Invalid token: {error}") from error
        if claims["iss"] != self.service_id:
            raise _Refused(403, "AuthError", "Invalid token: service not found")
        issued_at = claims["iat"]
        if not isinstance(issued_at, int):
            raise _Refused(403, "AuthError", "Invalid token: iat must be whole seconds")
        if abs(time.time() - issued_at) > TOKEN_LIFETIME_SECONDS:
            raise _Refused(403, "AuthError", "Error: Your system clock must be accurate to 30s")
        return claims


def _check_shape(kind: str, body: dict[str, JsonValue]) -> None:
    unexpected = set(body) - _ALLOWED[kind]
    if unexpected:
        raise _Refused(400, "ValidationError", f"Additional properties not allowed: {unexpected}")
    missing = _REQUIRED[kind] - set(body)
    if missing:
        raise _Refused(
            400, "ValidationError", f"{', '.join(sorted(missing))} is a required property"
        )
    try:
        uuid.UUID(str(body["template_id"]))
    except ValueError as error:
        raise _Refused(400, "ValidationError", "template_id is not a valid UUID") from error
    personalisation = body.get("personalisation", {})
    if not isinstance(personalisation, dict) or not all(
        isinstance(value, str) for value in personalisation.values()
    ):
        raise _Refused(400, "ValidationError", "personalisation must map names to text")
    reference = body.get("reference")
    if reference is not None and (not isinstance(reference, str) or len(reference) > 1000):
        raise _Refused(400, "ValidationError", "reference must be text of at most 1000 characters")
    if kind == "email" and not re.fullmatch(
        r"[^@\s]+@[^@\s]+\.[^@\s]+", str(body["email_address"])
    ):
        raise _Refused(400, "ValidationError", "email_address Not a valid email address")
    if kind == "sms" and len(re.sub(r"\D", "", str(body["phone_number"]))) < 10:
        raise _Refused(400, "ValidationError", "phone_number Not enough digits")
    if kind == "letter":
        _check_address(personalisation)


def _check_address(personalisation: dict[str, JsonValue]) -> None:
    lines = [
        str(personalisation[key])
        for key in [f"address_line_{n}" for n in range(1, 8)] + ["postcode"]
        if str(personalisation.get(key) or "").strip()
    ]
    if "address_line_1" not in personalisation:
        raise _Refused(
            400, "ValidationError", "personalisation address_line_1 is a required property"
        )
    if len(lines) < 3:
        raise _Refused(400, "ValidationError", "Address must be at least 3 lines")
    if len(lines) > 7:
        raise _Refused(400, "ValidationError", "Address must be no more than 7 lines")
    if not _UK_POSTCODE.match(lines[-1].strip()):
        raise _Refused(400, "ValidationError", "Last line of address must be a real UK postcode")


def _accepted(
    kind: str, notification_id: str, body: dict[str, JsonValue], base_url: str
) -> dict[str, JsonValue]:
    personalisation = body.get("personalisation")
    values = personalisation if isinstance(personalisation, dict) else {}
    content: dict[str, JsonValue] = {"body": values.get("body", "")}
    if kind == "email":
        content |= {"subject": values.get("subject", ""), "from_email": "council@notify.test"}
    elif kind == "sms":
        content["from_number"] = "COUNCIL"
    else:
        content["subject"] = values.get("subject", "")
    template_id = str(body["template_id"])
    response: dict[str, JsonValue] = {
        "id": notification_id,
        "reference": body.get("reference"),
        "content": content,
        "uri": f"{base_url}/v2/notifications/{notification_id}",
        "template": {
            "id": template_id,
            "version": 1,
            "uri": f"{base_url}/services/fake/templates/{template_id}",
        },
        "scheduled_for": None,
    }
    if kind == "letter":
        response["postage"] = "second"
    return response


@contextmanager
def running_fake_notify(api_key: str = TEST_API_KEY) -> Iterator[FakeNotify]:
    """Serve a FakeNotify on a free port of 127.0.0.1 (in a thread) until the block ends."""
    notify = FakeNotify(api_key)
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", 0))
    # Listening before the server thread starts: a request sent at once waits in the backlog
    # instead of being refused, so no test has to wait for the server to come up.
    listening.listen(64)
    notify.base_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(notify.app, lifespan="off", log_level="warning", access_log=False)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listening]}, name="fake-notify", daemon=True
    )
    thread.start()
    try:
        yield notify
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listening.close()
