"""How a partner signs a concern submission it publishes on Kafka, so that the agency it names is
one nobody else can claim.

The partner signs, with its own Ed25519 private key, the bytes `signed_content(agency, value)`:
the agency it names in the `agency` header and the message value, exactly as sent. It sends the
signature, base64, in the `signature` header. The council registers only the partner's public key
(PARTNER_SIGNING_KEYS), so a writer to the topic who is not that partner cannot make a submission
in its name, move a signed submission to another agency's name, or change one in transit.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGNATURE_HEADER: Final = "signature"
PURPOSE: Final = b"safeguarding-concern-submission/1"
"""Names what is signed, so a signature made for anything else never verifies here."""
MAX_SIGNATURE_LENGTH: Final = 200


def signed_content(agency: str, value: bytes) -> bytes:
    # The agency's length is fixed in front of it, so no agency and value can be read as another.
    name = agency.encode()
    return PURPOSE + b"\n" + str(len(name)).encode() + b"\n" + name + b"\n" + value


def sign(key: Ed25519PrivateKey, agency: str, value: bytes) -> bytes:
    """The `signature` header a partner sends with `value` under the name `agency`."""
    return base64.b64encode(key.sign(signed_content(agency, value)))


def verifies(key: Ed25519PublicKey, agency: str, value: bytes, signature: bytes | None) -> bool:
    if signature is None or len(signature) > MAX_SIGNATURE_LENGTH:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, signed_content(agency, value))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def public_key_text(key: Ed25519PublicKey) -> str:
    """A public key as PARTNER_SIGNING_KEYS holds it: its 32 bytes, base64."""
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def read_public_key(text: str) -> Ed25519PublicKey:
    """The key `public_key_text` wrote; ValueError when `text` is not one."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError("is not base64") from error
    if len(raw) != 32:
        raise ValueError("is not a 32-byte Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)
