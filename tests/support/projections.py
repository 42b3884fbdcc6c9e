"""A small projection over test events, used to prove the runner's guarantees."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import UpdateOne

from shared.events import Envelope
from shared.keyring import KeyDestroyed
from shared.mongo import Database, Document, Session
from shared.projection import Projection
from tests.support.events import AmountRecorded


class StreamTotals(Projection):
    """Per stream: how many events, their sum, and the amounts in order. Applying an event
    twice would show in every one of these."""

    name = "stream-totals"
    read_models = ("stream_totals",)

    def __init__(self, database: Database, topic: str) -> None:
        super().__init__(database)
        self.topics = (topic,)

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        writes = []
        for event in events:
            assert isinstance(event.payload, AmountRecorded)
            if event.payload.note == "poison":
                raise ValueError("this projection cannot handle poison")
            if event.payload.note == "erased":
                # As a reaction that would record something under an erased person's key.
                raise KeyDestroyed(f"concern-{event.stream_id}")
            writes.append(
                UpdateOne(
                    {"_id": event.stream_id},
                    {
                        "$inc": {"count": 1, "total": event.payload.amount},
                        "$push": {"amounts": event.payload.amount},
                    },
                    upsert=True,
                )
            )
        await self.database["stream_totals"].bulk_write(writes, ordered=True, session=session)

    async def snapshot(self) -> list[Document]:
        return await self.database["stream_totals"].find({}).sort("_id").to_list()
