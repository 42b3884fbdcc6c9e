"""A process killed in the middle of a transaction leaves it open on the database; the instances
that outlive it abort it as soon as its heartbeat is stale, instead of meeting a write conflict
on what it wrote until the database gives up on it (60 s)."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import time

from shared.instances import Instances
from shared.mongo import Client, Database, Session, in_transaction
from tests.support.polling import eventually
from tests.support.servers import ROOT

DIES_MID_TRANSACTION = textwrap.dedent(
    """
    import asyncio, sys
    from shared.instances import Instances
    from shared.mongo import connect, in_transaction

    async def main():
        client = connect(sys.argv[1])
        database = client[sys.argv[2]]
        Instances(client, database["instances"], "test")  # records each session it starts

        async def work(session):
            await database["people"].update_one(
                {"_id": "mary"}, {"$set": {"told": "by the instance that dies"}}, session=session
            )
            print("mid-transaction", flush=True)
            await asyncio.Event().wait()

        await in_transaction(client, work)

    asyncio.run(main())
    """
)


async def test_the_open_transaction_of_a_killed_instance_is_aborted_by_one_that_outlives_it(
    mongo_client: Client, database: Database, mongodb_uri: str
) -> None:
    await database["people"].insert_one({"_id": "mary", "told": None})
    dying = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        DIES_MID_TRANSACTION,
        mongodb_uri,
        database.name,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert dying.stdout is not None
        assert (await dying.stdout.readline()).strip() == b"mid-transaction"
    finally:
        dying.send_signal(signal.SIGKILL)  # kill -9, transaction open
        await dying.wait()

    async def tell(session: Session) -> None:
        await database["people"].update_one(
            {"_id": "mary"}, {"$set": {"told": "by the survivor"}}, session=session
        )

    survivor = Instances(mongo_client, database["instances"], "test", dead_after_seconds=1.0)
    await survivor.beat()
    started = time.monotonic()
    assert await eventually(survivor.reap, until=lambda dead: dead == 1, what="the reaping") == 1

    # Without the reaping, this write would wait on the dead transaction until the database
    # gave up on it (60 s) and then fail with a write conflict.
    async with asyncio.timeout(20):
        await in_transaction(mongo_client, tell, attempts=1)
    mary = await database["people"].find_one({"_id": "mary"})
    assert mary is not None
    assert mary["told"] == "by the survivor"
    assert time.monotonic() - started < 30, "well before the database's own 60 s"
    assert await database["instances"].count_documents({}) == 1, "only the survivor is left"
