"""Notification's indexes hold a delivery or a step only while its reader wants it, on the real
server: the pending deliveries by when they are due for the delivery worker, the steps waiting
for a safe-contact decision by person and by deadline for that work queue, the steps someone is
still to be told about for the overdue sweep, and those a practitioner must tell someone about
for theirs. Recording a decision or finishing a delivery then rewrites no index key. The
indexes a service had before are dropped when it starts, also when several instances start at
once, and the readers use the new ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import ASCENDING

from services.notification.read_models.decisions import (
    AWAITING,
    AWAITING_BY_DEADLINE_INDEX,
    AWAITING_BY_PERSON_INDEX,
    REPLACED_DECISION_INDEXES,
    SOMEONE_FOR_A_PRACTITIONER,
    SOMEONE_PENDING,
    DecisionOutcome,
    Decisions,
    InformingDecision,
)
from services.notification.read_models.deliveries import (
    IN_ORDER,
    PENDING,
    PENDING_INDEX,
    REPLACED_DELIVERY_INDEXES,
    Deliveries,
    Delivery,
    DeliveryStatus,
    due_at,
)
from shared.events.notification import Channel, MessageFormat, RecipientRole
from shared.mongo import Client, Database
from tests.support.indexes import indexes_read

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Layout:
    """A read model, the indexes it had before and the ones it has now."""

    read_model: Callable[[Database], Deliveries | Decisions]
    before: tuple[list[tuple[str, int]], ...]
    replaced: tuple[str, ...]
    now: tuple[str, ...]


DELIVERIES = Layout(
    Deliveries,
    ([("status", ASCENDING), ("next_attempt_at", ASCENDING)],),
    REPLACED_DELIVERY_INDEXES,
    (PENDING_INDEX,),
)
DECISIONS = Layout(
    Decisions,
    (
        [("person_id", ASCENDING), ("decided_at", ASCENDING)],
        [("person_id", ASCENDING), ("outcome", ASCENDING), ("concern_id", ASCENDING)],
        [("outcome", ASCENDING), ("deadline", ASCENDING)],
        [("overdue_raised", ASCENDING), ("deadline", ASCENDING)],
        [("practitioner_to_tell", ASCENDING), ("deadline", ASCENDING)],
    ),
    REPLACED_DECISION_INDEXES,
    (
        AWAITING_BY_PERSON_INDEX,
        AWAITING_BY_DEADLINE_INDEX,
        "person_id_1",
        "pending_roles.0_1",
        "practitioner_to_tell.0_1",
    ),
)
LAYOUTS = pytest.mark.parametrize(
    "layout", [DELIVERIES, DECISIONS], ids=["deliveries", "decisions"]
)


def delivery(number: int, status: DeliveryStatus) -> Delivery:
    return Delivery(
        reference=f"reference-{status.value}-{number}",
        person_id=f"person-{number}",
        source_event_id=f"event-{number}",
        source_event_type="ConcernRaised",
        case_id=None,
        concern_id=f"concern-{number}",
        role=RecipientRole.PERSON,
        format=MessageFormat.STANDARD,
        template="template",
        body="body",
        told_about="told about",
        channel=Channel.EMAIL,
        correlation_id="correlation",
        created_at=NOW - timedelta(minutes=1),
        status=status,
        next_attempt_at=NOW - timedelta(seconds=number),
    )


def decision(number: int, outcome: DecisionOutcome) -> InformingDecision:
    return InformingDecision(
        source_event_id=f"event-{outcome.value}-{number}",
        source_event_type="ConcernRaised",
        person_id=f"person-{number % 4}",
        case_id=None,
        concern_id=f"concern-{number}",
        occurred_at=NOW - timedelta(minutes=10),
        correlation_id="correlation",
        decided_at=NOW - timedelta(minutes=number),
        outcome=outcome,
        told_about="told about",
        deadline=NOW + timedelta(hours=number),
    )


async def test_each_index_of_a_status_holds_only_what_its_reader_reads(database: Database) -> None:
    deliveries, decisions = Deliveries(database), Decisions(database)
    await deliveries.ensure_indexes()
    await decisions.ensure_indexes()

    of_deliveries = await deliveries.collection.index_information()
    assert of_deliveries[PENDING_INDEX]["key"] == [("next_attempt_at", ASCENDING)]
    assert of_deliveries[PENDING_INDEX]["partialFilterExpression"] == PENDING
    of_decisions = await decisions.collection.index_information()
    assert of_decisions[AWAITING_BY_PERSON_INDEX]["key"] == [
        ("person_id", ASCENDING),
        ("concern_id", ASCENDING),
        ("occurred_at", ASCENDING),
    ]
    assert of_decisions[AWAITING_BY_DEADLINE_INDEX]["key"] == [("deadline", ASCENDING)]
    for name in (AWAITING_BY_PERSON_INDEX, AWAITING_BY_DEADLINE_INDEX):
        assert of_decisions[name]["partialFilterExpression"] == AWAITING
    # No other index has a key that finishing a delivery or recording a decision changes.
    for indexes, changed in ((of_deliveries, "status"), (of_decisions, "outcome")):
        for name, index in indexes.items():
            assert changed not in dict(index["key"]), name
    assert all("decided_at" not in dict(index["key"]) for index in of_decisions.values())


async def with_the_old_indexes(layout: Layout, database: Database) -> Deliveries | Decisions:
    read_model = layout.read_model(database)
    for keys in layout.before:
        await read_model.collection.create_index(keys)
    assert set(layout.replaced) <= set(await read_model.collection.index_information())
    return read_model


async def assert_only_the_new_indexes(layout: Layout, read_model: Deliveries | Decisions) -> None:
    indexes = set(await read_model.collection.index_information())
    assert not set(layout.replaced) & indexes
    assert set(layout.now) <= indexes


@LAYOUTS
async def test_the_old_indexes_are_dropped_when_the_service_starts(
    layout: Layout, database: Database
) -> None:
    read_model = await with_the_old_indexes(layout, database)

    await read_model.ensure_indexes()
    await read_model.ensure_indexes()  # a second start finds nothing left to drop

    await assert_only_the_new_indexes(layout, read_model)


@LAYOUTS
async def test_instances_starting_together_each_start_when_they_drop_the_old_indexes(
    layout: Layout, database: Database
) -> None:
    read_model = await with_the_old_indexes(layout, database)
    instances = [layout.read_model(database) for _ in range(4)]

    await asyncio.gather(*(instance.ensure_indexes() for instance in instances))

    await assert_only_the_new_indexes(layout, read_model)


async def test_the_delivery_worker_claims_by_the_index_of_pending_deliveries(
    mongo_client: Client, database: Database
) -> None:
    deliveries = Deliveries(database)
    await deliveries.ensure_indexes()
    async with mongo_client.start_session() as session:
        for number in range(20):
            for status in (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED):
                await deliveries.add(delivery(number, status), session)

    claim_read = await deliveries.collection.find(due_at(NOW)).sort(IN_ORDER).explain()

    assert indexes_read(claim_read) == {PENDING_INDEX}
    assert await deliveries.pending() == 20
    claimed = await deliveries.claim_due(NOW, NOW + timedelta(minutes=1), 50, "worker-1")
    assert len(claimed) == 20
    assert {d.status for d in claimed} == {DeliveryStatus.PENDING}


async def test_the_work_queue_reads_the_waiting_steps_by_their_index(
    mongo_client: Client, database: Database
) -> None:
    decisions = Decisions(database)
    await decisions.ensure_indexes()
    async with mongo_client.start_session() as session:
        await decisions.add_all(
            [
                decision(number, outcome)
                for number in range(20)
                for outcome in (DecisionOutcome.AWAITING_SAFE_CONTACT, DecisionOutcome.TELLING)
            ],
            session,
        )

    queue_read = await decisions.collection.find(AWAITING).sort("deadline", ASCENDING).explain()

    assert indexes_read(queue_read) == {AWAITING_BY_DEADLINE_INDEX}
    queue = await decisions.awaiting_anyone()
    assert [d.concern_id for d in queue] == [f"concern-{number}" for number in range(20)]
    assert {d.outcome for d in queue} == {DecisionOutcome.AWAITING_SAFE_CONTACT}
    waiting = await decisions.awaiting("person-1", "concern-5")
    assert [(d.concern_id, d.outcome) for d in waiting] == [
        ("concern-5", DecisionOutcome.AWAITING_SAFE_CONTACT)
    ]
    # A person's decisions are read by person alone, ordered by when they were decided.
    told = await decisions.for_person("person-1")
    assert [d.decided_at for d in told] == sorted(d.decided_at for d in told)
    assert len(told) == 10


async def with_pending(mongo_client: Client, database: Database, count: int) -> Deliveries:
    """Deliveries with `count` pending and due, made at NOW."""
    deliveries = Deliveries(database)
    await deliveries.ensure_indexes()
    async with mongo_client.start_session() as session:
        for number in range(count):
            await deliveries.add(delivery(number, DeliveryStatus.PENDING), session)
    return deliveries


async def test_workers_claiming_together_claim_each_due_delivery_once(
    mongo_client: Client, database: Database
) -> None:
    deliveries = await with_pending(mongo_client, database, 60)
    async with mongo_client.start_session() as session:
        # Not due yet, finished, or claimed by a worker whose lease holds: none is claimed.
        later = delivery(60, DeliveryStatus.PENDING).model_copy(
            update={"next_attempt_at": NOW + timedelta(minutes=5)}
        )
        held = delivery(61, DeliveryStatus.PENDING).model_copy(
            update={"claimed_until": NOW + timedelta(minutes=5), "claimed_by": "elsewhere"}
        )
        for other in (later, held, delivery(62, DeliveryStatus.DELIVERED)):
            await deliveries.add(other, session)

    async def worker(name: str) -> list[str]:
        claimed: list[str] = []
        while batch := await deliveries.claim_due(NOW, NOW + timedelta(minutes=1), 4, name):
            claimed += [d.reference for d in batch]
            assert {d.claimed_by for d in batch} == {name}
        return claimed

    claims = await asyncio.gather(*(worker(f"worker-{n}") for n in range(8)))

    every_claim = [reference for claimed in claims for reference in claimed]
    assert sorted(every_claim) == sorted(
        delivery(n, DeliveryStatus.PENDING).reference for n in range(60)
    )
    # A lease that ended lets the delivery be claimed again, by another worker.
    again = await deliveries.claim_due(
        NOW + timedelta(minutes=2), NOW + timedelta(minutes=3), 100, "worker-late"
    )
    assert len(again) == 60


async def test_a_worker_renews_only_its_own_claims_on_deliveries_still_pending(
    mongo_client: Client, database: Database
) -> None:
    deliveries = await with_pending(mongo_client, database, 3)
    mine = await deliveries.claim_due(NOW, NOW + timedelta(minutes=1), 2, "worker-1")
    theirs = await deliveries.claim_due(NOW, NOW + timedelta(minutes=1), 2, "worker-2")
    async with mongo_client.start_session() as session:
        await deliveries.finish(mine[1].reference, DeliveryStatus.DELIVERED, NOW, session)

    every = [d.reference for d in mine + theirs]
    await deliveries.extend_claims(every, "worker-1", NOW + timedelta(hours=1))

    after = {d.reference: d for d in [await deliveries.get(r) for r in every] if d}
    assert after[mine[0].reference].claimed_until == NOW + timedelta(hours=1)
    assert after[mine[1].reference].claimed_until is None  # finished: its claim was let go
    assert after[theirs[0].reference].claimed_until == NOW + timedelta(minutes=1)


async def test_the_overdue_sweep_and_the_practitioners_queue_read_only_steps_someone_waits_on(
    mongo_client: Client, database: Database
) -> None:
    decisions = Decisions(database)
    await decisions.ensure_indexes()
    passed, to_come = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    person, practitioner = (RecipientRole.PERSON,), (RecipientRole.ADVOCATE,)
    steps: dict[str, dict[str, Any]] = {
        "overdue": {"deadline": passed, "pending_roles": person},
        "overdue, for a practitioner": {
            "deadline": passed,
            "pending_roles": person + practitioner,
            "practitioner_to_tell": practitioner,
        },
        "due at this very moment": {"deadline": NOW, "pending_roles": person},
        "reported already": {"deadline": passed, "pending_roles": person, "overdue_raised": True},
        "not due yet": {"deadline": to_come, "pending_roles": person},
        "no deadline": {"deadline": None, "pending_roles": person},
        "everyone told": {"deadline": passed, "pending_roles": ()},
    }
    async with mongo_client.start_session() as session:
        await decisions.add_all(
            [
                decision(number, DecisionOutcome.TELLING).model_copy(
                    update={**fields, "source_event_id": name}
                )
                for number, (name, fields) in enumerate(steps.items())
            ],
            session,
        )

    overdue = {d.source_event_id for d in await decisions.overdue(NOW)}
    one_at_a_time = [d.source_event_id for d in await decisions.overdue(NOW, limit=1)]

    assert overdue == {"overdue", "overdue, for a practitioner", "due at this very moment"}
    [first] = one_at_a_time
    assert first in overdue
    assert await decisions.still_overdue() == 1
    assert [d.source_event_id for d in await decisions.practitioner_to_tell()] == [
        "overdue, for a practitioner"
    ]
    for read in (SOMEONE_PENDING, SOMEONE_FOR_A_PRACTITIONER):
        explained = await decisions.collection.find(read).explain()
        assert indexes_read(explained) == {f"{next(iter(read))}_1"}


async def open_cursors(client: Client) -> int:
    status = await client.admin.command("serverStatus")
    return int(status["metrics"]["cursor"]["open"]["total"])


async def test_a_claim_leaves_no_cursor_open_when_more_deliveries_are_due_than_it_takes(
    mongo_client: Client, database: Database
) -> None:
    # More than a cursor's first batch (101), so the server keeps a cursor for the rest.
    deliveries = await with_pending(mongo_client, database, 150)
    before = await open_cursors(mongo_client)

    claimed = await deliveries.claim_due(NOW, NOW + timedelta(minutes=1), 4, "worker-1")

    assert len(claimed) == 4
    assert await open_cursors(mongo_client) <= before
