"""A service's client counts what its work costs the database, by command and collection, and
how long those commands took until their answers (a failed one too), on the real server; a client
that is not counted adds nothing."""

from __future__ import annotations

import time
import uuid

import pytest
from pymongo.errors import OperationFailure

from shared.mongo import connect
from tests.support.metrics import command_seconds, commands_counted


async def test_a_counted_client_counts_each_command_by_name_and_collection(
    mongodb_uri: str,
) -> None:
    collection = f"counted_{uuid.uuid4().hex[:8]}"
    client = connect(mongodb_uri, counted=True)
    plain = connect(mongodb_uri)
    try:
        await client["metrics_test"][collection].insert_many([{"n": 1}, {"n": 2}])
        await client["metrics_test"][collection].find_one({"n": 1})
        await client["metrics_test"][collection].find_one({"n": 2})
        await plain["metrics_test"][collection].find_one({"n": 1})
        assert commands_counted("insert", collection) == 1  # one statement however many documents
        assert commands_counted("find", collection) == 2
        await client["metrics_test"][collection].drop()
    finally:
        await client.close()
        await plain.close()


async def test_a_counted_client_adds_up_how_long_each_kind_of_command_took(
    mongodb_uri: str,
) -> None:
    collection = f"timed_{uuid.uuid4().hex[:8]}"
    client = connect(mongodb_uri, counted=True)
    plain = connect(mongodb_uri)
    try:
        began = time.perf_counter()
        await client["metrics_test"][collection].insert_one({"n": 1})
        await client["metrics_test"][collection].find_one({"n": 1})
        with pytest.raises(OperationFailure):
            await client["metrics_test"][collection].aggregate([{"$no_such_stage": {}}])
        took = time.perf_counter() - began
        timed = [command_seconds(kind, collection) for kind in ("insert", "find", "aggregate")]
        await plain["metrics_test"][collection].find_one({"n": 1})

        assert all(seconds > 0 for seconds in timed)
        assert sum(timed) <= took
        assert command_seconds("find", collection) == timed[1]  # the plain client adds nothing
        await client["metrics_test"][collection].drop()
    finally:
        await client.close()
        await plain.close()
