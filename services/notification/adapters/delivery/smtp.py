"""Email through an SMTP relay, for councils that do not use GOV.UK Notify for email.

The connection is plain, upgraded with STARTTLS, or TLS from the start (`SmtpSecurity`); with
either TLS the relay's certificate is verified (against the system's CAs, or the council's own CA
file) before the login and the message are sent. smtplib blocks, so each send runs in a worker
thread. The Message-ID is derived from our
reference: a message sent again after a crash carries the same Message-ID, so mail systems and
the council's own records can recognise it as the same message.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from enum import StrEnum

from services.notification.adapters.delivery.sender import (
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notification.domain.safety import Addressee, EmailAddressee
from shared.observability import kind_of_failure

_MESSAGE_ID_NAMESPACE = uuid.UUID("0b6f3a52-3f7e-5b0e-9a43-6a0d6c1f2e11")


class SmtpSecurity(StrEnum):
    NONE = "none"
    """Plain SMTP: only to a relay on the same host or a private network."""
    STARTTLS = "starttls"
    """Plain connection upgraded with STARTTLS before anything else (submission, port 587)."""
    TLS = "tls"
    """TLS from the first byte (implicit TLS, port 465)."""


def message_id(reference: str, domain: str) -> str:
    return f"<{uuid.uuid5(_MESSAGE_ID_NAMESPACE, reference)}@{domain}>"


class SmtpSender:
    """A `Sender` for email over SMTP (optionally over TLS, and with a login)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        from_address: str,
        from_name: str | None = None,
        security: SmtpSecurity = SmtpSecurity.NONE,
        ca_file: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout_seconds: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._host = host
        self._port = port
        self._from_address = from_address
        self._from_name = from_name
        self._security = security
        self._ca_file = ca_file
        self._username = username
        self._password = password
        self._timeout = timeout_seconds
        self._clock = clock
        self._domain = from_address.rpartition("@")[2] or "localhost"

    async def send(self, message: OutgoingMessage, recipient: Addressee) -> str:
        if not isinstance(recipient, EmailAddressee):
            raise PermanentDeliveryError("SMTP can only send email")
        email = self.compose(message, recipient)
        await asyncio.to_thread(self._deliver, email, recipient.email)
        return str(email["Message-ID"])

    def compose(self, message: OutgoingMessage, recipient: EmailAddressee) -> EmailMessage:
        email = EmailMessage()
        email["From"] = formataddr((self._from_name or "", self._from_address))
        email["To"] = formataddr((recipient.name, recipient.email))
        email["Subject"] = message.inbox_subject
        email["Date"] = format_datetime(self._clock())
        email["Message-ID"] = message_id(message.reference, self._domain)
        email.set_content(message.body)
        return email

    def _deliver(self, email: EmailMessage, to_address: str) -> None:
        try:
            with self._connect() as smtp:
                if self._security is SmtpSecurity.STARTTLS:
                    # smtplib refuses to go on if the server does not offer STARTTLS.
                    smtp.starttls(context=self._tls())
                if self._username is not None:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(email, from_addr=self._from_address, to_addrs=[to_address])
        except ssl.SSLCertVerificationError as error:
            # Not a passing fault: sending again would meet the same certificate.
            raise PermanentDeliveryError(
                f"the mail server's certificate is not trusted ({kind_of_failure(error)})"
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            # Codes only: a mail server's reply quotes the address it refused.
            code, _ = next(iter(error.recipients.values()))
            raise _by_code(code, f"the mail server refused the recipient ({code})") from error
        except smtplib.SMTPResponseException as error:
            raise _by_code(
                error.smtp_code, f"the mail server answered {error.smtp_code}"
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentDeliveryError(
                f"the mail server cannot do this ({kind_of_failure(error)})"
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientDeliveryError(
                f"could not talk to the mail server ({kind_of_failure(error)})"
            ) from error

    def _connect(self) -> smtplib.SMTP:
        if self._security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._tls()
            )
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self._ca_file)


def _by_code(code: int, reason: str) -> PermanentDeliveryError | TransientDeliveryError:
    """SMTP replies 5xx are final; 4xx (and anything odd) mean try again later."""
    if 500 <= code < 600:
        return PermanentDeliveryError(reason)
    return TransientDeliveryError(reason)
