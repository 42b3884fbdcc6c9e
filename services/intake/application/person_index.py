"""The person index keeps keyed hashes of the matching keys, never the keys themselves.

A matching key (`domain.matching.person_match_keys`) is an NHS number, or a name, date of birth
and postcode: personal data that would stay readable in the index (and in its backups) after the
person's events were erased. The index stores `<how matched>:<HMAC-SHA256 hex>` instead, under a
key derived from the `MATCHING_KEY` setting: equal keys still give equal hashes, so matching is
by exact key as before and no decision changes, but the index alone names nobody, and without
the setting nobody can test a guessed NHS number against it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Final

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from services.intake.domain.matching import matched_by, person_match_keys
from shared.events.intake import Person
from shared.keyring import derive_key
from shared.mongo import DUPLICATE_KEY, Collection

log = logging.getLogger(__name__)

KEYED: Final = re.compile(r"^[a-z_]+:[0-9a-f]{64}$")
"""A key as the index stores it. A clear key is never this: an NHS number has 10 digits, and a
name, date of birth and postcode are joined by '|'."""
BATCH: Final = 100


class MatchingKeys:
    """The keyed hashes of a person's matching keys: the one place they are computed."""

    def __init__(self, secret: str) -> None:
        self._key = derive_key(secret, b"safeguarding person matching key")

    def of(self, person: Person) -> list[str]:
        return [self.keyed(key) for key in person_match_keys(person)]

    def keyed(self, clear_key: str) -> str:
        digest = hmac.new(self._key, clear_key.encode(), hashlib.sha256).hexdigest()
        return f"{matched_by(clear_key)}:{digest}"


async def rekey_person_index(index: Collection, keys: MatchingKeys) -> int:
    """Replace every clear key in the index (written before keys were hashed) by its keyed hash;
    the number replaced.

    Run at start, before the service answers or consumes, so it never matches against a
    half-converted index. Safe to run again and by two instances at once: the hashed entry is
    written before the clear one is deleted, so a person is never unrecognised in between. When
    a hashed entry already names another person (an instance on the new version recorded them
    meanwhile), it stands: that is a duplicate record for a practitioner to link by hand, as for
    any missed match, and the count is logged (never the key).
    """
    replaced = 0
    while True:
        clear = await index.find({"_id": {"$not": KEYED}}).limit(BATCH).to_list()
        if not clear:
            return replaced
        writes = [
            UpdateOne(
                {"_id": keys.keyed(doc["_id"])},
                {"$setOnInsert": {"person_id": doc["person_id"]}},
                upsert=True,
            )
            for doc in clear
        ]
        try:
            await index.bulk_write(writes, ordered=False)
        except BulkWriteError as error:
            # Another instance wrote the same hashed entry meanwhile: it is there, as wanted.
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise
        hashed = {keys.keyed(doc["_id"]): doc["person_id"] for doc in clear}
        kept = await index.find({"_id": {"$in": list(hashed)}}).to_list()
        others = sum(1 for doc in kept if doc["person_id"] != hashed[doc["_id"]])
        if others:
            log.warning(
                "person index: %d clear keys already had a hashed entry for another person; "
                "the hashed entries stand",
                others,
            )
        await index.delete_many({"_id": {"$in": [doc["_id"] for doc in clear]}})
        replaced += len(clear)
