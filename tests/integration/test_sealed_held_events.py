"""An event a projection holds back (an earlier one of its stream has not arrived) is kept as it
was published, its personal fields sealed, on the real broker and database; it is opened with
the keyring's keys only when the gap is filled and it is applied."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from bson import json_util

from shared.events import Envelope, encode, kafka_headers
from shared.keyring import Keyring, LocalKeyWrapper
from shared.mongo import Client, Database, Session
from shared.projection import Projection
from tests.conftest import NewTopicFactory
from tests.support.consuming import SYSTEM, new_group, runner_for, running
from tests.support.events import NoteWritten
from tests.support.polling import eventually

NOTES = [
    "Margaret Hill told me her son takes her card",
    "Margaret Hill lives at 14 Orchard Close, WR1 2AB",
    "Margaret Hill wants to keep seeing her son",
]


class NotesKept(Projection):
    name = "notes-kept"
    read_models = ("notes",)

    def __init__(self, database: Database, topic: str) -> None:
        super().__init__(database)
        self.topics = (topic,)

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        for event in events:
            assert isinstance(event.payload, NoteWritten)
            await self.database["notes"].update_one(
                {"_id": event.stream_id},
                {"$push": {"notes": event.payload.note}},
                upsert=True,
                session=session,
            )


async def test_a_held_back_event_is_kept_sealed_and_opened_when_its_gap_is_filled(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    keyring = Keyring(
        mongo_client[f"keyring_{uuid.uuid4().hex[:8]}"],
        LocalKeyWrapper("a key-encryption key for these tests only, long enough"),
    )
    await keyring.ensure_collection()
    stream = f"concern-{uuid.uuid4()}"
    key = await keyring.sealing_key(stream)
    first, second, third = (
        Envelope.record(NoteWritten(note=note), stream_id=stream, stream_version=v, metadata=SYSTEM)
        for v, note in enumerate(NOTES, start=1)
    )

    async def send(event: Envelope) -> None:
        await kafka_producer.send_and_wait(
            topic, encode(event, sealing=key), key=stream.encode(), headers=kafka_headers(event)
        )

    notes = NotesKept(database, topic)
    runner = runner_for(
        notes, mongo_client, kafka_bootstrap, kafka_producer, new_group(), keyring=keyring
    )
    try:
        async with running(runner):
            for event in (first, third):  # the second is late
                await send(event)
            await eventually(
                notes.held_streams,
                until=lambda held: [h.held_events for h in held] == [1],
                what="the third note held back",
            )
            held = json_util.dumps(await database["held_events"].find({}).to_list())
            assert "pd1:" in held
            assert [n for n in NOTES if n in held] == []
            for detail in ("Margaret", "Orchard", "WR1 2AB"):
                assert detail not in held

            await send(second)
            kept = await eventually(
                lambda: database["notes"].find_one({"_id": stream}),
                until=lambda doc: doc is not None and len(doc["notes"]) == 3,
                what="every note applied in order",
            )
    finally:
        await mongo_client.drop_database(keyring.database.name)

    assert kept is not None
    assert kept["notes"] == NOTES
    assert await database["held_events"].count_documents({}) == 0
