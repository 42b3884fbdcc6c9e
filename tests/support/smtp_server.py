"""A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 that keeps every message it accepts.

    with running_smtp_server() as smtp:
        sender = SmtpSender(host=smtp.host, port=smtp.port, from_address="council@example.gov.uk")
        ...
        assert smtp.received[0].message["Subject"] == "..."

It can be told to refuse the next messages with an SMTP reply (451 = try later, 550 = never).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Protocol

from aiosmtpd.controller import Controller


class _Envelope(Protocol):
    mail_from: str
    rcpt_tos: list[str]
    original_content: bytes | None
    content: bytes | str | None


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class CollectingHandler:
    """aiosmtpd handler: accepts (or refuses, when told to) and keeps every message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedMail] = []
        self._refusals: deque[str] = deque()

    @property
    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    def refuse_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        with self._lock:
            self._refusals.extend([reply] * count)

    async def handle_DATA(self, server: object, session: object, envelope: _Envelope) -> str:
        with self._lock:
            if self._refusals:
                return self._refusals.popleft()
        raw = envelope.original_content or envelope.content or b""
        data = raw.encode() if isinstance(raw, str) else raw
        # As a mail client would show it: SMTP's CRLF line ends become plain newlines.
        message = BytesParser(policy=policy.default).parsebytes(data.replace(b"\r\n", b"\n"))
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._received.append(
                ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), message)
            )
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """Binds port 0 and learns the port the system chose, so parallel runs never collide."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class RunningSmtpServer:
    host: str
    port: int
    handler: CollectingHandler

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def refuse_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        self.handler.refuse_next(count, reply)


@contextmanager
def running_smtp_server() -> Iterator[RunningSmtpServer]:
    handler = CollectingHandler()
    controller = _FreePortController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield RunningSmtpServer(host="127.0.0.1", port=controller.port, handler=handler)
    finally:
        controller.stop()
