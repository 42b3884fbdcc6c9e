"""Raising concerns reads no collection whole, on the real MongoDB-wire server: every query
that raising a Kafka submission on its own and then a batch sends (a person recognised, a
submission received twice) is explained by the server, and none scans a collection
that grows with the work (`tests.support.indexes.BOUNDED` names those that do not)."""

from __future__ import annotations

import pytest

from services.intake.application.commands import IntakeCommands
from shared.events.intake import SubmissionChannel
from shared.mongo import Client, Database, in_transaction
from tests.integration.intake.conftest import a_new_nhs_number, a_submission, submitted_by
from tests.support.indexes import profiled, queries_profiled, scanning

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
