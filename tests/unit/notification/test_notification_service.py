"""How the service is wired from its settings: which sender sends what, its AsyncAPI document,
and its HTTP routes."""

from __future__ import annotations

from services.notification.adapters.delivery import GovUkNotify, LetterQueue, SmtpSender
from services.notification.app import build, senders_for
from services.notification.asyncapi import document
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
    components = spec["components"]
    assert isinstance(components, dict)
    payload = components["schemas"]["NotificationEnvelope"]["properties"]["payload"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in payload["anyOf"]} == {
        "ContactPreferencesRecorded",
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
