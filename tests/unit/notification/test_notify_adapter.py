"""The GOV.UK Notify adapter against a local Notify that checks tokens and payloads as Notify does."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from services.notification.adapters.delivery import (
    GovUkNotify,
    NotifyApiKey,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notification.domain.messages import RenderedMessage
from services.notification.domain.safety import EmailAddressee, PhoneAddressee, PostalAddressee
from shared.events.notification import MessageFormat, PostalAddress
from tests.support.fake_notify import TEST_API_KEY, TEST_TEMPLATES, FakeNotify

MESSAGE = OutgoingMessage(
    reference="7f3c2a4e-0b1d-4e6f-9a8b-1c2d3e4f5a6b.person",
    subject="Our decision about the concern",
    body="Dear Mary,\n\nWe have made a decision.\n",
)
MARY_BY_EMAIL = EmailAddressee(name="Mary Smith", email="mary@example.org")
MARY_BY_SMS = PhoneAddressee(name="Mary Smith", phone="07700 900456")
MARY_BY_POST = PostalAddressee(
    name="Mary Smith",
    address=PostalAddress(lines=("Flat 2", "10 High Street", "Worcester"), postcode="WR1 2AB"),
)


def notify_client(fake: FakeNotify, **overrides: object) -> GovUkNotify:
    arguments: dict[str, object] = {
        "api_key": fake.api_key,
        "templates": TEST_TEMPLATES,
        "base_url": fake.base_url,
    }
    return GovUkNotify(**(arguments | overrides))  # type: ignore[arg-type]


async def test_an_email_carries_a_valid_token_and_the_documented_payload(
    fake_notify: FakeNotify,
) -> None:
    async with notify_client(fake_notify) as notify:
        await notify.send(MESSAGE, MARY_BY_EMAIL)
    [received] = fake_notify.received
    key = NotifyApiKey.parse(TEST_API_KEY)
    assert received.kind == "email"
    assert received.claims["iss"] == key.service_id
    assert abs(time.time() - int(str(received.claims["iat"]))) <= 5
    assert received.body == {
        "template_id": TEST_TEMPLATES.email,
        "email_address": "mary@example.org",
        "personalisation": {"subject": MESSAGE.subject, "body": MESSAGE.body},
        "reference": MESSAGE.reference,
    }


async def test_the_provider_reference_is_notifys_notification_id(fake_notify: FakeNotify) -> None:
    async with notify_client(fake_notify) as notify:
        reference = await notify.send(MESSAGE, MARY_BY_EMAIL)
    assert reference == fake_notify.received[0].notification_id


async def test_a_text_message_goes_to_the_phone_number(fake_notify: FakeNotify) -> None:
    short = MESSAGE.model_copy(update={"sms": "The council has a private message for you."})
    async with notify_client(fake_notify) as notify:
        await notify.send(short, MARY_BY_SMS)
    [received] = fake_notify.received
    assert received.kind == "sms"
    assert received.body["phone_number"] == "07700 900456"
    assert received.body["template_id"] == TEST_TEMPLATES.sms
    assert received.personalisation == {"body": "The council has a private message for you."}


async def test_a_letter_is_never_texted_when_there_is_no_short_text(
    fake_notify: FakeNotify,
) -> None:
    async with notify_client(fake_notify) as notify:
        with pytest.raises(PermanentDeliveryError, match="no short text"):
            await notify.send(MESSAGE, MARY_BY_SMS)
    assert fake_notify.received == []


async def test_a_letter_has_the_name_and_address_lines_then_the_postcode(
    fake_notify: FakeNotify,
) -> None:
    async with notify_client(fake_notify) as notify:
        await notify.send(MESSAGE, MARY_BY_POST)
    [received] = fake_notify.received
    assert received.kind == "letter"
    assert received.personalisation == {
        "subject": MESSAGE.subject,
        "body": MESSAGE.body,
        "address_line_1": "Mary Smith",
        "address_line_2": "Flat 2",
        "address_line_3": "10 High Street",
        "address_line_4": "Worcester",
        "postcode": "WR1 2AB",
    }


async def test_a_long_address_is_folded_into_the_lines_notify_allows(
    fake_notify: FakeNotify,
) -> None:
    long_address = PostalAddress(
        lines=("Flat 2", "Rose Court", "10 High Street", "St Johns", "Worcester", "Worcestershire"),
        postcode="WR1 2AB",
    )
    async with notify_client(fake_notify) as notify:
        await notify.send(MESSAGE, PostalAddressee(name="Mary Smith", address=long_address))
    [received] = fake_notify.received
    assert received.personalisation["address_line_6"] == "Worcester, Worcestershire"


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_notify_being_down_or_busy_is_a_transient_failure(
    fake_notify: FakeNotify, status: int
) -> None:
    fake_notify.fail_next(1, status)
    async with notify_client(fake_notify) as notify:
        with pytest.raises(TransientDeliveryError, match=str(status)):
            await notify.send(MESSAGE, MARY_BY_EMAIL)


async def test_a_request_notify_refuses_is_a_permanent_failure(fake_notify: FakeNotify) -> None:
    fake_notify.fail_next(1, 400)
    async with notify_client(fake_notify) as notify:
        with pytest.raises(PermanentDeliveryError, match="400"):
            await notify.send(MESSAGE, MARY_BY_EMAIL)


async def test_a_token_signed_with_the_wrong_secret_is_refused_for_good(
    fake_notify: FakeNotify,
) -> None:
    key = NotifyApiKey.parse(TEST_API_KEY)
    wrong = f"{key.key_name}-{key.service_id}-00000000-0000-4000-8000-000000000000"
    async with notify_client(fake_notify, api_key=wrong) as notify:
        with pytest.raises(PermanentDeliveryError, match="403"):
            await notify.send(MESSAGE, MARY_BY_EMAIL)
    assert fake_notify.received == []


async def test_a_token_from_a_clock_a_minute_slow_is_refused(fake_notify: FakeNotify) -> None:
    async with notify_client(fake_notify, clock=lambda: time.time() - 60) as notify:
        with pytest.raises(PermanentDeliveryError, match="30s"):
            await notify.send(MESSAGE, MARY_BY_EMAIL)


async def test_notify_that_cannot_be_reached_is_a_transient_failure() -> None:
    async with GovUkNotify(
        api_key=TEST_API_KEY, templates=TEST_TEMPLATES, base_url="http://127.0.0.1:9"
    ) as notify:
        with pytest.raises(TransientDeliveryError, match="could not reach Notify"):
            await notify.send(MESSAGE, MARY_BY_EMAIL)


async def test_notify_not_answering_in_time_is_a_transient_failure() -> None:
    def time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(time_out)) as client:
        notify = GovUkNotify(api_key=TEST_API_KEY, templates=TEST_TEMPLATES, client=client)
        with pytest.raises(TransientDeliveryError, match="in time"):
            await notify.send(MESSAGE, MARY_BY_EMAIL)


def test_an_api_key_is_split_into_name_service_id_and_secret() -> None:
    key = NotifyApiKey.parse(TEST_API_KEY)
    assert key.key_name == "safeguarding_test"
    assert key.service_id == "2a5e4a47-7a3c-4a41-9a51-8e3f0c9d1b62"
    assert key.secret == "6c1b9e0d-3f4a-4b8e-9d2c-1e5f7a9b3c4d"


def test_a_key_name_may_contain_hyphens() -> None:
    key = NotifyApiKey.parse(TEST_API_KEY.replace("safeguarding_test", "live-key-2026"))
    assert key.key_name == "live-key-2026"


def test_a_malformed_api_key_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="key_name"):
        NotifyApiKey.parse("not-a-key")


def test_the_token_is_hs256_with_issuer_and_issue_time() -> None:
    key = NotifyApiKey.parse(TEST_API_KEY)
    token = key.token(1_700_000_000.7)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, key.secret, algorithms=["HS256"], options={"verify_iat": False})
    assert claims == {"iss": key.service_id, "iat": 1_700_000_000}


DISCREET = OutgoingMessage.from_rendered(
    RenderedMessage(
        template="concern_received",
        format=MessageFormat.STANDARD,
        subject="About a concern – reference SG-2026-4F7K2Q",
        body="Dear Mary,\n\nThis is a private message from Worcestershire County Council.\n",
        email_subject="A private message from Worcestershire County Council",
        sms="Worcestershire County Council has a private message for you. "
        "Please contact us: 01905 000000",
    ),
    reference="7f3c2a4e-0b1d-4e6f-9a8b-1c2d3e4f5a6b.person",
)


async def test_an_emails_subject_is_the_discreet_one_not_the_letter_heading(
    fake_notify: FakeNotify,
) -> None:
    async with notify_client(fake_notify) as notify:
        await notify.send(DISCREET, MARY_BY_EMAIL)
    [received] = fake_notify.received
    assert received.personalisation["subject"] == (
        "A private message from Worcestershire County Council"
    )
    assert received.personalisation["body"] == DISCREET.body


async def test_a_text_message_carries_only_the_short_text_never_the_letter(
    fake_notify: FakeNotify,
) -> None:
    async with notify_client(fake_notify) as notify:
        await notify.send(DISCREET, MARY_BY_SMS)
    [received] = fake_notify.received
    assert received.personalisation == {"body": DISCREET.sms}


async def test_a_letter_keeps_its_heading_inside_the_envelope(fake_notify: FakeNotify) -> None:
    async with notify_client(fake_notify) as notify:
        await notify.send(DISCREET, MARY_BY_POST)
    [received] = fake_notify.received
    assert received.personalisation["subject"] == "About a concern – reference SG-2026-4F7K2Q"


def test_a_text_message_longer_than_one_sms_is_refused() -> None:
    with pytest.raises(ValueError, match="160"):
        OutgoingMessage.model_validate(DISCREET.model_dump() | {"sms": "x" * 161})
