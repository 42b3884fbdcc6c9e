"""A batch's writes to a read model kept as one document per concern (`per_concern`), on the real
server: however the batch interleaves new concerns and changes to others, its new documents go in
one command and its changes in another, and each document still sees its own events in order."""

from __future__ import annotations

import uuid

from services.intake.read_models.per_concern import change_each_concern
from shared.events import Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.mongo import Document, connect, create_collections, in_transaction
from tests.support.events import AmountRecorded
from tests.support.metrics import commands_counted
from tests.unit.outcomes.intake_events import concern_raised


def later_event(raised: Envelope, version: int, seen: int) -> tuple[Envelope, Document]:
    event = Envelope.record(
        AmountRecorded(amount=seen),
        stream_id=raised.stream_id,
        stream_version=version,
        metadata=Metadata(actor=SYSTEM_ACTOR, correlation_id=raised.correlation_id),
    )
    return event, {"$push": {"seen": seen}}


def first(raised: Envelope) -> tuple[Envelope, Document]:
    return raised, {"$set": {"seen": []}}


async def test_new_documents_and_changes_interleaved_in_a_batch_take_one_command_each(
    mongodb_uri: str,
) -> None:
    client = connect(mongodb_uri, counted=True)
    name = f"per_concern_{uuid.uuid4().hex[:8]}"
    database = client[f"intake_batches_{uuid.uuid4().hex[:8]}"]
    await create_collections(database, [name])
    collection = database[name]
    earlier, a, b = concern_raised(), concern_raised(), concern_raised()
    try:
        await in_transaction(client, lambda s: change_each_concern(collection, [first(earlier)], s))
        inserts, updates = commands_counted("insert", name), commands_counted("update", name)
        batch = [
            first(a),
            later_event(earlier, 2, 1),
            first(b),
            later_event(a, 2, 2),
            later_event(earlier, 3, 3),
            later_event(b, 2, 4),
            later_event(a, 3, 5),
        ]

        await in_transaction(client, lambda s: change_each_concern(collection, batch, s))

        assert commands_counted("insert", name) - inserts == 1
        assert commands_counted("update", name) - updates == 1
        seen = {d["_id"]: d["seen"] async for d in collection.find({})}
        assert seen == {
            earlier.stream_id: [1, 3],
            a.stream_id: [2, 5],
            b.stream_id: [4],
        }
    finally:
        await client.drop_database(database.name)
        await client.close()
