"""A dead instance's open transactions are aborted by the instances that outlive it.

An instance killed in the middle of a transaction leaves it open on the database, holding what
it wrote; the instance that takes over its work (or the same service, restarted) meets a write
conflict on exactly those documents until the database gives up on the transaction
(`transactionLifetimeLimitSeconds`, 60 s by default). So every instance records, in its
service's database, a heartbeat and the database sessions it uses; any instance that finds
another's heartbeat stale kills that instance's sessions (`killSessions`), which aborts their
transactions at once, and forgets it. An instance that stops cleanly removes itself.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

from bson import Binary
from pymongo.errors import PyMongoError

from shared.mongo import Client, Collection, on_new_session, sessions_used

log = logging.getLogger(__name__)


class Instances:
    def __init__(
        self,
        client: Client,
        collection: Collection,
        service: str,
        *,
        heartbeat_seconds: float = 3.0,
        dead_after_seconds: float = 12.0,
    ) -> None:
        self.client = client
        self.collection = collection
        self.service = service
        self.id = str(uuid.uuid4())
        self.heartbeat_seconds = heartbeat_seconds
        self.dead_after = timedelta(seconds=dead_after_seconds)
        on_new_session(client, self.beat)

    async def run(self) -> None:
        """Beat and reap until cancelled; an unreachable database is waited out."""
        while True:
            try:
                await self.beat()
                await self.reap()
            except PyMongoError as error:
                log.warning("instance heartbeat will retry", extra={"error": error})
            await asyncio.sleep(self.heartbeat_seconds)

    async def beat(self) -> None:
        await self.collection.update_one(
            {"_id": self.id},
            {
                "$set": {
                    "service": self.service,
                    "heartbeat_at": datetime.now(UTC),
                    "sessions": [Binary(s, 4) for s in sorted(sessions_used(self.client))],
                }
            },
            upsert=True,
        )

    async def reap(self) -> int:
        """Abort the open transactions of every instance whose heartbeat stopped; returns how
        many instances were found dead."""
        stale = datetime.now(UTC) - self.dead_after
        dead = await self.collection.find(
            {"_id": {"$ne": self.id}, "heartbeat_at": {"$lt": stale}}
        ).to_list()
        for instance in dead:
            # Read back as UUIDs (the client's uuidRepresentation); sent as BSON binary.
            sessions = [
                {"id": Binary.from_uuid(s) if isinstance(s, uuid.UUID) else s}
                for s in instance.get("sessions", [])
            ]
            if sessions:
                await self.client.admin.command({"killSessions": sessions})
            await self.collection.delete_one(
                {"_id": instance["_id"], "heartbeat_at": instance["heartbeat_at"]}
            )
            log.warning(
                "aborted the open transactions of an instance that stopped beating",
                extra={"instance": instance["_id"], "sessions": len(sessions)},
            )
        return len(dead)

    async def leave(self) -> None:
        """A clean stop: nothing of ours is left open, so nobody need reap us."""
        await self.collection.delete_one({"_id": self.id})
