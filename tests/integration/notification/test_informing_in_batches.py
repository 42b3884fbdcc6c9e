"""The informing reaction decides the same whether a consumer batch holds one event or many: the
same decisions, the same events on each person's informing stream (under the same ids and
versions), the same messages waiting to be sent and the same facts. A batch reads and writes
together (`InformingBatch`); these stories hold what that could get wrong: a concern and every
later step about it in one batch, steps told at once after the safe-contact decision, an
advocate who becomes a recipient, a repeat report, and a concern moved to another person with
steps on both sides of the move. A batch appends without reading its streams again; a stream
another writer moved on meanwhile fails it, and its retry builds on what is then recorded. On
the real server."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from typing import Any

import pytest
from prometheus_client import REGISTRY

from services.notification.application.informing import InformingReaction, RecordedMeanwhile
from services.notification.domain.informing_record import derived_event_id
from services.notification.read_models.decisions import DecisionOutcome
from services.notification.settings import NotificationSettings
from shared.events import Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ContactPoints
from shared.events.notification import InformingWithheld, WithholdingReason, informing_stream
from shared.eventstore import ConcurrencyError
from shared.mongo import Client, Document, Session, in_transaction
from tests.integration.notification.conftest import (
    RunningNotification,
    confirm_safe_contact,
    handle_directly,
    route,
    running,
)
from tests.support.metrics import commands_counted
from tests.unit.notification.story import Story

TIMES = {"decided_at", "created_at", "next_attempt_at", "recorded_at"}
"""When a document was written: the only thing allowed to differ."""
BY_STAFF = {"SafeContactDecided"}
"""Events a practitioner records (under a new id each time), not the reaction."""


def commands_sent() -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "database_commands"
        for sample in metric.samples
        if sample.name == "database_commands_total"
    )


@contextlib.asynccontextmanager
async def two_services(
    settings: NotificationSettings, mongo_client: Client
) -> AsyncIterator[tuple[RunningNotification, RunningNotification]]:
    other = settings.model_copy(
        update={"mongodb_database": f"{settings.mongodb_database}_b", "consumer_group_prefix": "b"}
    )
    async with (
        running(settings, mongo_client, start=False) as one_by_one,
        running(other, mongo_client, start=False) as batched,
    ):
        yield one_by_one, batched


async def in_one_batch(service: RunningNotification, events: Sequence[Envelope]) -> None:
    reaction = service.parts.reaction
    await in_transaction(service.parts.runtime.client, lambda s: reaction.apply(events, s))


def without_times(document: Document) -> Document:
    return {
        k: without_times(v) if isinstance(v, dict) else v
        for k, v in document.items()
        if k not in TIMES
    }


async def what_was_decided(service: RunningNotification, people: Sequence[str]) -> dict[str, Any]:
    database = service.parts.runtime.database

    async def documents(name: str) -> list[Document]:
        return [without_times(d) async for d in database[name].find({}).sort("_id", 1)]

    streams = {
        person: [
            (
                None if e.event_type in BY_STAFF else e.event_id,
                e.stream_version,
                e.event_type,
                e.payload.model_dump(mode="json"),
            )
            for e in await service.parts.runtime.store.load(informing_stream(person))
        ]
        for person in people
    }
    return {
        "decisions": await documents("informing_decisions"),
        "deliveries": await documents("deliveries"),
        "cases": await documents("cases"),
        "concerns": await documents("concerns"),
        "people": await documents("people"),
        "streams": streams,
    }


async def compare(
    settings: NotificationSettings,
    mongo_client: Client,
    before: Sequence[Envelope],
    events: Sequence[Envelope],
    people: Sequence[str],
    between: Callable[[RunningNotification], Awaitable[None]] | None = None,
) -> tuple[float, float]:
    """Apply `before` one at a time to both, then `between`, then `events` one at a time to the
    first and in one batch to the second: both must end the same. Returns the commands each
    sent for `events`."""
    async with two_services(settings, mongo_client) as (one_by_one, batched):
        for service in (one_by_one, batched):
            for envelope in before:
                await handle_directly(service, envelope)
            if between is not None:
                await between(service)
        start = commands_sent()
        for envelope in events:
            await handle_directly(one_by_one, envelope)
        singly = commands_sent() - start
        start = commands_sent()
        await in_one_batch(batched, events)
        together = commands_sent() - start
        expected = await what_was_decided(one_by_one, people)
        assert expected["decisions"], "the story decided nothing: it proves nothing"
        assert await what_was_decided(batched, people) == expected
        return singly, together


async def test_a_concern_and_every_step_after_it_in_one_batch(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    events = [
        story.concern_raised(contact=ContactPoints(email=story.mary_email)),
        story.linked_when_raised(),
        story.case_opened(),
        story.case_allocated("Malvern locality team"),
        story.advocate_appointed(contact=ContactPoints(email=f"asha.{story.tag}@example.org")),
        story.s42_decision_made(),
        story.meeting_arranged(person_invited=True),
        story.enquiry_started(),
    ]
    singly, together = await compare(settings, mongo_client, [], events, [story.person_id])
    # What batching is for; a count of statements, not a time.
    assert together < singly / 2, (together, singly)


async def test_steps_told_at_once_after_the_safe_contact_decision(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    story = Story()
    raised = story.concern_raised(contact=ContactPoints(email=story.mary_email))

    async def safe(service: RunningNotification) -> None:
        await confirm_safe_contact(
            service, story.person_id, story.concern_id, route("person", "email")
        )

    events = [
        story.case_opened(),
        story.s42_decision_made(),
        story.advocate_appointed(contact=ContactPoints(email=f"asha.{story.tag}@example.org")),
        story.meeting_arranged(person_invited=True),
        story.enquiry_started(),
        story.meeting_arranged(person_invited=False),
    ]
    await compare(settings, mongo_client, [raised], events, [story.person_id], between=safe)


async def test_a_repeat_and_a_concern_moved_to_another_person_in_one_batch(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    first, repeat, moved = Story(), Story(), Story()
    repeat.person_id = first.person_id
    someone_else = f"person-{uuid.uuid4()}"
    events = [
        first.concern_raised(contact=ContactPoints(email=first.mary_email)),
        first.case_opened(),
        repeat.concern_raised(contact=ContactPoints(email=first.mary_email)),
        repeat.repeat_linked(of=first),
        moved.concern_raised(contact=ContactPoints(email=moved.mary_email)),
        moved.case_opened(),
        moved.s42_decision_made(),
        moved.linked_by_hand(to=someone_else),
        moved.meeting_arranged(person_invited=True),
    ]
    await compare(
        settings,
        mongo_client,
        [],
        events,
        [first.person_id, moved.person_id, someone_else],
    )


async def test_an_event_recorded_meanwhile_fails_the_batch_once_and_its_retry_writes_as_it_goes(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    """The batch writes its events without looking each up first; one already on record (here
    under another stream, as no writer of ours would) fails the batch's transaction once, and
    the retry, which looks each up, skips it instead of failing for ever."""
    story = Story()
    raised = story.concern_raised(contact=ContactPoints(email=story.mary_email))
    taken = derived_event_id("preferences", raised.event_id)
    async with running(settings, mongo_client, start=False) as service:
        await service.parts.runtime.store.events.insert_one(
            {"_id": taken, "stream_id": f"elsewhere-{uuid.uuid4()}", "stream_version": 1}
        )
        with pytest.raises(RecordedMeanwhile):
            await handle_directly(service, raised)
        await handle_directly(service, raised)
        decision = await service.parts.reaction.decisions.get(raised.event_id)
        assert decision is not None
        assert decision.outcome is DecisionOutcome.AWAITING_SAFE_CONTACT
        # Nothing of the failed attempt was kept, and the retry recorded nothing twice.
        assert [e.event_id for e in await service.stream(story.person_id)] == []


async def test_a_batch_reads_the_streams_it_appends_to_once(
    settings: NotificationSettings, mongo_client: Client
) -> None:
    stories = [Story() for _ in range(3)]
    async with running(settings, mongo_client, start=False) as service:
        before = commands_counted("find", "events")

        await in_one_batch(service, [story.concern_raised() for story in stories])

        # One read of the three people's streams; the events' ids and the streams' versions are
        # not read again before the write.
        assert commands_counted("find", "events") - before == 1
        for story in stories:
            assert len(await service.events_of(story.person_id, "ContactPreferencesRecorded")) == 1


async def test_a_stream_moved_on_while_the_batch_worked_fails_it_and_its_retry_builds_on_it(
    settings: NotificationSettings, mongo_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch read the person's stream when it started and appends after what it read. A
    practitioner's withholding recorded on that stream while the batch works meets the unique
    keys when the batch writes: the batch fails, nothing of it is kept, and the consumer's next
    try records the person's preferences after the withholding, overwriting nothing."""
    story = Story()
    raised = story.concern_raised(contact=ContactPoints(email=story.mary_email))
    withheld = InformingWithheld(
        person_id=story.person_id,
        reason=WithholdingReason.POLICE_INVESTIGATION,
        reason_text="Police ask that she is not contacted until they have spoken to her son.",
        review_date=date(2027, 1, 4),
        decided_by=SYSTEM_ACTOR,
    )
    async with running(settings, mongo_client, start=False) as service:
        store = service.parts.runtime.store
        handle = InformingReaction.handle
        recorded_meanwhile = False

        async def withheld_meanwhile(
            reaction: InformingReaction, envelope: Envelope, session: Session
        ) -> None:
            nonlocal recorded_meanwhile
            if not recorded_meanwhile:
                recorded_meanwhile = True
                # In a transaction of its own, after the batch read the stream.
                await store.append(
                    informing_stream(story.person_id), 0, [withheld], Metadata(actor=SYSTEM_ACTOR)
                )
            await handle(reaction, envelope, session)

        monkeypatch.setattr(InformingReaction, "handle", withheld_meanwhile)
        tries = 0
        while True:  # as the consumer does: a batch that met a writer is tried again
            tries += 1
            try:
                await handle_directly(service, raised)
                break
            except ConcurrencyError:
                assert tries == 1, "the retry must build on what is recorded"

        stream = await service.stream(story.person_id)
        # The withholding, the preferences after it, and the step withheld under it.
        assert [(e.event_type, e.stream_version) for e in stream] == [
            ("InformingWithheld", 1),
            ("ContactPreferencesRecorded", 2),
            ("InformingWithheld", 3),
        ]
        step_withheld = stream[2].payload
        assert isinstance(step_withheld, InformingWithheld)
        assert step_withheld.source_event_id == raised.event_id
