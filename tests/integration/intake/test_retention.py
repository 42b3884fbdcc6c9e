"""Retention and legal hold at intake, on the real servers: the retention job erases a person
whose last concern closed longer ago than the period, skips one under a legal hold (and one with
a concern still open), and erases the held one once the hold is lifted; a hold also stops a
manager's erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from services.intake.application.commands import IntakeCommands
from services.intake.application.person_index import MatchingKeys
from services.intake.application.retention import RetentionWatch
from services.intake.read_models.partner_view import CLOSED_CASES, case_of
from shared.events import Actor, Envelope, Metadata, Role, encode, kafka_headers
from shared.events.intake import (
    ErasureReason,
    LegalHoldLifted,
    LegalHoldPlaced,
    PersonErased,
)
from shared.events.outcomes import CaseClosed
from shared.personal_data import ERASED
from shared.topics import OUTCOMES_EVENTS
from tests.integration.intake.conftest import Intake, a_submission
from tests.integration.intake.test_erasing_a_person import erase, raised_about
from tests.support.polling import eventually

PERIOD = timedelta(days=2920)
HOLD = "Held for the Safeguarding Adults Review of the Elm House case."
WORKER = Metadata(actor=Actor(id="worker-1", role=Role.PRACTITIONER))


async def case_closed(
    intake: Intake, producer: AIOKafkaProducer, concern_id: str, person_id: str
) -> datetime:
    """Outcomes closes the concern's case (published on its topic, as outcomes does)."""
    # Whole milliseconds: MongoDB keeps no finer, and the test compares at the period's edge.
    closed_at = datetime.now(UTC).replace(microsecond=0)
    envelope = Envelope.record(
        CaseClosed(
            case_id=case_of(concern_id),
            person_id=person_id,
            reason="Outcomes met.",
            feedback_to_referrer=False,
            sar_considered=False,
            closed_at=closed_at,
        ),
        stream_id=case_of(concern_id),
        stream_version=1,
        metadata=WORKER,
    )
    await producer.send_and_wait(
        OUTCOMES_EVENTS,
        encode(envelope),
        key=envelope.stream_id.encode(),
        headers=kafka_headers(envelope),
    )
    await eventually(
        lambda: intake.runtime.database[CLOSED_CASES].find_one({"_id": case_of(concern_id)}),
        until=lambda doc: doc is not None,
        what="the case's closure in intake's partner view",
    )
    return closed_at


def retention(intake: Intake, now: datetime) -> RetentionWatch:
    runtime = intake.runtime
    commands = IntakeCommands(
        runtime.client,
        runtime.database,
        runtime.store,
        MatchingKeys(intake.settings.matching_secret),
        runtime.store.keyring,
    )
    return RetentionWatch(commands, runtime.database, PERIOD, 3600, clock=lambda: now)


async def hold(intake: Intake, person_id: str, *, lift: bool = False) -> int:
    path = f"/people/{person_id}/legal-hold" + ("/lift" if lift else "")
    response = await intake.http.post(path, json={"reason": HOLD}, headers=intake.as_manager())
    return response.status_code


async def test_retention_erases_a_closed_case_after_its_period_and_skips_one_under_hold(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    closed, closed_person = await raised_about(intake, a_submission())
    held, held_person = await raised_about(intake, a_submission())
    still_open, open_person = await raised_about(intake, a_submission())
    closed_at = await case_closed(intake, kafka_producer, closed, closed_person)
    await case_closed(intake, kafka_producer, held, held_person)
    assert await hold(intake, held_person) == 200

    inside_the_period = await retention(intake, closed_at + PERIOD).erase_expired()
    after_the_period = retention(intake, closed_at + PERIOD + timedelta(days=1))
    erased = await after_the_period.erase_expired()

    assert inside_the_period == []
    assert erased == [closed_person]
    keyring = intake.runtime.store.keyring
    assert keyring is not None
    assert await keyring.was_destroyed(closed)
    assert not await keyring.was_destroyed(held)
    assert not await keyring.was_destroyed(still_open)
    [erasure] = [
        e
        for e in await intake.runtime.store.load(closed_person)
        if isinstance(e.payload, PersonErased)
    ]
    assert isinstance(erasure.payload, PersonErased)
    assert erasure.payload.reason_kind == ErasureReason.RETENTION
    assert erasure.actor.role == Role.SYSTEM
    person = await eventually(
        lambda: intake.http.get(f"/people/{closed_person}", headers=intake.as_manager()),
        until=lambda r: r.json()["name"] == ERASED,
        what="the erased person read as erased",
    )
    assert person.status_code == 200
    kept = await intake.http.get(f"/people/{held_person}", headers=intake.as_manager())
    assert kept.json()["name"] != ERASED
    assert open_person not in erased

    # A pass again later changes nothing while the hold stands; lifted, she is erased.
    assert await after_the_period.erase_expired() == []
    assert await hold(intake, held_person, lift=True) == 200
    assert await after_the_period.erase_expired() == [held_person]
    assert await keyring.was_destroyed(held)
    history = [type(e.payload) for e in await intake.runtime.store.load(held_person)]
    assert history == [LegalHoldPlaced, LegalHoldLifted, PersonErased]


async def test_a_legal_hold_stops_a_managers_erasure_until_lifted(intake: Intake) -> None:
    concern, person_id = await raised_about(intake, a_submission())

    assert await hold(intake, person_id) == 200
    assert await hold(intake, person_id) == 409
    refused = await erase(intake, person_id, intake.as_manager())

    assert refused.status_code == 409, refused.text
    assert refused.json()["title"] == "Under a legal hold"
    keyring = intake.runtime.store.keyring
    assert keyring is not None
    assert not await keyring.was_destroyed(concern)
    assert await hold(intake, person_id, lift=True) == 200
    assert await hold(intake, person_id, lift=True) == 409
    assert (await erase(intake, person_id, intake.as_manager())).status_code == 200
    assert await keyring.was_destroyed(concern)
    assert await hold(intake, person_id) == 409


async def test_only_a_manager_places_a_hold_and_the_reason_is_checked(intake: Intake) -> None:
    _, person_id = await raised_about(intake, a_submission())
    path = f"/people/{person_id}/legal-hold"

    as_practitioner = await intake.http.post(
        path, json={"reason": HOLD}, headers=intake.as_practitioner()
    )
    no_reason = await intake.http.post(path, json={}, headers=intake.as_manager())
    nobody = await intake.http.post(
        f"/people/person-{uuid.uuid4()}/legal-hold",
        json={"reason": HOLD},
        headers=intake.as_manager(),
    )

    assert as_practitioner.status_code == 403
    assert no_reason.status_code == 422
    assert "reason" in no_reason.text
    assert nobody.status_code == 404


async def test_the_holds_reason_is_sealed_in_the_stored_event(intake: Intake) -> None:
    _, person_id = await raised_about(intake, a_submission())
    assert await hold(intake, person_id) == 200

    stored = await intake.runtime.store.events.find({"stream_id": person_id}).to_list()

    assert len(stored) == 1
    assert "Elm House" not in str(stored)
    [placed] = await intake.runtime.store.load(person_id)
    assert isinstance(placed.payload, LegalHoldPlaced)
    assert placed.payload.reason == HOLD
