"""A concern published as intake publishes it reaches the person, safely, once, in the way that
suits them — and only after a practitioner judged first contact safe: real Kafka, MongoDB, SMTP
server and print queue."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from services.notification.domain.informing_record import delivery_reference
from services.notification.domain.messages import is_discreet
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
from tests.integration.notification.conftest import (
    PublishedEvents,
    confirm_safe_contact,
    decide_safe_contact,
    mail_to,
    publish,
    route,
    running,
    waiting_for_safe_contact,
)
from tests.support.polling import eventually
from tests.support.smtp_server import RunningSmtpServer
from tests.unit.notification.story import Story, mary_address


async def test_nothing_about_a_concern_is_sent_before_a_practitioner_judges_contact_safe(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised())
        await publish(kafka_producer, story.s42_decision_made())
        waiting = await eventually(
            lambda: waiting_for_safe_contact(service, story.person_id),
            until=lambda steps: len(steps) == 2,
            what="both steps waiting",
        )
        deliveries = await service.parts.deliveries.for_person(story.person_id)
        informed = await service.events_of(story.person_id, "PersonInformed")

    assert len(waiting) == 2
    assert deliveries == []
    assert informed == []
    assert mail_to(smtp, story.mary_email) == []


async def test_a_raised_concern_is_sent_once_after_the_safe_contact_decision(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with (
        running(settings, mongo_client) as service,
        PublishedEvents(kafka_bootstrap, story.person_id) as published,
    ):
        await publish(kafka_producer, raised)
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        [informed] = await published.until("PersonInformed")

    assert isinstance(informed.payload, PersonInformed)
    assert informed.payload.source_event_id == raised.event_id
    assert informed.payload.recipient_role is RecipientRole.PERSON
    assert informed.payload.channel is Channel.EMAIL
    assert informed.correlation_id == story.correlation_id
    [mail] = mail_to(smtp, story.mary_email)
    # Discreet: a shared phone's lock screen shows the subject and the opening line.
    assert mail.message["Subject"] == "A private message from Worcestershire County Council"
    body = mail.message.get_content()
    assert body.startswith("Dear Mary,\n")
    assert is_discreet(body[:120])
    assert "safeguarding concern" in body
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
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="informed"
        )

    [mail] = mail_to(smtp, story.mary_email)
    assert mail.message.get_content().startswith(
        "Hello Mary.\n\nThis is a private message for you from Worcestershire"
    )
    assert "Someone told us they are worried about you." in mail.message.get_content()


async def test_the_source_of_risks_email_entered_as_the_persons_can_never_be_confirmed(
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
        refused = await decide_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        picture = (
            await service.http.get(
                f"/people/{story.person_id}/safe-contact", headers=service.staff.practitioner
            )
        ).json()
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "letter")
        )
        [informed] = await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="informed"
        )
        letters = await service.parts.print_queue.waiting()

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "routes[0].channel"
    assert "source_contact_point" in refused.json()["errors"][0]["problem"]
    [person] = [r for r in picture["recipients"] if r["role"] == "person"]
    flags = {r["channel"]: r for r in person["routes"]}
    assert flags["email"]["never_usable"] is True
    assert flags["sms"]["never_usable"] is True
    assert flags["letter"]["clashes"] == []
    assert isinstance(informed.payload, PersonInformed)
    assert informed.payload.channel is Channel.LETTER
    assert mail_to(smtp, story.john_email) == []
    reference = delivery_reference(raised.event_id, RecipientRole.PERSON)
    [letter] = [letter for letter in letters if letter.reference == reference]
    assert letter.addressee.address.postcode == "WR1 2AB"
    assert "John" not in letter.body


async def test_a_representative_named_by_the_referrer_is_not_told_until_the_person_chooses_them(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    daughter = f"susan.{story.tag}@example.net"
    representative = Representative(
        name="Susan Smith", relationship="daughter", contact=ContactPoints(email=daughter)
    )
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised(representative=representative))
        refused = await decide_safe_contact(
            service,
            story.person_id,
            story.concern_id,
            route("person", "email"),
            route("representative", "email"),
        )
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="mary informed"
        )

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "routes[1].role"
    assert mail_to(smtp, daughter) == []
    assert len(mail_to(smtp, story.mary_email)) == 1


async def test_a_representative_who_is_the_alleged_source_of_risk_is_never_told(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    johns_other_email = f"j.smith.{story.tag}@example.net"
    raised = story.concern_raised()
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, raised)
        await eventually(lambda: waiting_for_safe_contact(service, story.person_id), what="waiting")
        # The person is said to have chosen "her son John" to be kept informed.
        chosen = await service.http.put(
            f"/people/{story.person_id}/contact-preferences",
            json={
                "recipients": [
                    {
                        "role": "person",
                        "name": "Mary Smith",
                        "contact": {"email": story.mary_email},
                        "inform": True,
                    },
                    {
                        "role": "representative",
                        "name": "John Smith",
                        "relationship": "son",
                        "contact": {"email": johns_other_email},
                        "inform": True,
                        "chosen": "person_chose",
                    },
                ],
                "channel": "email",
            },
            headers=service.staff.practitioner,
        )
        refused = await decide_safe_contact(
            service,
            story.person_id,
            story.concern_id,
            route("person", "email"),
            route("representative", "email"),
        )
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        [required] = await eventually(
            lambda: service.events_of(story.person_id, "PractitionerContactRequired"),
            what="practitioner contact required",
        )
        await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="mary informed"
        )

    assert chosen.status_code == 200, chosen.text
    assert refused.status_code == 422
    problem = refused.json()["errors"][0]
    assert problem["field"] == "routes[1].despite"
    assert "name_like_source" in problem["problem"]
    assert isinstance(required.payload, PractitionerContactRequired)
    assert required.payload.recipient_role is RecipientRole.REPRESENTATIVE
    assert required.payload.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE
    assert "name_like_source" in {c.kind.value for c in required.payload.clashes}
    assert mail_to(smtp, johns_other_email) == []
    assert len(mail_to(smtp, story.mary_email)) == 1


async def test_a_source_named_after_the_decision_stops_the_next_send_along_a_confirmed_route(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised())
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="first message"
        )
        # A second concern names a source of risk who can read the email she was written to.
        second = Story()
        second.person_id = story.person_id
        await publish(
            kafka_producer,
            second.concern_raised(source_contact=ContactPoints(email=story.mary_email)),
        )
        await eventually(
            lambda: waiting_for_safe_contact(service, story.person_id), what="second waiting"
        )
        await publish(kafka_producer, story.s42_decision_made())
        [required] = await eventually(
            lambda: service.events_of(story.person_id, "PractitionerContactRequired"),
            what="the next step handed to a practitioner",
        )

    assert isinstance(required.payload, PractitionerContactRequired)
    assert required.payload.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE
    # Her email is now a source's own; her home, where he may live, is flagged too.
    assert {c.kind.value for c in required.payload.clashes} == {
        "source_contact_point",
        "home_shared_with_source",
    }
    assert len(mail_to(smtp, story.mary_email)) == 1


async def test_a_text_message_without_notify_falls_back_to_a_confirmed_letter(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
) -> None:
    story = Story()
    texting = settings.model_copy(update={"default_channel": Channel.SMS})
    contact = ContactPoints(phone=story.mary_phone, address=mary_address())
    async with running(texting, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised(contact=contact))
        await confirm_safe_contact(
            service,
            story.person_id,
            story.concern_id,
            route("person", "sms"),
            route("person", "letter"),
        )
        [informed] = await eventually(
            lambda: service.events_of(story.person_id, "PersonInformed"), what="informed"
        )

    assert isinstance(informed.payload, PersonInformed)
    assert informed.payload.channel is Channel.LETTER
