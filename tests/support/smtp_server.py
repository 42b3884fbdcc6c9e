"""A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 that keeps every message it accepts.

    with running_smtp_server() as smtp:
        sender = SmtpSender(host=smtp.host, port=smtp.port, from_address="council@example.gov.uk")
        ...
        assert smtp.received[0].message["Subject"] == "..."

It can be told to refuse the next messages with an SMTP reply (451 = try later, 550 = never),
and can offer STARTTLS or speak TLS from the start with a certificate made for the test
(`a_certificate`), and require a login.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Protocol

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.notification.adapters.delivery.smtp import SmtpSecurity


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
class RelayCertificate:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM files)."""

    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def a_certificate(directory: Path) -> RelayCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test mail relay")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "relay.pem", directory / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return RelayCertificate(cert_file, key_file)


@dataclass
class Logins:
    """The one login the server accepts, and who logged in over which connections."""

    username: str
    password: str
    seen: list[tuple[str, bool]] = field(default_factory=list)
    """(username, whether the connection was encrypted) for each successful login."""

    def __call__(
        self, server: SMTP, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username.encode()
            and auth_data.password == self.password.encode()
        ):
            transport = server.transport
            encrypted = transport is not None and transport.get_extra_info("ssl_object") is not None
            self.seen.append((self.username, encrypted))
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@dataclass(frozen=True)
class RunningSmtpServer:
    host: str
    port: int
    handler: CollectingHandler
    logins: Logins | None = None

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def refuse_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        self.handler.refuse_next(count, reply)


@contextmanager
def running_smtp_server(
    *,
    tls: SmtpSecurity = SmtpSecurity.NONE,
    certificate: RelayCertificate | None = None,
    logins: Logins | None = None,
) -> Iterator[RunningSmtpServer]:
    handler = CollectingHandler()
    context = certificate.server_context() if certificate is not None else None
    controller = _FreePortController(
        handler,
        hostname="127.0.0.1",
        port=0,
        ssl_context=context if tls is SmtpSecurity.TLS else None,
        tls_context=context if tls is SmtpSecurity.STARTTLS else None,
        require_starttls=tls is SmtpSecurity.STARTTLS,
        authenticator=logins,
        auth_required=logins is not None,
        # aiosmtpd counts only STARTTLS as TLS here; with implicit TLS every byte is encrypted.
        auth_require_tls=tls is not SmtpSecurity.TLS,
    )
    controller.start()
    try:
        yield RunningSmtpServer(
            host="127.0.0.1", port=controller.port, handler=handler, logins=logins
        )
    finally:
        controller.stop()
