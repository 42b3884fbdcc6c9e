"""A service's client counts what its work costs the database, by command and collection, on
the real server; a client that is not counted adds nothing."""

from __future__ import annotations

import uuid

from shared.mongo import connect
from tests.support.metrics import commands_counted


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
