"""No message can stop a consumer, and a consumer tells the truth about itself: records that
inflate past the limit, decoders that raise anything, work too big for one transaction, a
worker stuck on one message, and a stream with a gap — on the real broker and database."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from pymongo.errors import OperationFailure

from shared.events import Envelope, encode, kafka_headers
from shared.limits import DEAD_LETTER_KEPT_BYTES, MAX_INCOMING_MESSAGE_BYTES, MAX_REASON_CHARS
from shared.metrics import CONSUMER_LAG, PARKED_STREAMS, TRANSIENT_BATCH_SPLITS
from shared.mongo import Client, Database, Session
from shared.ops import replay_dead_letter
from shared.personal_data import NO_KEYS, DataKeys
from shared.projection import Record, RetryPolicy
from tests.conftest import NewTopicFactory
from tests.support.consuming import (
    caught_up,
    dead_letter_count,
    dead_letters,
    new_group,
    publish,
    runner_for,
    running,
    story,
)
from tests.support.polling import eventually
from tests.support.projections import StreamTotals

FAST = RetryPolicy(max_attempts=2, first_backoff=0.01, max_backoff=0.05)


def amounts(snapshot: list[dict[str, object]]) -> dict[str, object]:
    return {str(d["_id"]): d["amounts"] for d in snapshot}


async def test_a_compressed_record_that_inflates_past_the_limit_is_parked_truncated_and_the_rest_apply(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    huge = json.dumps({"description": "x" * (5 * 1024 * 1024)}).encode()
    gzip = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, compression_type="gzip", max_request_size=16 * 2**20
    )
    await gzip.start()
    try:
        # Compressed, it is far under the broker's 1 MiB limit; read, it is 5 MiB.
        await gzip.send_and_wait(topic, huge, key=b"s0")
    finally:
        await gzip.stop()
    await publish(kafka_producer, topic, story(streams=1, per_stream=3))
    totals = StreamTotals(database, topic)

    async with running(
        runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, new_group())
    ):
        await caught_up(totals, 3)
        (parked,) = await dead_letters(kafka_bootstrap, topic, 1)

    assert amounts(await totals.snapshot()) == {"s0": [10, 20, 30]}
    assert parked.error_type == "MessageTooLarge"
    assert str(MAX_INCOMING_MESSAGE_BYTES) in parked.reason
    assert parked.truncated
    assert parked.value == huge[:DEAD_LETTER_KEPT_BYTES]
    assert parked.original_size == len(huge)
    assert parked.original_sha256 == hashlib.sha256(huge).hexdigest()
    assert (parked.original_topic, parked.original_partition, parked.original_offset) == (
        topic,
        0,
        0,
    )


class RaisesWhileDecoding(StreamTotals):
    """A decoder with a bug: anything it raises must park the message, not stop the consumer."""

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> Envelope:
        if (record.value or b"").startswith(b"recursion"):
            raise RecursionError("maximum recursion depth exceeded " + "while decoding " * 10_000)
        return super().decode(record, keys)


async def test_whatever_a_decoder_raises_the_message_is_parked_with_a_capped_reason(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    nested = b"[" * 200_000 + b"]" * 200_000
    await kafka_producer.send_and_wait(topic, b"recursion, please", key=b"s0")
    await kafka_producer.send_and_wait(topic, nested, key=b"s0")
    await publish(kafka_producer, topic, story(streams=1, per_stream=2))
    totals = RaisesWhileDecoding(database, topic)

    async with running(
        runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, new_group())
    ):
        await caught_up(totals, 2)
        parked = sorted(
            await dead_letters(kafka_bootstrap, topic, 2), key=lambda d: d.original_offset
        )

    assert amounts(await totals.snapshot()) == {"s0": [10, 20]}
    recursion, deeply_nested = parked
    assert recursion.error_type == "RecursionError"
    assert len(recursion.reason) <= MAX_REASON_CHARS
    assert recursion.reason.startswith("maximum recursion depth exceeded")
    assert deeply_nested.value == nested
    assert deeply_nested.error_type == "DecodeError"


class TooMuchForOneTransaction(StreamTotals):
    """Refuses, as MongoDB does when a transaction outlives its limit, any batch of more than
    `most` events; or never finishes one, as a transaction that runs for ever would."""

    def __init__(self, database: Database, topic: str, most: int, *, hang: bool) -> None:
        super().__init__(database, topic)
        self.most = most
        self.hang = hang
        self.largest_applied = 0
        self.largest_tried = 0

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        if len(events) > self.most:
            if self.hang:
                await asyncio.Event().wait()
            raise OperationFailure(
                "Transaction with { txnNumber: 4 } has been aborted.",
                code=251,
                details={"errorLabels": ["TransientTransactionError"]},
            )
        self.largest_applied = max(self.largest_applied, len(events))
        await super().project(events, session)

    async def apply(self, messages: Sequence[Envelope], session: Session) -> None:
        self.largest_tried = max(self.largest_tried, len(messages))
        await super().apply(messages, session)


@pytest.mark.parametrize("most", [5, 1], ids=["five-fit", "only-one-fits"])
async def test_a_transient_failure_that_repeats_halves_the_batch_until_it_fits(
    most: int,
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    events = story(streams=2, per_stream=20)
    await publish(kafka_producer, topic, events)
    totals = TooMuchForOneTransaction(database, topic, most=most, hang=False)
    group = new_group()

    async with running(
        runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, group, retry=FAST)
    ):
        await caught_up(totals, len(events))

    assert amounts(await totals.snapshot()) == {
        "s0": [v * 10 for v in range(1, 21)],
        "s1": [v * 10 + 1 for v in range(1, 21)],
    }
    assert 0 < totals.largest_applied <= most
    assert TRANSIENT_BATCH_SPLITS.labels(group)._value.get() > 0
    assert await dead_letter_count(kafka_bootstrap, topic, partitions=1) == 0


def as_records(topic: str, events: Sequence[Envelope], first_offset: int) -> list[Record]:
    return [
        ConsumerRecord(
            topic, 0, first_offset + i, 0, 0, e.stream_id.encode(), encode(e), None, 0, 0, []
        )
        for i, e in enumerate(events)
    ]


async def test_after_a_batch_was_halved_later_batches_start_at_the_size_that_fitted(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
) -> None:
    topic = f"not-read-{new_group()}"
    events = story(streams=1, per_stream=64)
    totals = TooMuchForOneTransaction(database, topic, most=8, hang=False)
    policy = RetryPolicy(max_attempts=2, first_backoff=0.01, max_backoff=0.05, grow_after=5)
    runner = runner_for(
        totals, mongo_client, kafka_bootstrap, kafka_producer, new_group(), 32, retry=policy
    )

    await runner.handle(as_records(topic, events[:32], 0))
    assert totals.largest_tried == 32
    assert totals.largest_applied == 8

    totals.largest_tried = 0
    await runner.handle(as_records(topic, events[32:48], 32))
    # Not tried whole: in pieces of 8 (32 failed, then 16, and four pieces of 8 fitted so far;
    # the fifth in a row lets 16 be tried again).
    assert totals.largest_tried == 8

    await runner.handle(as_records(topic, events[48:], 48))
    assert totals.largest_tried == 16  # grown back, it is tried, fails and is halved again
    assert amounts(await totals.snapshot()) == {"s0": [v * 10 for v in range(1, 65)]}


async def test_a_transaction_that_runs_past_its_time_limit_is_abandoned_and_the_batch_split(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    events = story(streams=1, per_stream=12)
    await publish(kafka_producer, topic, events)
    totals = TooMuchForOneTransaction(database, topic, most=3, hang=True)
    policy = RetryPolicy(
        max_attempts=2, first_backoff=0.01, max_backoff=0.05, transaction_seconds=0.5
    )

    async with running(
        runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, new_group(), retry=policy)
    ):
        await caught_up(totals, len(events))

    assert amounts(await totals.snapshot()) == {"s0": [v * 10 for v in range(1, 13)]}
    assert await dead_letter_count(kafka_bootstrap, topic, partitions=1) == 0


class StuckOn(StreamTotals):
    """Cannot apply one stream's events while `blocked` (as if its database were unreachable)."""

    def __init__(self, database: Database, topic: str, stream: str) -> None:
        super().__init__(database, topic)
        self.stream = stream
        self.blocked = True

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        if self.blocked and any(e.stream_id == self.stream for e in events):
            raise OperationFailure(
                "not primary", code=11602, details={"errorLabels": ["TransientTransactionError"]}
            )
        await super().project(events, session)


async def test_a_worker_stuck_on_one_message_says_so_and_its_lag_is_right_meanwhile(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    totals = StuckOn(database, topic, "s0")
    group = new_group()
    runner = runner_for(
        totals,
        mongo_client,
        kafka_bootstrap,
        kafka_producer,
        group,
        batch_size=1,
        retry=FAST,
        stuck_after_seconds=1.0,
        lag_interval_seconds=0.2,
    )

    def lag() -> float:
        return float(CONSUMER_LAG.labels(group, topic, "0")._value.get())

    async with running(runner):
        await publish(kafka_producer, topic, story(streams=1, per_stream=1))
        await eventually(lambda: _true(runner.progress.stuck), what="the worker to report stuck")
        behind = story(streams=2, per_stream=3)[1:]  # five more after the one it is stuck on
        await publish(kafka_producer, topic, behind)
        await eventually(lambda: _value(lag()), until=lambda n: n == 6, what="lag of 6")
        assert runner.progress.report()["stuck"] is True

        totals.blocked = False
        await caught_up(totals, 6)
        await eventually(lambda: _value(lag()), until=lambda n: n == 0, what="lag of 0")
        assert runner.progress.stuck is False


class FailsWhileBroken(StreamTotals):
    """Cannot apply one event until it is fixed: it is dead-lettered meanwhile."""

    def __init__(self, database: Database, topic: str, broken: tuple[str, int]) -> None:
        super().__init__(database, topic)
        self.broken: tuple[str, int] | None = broken

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        if any((e.stream_id, e.stream_version) == self.broken for e in events):
            raise ValueError("this version of the projection cannot handle it")
        await super().project(events, session)


async def test_a_stream_with_a_gap_is_held_back_until_its_dead_letter_is_replayed(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    events = story(streams=2, per_stream=4)  # s0 and s1, versions 1 to 4, interleaved
    totals = FailsWhileBroken(database, topic, broken=("s0", 2))
    runner = runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, new_group())

    async with running(runner):
        await publish(kafka_producer, topic, events)
        (parked,) = await dead_letters(kafka_bootstrap, topic, 1)
        await caught_up(totals, 5)
        # s0's version 2 is parked: versions 3 and 4 must wait for it, not skip it.
        assert amounts(await totals.snapshot()) == {"s0": [10], "s1": [11, 21, 31, 41]}
        (held,) = await totals.held_streams()
        assert (held.stream_id, held.applied_version, held.waiting_for_version) == ("s0", 1, 2)
        assert held.held_events == 2
        assert PARKED_STREAMS.labels(totals.name)._value.get() == 1

        totals.broken = None  # the projection was fixed; the operator replays the dead letter
        await replay_dead_letter(kafka_bootstrap, parked.topic, parked.partition, parked.offset)
        await caught_up(totals, 8)

    assert amounts(await totals.snapshot()) == {"s0": [10, 20, 30, 40], "s1": [11, 21, 31, 41]}
    assert await totals.held_streams() == []
    assert PARKED_STREAMS.labels(totals.name)._value.get() == 0


async def test_events_arriving_out_of_order_in_one_batch_are_applied_in_stream_order(
    mongo_client: Client,
    database: Database,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    new_topic: NewTopicFactory,
) -> None:
    topic = await new_topic(partitions=1)
    one, two, three = story(streams=1, per_stream=3)
    await _send(kafka_producer, topic, [three, one, three, two])
    totals = StreamTotals(database, topic)

    async with running(
        runner_for(totals, mongo_client, kafka_bootstrap, kafka_producer, new_group())
    ):
        await caught_up(totals, 3)

    assert amounts(await totals.snapshot()) == {"s0": [10, 20, 30]}
    assert await totals.held_streams() == []


async def _send(producer: AIOKafkaProducer, topic: str, events: list[Envelope]) -> None:
    for e in events:
        await producer.send(topic, encode(e), key=e.stream_id.encode(), headers=kafka_headers(e))
    await producer.flush()


async def _true(value: bool) -> bool:
    return value


async def _value(value: float) -> float:
    return value
