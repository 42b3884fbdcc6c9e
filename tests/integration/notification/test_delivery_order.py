"""One person's messages go in the order of the steps they are about, on the real MongoDB-wire
server, even when they were made at the same moment: the steps that waited for one safe-contact
decision are settled together, and she must hear of the concern before the decision about it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import PyMongoError

from services.notification.read_models.deliveries import Deliveries, Delivery, DeliveryStatus
from shared.events.notification import Channel, MessageFormat, RecipientRole
from shared.mongo import Client, Database

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def delivery(reference: str, step: int) -> Delivery:
    """The message about her `step`-th step, made at NOW like every other."""
    return Delivery(
        reference=reference,
        person_id="person-1",
        source_event_id=f"event-{step}",
        source_event_type="ConcernRaised" if step == 0 else "S42DecisionMade",
        case_id=None,
        concern_id="concern-1",
        role=RecipientRole.PERSON,
        format=MessageFormat.STANDARD,
        template="template",
        body="body",
        told_about="told about",
        channel=Channel.EMAIL,
        correlation_id="correlation-1",
        created_at=NOW,
        step_occurred_at=NOW - timedelta(minutes=10) + timedelta(seconds=step),
        next_attempt_at=NOW,
    )


async def test_messages_made_together_are_claimed_in_the_order_of_their_steps(
    mongo_client: Client, database: Database
) -> None:
    deliveries = Deliveries(database)
    async with mongo_client.start_session() as session:
        # Stored last step first, under references that sort last step first too: neither the
        # order of writing nor the reference may decide.
        for step in reversed(range(4)):
            await deliveries.add(delivery(f"reference-{9 - step}", step), session)

    claimed = await deliveries.claim_due(NOW, NOW + timedelta(minutes=1), 10, "worker-1")

    in_order = [f"event-{step}" for step in range(4)]
    assert [d.source_event_id for d in claimed] == in_order
    assert [d.source_event_id for d in await deliveries.for_person("person-1")] == in_order


async def test_renewing_claims_fails_fast_while_a_recording_holds_one_of_them(
    mongo_client: Client, database: Database
) -> None:
    """The worker renews its claims while it records deliveries: a renewal that meets a
    recording's uncommitted change fails at once (and is tried at the next renewal), never
    waits on it. Outside a transaction the test server retried such a conflict without end
    while holding the collection, and every service stalled."""
    deliveries = Deliveries(database)
    async with mongo_client.start_session() as session:
        await deliveries.add(delivery("reference-1", 0), session)
    claimed = await deliveries.claim_due(NOW, NOW + timedelta(minutes=1), 10, "worker-1")
    assert [d.reference for d in claimed] == ["reference-1"]
    async with mongo_client.start_session() as recording:
        async with await recording.start_transaction():
            await deliveries.finish("reference-1", DeliveryStatus.DELIVERED, NOW, recording)
            # A hang guard, not a timing: without the fix this call never returns.
            async with asyncio.timeout(60):
                with pytest.raises(PyMongoError):
                    await deliveries.extend_claims(
                        ["reference-1"], "worker-1", NOW + timedelta(minutes=2)
                    )
    [finished] = await deliveries.for_person("person-1")
    assert finished.status is DeliveryStatus.DELIVERED
