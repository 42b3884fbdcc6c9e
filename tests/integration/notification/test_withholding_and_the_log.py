"""Withholding information for a recorded reason, and the person's communications log that
shows every decision and what came of it."""

from __future__ import annotations

from datetime import date, timedelta

from aiokafka import AIOKafkaProducer

from services.notification.read_models.deliveries import DeliveryStatus
from services.notification.settings import NotificationSettings
from shared.events.notification import (
    Channel,
    PersonInformed,
    PractitionerContactReason,
    WithholdingReason,
)
from shared.mongo import Client
from tests.integration.notification.conftest import (
    RunningNotification,
    case_reached,
    confirm_safe_contact,
    handle_directly,
    mail_to,
    publish,
    route,
    running,
)
from tests.support.polling import eventually
from tests.support.smtp_server import RunningSmtpServer
from tests.support.staff import TestUser
from tests.unit.notification.story import Story

JsonObject = dict[str, object]


async def log_of(service: RunningNotification, person_id: str) -> list[JsonObject]:
    response = await service.http.get(
        f"/people/{person_id}/communications", headers=service.staff.practitioner
    )
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    entries: list[JsonObject] = response.json()["entries"]
    return entries


def kinds(entries: list[JsonObject]) -> list[object]:
    return [entry["kind"] for entry in entries]


async def test_a_withheld_decision_shows_in_the_log_with_its_reason_and_review_date(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
    smtp: RunningSmtpServer,
) -> None:
    story = Story()
    review = date.today() + timedelta(days=28)
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised())
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        await eventually(
            lambda: log_of(service, story.person_id), until=lambda e: "PersonInformed" in kinds(e)
        )
        response = await service.http.post(
            f"/people/{story.person_id}/withholdings",
            json={
                "reason": "police_investigation",
                "reason_text": "Police ask that she is not told yet: they are interviewing her son.",
                "review_date": review.isoformat(),
            },
            headers=service.staff.practitioner,
        )
        assert response.status_code == 201, response.text
        decided = story.s42_decision_made()
        await publish(kafka_producer, decided)

        def step_withheld(entries: list[JsonObject]) -> bool:
            return any(
                e["kind"] == "InformingWithheld" and e["source_event_id"] == decided.event_id
                for e in entries
            )

        entries = await eventually(
            lambda: log_of(service, story.person_id), until=step_withheld, what="withheld step"
        )

    withheld = [e for e in entries if e["kind"] == "InformingWithheld"]
    assert [(e["reason"], e["review_date"]) for e in withheld] == [
        ("police_investigation", review.isoformat()),
        ("police_investigation", review.isoformat()),
    ]
    assert "they are interviewing her son" in str(withheld[-1]["summary"])
    assert "a police investigation" in str(withheld[-1]["summary"])
    assert withheld[-1]["source_event_type"] == "S42DecisionMade"
    assert len(mail_to(smtp, story.mary_email)) == 1  # the concern; never the decision


async def test_the_log_tells_the_story_in_order_in_plain_words(
    settings: NotificationSettings,
    mongo_client: Client,
    kafka_producer: AIOKafkaProducer,
) -> None:
    story = Story()
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised())
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        await eventually(
            lambda: log_of(service, story.person_id), until=lambda e: "PersonInformed" in kinds(e)
        )
        # Outcomes' topic is not ordered with intake's: it is published once intake's is read.
        await publish(kafka_producer, story.case_opened())
        entries = await eventually(
            lambda: log_of(service, story.person_id),
            until=lambda e: "not_messaged" in kinds(e),
            what="the log",
        )

    assert kinds(entries) == [
        "ContactPreferencesRecorded",
        "SafeContactDecided",
        "decided",
        "PersonInformed",
        "not_messaged",
    ]
    summaries = [str(e["summary"]) for e in entries]
    assert any(s.startswith("Contact preferences recorded from the concern") for s in summaries)
    assert (
        f"{service.staff.subject(TestUser.PRACTITIONER)} judged contact safe about the concern "
        f"{story.concern_id}: the person by email." in (summaries)
    )
    assert any(
        s.startswith("Told the person by email about the concern raised about them")
        for s in summaries
    )
    assert "Not messaged when the case was opened: told as the decision and the enquiry." in (
        summaries
    )


async def test_contact_preferences_a_practitioner_records_still_never_reach_the_source_of_risk(
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
            lambda: log_of(service, story.person_id), until=lambda e: "PersonInformed" in kinds(e)
        )
        wanted = {
            "recipients": [
                {
                    "role": "person",
                    "name": "Mary Smith",
                    # John's email typed in as Mary's: recorded, but never used.
                    "contact": {"email": story.john_email, "phone": story.mary_phone},
                    "inform": True,
                }
            ],
            "channel": "email",
            "format": "easy_read",
        }
        put = await service.http.put(
            f"/people/{story.person_id}/contact-preferences",
            json=wanted,
            headers=service.staff.practitioner,
        )
        got = await service.http.get(
            f"/people/{story.person_id}/contact-preferences", headers=service.staff.practitioner
        )
        decided = story.s42_decision_made()
        await publish(kafka_producer, decided)
        [required] = await eventually(
            lambda: service.events_of(story.person_id, "PractitionerContactRequired"),
            what="practitioner contact required",
        )

    assert put.status_code == 200, put.text
    assert got.json() == put.json()
    assert got.json()["format"] == "easy_read"
    assert [s["name"] for s in got.json()["alleged_sources_of_risk"]] == ["John Smith"]
    assert required.payload.source_event_id == decided.event_id  # type: ignore[attr-defined]
    assert required.payload.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE  # type: ignore[attr-defined]
    assert mail_to(smtp, story.john_email) == []


async def test_contact_preferences_that_contradict_themselves_are_refused_with_the_reason(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        response = await service.http.put(
            f"/people/{story.person_id}/contact-preferences",
            json={
                "recipients": [
                    {
                        "role": "person",
                        "name": "Mary Smith",
                        "contact": {"email": story.mary_email},
                        "inform": True,
                    }
                ],
                "channel": "email",
                "fallback_channel": "email",
            },
            headers=service.staff.practitioner,
        )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "the fallback channel must differ from the channel" in response.json()["detail"]


async def test_the_informing_api_needs_a_staff_token(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    async with running(settings, mongo_client, start=False) as service:
        anonymous = await service.http.get("/people/person-1/communications")
        partner = await service.http.get(
            "/people/person-1/communications", headers=service.staff.no_staff_role
        )

    assert anonymous.status_code == 401
    assert partner.status_code == 403


async def test_a_withholding_with_a_review_date_in_the_past_is_refused(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    async with running(settings, mongo_client, start=False) as service:
        response = await service.http.post(
            f"/people/{story.person_id}/withholdings",
            json={
                "reason": WithholdingReason.RISK_TO_PERSON.value,
                "reason_text": "Her son reads her post.",
                "review_date": (date.today() - timedelta(days=2)).isoformat(),
            },
            headers=service.staff.practitioner,
        )

    assert response.status_code == 422
    assert "has passed" in response.json()["detail"]


async def test_the_person_can_be_found_from_their_case(
    settings: NotificationSettings, mongo_client: Client, kafka_producer: AIOKafkaProducer
) -> None:
    story = Story()
    async with running(settings, mongo_client) as service:
        await publish(kafka_producer, story.concern_raised())
        await publish(kafka_producer, story.case_opened())

        response = await case_reached(service, story.case_id)

    assert response.json() == {
        "person_id": story.person_id,
        "case_id": story.case_id,
        "concern_id": story.concern_id,
        "reference": story.reference,
    }


async def test_withholding_one_step_holds_back_its_message_still_waiting_to_be_sent(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, raised)
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        response = await service.http.post(
            f"/people/{story.person_id}/withholdings",
            json={
                "reason": "risk_to_person",
                "reason_text": "Her son is staying with her this week and reads her email.",
                "review_date": (date.today() + timedelta(days=7)).isoformat(),
                "source_event_id": raised.event_id,
            },
            headers=service.staff.practitioner,
        )
        await service.parts.worker.deliver_due()
        [delivery] = await service.parts.deliveries.for_person(story.person_id)
        withheld = await service.events_of(story.person_id, "InformingWithheld")
        decision = await service.parts.decisions.get(raised.event_id)

    assert response.status_code == 201, response.text
    assert response.json()["source_event_type"] == "ConcernRaised"
    assert delivery.status is DeliveryStatus.WITHHELD
    assert len(withheld) == 1
    assert decision is not None
    assert decision.pending_roles == ()
    assert mail_to(smtp, story.mary_email) == []


async def test_a_contact_point_marked_unsafe_after_the_decision_is_not_used_to_send_it(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, raised)
        await confirm_safe_contact(
            service,
            story.person_id,
            story.concern_id,
            route("person", "email"),
            route("person", "letter"),
        )
        preferences = (
            await service.http.get(
                f"/people/{story.person_id}/contact-preferences", headers=service.staff.practitioner
            )
        ).json()
        unsafe = {
            "contact": {"email": story.mary_email},
            "reason": "Her son knows her email password.",
        }
        changed = {
            name: preferences[name]
            for name in ("recipients", "channel", "fallback_channel", "language", "format")
        } | {"unsafe_contact_points": [unsafe]}
        put = await service.http.put(
            f"/people/{story.person_id}/contact-preferences",
            json=changed,
            headers=service.staff.practitioner,
        )
        await service.parts.worker.deliver_due()
        informed = await service.events_of(story.person_id, "PersonInformed")

    assert put.status_code == 200, put.text
    assert mail_to(smtp, story.mary_email) == []
    [letter] = [e.payload for e in informed]
    assert isinstance(letter, PersonInformed)
    assert letter.channel is Channel.LETTER


async def test_a_practitioner_who_told_the_person_themselves_records_it(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    raised = story.concern_raised(interpreter_needed=True)
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, raised)
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "practitioner_call")
        )
        required = await service.events_of(story.person_id, "PractitionerContactRequired")
        queue_before = await service.http.get(
            "/practitioner-contact/awaiting", headers=service.staff.practitioner
        )
        response = await service.http.post(
            f"/people/{story.person_id}/informed",
            json={"source_event_id": raised.event_id, "recipient_role": "person"},
            headers=service.staff.practitioner,
        )
        again = await service.http.post(
            f"/people/{story.person_id}/informed",
            json={"source_event_id": raised.event_id, "recipient_role": "person"},
            headers=service.staff.practitioner,
        )
        entries = await log_of(service, story.person_id)
        queue_after = await service.http.get(
            "/practitioner-contact/awaiting", headers=service.staff.practitioner
        )

    [to_tell] = [item for item in queue_before.json() if item["person_id"] == story.person_id]
    assert (to_tell["source_event_id"], to_tell["recipients"]) == (raised.event_id, ["person"])
    assert [item for item in queue_after.json() if item["person_id"] == story.person_id] == []
    assert [e.payload.reason for e in required] == [  # type: ignore[attr-defined]
        PractitionerContactReason.PERSON_ASKED_FOR_CALL
    ]
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == "practitioner_call"
    assert again.status_code == 409
    [told] = [e for e in entries if e["kind"] == "PersonInformed"]
    assert told["recorded_by"] == service.staff.subject(TestUser.PRACTITIONER)
    assert "by a practitioner's call" in str(told["summary"])


async def test_a_message_waiting_when_a_practitioner_told_them_by_phone_is_not_sent(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, raised)
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        told = await service.http.post(
            f"/people/{story.person_id}/informed",
            json={"source_event_id": raised.event_id, "recipient_role": "person"},
            headers=service.staff.practitioner,
        )
        await service.parts.worker.deliver_due()
        informed = await service.events_of(story.person_id, "PersonInformed")
        [delivery] = await service.parts.deliveries.for_person(story.person_id)

    assert told.status_code == 201, told.text
    assert len(informed) == 1
    assert delivery.status is DeliveryStatus.ALREADY_TOLD
    assert mail_to(smtp, story.mary_email) == []


async def test_a_withholding_instead_of_a_safe_contact_decision_keeps_first_contact_back(
    settings: NotificationSettings, mongo_client: Client, smtp: RunningSmtpServer
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, raised)
        withheld = await service.http.post(
            f"/people/{story.person_id}/withholdings",
            json={
                "reason": "police_investigation",
                "reason_text": "Police are interviewing her son this week.",
                "review_date": (date.today() + timedelta(days=14)).isoformat(),
            },
            headers=service.staff.practitioner,
        )
        # A practitioner confirming a route later does not release a withheld step.
        confirmed = await service.http.post(
            f"/people/{story.person_id}/safe-contact",
            json={"concern_id": story.concern_id, "routes": [route("person", "email")]},
            headers=service.staff.practitioner,
        )
        await service.parts.worker.deliver_due()
        decision = await service.parts.decisions.get(raised.event_id)
        events = await service.events_of(story.person_id, "InformingWithheld")
        deliveries = await service.parts.deliveries.for_person(story.person_id)

    assert withheld.status_code == 201, withheld.text
    assert confirmed.status_code == 201, confirmed.text
    assert decision is not None
    assert decision.outcome.value == "withheld"
    assert decision.pending_roles == ()
    assert [e.payload.source_event_id for e in events] == [None, raised.event_id]  # type: ignore[attr-defined]
    assert deliveries == []
    assert mail_to(smtp, story.mary_email) == []


async def test_concerns_waiting_for_a_safe_contact_decision_are_a_work_queue(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    raised = story.concern_raised()
    async with running(settings, mongo_client, start=False) as service:
        await handle_directly(service, raised)
        before = await service.http.get(
            "/safe-contact/awaiting", headers=service.staff.practitioner
        )
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )
        after = await service.http.get("/safe-contact/awaiting", headers=service.staff.practitioner)
        anonymous = await service.http.get("/safe-contact/awaiting")

    waiting = [item for item in before.json() if item["person_id"] == story.person_id]
    assert [(item["concern_id"], item["steps_waiting"]) for item in waiting] == [
        (story.concern_id, 1)
    ]
    assert waiting[0]["deadline"] is not None
    assert [item for item in after.json() if item["person_id"] == story.person_id] == []
    assert anonymous.status_code == 401
