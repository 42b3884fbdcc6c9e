"""`make api-conformance`: schemathesis with every check (`--checks all`) on each service's own
OpenAPI document, against the three services running as processes on real servers, with a
partner's key and a manager's token from the real identity provider. A failure is an answer the
document does not promise, a valid request refused, an invalid one accepted, or a server error.

    python -m tests.support.conformance      # fresh servers on $INFRA_* ports, then the run

`API_CONFORMANCE_EXAMPLES` sets the examples per operation (the Makefile's default runs
thousands in all; the end-to-end test runs a few per operation in every `make test`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

from infra import local
from infra.sign_in import SignInSettings, StaffSignIn, TestUser
from infra.stack import Endpoints, Stack, free_port
from services.intake.settings import DEV_PARTNER_KEY

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "outcomes", "notification")
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def manager_authorization(env: Mapping[str, str]) -> str:
    """A manager's `Authorization` header value, signed in at the identity provider `env` names
    (a manager may call every operation, so no operation is refused for its role alone)."""
    headers = asyncio.run(StaffSignIn(SignInSettings.from_env(env)).headers(TestUser.MANAGER))
    return headers["Authorization"]


# Excluded: `ensure_resource_availability` takes any 404 right after a POST that answered 2xx for
# "the resource just created is missing". Ours are not: a concern is accepted (202) and reaches
# the views and the other services a moment later, by design, and linking a concern to a person
# answers 404 when the *person in the body* is not on record.
EXCLUDED_CHECKS = ("ensure_resource_availability",)


def conformance(
    endpoints: Endpoints,
    *,
    authorization: str,
    examples: int,
    reports: Path,
    deterministic: bool = False,
) -> dict[str, int]:
    """Run schemathesis on each service; returns its exit status per service (0: no failure).
    Each service's full output is in `reports/<service>.txt`. `deterministic`: the same
    requests every run and no example database (what a test in `make test` needs); otherwise
    new ones each run, and the failures found are kept and tried first next time."""
    reports.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        # Teaches schemathesis the formats our schemas name (NHS numbers, postcodes, ...).
        "SCHEMATHESIS_HOOKS": "tests.support.formats",
    }
    statuses: dict[str, int] = {}
    for service in SERVICES:
        url = endpoints.url(service)
        with open(reports / f"{service}.txt", "w") as output:
            statuses[service] = subprocess.run(
                [
                    str(SCHEMATHESIS),
                    "--no-color",
                    "run",
                    f"{url}/openapi.json",
                    "--checks",
                    "all",
                    "--exclude-checks",
                    ",".join(EXCLUDED_CHECKS),
                    *(["--generation-deterministic"] if deterministic else []),
                    "--max-examples",
                    str(examples),
                    "--request-timeout",
                    "60",
                    "--header",
                    f"Authorization: {authorization}",
                    "--header",
                    f"X-API-Key: {DEV_PARTNER_KEY}",
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode
    return statuses


def main() -> None:
    layout = local.Layout.from_env()
    local.setup()
    local.up(layout, fresh=True)
    run = uuid.uuid4().hex[:8]
    stack = Stack(
        state=layout.state / "services",
        endpoints=Endpoints(
            kafka_bootstrap_servers=layout.bootstrap,
            mongodb_uri=layout.mongodb_uri,
            oidc_issuer=layout.issuer,
            smtp_port=free_port(),
            service_ports={service: free_port() for service in SERVICES},
        ),
        extra_env={"CONSUMER_GROUP_PREFIX": f"conformance-{run}", "LOG_LEVEL": "WARNING"},
    )
    examples = int(os.environ.get("API_CONFORMANCE_EXAMPLES", "100"))
    reports = layout.state / "reports"
    try:
        stack.start()
        statuses = conformance(
            stack.endpoints,
            authorization=manager_authorization(local.environment(layout)),
            examples=examples,
            reports=reports,
        )
    finally:
        stack.stop()
        local.down(layout)
    for service, status in statuses.items():
        print(
            f"{service:<13} {'no failures' if status == 0 else 'FAILURES'}  {reports / service}.txt"
        )
        print((reports / f"{service}.txt").read_text().rstrip().splitlines()[-1])
    sys.exit(0 if all(status == 0 for status in statuses.values()) else 1)


if __name__ == "__main__":
    main()
