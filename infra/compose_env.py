"""Write `.env` for docker compose with random secrets (`make compose-env`).

    python infra/compose_env.py [--force] [--path .env]

It never overwrites an existing file unless --force is given. The trial partner's API key and
the private key it signs Kafka submissions with are printed once: only the API key's SHA-256 hash
and the public key are written, as intake stores them.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
from pathlib import Path
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.intake.domain.signature import public_key_text  # noqa: E402
from shared.identity import hash_api_key  # noqa: E402

TRIAL_PARTNER = "trial-partner"
SECRETS = (
    "METRICS_TOKEN",
    "KEY_ENCRYPTION_KEY",
    "MATCHING_KEY",
    "KEYCLOAK_ADMIN_PASSWORD",
    "SAFEGUARDING_CLI_CLIENT_SECRET",
    "SAFEGUARDING_WEB_CLIENT_SECRET",
    "SAFEGUARDING_TEST_USER_PASSWORD",
    "SESSION_SECRET",
    # Kafka users' passwords (SCRAM): token_urlsafe's letters need no quoting in
    # kafka-configs.sh's SCRAM-SHA-512=[password=...].
    "INTAKE_KAFKA_PASSWORD",
    "OUTCOMES_KAFKA_PASSWORD",
    "NOTIFICATION_KAFKA_PASSWORD",
    "OPS_KAFKA_PASSWORD",
    "TRIAL_PARTNER_KAFKA_PASSWORD",
)


class TrialPartner(NamedTuple):
    """What the trial partner keeps, and the file does not hold."""

    api_key: str
    signing_key: str
    """Its Ed25519 private key, 32 bytes base64 (services/intake/domain/signature.py)."""


def compose_env() -> tuple[str, TrialPartner]:
    """The file's text, and the trial partner's own keys."""
    api_key = secrets.token_urlsafe(32)
    signing_key = Ed25519PrivateKey.generate()
    seed = signing_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public_key = public_key_text(signing_key.public_key())
    lines = [
        "# Made by `make compose-env`: secrets for this installation only. Keep it private.",
        f"# The partner {TRIAL_PARTNER!r} signs in with the API key printed when this was made,",
        "# and signs its Kafka submissions with the private key printed then.",
        f"PARTNER_API_KEYS='{json.dumps({TRIAL_PARTNER: hash_api_key(api_key)})}'",
        f"PARTNER_SIGNING_KEYS='{json.dumps({TRIAL_PARTNER: public_key})}'",
        *(f"{name}={secrets.token_urlsafe(32)}" for name in SECRETS),
    ]
    partner = TrialPartner(api_key, base64.b64encode(seed).decode())
    return "\n".join(lines) + "\n", partner


def write(path: Path, *, force: bool) -> TrialPartner | None:
    """Write the file and return the partner's keys, or None when the file exists already."""
    if path.exists() and not force:
        return None
    text, partner = compose_env()
    path.touch(mode=0o600)
    path.write_text(text)
    return partner


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--path", type=Path, default=ROOT / ".env")
    args = parser.parse_args()
    partner = write(args.path, force=args.force)
    if partner is None:
        print(f"{args.path} exists; kept it (make compose-env FORCE=1 replaces it)")
        return
    print(f"wrote {args.path} with random secrets")
    print(f"the partner {TRIAL_PARTNER!r} signs in with X-API-Key: {partner.api_key}")
    print(f"and signs its Kafka submissions with the Ed25519 key: {partner.signing_key}")
    print(
        f"it publishes them as the Kafka user {TRIAL_PARTNER!r} "
        f"(SCRAM-SHA-512, password TRIAL_PARTNER_KAFKA_PASSWORD in {args.path})"
    )
    print("(shown once: only the API key's hash and the public key are stored)")


if __name__ == "__main__":
    main()
