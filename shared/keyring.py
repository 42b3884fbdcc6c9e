"""The keyring: one data key per subject (a concern), wrapped by a key-encryption key, in a
MongoDB database of its own that every service reads (`KEYRING_DATABASE`).

`data_keys` holds `{_id: subject, wrapped, kek_id, created_at}`. Destroying a subject's key
replaces its document with a tombstone `{_id, destroyed_at}`: everything sealed under it
(`shared.personal_data`) becomes unreadable wherever it is, in MongoDB, on Kafka and in backups,
and a later write for that subject is refused rather than silently given a new key.

Caching: keys are cached in memory per process for reading. Sealing always reads the subject's
document first, so no service seals under a destroyed key. Within one transaction (a `session`
given and in a transaction) each subject's document is read once, however often its events are
opened and sealed there: the transaction works from one moment's view, as a snapshot would. A
key this process destroys or forgets is read again in every transaction open at that moment.
A process that destroys keys forgets them at once; another process may still open data with a key it cached until its erasure
reaction calls `forget` (the window the design allows). A destroyed key is remembered as
destroyed: it never comes back.

The key-encryption key sits behind `KeyWrapper`, so a KMS can replace `LocalKeyWrapper`.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from bson import Binary
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from pydantic import JsonValue
from pymongo.errors import BulkWriteError

from shared.mongo import (
    DUPLICATE_KEY,
    Collection,
    Database,
    Document,
    Session,
    create_collections,
)
from shared.personal_data import DataKeys, SealingKey, is_subject, new_data_key, sealed_subjects

DATA_KEYS = "data_keys"


class KeyDestroyed(Exception):
    """The subject's key was destroyed (the person was erased): nothing more is recorded under it."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"the data key of {subject} was destroyed; nothing is sealed under it")
        self.subject = subject


class UnknownKeyEncryptionKey(Exception):
    """A data key was wrapped by a key-encryption key this wrapper does not hold."""


class KeyWrapper(Protocol):
    """Wraps and unwraps data keys with a key-encryption key (a local secret, or a KMS)."""

    @property
    def kek_id(self) -> str:
        """Which key-encryption key wraps new data keys (kept beside each wrapped key)."""
        ...

    def wrap(self, data_key: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, kek_id: str) -> bytes: ...


class LocalKeyWrapper:
    """AES key wrap (RFC 3394) under a key derived (HKDF-SHA256) from the `KEY_ENCRYPTION_KEY`
    setting."""

    def __init__(self, secret: str) -> None:
        self._kek = derive_key(secret, b"safeguarding key-encryption key")
        self._kek_id = hashlib.sha256(derive_key(secret, b"safeguarding kek id")).hexdigest()[:16]

    @property
    def kek_id(self) -> str:
        return self._kek_id

    def wrap(self, data_key: bytes) -> bytes:
        return aes_key_wrap(self._kek, data_key)

    def unwrap(self, wrapped: bytes, kek_id: str) -> bytes:
        if kek_id != self._kek_id:
            raise UnknownKeyEncryptionKey(f"data key wrapped by key-encryption key {kek_id}")
        try:
            return aes_key_unwrap(self._kek, wrapped)
        except InvalidUnwrap as error:
            raise UnknownKeyEncryptionKey("a data key does not unwrap") from error


class Keyring:
    def __init__(
        self,
        database: Database,
        wrapper: KeyWrapper,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.keys: Collection = database[DATA_KEYS]
        self.wrapper = wrapper
        self.clock = clock
        self._cache: dict[str, bytes | None] = {}
        self._read_in: weakref.WeakKeyDictionary[Session, dict[str, Document | None]] = (
            weakref.WeakKeyDictionary()
        )
        """Per transaction, each subject's document as read there (None: there was none)."""

    async def ensure_collection(self) -> None:
        """Make `data_keys` before the service's first transaction (never inside one)."""
        await create_collections(self.database, [DATA_KEYS])

    async def sealing_key(self, subject: str, session: Session | None = None) -> SealingKey:
        """The key to seal `subject`'s data with, made on first use. Raises KeyDestroyed once
        the subject was erased (checked in the keyring every time, or once a transaction, never
        from the cache)."""
        return (await self.sealing_keys([subject], session))[subject]

    async def sealing_keys(
        self,
        subjects: Iterable[str],
        session: Session | None = None,
        *,
        likely_new: Iterable[str] = (),
    ) -> dict[str, SealingKey]:
        """`sealing_key` for several subjects at once: one look-up of their documents and one
        `insert_many` of the keys still to be made (a batch of appends). Raises KeyDestroyed if
        any of them was erased, before anything is sealed.

        Subjects `likely_new` (a stream's first events, the stream its own subject) are not
        looked up first: their keys are inserted at once, and only one the keyring already
        holds, a key or a tombstone, is read (its insert refused as a duplicate)."""
        wanted = sorted(set(subjects))
        if not all(is_subject(s) for s in wanted):
            raise ValueError("a subject is 1 to 200 letters, digits, '_', '.' or '-'")
        unread = set(likely_new)
        found = await self._documents([s for s in wanted if s not in unread], session)
        keys = {subject: self._remember(subject, document) for subject, document in found.items()}
        for subject, key in keys.items():
            if key is None:
                raise KeyDestroyed(subject)
        new = [s for s in wanted if s not in found]
        if new:
            made: dict[str, bytes | None] = {s: new_data_key() for s in new}
            documents = {
                s: {
                    "_id": s,
                    "wrapped": Binary(self.wrapper.wrap(key)),
                    "kek_id": self.wrapper.kek_id,
                    "created_at": self.clock(),
                }
                for s, key in made.items()
                if key is not None
            }
            try:
                await self.keys.insert_many(list(documents.values()), ordered=False)
            except BulkWriteError as error:
                if any(e.get("code") != DUPLICATE_KEY for e in error.details["writeErrors"]):
                    raise
                # Another writer made some of them, or destroyed them, meanwhile: use what is
                # there for those (read again, whatever this transaction read before).
                lost = {new[e["index"]] for e in error.details["writeErrors"]}
                made = {s: key for s, key in made.items() if s not in lost}
                for subject in lost:
                    documents.pop(subject)
                for subject, document in (await self._documents(sorted(lost))).items():
                    made[subject] = self._remember(subject, document)
                    documents[subject] = document
            if session is not None and session.in_transaction:
                self._read_in.setdefault(session, {}).update(documents)
            self._cache.update(made)
            keys.update(made)
        sealing: dict[str, SealingKey] = {}
        for subject in wanted:
            key = keys.get(subject)
            if key is None:
                raise KeyDestroyed(subject)
            sealing[subject] = SealingKey(subject, key)
        return sealing

    async def _documents(
        self, subjects: Sequence[str], session: Session | None = None
    ) -> dict[str, Document]:
        """The subjects' documents in the keyring (absent: none); in a transaction, each read
        once there."""
        read = (
            self._read_in.setdefault(session, {})
            if session is not None and session.in_transaction
            else None
        )
        wanted = list(subjects) if read is None else [s for s in subjects if s not in read]
        documents: dict[str, Document] = {}
        # Small `$in` lists: the test server's cost grows with the square of the list's length.
        for start in range(0, len(wanted), 100):
            async for document in self.keys.find({"_id": {"$in": wanted[start : start + 100]}}):
                documents[document["_id"]] = document
        if read is None:
            return documents
        read.update({subject: documents.get(subject) for subject in wanted})
        return {s: found for s in subjects if (found := read[s]) is not None}

    async def opening_keys(
        self, subjects: Iterable[str], session: Session | None = None
    ) -> DataKeys:
        """The keys to open data sealed under `subjects`: None for one destroyed (or never made
        here, which opens nothing either).

        Read from the keyring every time (one look-up for them all), never from memory alone:
        a key another instance destroyed opens nothing here from that moment, so no instance
        can rebuild or replay an erased person's data back into a read model. Memory only
        saves unwrapping a key again."""
        wanted = sorted(set(subjects))
        documents = await self._documents(wanted, session)
        keys: dict[str, bytes | None] = {}
        for subject in wanted:
            document = documents.get(subject)
            cached = self._cache.get(subject)
            alive = document is not None and "destroyed_at" not in document
            keys[subject] = cached if alive and cached else self._remember(subject, document)
        return keys

    async def keys_to_open(
        self, recorded: Iterable[bytes | JsonValue], session: Session | None = None
    ) -> DataKeys:
        """The keys that open the personal fields of these recorded events (their JSON, or a
        part of it holding every sealed field)."""
        subjects = set().union(*(sealed_subjects(each) for each in recorded))
        return await self.opening_keys(subjects, session) if subjects else {}

    async def was_destroyed(self, subject: str) -> bool:
        """Whether the subject's key was destroyed (its person erased), read from the keyring."""
        document = await self.keys.find_one({"_id": subject}, {"destroyed_at": 1})
        return document is not None and "destroyed_at" in document

    async def destroy(self, subjects: Iterable[str]) -> None:
        """Destroy the keys of `subjects` for good, leaving tombstones."""
        now = self.clock()
        for subject in sorted(set(subjects)):
            await self.keys.replace_one(
                {"_id": subject}, {"_id": subject, "destroyed_at": now}, upsert=True
            )
            self._cache[subject] = None
            for read in list(self._read_in.values()):
                read.pop(subject, None)

    def forget(self, subjects: Iterable[str]) -> None:
        """Drop the unwrapped keys of `subjects` from memory (a service's erasure reaction:
        nothing of hers stays in this process longer than it must)."""
        for subject in subjects:
            self._cache[subject] = None
            for read in list(self._read_in.values()):
                read.pop(subject, None)

    def _remember(self, subject: str, document: Document | None) -> bytes | None:
        key = data_key_of(document, self.wrapper)
        self._cache[subject] = key
        return key


def data_key_of(document: Document | None, wrapper: KeyWrapper) -> bytes | None:
    """The data key a `data_keys` document holds; None for a tombstone (or no document)."""
    if document is None or "destroyed_at" in document or "wrapped" not in document:
        return None
    return wrapper.unwrap(bytes(document["wrapped"]), document["kek_id"])


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 256-bit key for one purpose from a configured secret (HKDF-SHA256), so one secret never
    serves two purposes."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )
