"""Raising concerns reads no collection whole, on the real MongoDB-wire server: every query
that raising a Kafka submission on its own and then a batch sends (a person recognised, a
submission received twice) and erasing a person send is explained by the server, and none
scans a collection that grows with the work (`tests.support.indexes.BOUNDED` names those that do
not)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from services.intake.application.commands import IntakeCommands
from services.intake.read_models.partner_view import CLOSED_CASES, case_of
from services.intake.read_models.people import DIRECTORY
from shared.events.intake import SubmissionChannel
from shared.mongo import Client, Database, in_transaction
from shared.personal_data import ERASED
from tests.integration.intake.conftest import (
    Intake,
    a_new_nhs_number,
    a_submission,
    submitted_by,
)
from tests.integration.intake.test_erasing_a_person import erase, raised_about
from tests.integration.intake.test_retention import PERIOD, case_closed, retention
from tests.support.indexes import PROFILER, profiled, queries_profiled, scanning
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_raising_concerns_scans_no_collection_that_grows(
    commands: IntakeCommands, mongo_client: Client, database: Database
) -> None:
    known = a_new_nhs_number()
    first = submitted_by(
        "police", a_submission(**{"person.nhs_number": known}), SubmissionChannel.KAFKA
    )
    again_about_her = submitted_by(
        "police", a_submission(**{"person.nhs_number": known}), SubmissionChannel.KAFKA
    )
    others = [submitted_by("police", a_submission(), SubmissionChannel.KAFKA) for _ in range(3)]

    async with profiled(database):
        await commands.raise_concern(
            first.submission,
            actor=first.actor,
            via=first.via,
            idempotency_key=first.idempotency_key,
            correlation_id=first.correlation_id,
        )
        batch = [again_about_her, *others, first]  # `first` again: answered before
        answers = await in_transaction(mongo_client, lambda tx: commands.raise_concerns(batch, tx))
    scans = await scanning(database)
    read = {query.shape.collection for query in await queries_profiled(database)}

    assert scans == []
    # The work's own queries were seen, so the check above covered them.
    assert {"person_index", "submissions_received", "events"} <= read
    assert [a.replayed for a in answers] == [False, False, False, False, True]


async def test_erasing_a_person_scans_no_collection_that_grows(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    """What the retention job reads of one person, and her erasure, through to the read models
    that hold her details: finding the concerns about her read every event intake ever
    recorded (a query with `$or`)."""
    her = a_submission()
    first, person_id = await raised_about(intake, her)
    second, _ = await raised_about(intake, {**a_submission(), "person": her["person"]})
    await raised_about(intake, a_submission())  # someone else
    await case_closed(intake, kafka_producer, first, person_id)
    database = intake.runtime.database
    directory = database[DIRECTORY]

    async with profiled(database):
        held = await retention(intake, datetime.now(UTC)).records_of(person_id)
        erased = await erase(intake, person_id, intake.as_manager())
        await eventually(
            lambda: directory.find({"_id": {"$in": [first, second]}}).to_list(),
            until=lambda entries: (
                [e.get("name", e.get("person_name")) for e in entries] == [ERASED, ERASED]
            ),
            what="her directory entries erased",
        )
    scans = await scanning(database)
    read = {query.shape.collection for query in await queries_profiled(database)}

    assert scans == []
    # The work's own queries were seen, so the check above covered them.
    assert {"events", "people", "person_index", DIRECTORY} <= read
    assert erased.status_code == 200, erased.text
    assert sorted(erased.json()["concern_ids"]) == sorted([first, second])
    assert len(held.concerns) == 2
    assert any(concern.closed_at is not None for concern in held.concerns)


async def test_a_retention_pass_reads_only_the_closures_whose_period_has_run(
    intake: Intake, kafka_producer: AIOKafkaProducer
) -> None:
    """A pass read every person on record (a filter on `erased_at` and `legal_hold`, which no
    index holds) to find the few whose period had run."""
    closed, closed_person = await raised_about(intake, a_submission())
    held, held_person = await raised_about(intake, a_submission())
    recent, recent_person = await raised_about(intake, a_submission())
    _, open_person = await raised_about(intake, a_submission())
    closed_at = await case_closed(intake, kafka_producer, closed, closed_person)
    await case_closed(intake, kafka_producer, held, held_person)
    await case_closed(intake, kafka_producer, recent, recent_person)
    placed = await intake.http.post(
        f"/people/{held_person}/legal-hold",
        json={"reason": "Held for a Safeguarding Adults Review."},
        headers=intake.as_manager(),
    )
    assert placed.status_code == 200
    after_the_period = closed_at + PERIOD + timedelta(days=1)
    database = intake.runtime.database
    # Closed later: still inside its period at the pass.
    await database[CLOSED_CASES].update_one(
        {"_id": case_of(recent)}, {"$set": {"closed_at": after_the_period - timedelta(days=1)}}
    )

    async with profiled(database):
        erased = await retention(intake, after_the_period).erase_expired()
    scans = await scanning(database)
    read = {query.shape.collection for query in await queries_profiled(database)}
    people_read = {
        entry["command"]["filter"].get("_id")
        async for entry in database[PROFILER].find({"command.find": "people"})
    }

    assert scans == []
    # The pass's own queries were seen, so the check above covered them.
    assert {CLOSED_CASES, "retention_watched", "people"} <= read
    assert erased == [closed_person]
    assert people_read == {closed_person, held_person}
    assert not {open_person, recent_person} & people_read
