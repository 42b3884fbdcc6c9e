"""The keyring on the real MongoDB-wire server: one data key per subject, wrapped, shared by
every service; destroying it leaves only a tombstone, after which nothing is sealed under that
subject again and what was sealed opens to its erased placeholder."""

from __future__ import annotations

import asyncio

import pytest

from shared.events import decode, encode
from shared.events.intake import ConcernRaised
from shared.keyring import (
    DATA_KEYS,
    KeyDestroyed,
    Keyring,
    LocalKeyWrapper,
    UnknownKeyEncryptionKey,
)
from shared.mongo import Database
from shared.personal_data import ERASED, sealed_subjects
from tests.unit.notification.story import Story

SECRET = "a key-encryption key for these tests only, long enough"


def keyring(database: Database, secret: str = SECRET) -> Keyring:
    """A keyring as one service holds it (its own cache): two of them are two services."""
    return Keyring(database, LocalKeyWrapper(secret))


async def test_a_subject_has_one_key_which_every_service_opens_with(database: Database) -> None:
    intake, outcomes = keyring(database), keyring(database)

    made = await asyncio.gather(*(intake.sealing_key("concern-1") for _ in range(5)))
    opened = await outcomes.opening_keys(["concern-1"])

    assert len({key.key for key in made}) == 1
    assert opened == {"concern-1": made[0].key}


async def test_a_data_key_is_stored_only_wrapped(database: Database) -> None:
    key = await keyring(database).sealing_key("concern-1")

    stored = await database[DATA_KEYS].find_one({"_id": "concern-1"})

    assert stored is not None
    assert set(stored) == {"_id", "wrapped", "kek_id", "created_at"}
    assert key.key not in bytes(stored["wrapped"])
    with pytest.raises(UnknownKeyEncryptionKey):
        await keyring(database, "another key-encryption key, equally long enough").opening_keys(
            ["concern-1"]
        )


async def test_a_destroyed_key_leaves_a_tombstone_and_is_never_made_again(
    database: Database,
) -> None:
    intake, notification = keyring(database), keyring(database)
    await intake.sealing_key("concern-1")
    await notification.opening_keys(["concern-1"])

    await intake.destroy(["concern-1"])

    stored = await database[DATA_KEYS].find_one({"_id": "concern-1"})
    assert stored is not None
    assert set(stored) == {"_id", "destroyed_at"}
    with pytest.raises(KeyDestroyed):
        await intake.sealing_key("concern-1")
    with pytest.raises(KeyDestroyed):
        await notification.sealing_key("concern-1")  # checked in the keyring, not its cache
    assert await keyring(database).opening_keys(["concern-1"]) == {"concern-1": None}
    notification.forget(["concern-1"])
    assert await notification.opening_keys(["concern-1"]) == {"concern-1": None}


async def test_after_destruction_her_concern_reads_as_erased_in_every_service(
    database: Database,
) -> None:
    story = Story()
    intake, outcomes = keyring(database), keyring(database)
    raised = story.concern_raised()
    raw = encode(raised, sealing=await intake.sealing_key(story.concern_id))
    assert decode(raw, keys=await outcomes.opening_keys(sealed_subjects(raw))) == raised

    await intake.destroy([story.concern_id])
    outcomes.forget([story.concern_id])

    erased = decode(raw, keys=await outcomes.opening_keys(sealed_subjects(raw))).payload
    assert isinstance(erased, ConcernRaised)
    assert erased.person.name == ERASED
    assert erased.person.contact.email is None
    assert erased.person.contact.address is None
