"""A concern published as intake publishes it reaches the person, safely, once, in the way
that suits them: real Kafka, MongoDB, SMTP server and print queue."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from services.notification.domain.informing_record import delivery_reference
from services.notification.settings import NotificationSettings
from shared.events.intake import ContactPoints, Representative
from shared.events.notification import (
    Channel,
    PersonInformed,
    PractitionerContactReason,
    PractitionerContactRequired,
    RecipientRole,
)
from shared.mongo import Client
from tests.integration.notification.conftest import PublishedEvents, mail_to, publish, running
from tests.support.polling import eventually
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story, mary_address


async def test_a_raised_concern_is_sent_to_the_person_once_and_recorded_as_person_informed(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with (
        running(settings, mongo_client),
        PublishedEvents(kafka_bootstrap, story.person_id) as published,
    ):
        await publish(kafka_producer, raised)
        [informed] = await published.until("PersonInformed")

    assert isinstance(informed.payload, PersonInformed)
    assert informed.payload.source_event_id == raised.event_id
    assert informed.payload.recipient_role is RecipientRole.PERSON
    assert informed.payload.channel is Channel.EMAIL
    assert informed.correlation_id == story.correlation_id
    [mail] = mail_to(smtp, story.mary_email)
    assert mail.message["Subject"] == (
        f"We have received a concern about you – reference {story.reference}"
    )
    assert mail.message.get_content().startswith("Dear Mary,\n")
    assert informed.payload.provider_reference == mail.message["Message-ID"]


async def test_an_easy_read_need_sends_the_easy_read_message(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised(easy_read=True))
        await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="informed"
        )

    [mail] = mail_to(smtp, story.mary_email)
    assert mail.message["Subject"] == "We want to check you are safe"
    assert mail.message.get_content().startswith("Hello Mary.\n\nWe are Worcestershire")


async def test_the_source_of_risks_contact_points_get_nothing_even_when_entered_as_the_persons(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    # Entered by mistake: John's email and phone as Mary's own; only her address is hers.
    mistaken = ContactPoints(email=story.john_email, phone=story.john_phone, address=mary_address())
    raised = story.concern_raised(contact=mistaken)
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, raised)
        [informed] = await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="informed"
        )
        letters = await service.parts.print_queue.waiting()

    assert isinstance(informed.payload, PersonInformed)
    assert informed.payload.channel is Channel.LETTER
    assert mail_to(smtp, story.john_email) == []
    reference = delivery_reference(raised.event_id, RecipientRole.PERSON)
    [letter] = [letter for letter in letters if letter.reference == reference]
    assert letter.addressee.address.postcode == "WR1 2AB"
    assert "John" not in letter.body


async def test_a_representative_who_is_the_alleged_source_of_risk_is_never_told(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    johns_other_email = f"j.smith.{story.tag}@example.net"
    representative = Representative(
        name="John Smith", relationship="son", contact=ContactPoints(email=johns_other_email)
    )
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised(representative=representative))
        [required] = await eventually(
            lambda: service.events_of(story.person_id, "PractitionerContactRequired"),
            what="practitioner contact required",
        )
        await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="mary informed"
        )

    assert isinstance(required.payload, PractitionerContactRequired)
    assert required.payload.recipient_role is RecipientRole.REPRESENTATIVE
    assert mail_to(smtp, johns_other_email) == []
    assert len(mail_to(smtp, story.mary_email)) == 1


async def test_when_every_route_is_unsafe_a_practitioner_must_make_contact_and_nothing_is_sent(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    only_johns = ContactPoints(email=story.john_email)
    async with (
        running(settings, mongo_client) as service,
        PublishedEvents(kafka_bootstrap, story.person_id) as published,
    ):
        raised = story.concern_raised(contact=only_johns)
        await publish(kafka_producer, raised)
        [required] = await published.until("PractitionerContactRequired")
        deliveries = await service.parts.deliveries.for_person(story.person_id)

    assert isinstance(required.payload, PractitionerContactRequired)
    assert required.payload.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE
    assert required.payload.source_event_id == raised.event_id
    assert "must not be used" in required.payload.detail
    assert deliveries == []
    assert [e for e in published.seen if e.event_type == "PersonInformed"] == []
    assert mail_to(smtp, story.john_email) == []


async def test_a_text_message_without_notify_falls_back_to_a_letter(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
) -> None:
    story = Story()
    texting = settings.model_copy(update={"default_channel": Channel.SMS})
    contact = ContactPoints(phone=story.mary_phone, address=mary_address())
    async with running(texting, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised(contact=contact))
        [informed] = await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="informed"
        )

    assert isinstance(informed.payload, PersonInformed)
    assert informed.payload.channel is Channel.LETTER
