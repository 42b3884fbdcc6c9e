"""How the service is wired from its settings: which sender sends what, its AsyncAPI document,
and its HTTP routes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as settings_for_hypothesis
from hypothesis import strategies as st
from pydantic import ValidationError

from services.notification.adapters.delivery import GovUkNotify, LetterQueue, SmtpSender
from services.notification.app import build, senders_for
from services.notification.asyncapi import document
from services.notification.domain.messages import SMS_LIMIT, email_subject, is_discreet, sms_text
from services.notification.settings import NotificationSettings
from shared.events.notification import Channel
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS, OUTCOMES_EVENTS
from tests.support.fake_notify import TEST_API_KEY, TEST_TEMPLATES
from tests.support.print_queue import InMemoryPrintQueue


def settings(**values: object) -> NotificationSettings:
    return NotificationSettings.model_validate(values)


def test_without_notify_email_goes_by_smtp_letters_to_the_print_queue_and_sms_nowhere() -> None:
    senders = senders_for(settings(), InMemoryPrintQueue())
    assert isinstance(senders.by_channel[Channel.EMAIL], SmtpSender)
    assert isinstance(senders.by_channel[Channel.LETTER], LetterQueue)
    assert Channel.SMS not in senders.by_channel


def test_notify_sends_only_the_kinds_whose_template_is_set() -> None:
    senders = senders_for(
        settings(notify_api_key=TEST_API_KEY, notify_sms_template_id=TEST_TEMPLATES.sms),
        InMemoryPrintQueue(),
    )
    assert isinstance(senders.by_channel[Channel.SMS], GovUkNotify)
    assert isinstance(senders.by_channel[Channel.EMAIL], SmtpSender)
    assert isinstance(senders.by_channel[Channel.LETTER], LetterQueue)


def test_a_notify_key_without_templates_sends_nothing_through_notify() -> None:
    senders = senders_for(settings(notify_api_key=TEST_API_KEY), InMemoryPrintQueue())
    assert not any(isinstance(s, GovUkNotify) for s in senders.by_channel.values())


def test_blank_notify_settings_count_as_unset() -> None:
    blank = settings(notify_api_key="", notify_email_template_id=" ")
    assert (blank.notify_api_key, blank.notify_email_template_id) == (None, None)


def test_the_asyncapi_document_names_what_is_read_and_what_is_published() -> None:
    spec = document()
    channels = spec["channels"]
    assert isinstance(channels, dict)
    addresses = {name: channel["address"] for name, channel in channels.items()}
    assert addresses == {
        "intake-events": INTAKE_EVENTS,
        "outcomes-events": OUTCOMES_EVENTS,
        "notification-events": NOTIFICATION_EVENTS,
    }


def published_payloads() -> set[str]:
    components = document()["components"]
    assert isinstance(components, dict)
    payload = components["schemas"]["NotificationEnvelope"]["properties"]["payload"]
    return {ref["$ref"].rsplit("/", 1)[1] for ref in payload["anyOf"]}


def test_the_asyncapi_document_names_the_informing_events_published() -> None:
    assert {
        "ContactPreferencesRecorded",
        "PersonInformed",
        "InformingWithheld",
        "PractitionerContactRequired",
        "NotificationFailed",
        "InformingOverdue",
    } <= published_payloads()


def test_the_asyncapi_document_names_exactly_the_events_it_publishes() -> None:
    assert published_payloads() == {
        "ContactPreferencesRecorded",
        "SafeContactDecided",
        "PersonInformed",
        "InformingWithheld",
        "PractitionerContactRequired",
        "NotificationFailed",
        "InformingOverdue",
    }


async def test_the_api_offers_the_informing_routes() -> None:
    app, runtime = build(settings())
    paths = set(app.openapi()["paths"])
    await runtime.client.close()
    assert {
        "/people/{person_id}/contact-preferences",
        "/people/{person_id}/withholdings",
        "/people/{person_id}/informed",
        "/people/{person_id}/communications",
        "/people/by-case/{case_id}",
        "/people/by-concern/{concern_id}",
        "/health",
        "/metrics",
    } <= paths


def test_council_details_that_make_a_text_message_too_long_are_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="shorten them so it fits in 160"):
        settings(
            council_name="Worcestershire County Council",
            council_contact_details="call 01905 000000 between 9am and 5pm Monday to Friday, "
            "or write to County Hall, Spetchley Road, Worcester WR5 2NP",
        )


@pytest.mark.parametrize(
    ("name", "details"),
    [
        ("Worcestershire Safeguarding Adults Board", "01905 000000"),
        ("Worcestershire County Council", "the abuse helpline, 01905 000000"),
        ("Worcestershire County Council", "safeguarding@worcestershire.gov.uk"),
    ],
)
def test_council_details_that_say_what_a_message_is_about_are_refused(
    name: str, details: str
) -> None:
    with pytest.raises(ValidationError, match="must not say what the message is about"):
        settings(council_name=name, council_contact_details=details)


def test_a_from_address_that_says_what_a_message_is_about_is_refused() -> None:
    # The sender's address shows on a lock screen beside the subject.
    with pytest.raises(ValidationError, match="SMTP_FROM"):
        settings(smtp_from="safeguarding@worcestershire.gov.uk")
    assert settings(smtp_from="messages@worcestershire.gov.uk").smtp_from


def test_plain_council_details_are_accepted() -> None:
    accepted = settings(
        council_name="Worcestershire County Council",
        council_contact_details="01905 000000 or adults@worcestershire.gov.uk",
    )
    assert accepted.council_name == "Worcestershire County Council"


@settings_for_hypothesis(max_examples=200, derandomize=True, database=None, deadline=None)
@given(name=st.text(min_size=1, max_size=200), details=st.text(min_size=1, max_size=300))
def test_whatever_council_details_are_accepted_lock_screens_stay_discreet_and_short(
    name: str, details: str
) -> None:
    try:
        accepted = settings(council_name=name, council_contact_details=details)
    except ValidationError:
        return
    text = sms_text(accepted.council_name, accepted.council_contact_details)
    assert len(text) <= SMS_LIMIT
    assert is_discreet(text)
    assert is_discreet(email_subject(accepted.council_name))


def test_blank_settings_from_compose_are_unset_for_sign_in_and_smtp_alike() -> None:
    # Compose passes an unset host variable as "": each is then as if not given.
    given = settings(oidc_discovery_url="", smtp_username="", smtp_password=" ", metrics_token="")
    assert (
        given.oidc_discovery_url,
        given.smtp_username,
        given.smtp_password,
        given.metrics_token,
    ) == (None, None, None, None)
