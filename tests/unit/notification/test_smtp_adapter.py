"""The SMTP adapter against a real local SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.notification.adapters.delivery import (
    OutgoingMessage,
    PermanentDeliveryError,
    SmtpSecurity,
    SmtpSender,
    TransientDeliveryError,
)
from services.notification.domain.safety import EmailAddressee, PhoneAddressee
from tests.support.smtp_server import (
    Logins,
    RelayCertificate,
    RunningSmtpServer,
    a_certificate,
    running_smtp_server,
)

MESSAGE = OutgoingMessage(
    reference="7f3c2a4e-0b1d-4e6f-9a8b-1c2d3e4f5a6b.person",
    subject="Your lead worker – reference SG-2026-4F7K2Q",
    body="Dear Siobhán,\n\nSam Jones is your lead worker.\n",
)
SIOBHAN = EmailAddressee(name="Siobhán O'Brien", email="siobhan@example.org")


def sender_for(server: RunningSmtpServer) -> SmtpSender:
    return SmtpSender(
        host=server.host,
        port=server.port,
        from_address="safeguarding@worcestershire.example.gov.uk",
        from_name="Worcestershire County Council",
    )


async def test_an_email_is_delivered_to_the_mail_server(smtp_server: RunningSmtpServer) -> None:
    await sender_for(smtp_server).send(MESSAGE, SIOBHAN)
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ("siobhan@example.org",)
    assert mail.mail_from == "safeguarding@worcestershire.example.gov.uk"
    assert mail.message["Subject"] == MESSAGE.subject
    assert mail.message["To"].addresses[0].display_name == "Siobhán O'Brien"
    assert mail.message.get_content() == MESSAGE.body


async def test_the_provider_reference_is_the_message_id(smtp_server: RunningSmtpServer) -> None:
    reference = await sender_for(smtp_server).send(MESSAGE, SIOBHAN)
    assert smtp_server.received[0].message["Message-ID"].strip() == reference


async def test_a_resent_message_has_the_same_message_id(smtp_server: RunningSmtpServer) -> None:
    sender = sender_for(smtp_server)
    first = await sender.send(MESSAGE, SIOBHAN)
    again = await sender.send(MESSAGE, SIOBHAN)
    other = await sender.send(MESSAGE.model_copy(update={"reference": "another.person"}), SIOBHAN)
    assert first == again != other
    assert first.endswith("@worcestershire.example.gov.uk>")


async def test_a_try_again_later_reply_is_a_transient_failure(
    smtp_server: RunningSmtpServer,
) -> None:
    smtp_server.refuse_next(1, "451 4.3.0 Mailbox busy")
    with pytest.raises(TransientDeliveryError, match="451"):
        await sender_for(smtp_server).send(MESSAGE, SIOBHAN)


async def test_a_refusal_for_good_is_a_permanent_failure(smtp_server: RunningSmtpServer) -> None:
    smtp_server.refuse_next(1, "550 5.1.1 No such mailbox")
    with pytest.raises(PermanentDeliveryError, match="550"):
        await sender_for(smtp_server).send(MESSAGE, SIOBHAN)


async def test_a_mail_server_that_cannot_be_reached_is_a_transient_failure() -> None:
    sender = SmtpSender(host="127.0.0.1", port=9, from_address="safeguarding@example.gov.uk")
    with pytest.raises(TransientDeliveryError, match="could not talk to the mail server"):
        await sender.send(MESSAGE, SIOBHAN)


async def test_smtp_sends_only_email(smtp_server: RunningSmtpServer) -> None:
    with pytest.raises(PermanentDeliveryError, match="only send email"):
        await sender_for(smtp_server).send(
            MESSAGE, PhoneAddressee(name="Mary", phone="07700900456")
        )
    assert smtp_server.received == []


async def test_an_email_shows_the_discreet_subject_not_the_letter_heading(
    smtp_server: RunningSmtpServer,
) -> None:
    discreet = MESSAGE.model_copy(
        update={"email_subject": "A private message from Worcestershire County Council"}
    )
    await sender_for(smtp_server).send(discreet, SIOBHAN)
    [mail] = smtp_server.received
    assert mail.message["Subject"] == "A private message from Worcestershire County Council"
    assert mail.message.get_content() == MESSAGE.body


# --- TLS and login ---------------------------------------------------------------------------

# aiosmtpd counts only STARTTLS as TLS when it warns about a login without it; with implicit TLS
# every byte is encrypted.
implicit_tls_login = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def a_secure_sender(
    server: RunningSmtpServer,
    security: SmtpSecurity,
    certificate: RelayCertificate | None,
    password: str = "relay-password",
) -> SmtpSender:
    return SmtpSender(
        host=server.host,
        port=server.port,
        from_address="safeguarding@worcestershire.example.gov.uk",
        security=security,
        ca_file=str(certificate.cert_file) if certificate is not None else None,
        username="council",
        password=password,
    )


@implicit_tls_login
@pytest.mark.parametrize("security", [SmtpSecurity.STARTTLS, SmtpSecurity.TLS])
async def test_an_email_goes_over_tls_after_a_login(security: SmtpSecurity, tmp_path: Path) -> None:
    certificate = a_certificate(tmp_path)
    logins = Logins("council", "relay-password")
    with running_smtp_server(tls=security, certificate=certificate, logins=logins) as server:
        await a_secure_sender(server, security, certificate).send(MESSAGE, SIOBHAN)
        [mail] = server.received
    assert mail.rcpt_tos == ("siobhan@example.org",)
    assert logins.seen == [("council", True)]


async def test_a_wrong_password_is_a_permanent_failure_and_nothing_is_sent(tmp_path: Path) -> None:
    certificate = a_certificate(tmp_path)
    logins = Logins("council", "relay-password")
    with running_smtp_server(
        tls=SmtpSecurity.STARTTLS, certificate=certificate, logins=logins
    ) as server:
        sender = a_secure_sender(server, SmtpSecurity.STARTTLS, certificate, password="wrong")
        with pytest.raises(PermanentDeliveryError, match="535"):
            await sender.send(MESSAGE, SIOBHAN)
        assert server.received == []


async def test_starttls_is_never_given_up_for_a_plain_connection() -> None:
    # A relay (or someone in the middle) that does not offer STARTTLS gets nothing.
    with running_smtp_server() as server:
        sender = a_secure_sender(server, SmtpSecurity.STARTTLS, None)
        with pytest.raises(PermanentDeliveryError, match="cannot do this"):
            await sender.send(MESSAGE, SIOBHAN)
        assert server.received == []


@implicit_tls_login
@pytest.mark.parametrize("security", [SmtpSecurity.STARTTLS, SmtpSecurity.TLS])
async def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(
    security: SmtpSecurity, tmp_path: Path
) -> None:
    certificate = a_certificate(tmp_path)
    logins = Logins("council", "relay-password")
    with running_smtp_server(tls=security, certificate=certificate, logins=logins) as server:
        sender = a_secure_sender(server, security, None)  # the system's CAs only
        with pytest.raises(PermanentDeliveryError, match="not trusted"):
            await sender.send(MESSAGE, SIOBHAN)
        assert server.received == []
        assert logins.seen == []
