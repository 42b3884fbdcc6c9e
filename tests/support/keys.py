"""Reading the services' events as a test sees them on Kafka: their personal fields are sealed,
so a test opens them with the keys the services keep in the keyring (the same database and
key-encryption key the services under test use)."""

from __future__ import annotations

import json
import os
from functools import cache

from pymongo import MongoClient

from shared.config import KeyringSettings
from shared.events import Envelope, decode
from shared.eventstore import envelope_from_document
from shared.keyring import DATA_KEYS, LocalKeyWrapper, data_key_of
from shared.mongo import Document
from shared.personal_data import DataKeys, sealed_subjects


@cache
def _keyring() -> tuple[MongoClient[Document], KeyringSettings]:
    return MongoClient(os.environ["MONGODB_URI"]), KeyringSettings()


def keys_for(raw: bytes) -> DataKeys:
    """The keys (None for a destroyed one) that open `raw`'s sealed fields."""
    subjects = sealed_subjects(raw)
    if not subjects:
        return {}
    client, settings = _keyring()
    wrapper = LocalKeyWrapper(settings.key_encryption_secret)
    stored = {
        document["_id"]: document
        for document in client[settings.keyring_database][DATA_KEYS].find(
            {"_id": {"$in": sorted(subjects)}}
        )
    }
    return {subject: data_key_of(stored.get(subject), wrapper) for subject in subjects}


def opened(raw: bytes) -> Envelope:
    """`raw` decoded, its personal fields opened."""
    return decode(raw, keys=keys_for(raw))


def opened_document(document: Document) -> Envelope:
    """An event as the event store holds it, its personal fields opened."""
    raw = json.dumps(document["payload"]).encode()
    return envelope_from_document(document, keys_for(raw))
