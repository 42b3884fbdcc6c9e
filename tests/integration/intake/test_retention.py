"""Retention and legal hold at intake, on the real servers: the retention job erases a person
whose last concern closed longer ago than the period, skips one under a legal hold (and one with
a concern still open), and erases the held one once the hold is lifted; a hold also stops a
manager's erasure. A pass reads only the closures whose period has run, so the near misses of
that are here too: a concern still open when her closure's period ran, then closed or moved to
someone else; a closure recorded only after its period had run; closures recorded before they
were marked awaiting retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from services.intake.application.commands import IntakeCommands
from services.intake.application.person_index import MatchingKeys
from services.intake.application.retention import (
    CLOSURES_MARKED,
    RETENTION_STATE,
    WATCHED_PEOPLE,
    RetentionWatch,
)
from services.intake.read_models.partner_view import AWAITING_RETENTION, CLOSED_CASES, case_of
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


async def watched(intake: Intake) -> list[str]:
    database = intake.runtime.database
    return sorted(str(d["_id"]) for d in await database[WATCHED_PEOPLE].find().to_list())


async def another_concern_about(intake: Intake, person_id: str) -> str:
    """A concern raised about someone else and linked to her by hand: one of her own, with a
    case of its own (one matched to her while another is open would join that case)."""
    concern_id, _ = await raised_about(intake, a_submission())
    linked = await intake.http.post(
        f"/concerns/{concern_id}/link",
        json={"person_id": person_id, "reason": "Same person: she moved house last month."},
        headers=intake.as_practitioner(),
    )
    assert linked.status_code == 200, linked.text
    return concern_id


async def two_concerns_the_first_closed(
    intake: Intake, producer: AIOKafkaProducer
) -> tuple[str, str, str, datetime]:
    """Two concerns about one person, each with a case of its own, the first's case closed:
    the concerns, her id, and when it closed."""
    first, person_id = await raised_about(intake, a_submission())
    second = await another_concern_about(intake, person_id)
    return first, second, person_id, await case_closed(intake, producer, first, person_id)


async def destroyed(intake: Intake, *concern_ids: str) -> list[bool]:
    """Whether each concern's data key was destroyed (the concern erased)."""
    keyring = intake.runtime.store.keyring
    assert keyring is not None
    return [await keyring.was_destroyed(concern_id) for concern_id in concern_ids]


async def unlink(intake: Intake, concern_id: str) -> str:
    """The concern moved from her to a new person record; his id."""
    unlinked = await intake.http.post(
        f"/concerns/{concern_id}/unlink",
        json={"reason": "A different person: the link was a mistake."},
        headers=intake.as_practitioner(),
    )
    assert unlinked.status_code == 200, unlinked.text
    return str(unlinked.json()["person_id"])


async def test_a_concern_still_open_when_her_closure_passed_its_period_keeps_her_until_it_closes(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    first, second, person_id, first_closed = await two_concerns_the_first_closed(
        intake, kafka_producer
    )

    # The first closure's period has run, the second concern is open: kept, and watched.
    assert await retention(intake, first_closed + PERIOD + timedelta(days=1)).erase_expired() == []
    assert person_id in await watched(intake)
    second_closed = await case_closed(intake, kafka_producer, second, person_id)
    # Her last closure is inside its period: kept, and no longer watched (it brings her back).
    assert await retention(intake, second_closed + PERIOD).erase_expired() == []
    assert await watched(intake) == []
    erased = await retention(intake, second_closed + PERIOD + timedelta(days=1)).erase_expired()

    assert erased == [person_id]
    assert await destroyed(intake, first, second) == [True, True]


async def test_her_open_concern_moved_to_someone_else_leaves_her_due_at_the_next_pass(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    closed, not_hers, person_id, closed_at = await two_concerns_the_first_closed(
        intake, kafka_producer
    )
    after_the_period = retention(intake, closed_at + PERIOD + timedelta(days=1))
    assert await after_the_period.erase_expired() == []

    # No new closure of hers: only watching her finds that she is now due.
    his = await unlink(intake, not_hers)
    erased = await after_the_period.erase_expired()

    assert erased == [person_id]
    assert await destroyed(intake, closed, not_hers) == [True, False]
    assert await watched(intake) == [his]  # his concern is open


async def test_a_closure_recorded_only_after_its_period_had_run_is_still_looked_at(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    concern, person_id = await raised_about(intake, a_submission())
    far_ahead = retention(intake, datetime.now(UTC) + PERIOD + timedelta(days=30))
    assert await far_ahead.erase_expired() == []

    # Recorded late (a consumer behind, a history imported): its period ran before this pass.
    await case_closed(intake, kafka_producer, concern, person_id)

    assert await far_ahead.erase_expired() == [person_id]
    assert await far_ahead.erase_expired() == []


async def test_closures_recorded_before_closures_awaited_retention_are_marked_once_at_start(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    concern, person_id = await raised_about(intake, a_submission())
    closed_at = await case_closed(intake, kafka_producer, concern, person_id)
    database = intake.runtime.database
    # As an earlier version recorded it, before any start-up had marked closures.
    await database[CLOSED_CASES].update_one(
        {"_id": case_of(concern)}, {"$unset": {AWAITING_RETENTION: ""}}
    )
    await database[RETENTION_STATE].delete_one({"_id": CLOSURES_MARKED})
    after_the_period = retention(intake, closed_at + PERIOD + timedelta(days=1))
    assert await after_the_period.erase_expired() == []

    await after_the_period.mark_closures_from_before()
    await after_the_period.mark_closures_from_before()  # a second start-up marks nothing again

    assert await after_the_period.erase_expired() == [person_id]
    closure = await database[CLOSED_CASES].find_one({"_id": case_of(concern)})
    assert closure is not None
    assert closure[AWAITING_RETENTION] is False


async def test_a_closed_concern_moved_to_someone_else_leaves_both_due_when_their_periods_run(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    hers, not_hers, person_id, closed_at = await two_concerns_the_first_closed(
        intake, kafka_producer
    )
    await case_closed(intake, kafka_producer, not_hers, person_id)
    later = closed_at + timedelta(days=100)
    await intake.runtime.database[CLOSED_CASES].update_one(
        {"_id": case_of(not_hers)}, {"$set": {"closed_at": later}}
    )
    # Her first closure's period has run, her last's has not: kept, and not watched.
    after_hers = retention(intake, closed_at + PERIOD + timedelta(days=1))
    assert await after_hers.erase_expired() == []
    assert person_id not in await watched(intake)

    new_person = await unlink(intake, not_hers)
    assert {person_id, new_person} <= set(await watched(intake))
    # No new closure: what moved leaves her past her period, and him not yet past his.
    assert await after_hers.erase_expired() == [person_id]
    assert await watched(intake) == []
    after_his = retention(intake, later + PERIOD + timedelta(days=1))

    assert await after_his.erase_expired() == [new_person]
    assert await destroyed(intake, hers, not_hers) == [True, True]
