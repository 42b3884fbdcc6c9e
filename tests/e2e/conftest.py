"""The three services as separate processes on the real broker and database, one stack per test
module (a module's story must not meet another's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from demo.story import Places
from infra.sign_in import SignInSettings
from infra.stack import Endpoints, Stack, free_port
from services.intake.settings import DEV_PARTNER_KEY
from tests.support.servers import infra_environment, server_addresses


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    kafka, mongo = server_addresses()
    run = uuid.uuid4().hex[:8]
    services = Stack(
        state=tmp_path_factory.mktemp("stack"),
        endpoints=Endpoints(
            kafka_bootstrap_servers=kafka,
            mongodb_uri=mongo,
            oidc_issuer=SignInSettings.from_env(infra_environment()).issuer,
            smtp_port=free_port(),
            service_ports={name: free_port() for name in ("intake", "outcomes", "notification")},
        ),
        extra_env={"CONSUMER_GROUP_PREFIX": f"e2e-{run}", "SCHEDULER_INTERVAL_SECONDS": "5"},
        database_prefix=f"e2e_{run}_",
    )
    try:
        services.start()
        yield services
    finally:
        services.stop()


def places_of(stack: Stack) -> Places:
    """Where the story finds the stack's services, as the partner and staff it plays."""
    return Places(
        intake=stack.endpoints.url("intake"),
        outcomes=stack.endpoints.url("outcomes"),
        notification=stack.endpoints.url("notification"),
        partner_api_key=DEV_PARTNER_KEY,
        sign_in=SignInSettings.from_env(infra_environment()),
    )
