"""A service's client counts what its work costs the database, by command and collection, and
how long those commands took until their answers (a failed one too), on the real server; a client
that is not counted adds nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo.errors import OperationFailure

from shared.mongo import Collection, connect
from tests.support.metrics import command_seconds, commands_counted


@pytest.fixture
async def clients(mongodb_uri: str) -> AsyncIterator[tuple[Collection, Collection]]:
    """A new collection, as a counted client and a plain one see it."""
    name = f"counted_{uuid.uuid4().hex[:8]}"
    counted = connect(mongodb_uri, counted=True)
    plain = connect(mongodb_uri)
    try:
        yield counted["metrics_test"][name], plain["metrics_test"][name]
        await plain["metrics_test"][name].drop()
    finally:
        await counted.close()
        await plain.close()


async def test_a_counted_client_counts_each_command_by_name_and_collection(
    clients: tuple[Collection, Collection],
) -> None:
    collection, seen_plainly = clients
    await collection.insert_many([{"n": 1}, {"n": 2}])
    await collection.find_one({"n": 1})
    await collection.find_one({"n": 2})
    await seen_plainly.find_one({"n": 1})

    assert commands_counted("insert", collection.name) == 1  # one statement however many documents
    assert commands_counted("find", collection.name) == 2


async def test_a_counted_client_adds_up_how_long_each_kind_of_command_took(
    clients: tuple[Collection, Collection],
) -> None:
    collection, seen_plainly = clients
    began = time.perf_counter()
    await collection.insert_one({"n": 1})
    await collection.find_one({"n": 1})
    with pytest.raises(OperationFailure):
        await collection.aggregate([{"$no_such_stage": {}}])
    took = time.perf_counter() - began
    timed = [command_seconds(kind, collection.name) for kind in ("insert", "find", "aggregate")]
    await seen_plainly.find_one({"n": 1})

    assert all(seconds > 0 for seconds in timed)
    assert sum(timed) <= took
    assert command_seconds("find", collection.name) == timed[1]  # the plain client adds nothing
