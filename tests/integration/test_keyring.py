"""The keyring on the real MongoDB-wire server: one data key per subject, wrapped, shared by
every service; destroying it leaves only a tombstone, after which nothing is sealed under that
subject again and what was sealed opens to its erased placeholder. In a transaction each
subject's key is read once, except one destroyed meanwhile by the same process; a subject most
likely new is made without a read, and never replaces a key or a tombstone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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
from shared.mongo import Database, Session, in_transaction
from shared.personal_data import ERASED, sealed_subjects
from tests.support.indexes import PROFILER, profiled
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


async def test_keys_made_for_a_batch_are_the_ones_each_subject_keeps(database: Database) -> None:
    intake, notification = keyring(database), keyring(database)
    earlier = await notification.sealing_key("concern-2")

    # Two services making the same subjects' keys at once: one key each wins, in both.
    batches = await asyncio.gather(
        intake.sealing_keys(["concern-1", "concern-2", "concern-3", "concern-1"]),
        notification.sealing_keys(["concern-3", "concern-1"]),
    )
    opened = await keyring(database).opening_keys(["concern-1", "concern-2", "concern-3"])

    assert set(batches[0]) == {"concern-1", "concern-2", "concern-3"}
    assert batches[0]["concern-2"].key == earlier.key
    for made in batches:
        assert all(opened[subject] == key.key for subject, key in made.items())
    assert await database[DATA_KEYS].count_documents({}) == 3


async def test_a_batch_with_an_erased_subject_seals_nothing(database: Database) -> None:
    intake = keyring(database)
    await intake.sealing_key("concern-1")
    await keyring(database).destroy(["concern-1"])

    with pytest.raises(KeyDestroyed):
        await intake.sealing_keys(["concern-2", "concern-1"])
    with pytest.raises(ValueError, match="subject"):
        await intake.sealing_keys(["concern-3", "not a subject"])

    assert await database[DATA_KEYS].find_one({"_id": "concern-3"}) is None
    stored = await database[DATA_KEYS].find_one({"_id": "concern-1"})
    assert stored is not None
    assert "wrapped" not in stored


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


async def test_a_key_destroyed_by_another_instance_opens_nothing_here_at_once(
    database: Database,
) -> None:
    # Two instances of one service: only one of them hears the erasure and forgets her keys.
    heard, other = keyring(database), keyring(database)
    made = await heard.sealing_key("concern-1")
    assert await other.opening_keys(["concern-1", "concern-2"]) == {
        "concern-1": made.key,
        "concern-2": None,
    }

    await heard.destroy(["concern-1"])
    heard.forget(["concern-1"])

    assert await other.opening_keys(["concern-1"]) == {"concern-1": None}
    assert await other.keys_to_open([b'{"name": "pd1:concern-1:' + b"A" * 48 + b'"}']) == {
        "concern-1": None
    }


async def keys_read(database: Database, work: Callable[[], Awaitable[object]]) -> int:
    """How many times `work` read the keyring's documents."""
    async with profiled(database):
        await work()
    return await database[PROFILER].count_documents({"command.find": DATA_KEYS})


async def test_a_transaction_reads_each_subjects_key_once_however_often_it_opens_and_seals(
    database: Database,
) -> None:
    here = keyring(database)
    made = await here.sealing_key("concern-1")

    async def in_one_transaction() -> None:
        async def work(tx: Session) -> None:
            assert await here.opening_keys(["concern-1"], tx) == {"concern-1": made.key}
            assert (await here.sealing_key("concern-1", tx)).key == made.key
            opened = await here.opening_keys(["concern-1", "concern-2"], tx)
            assert opened == {"concern-1": made.key, "concern-2": None}

        await in_transaction(database.client, work)

    async def outside_any() -> None:
        await here.opening_keys(["concern-1"])
        await here.sealing_key("concern-1")

    assert await keys_read(database, in_one_transaction) == 2  # concern-1, then concern-2
    # Outside a transaction, and in the next one, every look-up reads the keyring again.
    assert await keys_read(database, outside_any) == 2 + 2
    assert await keys_read(database, in_one_transaction) == 2 + 2 + 2


async def test_in_a_transaction_a_key_destroyed_here_meanwhile_seals_nothing(
    database: Database,
) -> None:
    here = keyring(database)

    async def work(tx: Session) -> None:
        made = await here.sealing_key("concern-1", tx)  # made here, then read from the keyring
        assert await here.opening_keys(["concern-1"], tx) == {"concern-1": made.key}
        await here.destroy(["concern-1"])
        with pytest.raises(KeyDestroyed):
            await here.sealing_key("concern-1", tx)
        assert await here.opening_keys(["concern-1"], tx) == {"concern-1": None}

    await in_transaction(database.client, work)


async def test_the_next_transaction_sees_a_key_another_instance_destroyed(
    database: Database,
) -> None:
    here, erasing = keyring(database), keyring(database)
    await here.sealing_key("concern-1")
    await in_transaction(database.client, lambda tx: here.sealing_key("concern-1", tx))

    await erasing.destroy(["concern-1"])

    with pytest.raises(KeyDestroyed):
        await in_transaction(database.client, lambda tx: here.sealing_key("concern-1", tx))


async def test_a_likely_new_subjects_key_is_made_without_reading_and_never_replaces_one(
    database: Database,
) -> None:
    here, other = keyring(database), keyring(database)
    earlier = await other.sealing_key("concern-2")
    await other.destroy(["concern-3"])  # erased before anything was sealed for it here

    async def make_new() -> None:
        made = await here.sealing_keys(["concern-1"], likely_new=["concern-1"])
        assert await other.opening_keys(["concern-1"]) == {"concern-1": made["concern-1"].key}

    assert await keys_read(database, make_new) == 1  # only the other service's look-up
    # Not new after all: the key the keyring holds, or its tombstone, and nothing replaced.
    again = await here.sealing_keys(["concern-2"], likely_new=["concern-2"])
    assert again["concern-2"].key == earlier.key
    with pytest.raises(KeyDestroyed):
        await here.sealing_keys(["concern-3", "concern-4"], likely_new=["concern-3", "concern-4"])
    assert await other.opening_keys(["concern-3"]) == {"concern-3": None}


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
