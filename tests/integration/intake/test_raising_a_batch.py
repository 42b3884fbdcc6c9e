"""A batch of Kafka submissions is raised with a few statements for the whole batch, and ends
exactly as raising them one by one would: the same people recognised, the same repeats linked,
nothing raised twice, a reused reference refused. Against the real MongoDB-wire server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from services.intake.adapters.partners import PartnerRegistry
from services.intake.application.commands import (
    IntakeCommands,
    OneAtATime,
    SubmissionConflict,
    Submitted,
)
from services.intake.application.submissions import (
    ConcernSubmissions,
    KafkaSubmission,
)
from shared.events.intake import RepeatConcernLinked, SubmissionChannel
from shared.mongo import Client, in_transaction
from tests.integration.intake.conftest import (
    a_new_nhs_number,
    a_submission,
    counts,
    raised,
    submitted_by,
)

pytestmark = pytest.mark.integration

AGENCY = "police-batch"


def submitted(body: Mapping[str, object]) -> Submitted:
    return submitted_by(AGENCY, body, SubmissionChannel.KAFKA)


async def test_a_batch_is_raised_as_one_by_one_would_and_again_raises_nothing(
    commands: IntakeCommands, mongo_client: Client
) -> None:
    known_nhs_number = a_new_nhs_number()
    earlier = submitted(a_submission(**{"person.nhs_number": known_nhs_number}))
    first = await commands.raise_concern(
        earlier.submission,
        actor=earlier.actor,
        via=earlier.via,
        idempotency_key=earlier.idempotency_key,
        correlation_id=earlier.correlation_id,
    )
    # About the person already on record, the same incident: a repeat of the open concern.
    repeat = submitted(
        a_submission(
            **{
                "person.nhs_number": known_nhs_number,
                "what_happened.incident_date": earlier.submission.what_happened.incident_date,
            }
        )
    )
    # A new person known by name, date of birth and postcode only, and three more new people.
    no_number = a_submission(
        **{
            "person.name": "Hedda Quarrie",
            "person.date_of_birth": "1941-05-06",
            "person.nhs_number": None,
        }
    )
    by_details = submitted(no_number)
    new_people = [submitted(a_submission()) for _ in range(3)]
    batch = [repeat, by_details, *new_people, earlier]  # `earlier` again: answered before
    before = await counts(commands)

    answers = await in_transaction(mongo_client, lambda tx: commands.raise_concerns(batch, tx))

    # Each its own answer, in the batch's order; the one received before, as it was answered.
    assert [a.replayed for a in answers] == [False] * 5 + [True]
    assert answers[-1].answer == first.answer
    concerns = await raised(commands)
    assert [a.answer.concern_id for a in answers[:5]] == [
        concerns[s.submission.partner_reference].concern_id for s in batch[:5]
    ]
    person_of_earlier = concerns[earlier.submission.partner_reference].person_id
    assert concerns[repeat.submission.partner_reference].person_id == person_of_earlier
    repeats = [
        e.payload
        async for doc in commands.store.events.find({"event_type": "RepeatConcernLinked"})
        for e in await commands.store.load(doc["stream_id"])
        if isinstance(e.payload, RepeatConcernLinked)
    ]
    assert [r.repeat_of_concern_id for r in repeats] == [first.answer.concern_id]
    others = {concerns[s.submission.partner_reference].person_id for s in [by_details, *new_people]}
    assert len(others) == 4
    assert person_of_earlier not in others
    after = await counts(commands)
    assert after["received"] - before["received"] == 5
    assert after["people"] - before["people"] == 4
    assert after["person_index"] - before["person_index"] == 4
    assert after["outbox"] == after["events"]
    people = {doc["_id"]: doc["changes"] async for doc in commands.people.find()}
    assert people[person_of_earlier] == 2
    assert all(people[p] == 1 for p in others)

    # The batch again (a redelivery): every submission was answered, nothing is written.
    await in_transaction(mongo_client, lambda tx: commands.raise_concerns(batch, tx))
    assert await counts(commands) == after

    # A new concern about one of them finds the person the batch recorded.
    later = submitted(
        a_submission(**{"person.nhs_number": new_people[0].submission.person.nhs_number})
    )
    await in_transaction(mongo_client, lambda tx: commands.raise_concerns([later], tx))
    assert (await raised(commands))[later.submission.partner_reference].person_id == concerns[
        new_people[0].submission.partner_reference
    ].person_id


@pytest.mark.parametrize(
    "what",
    [
        "same submission twice",
        "same new person twice",
        "same known person twice",
        "reused reference",
    ],
)
async def test_what_only_one_by_one_decides_right_writes_nothing_and_says_so(
    commands: IntakeCommands, mongo_client: Client, what: str
) -> None:
    known = submitted(a_submission())
    await in_transaction(mongo_client, lambda tx: commands.raise_concerns([known], tx))
    nhs_number = a_new_nhs_number()
    body = a_submission()
    batch: Sequence[Submitted] = {
        "same submission twice": [submitted(body), submitted(body)],
        "same new person twice": [
            submitted(a_submission(**{"person.nhs_number": nhs_number})),
            submitted(a_submission(**{"person.nhs_number": nhs_number})),
        ],
        "same known person twice": [
            submitted(a_submission(**{"person.nhs_number": known.submission.person.nhs_number})),
            submitted(a_submission(**{"person.nhs_number": known.submission.person.nhs_number})),
        ],
        "reused reference": [
            submitted(
                a_submission(
                    partner_reference=known.submission.partner_reference,
                    **{"person.name": "Someone Different"},
                )
            ),
            submitted(a_submission()),
        ],
    }[what]
    before = await counts(commands)

    with pytest.raises(OneAtATime):
        await in_transaction(mongo_client, lambda tx: commands.raise_concerns(batch, tx))

    assert await counts(commands) == before


async def test_the_kafka_handler_raises_a_batch_with_one_person_twice_one_by_one(
    commands: IntakeCommands, mongo_client: Client
) -> None:
    handler = ConcernSubmissions(commands, commands.store, PartnerRegistry({}, {}))
    nhs_number = a_new_nhs_number()
    first, second = (
        submitted(
            a_submission(**{"person.nhs_number": nhs_number, "what_happened.incident_date": day})
        )
        for day in ("2026-11-01", "2026-11-02")
    )
    batch = [
        KafkaSubmission(agency=AGENCY, submission=s.submission, correlation_id=s.correlation_id)
        for s in (first, second, submitted(a_submission()))
    ]

    await in_transaction(mongo_client, lambda tx: handler.apply(batch, tx))

    concerns = await raised(commands)
    assert len(concerns) == 3
    assert (
        concerns[first.submission.partner_reference].person_id
        == concerns[second.submission.partner_reference].person_id
    )
    assert await commands.people.count_documents({}) == 2

    # A reused reference in a batch is refused as when raised alone.
    reused = submitted(
        a_submission(
            partner_reference=first.submission.partner_reference, **{"person.name": "Not The Same"}
        )
    )
    with pytest.raises(SubmissionConflict):
        await in_transaction(
            mongo_client,
            lambda tx: handler.apply(
                [
                    KafkaSubmission(AGENCY, reused.submission, reused.correlation_id),
                    KafkaSubmission(AGENCY, submitted(a_submission()).submission, "c"),
                ],
                tx,
            ),
        )
    assert len(await raised(commands)) == 3
