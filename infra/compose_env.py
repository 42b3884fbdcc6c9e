"""Write `.env` for docker compose with random secrets (`make compose-env`).

    python infra/compose_env.py [--force] [--path .env]

It never overwrites an existing file unless --force is given. The trial partner's API key is
printed once: only its SHA-256 hash is written, as intake stores it.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.identity import hash_api_key  # noqa: E402

TRIAL_PARTNER = "trial-partner"
SECRETS = (
    "METRICS_TOKEN",
    "KEYCLOAK_ADMIN_PASSWORD",
    "SAFEGUARDING_CLI_CLIENT_SECRET",
    "SAFEGUARDING_WEB_CLIENT_SECRET",
    "SAFEGUARDING_TEST_USER_PASSWORD",
    "SESSION_SECRET",
)


def compose_env() -> tuple[str, str]:
    """The file's text, and the trial partner's API key (which the file does not hold)."""
    partner_key = secrets.token_urlsafe(32)
    lines = [
        "# Made by `make compose-env`: secrets for this installation only. Keep it private.",
        f"# The partner {TRIAL_PARTNER!r} signs in with the API key printed when this was made.",
        f"PARTNER_API_KEYS='{json.dumps({TRIAL_PARTNER: hash_api_key(partner_key)})}'",
        *(f"{name}={secrets.token_urlsafe(32)}" for name in SECRETS),
    ]
    return "\n".join(lines) + "\n", partner_key


def write(path: Path, *, force: bool) -> str | None:
    """Write the file and return the partner key, or None when the file exists already."""
    if path.exists() and not force:
        return None
    text, partner_key = compose_env()
    path.touch(mode=0o600)
    path.write_text(text)
    return partner_key


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--path", type=Path, default=ROOT / ".env")
    args = parser.parse_args()
    partner_key = write(args.path, force=args.force)
    if partner_key is None:
        print(f"{args.path} exists; kept it (make compose-env FORCE=1 replaces it)")
        return
    print(f"wrote {args.path} with random secrets")
    print(f"the partner {TRIAL_PARTNER!r} signs in with X-API-Key: {partner_key}")
    print("(shown once: only its hash is stored)")


if __name__ == "__main__":
    main()
