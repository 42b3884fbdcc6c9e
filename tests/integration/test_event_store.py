"""The event store's invariants, stated as tests: one history per stream, no gaps, no
duplicates, a conflict on concurrent append, events and outbox written together."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import PyMongoError

from shared.events import Actor, Metadata, Role
from shared.eventstore import (
    ConcurrencyError,
    EventAlreadyRecorded,
    EventStore,
    EventTooLarge,
    StreamAppend,
)
from shared.keyring import DATA_KEYS, Keyring, LocalKeyWrapper
from shared.limits import MAX_EVENT_BYTES
from shared.mongo import Client, Database, Session, in_transaction
from tests.support.events import AmountRecorded, NoteWritten
from tests.support.indexes import PROFILER, profiled

PRACTITIONER = Metadata(actor=Actor(id="sw-1", role=Role.PRACTITIONER))


@pytest.fixture
async def store(mongo_client: Client, database: Database) -> EventStore:
    events = EventStore(mongo_client, database, "test.events")
    await events.ensure_indexes()
    return events


async def test_appended_events_load_in_order_with_consecutive_versions(store: EventStore) -> None:
    await store.append("s1", 0, [AmountRecorded(amount=1), AmountRecorded(amount=2)], PRACTITIONER)
    await store.append("s1", 2, [AmountRecorded(amount=3)], PRACTITIONER)
    loaded = await store.load("s1")
    assert [e.stream_version for e in loaded] == [1, 2, 3]
    assert [e.payload for e in loaded] == [AmountRecorded(amount=n) for n in (1, 2, 3)]


async def test_concurrent_appends_at_the_same_version_exactly_one_wins(store: EventStore) -> None:
    await store.append("s1", 0, [AmountRecorded(amount=0)], PRACTITIONER)
    results = await asyncio.gather(
        *(store.append("s1", 1, [AmountRecorded(amount=n)], PRACTITIONER) for n in range(8)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, ConcurrencyError) for r in losers), losers
    assert [e.stream_version for e in await store.load("s1")] == [1, 2]


async def test_appending_at_a_stale_version_is_a_concurrency_error(store: EventStore) -> None:
    await store.append("s1", 0, [AmountRecorded(amount=1)], PRACTITIONER)
    with pytest.raises(ConcurrencyError, match="at version 1, not the expected 0"):
        await store.append("s1", 0, [AmountRecorded(amount=2)], PRACTITIONER)


async def test_recording_the_same_event_id_twice_is_refused_not_duplicated(
    store: EventStore,
) -> None:
    await store.append("s1", 0, [AmountRecorded(amount=1)], PRACTITIONER, event_ids=["fixed-id"])
    with pytest.raises(EventAlreadyRecorded):
        await store.append(
            "s1", 1, [AmountRecorded(amount=1)], PRACTITIONER, event_ids=["fixed-id"]
        )
    assert len(await store.load("s1")) == 1


async def test_an_append_trusting_a_stale_read_still_records_nothing_twice(
    mongo_client: Client, store: EventStore
) -> None:
    """`read_in_session` skips the store's own reads; the unique keys still stop a writer whose
    read went stale (another got in first) from taking the same version or recording the same
    event id again."""
    await store.append("s1", 0, [AmountRecorded(amount=1)], PRACTITIONER, event_ids=["first"])

    async def append_after_reading_version_0(event_id: str) -> None:
        async def write(session: Session) -> None:
            await store.append(
                "s1",
                0,
                [AmountRecorded(amount=2)],
                PRACTITIONER,
                session=session,
                event_ids=[event_id],
                read_in_session=True,
            )

        await in_transaction(mongo_client, write)

    for event_id in ("second", "first"):
        with pytest.raises((ConcurrencyError, PyMongoError)):
            await append_after_reading_version_0(event_id)

    loaded = await store.load("s1")
    assert [(e.event_id, e.stream_version) for e in loaded] == [("first", 1)]
    assert await store.outbox.count_documents({}) == 1
    with pytest.raises(ValueError, match="session"):
        await store.append("s1", 1, [AmountRecorded(amount=2)], PRACTITIONER, read_in_session=True)


async def test_every_event_has_an_outbox_entry_written_with_it(store: EventStore) -> None:
    envelopes = await store.append(
        "s1", 0, [AmountRecorded(amount=1), AmountRecorded(amount=2)], PRACTITIONER
    )
    pending = await store.outbox.find({"published": False}).sort("stream_version").to_list()
    assert [p["_id"] for p in pending] == [e.event_id for e in envelopes]
    assert {p["key"] for p in pending} == {"s1"}


async def test_a_failed_transaction_leaves_neither_events_nor_outbox_entries(
    mongo_client: Client, store: EventStore
) -> None:
    async def write_then_fail(session: object) -> None:
        await store.append("s1", 0, [AmountRecorded(amount=1)], PRACTITIONER, session=session)  # type: ignore[arg-type]
        raise RuntimeError("the decision failed after recording")

    with pytest.raises(RuntimeError):
        async with mongo_client.start_session() as session:
            await session.with_transaction(write_then_fail)
    assert await store.events.count_documents({}) == 0
    assert await store.outbox.count_documents({}) == 0


async def test_an_event_too_large_to_publish_is_refused_and_nothing_is_recorded(
    store: EventStore,
) -> None:
    await store.append("s", 0, [AmountRecorded(amount=1)], PRACTITIONER)
    too_large = AmountRecorded(amount=3, note="x" * MAX_EVENT_BYTES)

    with pytest.raises(EventTooLarge, match=str(MAX_EVENT_BYTES)):
        await store.append("s", 1, [AmountRecorded(amount=2), too_large], PRACTITIONER)

    assert await store.version("s") == 1
    assert await store.outbox.count_documents({}) == 1


async def test_a_batch_may_append_to_one_stream_for_several_causes_each_with_its_own_ids(
    mongo_client: Client, store: EventStore
) -> None:
    await store.append("s1", 0, [AmountRecorded(amount=1)], PRACTITIONER)
    other = Metadata(actor=Actor(id="sw-2", role=Role.PRACTITIONER))

    async def write(session: Session) -> None:
        await store.append_streams(
            [
                StreamAppend("s1", 1, [AmountRecorded(amount=2)], PRACTITIONER, ["a"]),
                StreamAppend("s2", 0, [AmountRecorded(amount=9)], PRACTITIONER),
                StreamAppend("s1", 2, [AmountRecorded(amount=3)], other, ["b"]),
            ],
            session=session,
        )

    await in_transaction(mongo_client, write)

    loaded = await store.load("s1")
    assert [(e.stream_version, e.event_id) for e in loaded[1:]] == [(2, "a"), (3, "b")]
    assert [e.actor.id for e in loaded] == ["sw-1", "sw-1", "sw-2"]
    assert await store.outbox.count_documents({"stream_id": "s1"}) == 3


async def test_a_batch_append_refuses_ids_recorded_before_and_appends_that_do_not_follow_on(
    mongo_client: Client, store: EventStore
) -> None:
    await store.append("s1", 0, [AmountRecorded(amount=1)], PRACTITIONER, event_ids=["first"])

    async def append(*appends: StreamAppend) -> None:
        await in_transaction(
            mongo_client, lambda session: store.append_streams(appends, session=session)
        )

    with pytest.raises(EventAlreadyRecorded):
        await append(StreamAppend("s2", 0, [AmountRecorded(amount=1)], PRACTITIONER, ["first"]))
    with pytest.raises(ValueError, match="follow on"):
        await append(
            StreamAppend("s2", 0, [AmountRecorded(amount=1)], PRACTITIONER),
            StreamAppend("s2", 0, [AmountRecorded(amount=2)], PRACTITIONER),
        )
    with pytest.raises(ConcurrencyError):
        await append(StreamAppend("s1", 0, [AmountRecorded(amount=2)], PRACTITIONER))
    assert [e.event_id for e in await store.load("s1")] == ["first"]
    assert await store.load("s2") == []


async def test_a_new_stream_that_is_its_own_subject_has_its_key_made_without_a_look_up(
    mongo_client: Client, database: Database
) -> None:
    keyring = Keyring(database, LocalKeyWrapper("a key-encryption key for these tests only, ok"))
    await keyring.ensure_collection()
    sealed = EventStore(mongo_client, database, "test.events", keyring=keyring)
    await sealed.ensure_indexes()
    await sealed.append("concern-1", 0, [NoteWritten(note="Margaret Hill")], PRACTITIONER)

    async with profiled(database):
        await sealed.append("concern-2", 0, [NoteWritten(note="Dan Hill")], PRACTITIONER)
        # Another stream sealed under a subject that is not new (as a case under its concern).
        case = StreamAppend(
            "case-1", 0, [NoteWritten(note="Her son")], PRACTITIONER, subject="concern-1"
        )
        await in_transaction(mongo_client, lambda tx: sealed.append_streams([case], session=tx))
    asked = [
        name
        async for entry in database[PROFILER].find()
        if entry["command"].get(name := next(iter(entry["command"]))) == DATA_KEYS
    ]

    assert asked == ["insert", "find"]
    loaded = [e.payload for e in await sealed.load("concern-2") + await sealed.load("case-1")]
    assert loaded == [NoteWritten(note="Dan Hill"), NoteWritten(note="Her son")]
