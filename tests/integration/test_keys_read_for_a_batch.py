"""A consumer asks the keyring for the keys of the records its handler reads, and of no others:
a handler that names the event types it reacts to passes the rest over unread, so their
subjects' keys are never fetched for it. On the real database and keyring."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence

from aiokafka import AIOKafkaProducer

from shared.events import Envelope, decode, encode
from shared.keyring import Keyring, LocalKeyWrapper
from shared.mongo import Client, Session
from shared.personal_data import NO_KEYS, DataKeys
from shared.projection import Record, passed_over
from tests.support.consuming import SYSTEM, new_group, record, runner_for
from tests.support.events import AmountRecorded, NoteWritten

TOPIC = "reader.events"


class WatchedKeyring(Keyring):
    """The real keyring, noting which subjects' opening keys it was asked for."""

    asked: set[str]

    async def opening_keys(
        self, subjects: Iterable[str], session: Session | None = None
    ) -> DataKeys:
        wanted = set(subjects)
        self.asked |= wanted
        return await super().opening_keys(wanted, session)


class Reader:
    """A handler keeping what it read; with `reacts_to`, only events of those types."""

    name = "reader"
    topics: Sequence[str] = (TOPIC,)

    def __init__(self, reacts_to: Collection[str] | None = None) -> None:
        if reacts_to is not None:
            self.reacts_to = reacts_to
        self.read: list[Envelope] = []

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> Envelope | None:
        reacts_to: Collection[str] | None = getattr(self, "reacts_to", None)
        if reacts_to is not None and passed_over(record, reacts_to):
            return None
        assert record.value is not None
        return decode(record.value, keys=keys)

    async def apply(self, messages: Sequence[Envelope | None], session: Session) -> None:
        self.read.extend(m for m in messages if m is not None)

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        return None


async def test_keys_are_fetched_only_for_the_records_a_handler_reads(
    mongo_client: Client, kafka_bootstrap: str, kafka_producer: AIOKafkaProducer
) -> None:
    keyring = WatchedKeyring(
        mongo_client[f"keyring_{uuid.uuid4().hex[:8]}"],
        LocalKeyWrapper("a key-encryption key for these tests only, long enough"),
    )
    await keyring.ensure_collection()
    subject = f"concern-{uuid.uuid4()}"
    note = Envelope.record(
        NoteWritten(note="Margaret Hill told me her son takes her card"),
        stream_id=subject,
        stream_version=1,
        metadata=SYSTEM,
    )
    amount = Envelope.record(
        AmountRecorded(amount=5), stream_id="amounts", stream_version=1, metadata=SYSTEM
    )
    batch = [
        record(TOPIC, note, 0, encode(note, sealing=await keyring.sealing_key(subject))),
        record(TOPIC, amount, 1),
    ]

    for reacts_to, asked, read in (
        ({AmountRecorded.event_type}, set(), [amount.event_id]),
        ({NoteWritten.event_type}, {subject}, [note.event_id]),
        (None, {subject}, [note.event_id, amount.event_id]),
    ):
        keyring.asked = set()
        handler = Reader(reacts_to)
        runner = runner_for(
            handler,  # type: ignore[arg-type]  # it passes records over as None, as reactions do
            mongo_client,
            kafka_bootstrap,
            kafka_producer,
            new_group(),
            keyring=keyring,
        )

        await runner.handle(batch)

        assert keyring.asked == asked, reacts_to
        assert [e.event_id for e in handler.read] == read, reacts_to
    opened = handler.read[0].payload
    assert isinstance(opened, NoteWritten)
    assert opened.note == "Margaret Hill told me her son takes her card"
