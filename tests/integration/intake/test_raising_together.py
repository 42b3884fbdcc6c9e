"""Concerns posted at the same moment are raised together, and each partner gets the answer (or
the error) they would have got posting alone: the same people recognised, the same repeats
linked, the same submission answered as before, a reused reference refused. Against the real
MongoDB-wire server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence

import pytest
from prometheus_client import REGISTRY

from services.intake.application.commands import (
    IntakeCommands,
    Received,
    SubmissionConflict,
    Submitted,
)
from services.intake.application.raising import RaisingTogether
from shared.events.intake import SubmissionChannel
from shared.mongo import Client, Database
from tests.integration.intake.conftest import (
    a_new_nhs_number,
    a_submission,
    commands_on,
    counts,
    raised,
    submitted_by,
)

pytestmark = pytest.mark.integration

AGENCY = "police-together"


def posted(body: Mapping[str, object]) -> Submitted:
    return submitted_by(AGENCY, body, SubmissionChannel.HTTP)


def a_mixed_load() -> list[Submitted]:
    """What partners post at one moment: mostly new people, some about one person, a
    submission sent twice, and a reference reused for a different submission."""
    new_people = [posted(a_submission(**{"person.name": f"Person {i}"})) for i in range(24)]
    one_person = a_new_nhs_number()
    about_one = [
        posted(
            a_submission(
                **{"person.nhs_number": one_person, "what_happened.incident_date": f"2026-11-0{d}"}
            )
        )
        for d in (1, 2, 2)
    ]
    sent_twice = new_people[3]
    reused = posted(
        a_submission(
            partner_reference=new_people[5].submission.partner_reference,
            **{"person.name": "Someone Else"},
        )
    )
    return [*new_people[:12], *about_one, sent_twice, *new_people[12:], reused]


Outcome = Received | BaseException


async def one_by_one(commands: IntakeCommands, load: Sequence[Submitted]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for s in load:
        try:
            outcomes.append(
                await commands.raise_concern(
                    s.submission,
                    actor=s.actor,
                    via=s.via,
                    idempotency_key=s.idempotency_key,
                    correlation_id=s.correlation_id,
                )
            )
        except SubmissionConflict as error:
            outcomes.append(error)
    return outcomes


async def at_once(raising: RaisingTogether, load: Sequence[Submitted]) -> list[Outcome]:
    return await asyncio.gather(*(raising.raise_concern(s) for s in load), return_exceptions=True)


Shape = tuple[list[tuple[object, list[int], list[int], bool | None]], dict[str, int]]


async def shape(
    commands: IntakeCommands, load: Sequence[Submitted], outcomes: list[Outcome]
) -> Shape:
    """What the outcome means, without the ids chosen at random: for each submission, whether
    it was answered before or refused, which other submissions are the same concern, which are
    about the same person, and whether it repeats an earlier one; and what is on record."""
    concerns = await raised(commands)
    answers = [o.answer.concern_id if isinstance(o, Received) else None for o in outcomes]
    people = [concerns[s.submission.partner_reference].person_id for s in load]
    repeats = {
        doc["stream_id"]
        async for doc in commands.store.events.find({"event_type": "RepeatConcernLinked"})
    }
    return (
        [
            (
                type(o).__name__ if not isinstance(o, Received) else o.replayed,
                [j for j, other in enumerate(answers) if answer and other == answer],
                [j for j, other in enumerate(people) if other == people[i]],
                answer in repeats if answer else None,
            )
            for i, (o, answer) in enumerate(zip(outcomes, answers, strict=True))
        ],
        await counts(commands),
    )


def posted_count(raised: str) -> float:
    return REGISTRY.get_sample_value("intake_concerns_posted_total", {"raised": raised}) or 0.0


async def test_concerns_posted_at_once_end_as_posting_them_one_by_one_would(
    commands: IntakeCommands, mongo_client: Client, database: Database
) -> None:
    load = a_mixed_load()
    together_before = posted_count("together")

    outcomes = await at_once(RaisingTogether(commands), load)

    # Most were written in groups (the first alone, the rest while it was being written).
    assert posted_count("together") - together_before >= len(load) // 2
    alone = await commands_on(mongo_client, f"{database.name}_alone")
    try:
        expected = await one_by_one(alone, load)
        assert await shape(commands, load, outcomes) == await shape(alone, load, expected)
    finally:
        await mongo_client.drop_database(alone.store.events.database.name)
    # And what that is: the reused reference refused, the submission sent twice answered as
    # before, the three about one person recorded as one person with one repeat.
    assert isinstance(outcomes[-1], SubmissionConflict)
    assert isinstance(outcomes[15], Received)
    assert outcomes[15].replayed
    assert isinstance(outcomes[3], Received)
    assert outcomes[15].answer == outcomes[3].answer


async def test_a_group_that_cannot_be_raised_together_is_raised_one_by_one(
    commands: IntakeCommands,
) -> None:
    raising = RaisingTogether(commands)
    first = posted(a_submission())
    await raising.raise_concern(first)
    # Posted together: a new concern, and the first one's reference for a different submission
    # (only a look-up finds it, so the group is formed and then refused).
    new = posted(a_submission())
    reused = posted(
        a_submission(
            partner_reference=first.submission.partner_reference,
            **{"person.name": "Someone Else"},
        )
    )
    one_by_one_before = posted_count("one_by_one")

    new_outcome, reused_outcome = await at_once(raising, [new, reused])

    assert posted_count("one_by_one") - one_by_one_before == 2
    assert isinstance(new_outcome, Received)
    assert not new_outcome.replayed
    assert isinstance(reused_outcome, SubmissionConflict)
    assert set(await raised(commands)) == {s.submission.partner_reference for s in (first, new)}


async def test_a_partner_who_stops_waiting_still_has_the_concern_raised(
    commands: IntakeCommands,
) -> None:
    raising = RaisingTogether(commands)
    first, second = posted(a_submission()), posted(a_submission())
    waiting = asyncio.create_task(raising.raise_concern(first))
    gone = asyncio.create_task(raising.raise_concern(second))
    await asyncio.sleep(0)  # both are queued
    gone.cancel()

    await waiting
    with contextlib.suppress(asyncio.CancelledError):
        await gone
    deadline = time.monotonic() + 10
    while second.submission.partner_reference not in await raised(commands):
        assert time.monotonic() < deadline, "the concern of a partner who stopped waiting"
        await asyncio.sleep(0.05)
    # Posting it again gets the answer it was given.
    again = await raising.raise_concern(second)
    assert again.replayed
