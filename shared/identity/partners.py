"""Partner agencies sign in with their own API key (`X-API-Key`).

Keys are stored only as SHA-256 hashes (PARTNER_API_KEYS = {"agency": "<sha256 hex>"}), so the
configuration never holds a key that works.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from fastapi import Request

from shared.events import Actor, Role
from shared.identity.problems import unauthorised

SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def partner_from_api_key(request: Request, hashed_keys: dict[str, str]) -> Actor:
    key = request.headers.get("X-API-Key", "")
    if not key:
        raise unauthorised("Send your agency's API key in the X-API-Key header.", "ApiKey")
    digest = hash_api_key(key)
    for agency, expected in hashed_keys.items():
        if hmac.compare_digest(digest, expected.lower()):
            return Actor(id=f"partner:{agency}", role=Role.PARTNER, agency=agency)
    raise unauthorised("The API key is not recognised.", "ApiKey")
