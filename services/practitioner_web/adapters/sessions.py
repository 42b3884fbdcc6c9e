"""Sessions in a cookie that is encrypted and signed (Fernet: AES-128-CBC with HMAC-SHA256, from
`cryptography`), so the browser holds the user's tokens but can neither read nor change them.

Starlette's own SessionMiddleware only signs its cookie, and the session holds an access token
and the user's recently viewed people: both must stay unreadable. The cookie is HttpOnly,
SameSite=Lax and, outside development mode, Secure; it expires with the session's maximum age.
The session is compressed before encryption so that the tokens fit in one cookie.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE: Final = "safeguarding_session"
MAX_COOKIE_BYTES: Final = 4000
"""Browsers keep cookies of up to 4096 bytes, name and attributes included."""


class SessionTooLarge(RuntimeError):
    pass


def fernet_for(secret: str) -> Fernet:
    """A Fernet key derived from the configured secret (any length of at least 32 characters)."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"safeguarding-web-session"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class EncryptedSessionMiddleware:
    def __init__(self, app: ASGIApp, *, secret: str, max_age_seconds: int, secure: bool) -> None:
        self.app = app
        self.fernet = fernet_for(secret)
        self.max_age = max_age_seconds
        self.secure = secure

    def load(self, cookie: str | None) -> dict[str, Any]:
        if not cookie:
            return {}
        try:
            data = self.fernet.decrypt(cookie.encode(), ttl=self.max_age)
            loaded = json.loads(zlib.decompress(data))
        except (InvalidToken, zlib.error, ValueError):
            # Tampered, expired, or made with another secret: start again, signed out.
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def dump(self, session: dict[str, Any]) -> str:
        data = zlib.compress(json.dumps(session, separators=(",", ":")).encode(), 9)
        cookie = self.fernet.encrypt(data).decode()
        if len(cookie) > MAX_COOKIE_BYTES - 200:
            raise SessionTooLarge(f"the session needs {len(cookie)} bytes")
        return cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        had_cookie = COOKIE in connection.cookies
        scope["session"] = self.load(connection.cookies.get(COOKIE))
        before = json.dumps(scope["session"], sort_keys=True)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                headers = MutableHeaders(scope=message)
                flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
                if session and json.dumps(session, sort_keys=True) != before:
                    headers.append(
                        "Set-Cookie",
                        f"{COOKIE}={self.dump(session)}; Max-Age={self.max_age}{flags}",
                    )
                elif not session and had_cookie:
                    headers.append("Set-Cookie", f"{COOKIE}=; Max-Age=0{flags}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)
