"""The projection runner against the real broker and database: no loss, no double count,
poison messages parked with their reason, transient outages waited out, rebuilds identical."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from pathlib import Path

from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from pymongo import UpdateOne

from shared.events import Envelope, encode
from shared.mongo import Client, Database, Document, Session, connect
from shared.personal_data import NO_KEYS, DataKeys
from shared.projection import Projection, Record, rebuild
from tests.conftest import NewTopicFactory
from tests.support.consuming import (
    SYSTEM,
    caught_up,
    dead_letter_count,
    dead_letters,
    publish,
    runner_for,
    running,
    story,
)
from tests.support.events import AmountRecorded
from tests.support.polling import eventually
from tests.support.projections import StreamTotals
from tests.support.secantus import PrivateMongo


async def test_a_consumer_killed_mid_stream_and_restarted_builds_what_one_clean_pass_builds(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    events = story(streams=12, per_stream=25)
    await publish(kafka_producer, topic, events)
    interrupted = StreamTotals(database, topic)
    group = f"g-{uuid.uuid4().hex[:8]}"

    for _ in range(3):  # killed three times at whatever point it had reached
        async with running(
            runner_for(interrupted, mongo_client, kafka_bootstrap, kafka_producer, group)
        ):
            before = sum(d["count"] for d in await interrupted.snapshot())

            def progressed(docs: list[Document], before: int = before) -> bool:
                return bool(sum(d["count"] for d in docs) > before)

            await eventually(interrupted.snapshot, until=progressed, what="progress")
    async with running(
        runner_for(interrupted, mongo_client, kafka_bootstrap, kafka_producer, group)
    ):
        await caught_up(interrupted, len(events))

    clean = StreamTotals(mongo_client[f"{database.name}_clean"], topic)
    try:
        async with running(
            runner_for(
                clean,
                mongo_client,
                kafka_bootstrap,
                kafka_producer,
                f"g-{uuid.uuid4().hex[:8]}",
                batch_size=500,
            )
        ):
            await caught_up(clean, len(events))
        assert await interrupted.snapshot() == await clean.snapshot()
        assert sum(d["count"] for d in await clean.snapshot()) == len(events)
    finally:
        await mongo_client.drop_database(f"{database.name}_clean")


async def test_a_redelivered_or_republished_event_changes_nothing(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    events = story(streams=2, per_stream=3)
    await publish(kafka_producer, topic, events + events[:4])  # the relay published four twice
    totals = StreamTotals(database, topic)
    async with running(
        runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, "g-" + uuid.uuid4().hex)
    ) as _:
        await caught_up(totals, 6)
        sentinel = story(streams=1, per_stream=4)[3]
        await publish(kafka_producer, topic, [sentinel])
        await eventually(
            lambda: totals.snapshot(), until=lambda d: d[0]["count"] == 4, what="sentinel"
        )
    snapshot = await totals.snapshot()
    assert [(d["_id"], d["count"], d["amounts"]) for d in snapshot] == [
        ("s0", 4, [10, 20, 30, 40]),
        ("s1", 3, [11, 21, 31]),
    ]


async def test_a_poison_message_is_dead_lettered_with_its_reason_and_later_messages_still_apply(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    good = story(streams=1, per_stream=2)
    await kafka_producer.send_and_wait(topic, encode(good[0]), key=b"s0")
    await kafka_producer.send_and_wait(topic, b'{"this": "is not an event"}', key=b"s0")
    poisoned = Envelope.record(
        AmountRecorded(amount=0, note="poison"), stream_id="p", stream_version=1, metadata=SYSTEM
    )
    await kafka_producer.send_and_wait(topic, encode(poisoned), key=b"p")
    await kafka_producer.send_and_wait(topic, encode(good[1]), key=b"s0")
    totals = StreamTotals(database, topic)
    async with running(
        runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, "g-" + uuid.uuid4().hex)
    ):
        await caught_up(totals, 2)
        parked = await dead_letters(kafka_bootstrap, topic, 2)
    assert [(d["_id"], d["amounts"]) for d in await totals.snapshot()] == [("s0", [10, 20])]

    unreadable, failing = sorted(parked, key=lambda d: d.original_offset)
    assert unreadable.error_type == "DecodeError"
    assert "not an event envelope" in unreadable.reason
    assert unreadable.value == b'{"this": "is not an event"}'
    assert (
        unreadable.original_topic,
        unreadable.original_partition,
        unreadable.original_offset,
    ) == (topic, 0, 1)
    assert failing.error_type == "ValueError"
    # The kind of failure only: an exception's text may quote personal data.
    assert failing.reason == "failed 2 times: ValueError"
    assert failing.value == encode(poisoned)
    assert (
        "event_type",
        b"TestAmountRecorded",
    ) in failing.original_headers or failing.original_headers == []


async def test_when_mongodb_stops_for_a_while_the_consumer_waits_and_resumes_without_dead_letters(
    tmp_path: Path,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    mongo = PrivateMongo(tmp_path / "mongo")
    mongo.start()
    client = connect(mongo.uri, timeout_ms=1000)
    try:
        totals = StreamTotals(client["outage"], topic)
        await eventually(lambda: _pings(client), what="private mongo up")
        runner = runner_for(
            totals, client, kafka_bootstrap, kafka_producer, "g-" + uuid.uuid4().hex
        )
        first, second = story(streams=3, per_stream=2), story(streams=3, per_stream=4)[6:]
        async with running(runner):
            await publish(kafka_producer, topic, first)
            await caught_up(totals, 6)
            mongo.stop()
            await publish(kafka_producer, topic, second)
            await eventually(
                lambda: _retries(runner.group_id),
                until=lambda n: n > 0,
                what="the consumer to notice the outage",
            )
            mongo.start()
            await eventually(lambda: _pings(client), timeout=60, what="private mongo back")
            await caught_up(totals, 12)
        assert sum(d["count"] for d in await totals.snapshot()) == 12
        assert await dead_letter_count(kafka_bootstrap, topic) == 0
    finally:
        await client.close()
        mongo.stop()


async def test_a_rebuild_from_scratch_yields_an_identical_read_model(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic()
    events = story(streams=7, per_stream=9)
    await publish(kafka_producer, topic, events)
    totals = StreamTotals(database, topic)
    runner = runner_for(
        totals, mongo_client, kafka_bootstrap, kafka_producer, "g-" + uuid.uuid4().hex
    )
    async with running(runner):
        await caught_up(totals, len(events))
    before = await totals.snapshot()
    await database["stream_totals"].update_one({"_id": "s0"}, {"$set": {"count": -1}})  # corrupted

    assert await rebuild(runner, totals) == len(events)
    assert await totals.snapshot() == before


class WrittenWhileTheNextIsDecoded(StreamTotals):
    """StreamTotals whose first write waits, for at most `patience` seconds, until an event of
    a later batch has been decoded: it shows whether a replay decodes one batch while it writes
    the one before."""

    def __init__(self, database: Database, topic: str, patience: float) -> None:
        super().__init__(database, topic)
        self.patience = patience
        self.decoded: list[str] = []
        self.first_batch: set[str] | None = None
        self.later_batch_decoded = asyncio.Event()
        self.decoded_meanwhile = False

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> Envelope:
        envelope = super().decode(record, keys)
        self.decoded.append(envelope.event_id)
        self._check()
        return envelope

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        if self.first_batch is None:
            self.first_batch = {e.event_id for e in events}
            self._check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.later_batch_decoded.wait(), self.patience)
                self.decoded_meanwhile = True
        await super().project(events, session)

    def _check(self) -> None:
        if self.first_batch is not None and any(
            event_id not in self.first_batch for event_id in self.decoded
        ):
            self.later_batch_decoded.set()


async def test_a_replay_decodes_the_next_batch_while_it_writes_the_last_and_keeps_their_order(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    events = story(streams=3, per_stream=20)
    await publish(kafka_producer, topic, events)
    totals = WrittenWhileTheNextIsDecoded(database, topic, patience=20)
    runner = runner_for(
        totals, mongo_client, kafka_bootstrap, kafka_producer, "g-" + uuid.uuid4().hex, 10
    )

    assert await rebuild(runner, totals) == len(events)

    assert totals.first_batch is not None
    assert len(totals.first_batch) <= 10
    assert totals.decoded_meanwhile
    # Each stream's amounts in the order published: no batch was written before the one
    # before it.
    expected: dict[str, list[int]] = {}
    for event in events:
        assert isinstance(event.payload, AmountRecorded)
        expected.setdefault(event.stream_id, []).append(event.payload.amount)
    assert {d["_id"]: d["amounts"] for d in await totals.snapshot()} == expected


async def _pings(client: Client) -> bool:
    try:
        await client.admin.command("ping")
        return True
    except Exception:
        return False


async def _retries(group: str) -> float:
    from shared.metrics import TRANSIENT_RETRIES

    return float(TRANSIENT_RETRIES.labels(group)._value.get())


async def test_an_event_about_an_erased_person_is_skipped_not_retried_or_dead_lettered(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    group = "g-" + uuid.uuid4().hex
    good = story(streams=1, per_stream=2)
    about_her = Envelope.record(
        AmountRecorded(amount=5, note="erased"), stream_id="e", stream_version=1, metadata=SYSTEM
    )
    # One batch: the events either side of hers are applied all the same.
    for event in (good[0], about_her, good[1]):
        await kafka_producer.send_and_wait(topic, encode(event), key=event.stream_id.encode())
    totals = StreamTotals(database, topic)
    async with running(runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, group)):
        await caught_up(totals, 2)

    assert [(d["_id"], d["amounts"]) for d in await totals.snapshot()] == [("s0", [10, 20])]
    assert await dead_letter_count(kafka_bootstrap, topic, partitions=1) == 0
    skipped = REGISTRY.get_sample_value(
        "consumer_events_skipped_as_erased_total",
        {"group": group, "event_type": about_her.event_type},
    )
    assert skipped == 1


class MeetingFirst(Projection):
    """Counts, in a collection of its own member, how many times each event was applied (only
    what commits stays). Its first batch, once it has read what the projection applied, waits
    for the other member's first batch to have read it too: both then record the same streams
    for the first time at once. The members share the projection's record of what it applied,
    so across both each event must be applied once."""

    name = "meeting-first"

    def __init__(self, database: Database, topic: str, member: int, meeting: asyncio.Barrier):
        super().__init__(database)
        self.topics = (topic,)
        self.counts = database[f"applied_by_member_{member}"]
        self.meeting = meeting
        self.met = False
        self.attempts: list[tuple[str, ...]] = []
        """The events of every batch this member tried to apply, retries included."""

    async def apply(self, messages: Sequence[Envelope], session: Session) -> None:
        self.attempts.append(tuple(e.event_id for e in messages))
        await super().apply(messages, session)

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        if not self.met:
            self.met = True
            async with asyncio.timeout(30):
                await self.meeting.wait()
        await self.counts.bulk_write(
            [UpdateOne({"_id": e.event_id}, {"$inc": {"times": 1}}, upsert=True) for e in events],
            session=session,
        )

    def retried(self) -> bool:
        return len(self.attempts) > len(set(self.attempts))


async def test_two_members_recording_the_same_new_streams_at_once_apply_each_event_once(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    # A stream's first record is inserted, not upserted. Two members that both read it as
    # missing (two groups here; one group across a rebalance) still end with one record per
    # stream: the one that meets the other's retries its batch, which then changes nothing.
    topic = await new_topic(partitions=1)  # both first batches start at the same event
    events = story(streams=6, per_stream=3)
    await publish(kafka_producer, topic, events)
    meeting = asyncio.Barrier(2)
    members = [MeetingFirst(database, topic, member, meeting) for member in range(2)]
    groups = ["g-" + uuid.uuid4().hex for _ in members]

    async def handled() -> list[float]:
        return [
            REGISTRY.get_sample_value("consumer_events_handled_total", {"group": g}) or 0.0
            for g in groups
        ]

    async with (
        running(runner_for(members[0], mongo_client, kafka_bootstrap, kafka_producer, groups[0])),
        running(runner_for(members[1], mongo_client, kafka_bootstrap, kafka_producer, groups[1])),
    ):
        await eventually(
            handled,
            until=lambda counts: all(c >= len(events) for c in counts),
            what="both members handled every event",
        )

    assert any(m.retried() for m in members), "the two first batches never met"
    times: dict[str, int] = {}
    for m in members:
        for doc in await m.counts.find({}).to_list():
            times[doc["_id"]] = times.get(doc["_id"], 0) + doc["times"]
    assert times == {e.event_id: 1 for e in events}
    records = await database["tracking"].find({"projection": MeetingFirst.name}).to_list()
    assert sorted((d["stream_id"], d["version"]) for d in records) == [
        (f"s{s}", 3) for s in range(6)
    ]
    assert all("waiting_for" not in d and "held_since" not in d for d in records)
    assert await dead_letter_count(kafka_bootstrap, topic, partitions=1) == 0
