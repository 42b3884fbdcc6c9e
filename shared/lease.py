"""A lease: one owner at a time among the instances of a service, for work that must not run
twice at once (the outbox relay).

The lease is one MongoDB document: its owner and when it expires. The owner renews it well
before it expires; anyone may take it once it has expired, so a crashed owner's lease passes to
another instance after at most `ttl_seconds`. A lease alone cannot stop an owner that was paused
past its expiry from carrying on for a moment, so what it guards must also be fenced (the relay
uses a Kafka transactional id, which the broker fences for it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.mongo import Collection


class Lease:
    def __init__(
        self, collection: Collection, name: str, *, ttl_seconds: float, owner: str | None = None
    ) -> None:
        self.collection = collection
        self.name = name
        self.ttl = timedelta(seconds=ttl_seconds)
        self.owner = owner or str(uuid.uuid4())

    async def hold(self) -> bool:
        """Take the lease, or renew it if this owner has it; False while another owner does."""
        now = datetime.now(UTC)
        try:
            document = await self.collection.find_one_and_update(
                {"_id": self.name, "$or": [{"owner": self.owner}, {"expires_at": {"$lte": now}}]},
                {"$set": {"owner": self.owner, "expires_at": now + self.ttl, "renewed_at": now}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # another owner holds it: our upsert met their document
        return document is not None and document["owner"] == self.owner

    async def release(self) -> None:
        """Let the lease go at once (on a clean shutdown), so another instance takes over now."""
        await self.collection.update_one(
            {"_id": self.name, "owner": self.owner},
            {"$set": {"expires_at": datetime.now(UTC)}},
        )
