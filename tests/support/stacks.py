"""The services as processes on the test servers, as one deployment: the end-to-end tests'
stacks, with consumer groups that start at the end of the shared topics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infra.sign_in import SignInSettings
from infra.stack import Endpoints, Stack, free_port
from services.intake.app import build as build_intake
from services.intake.settings import IntakeSettings
from services.notification.app import build as build_notification
from services.notification.settings import NotificationSettings
from services.outcomes.app import build as build_outcomes
from services.outcomes.settings import OutcomesSettings
from shared.runtime import ServiceRuntime
from tests.integration.intake.conftest import start_at_the_end
from tests.support.servers import infra_environment

SERVICES = ("intake", "outcomes", "notification")


async def start_every_group_at_the_end(run: str, kafka: str) -> None:
    """The deployment's consumer groups start at the end of the shared topics: what earlier
    tests left there is no business of this one (and would only be more load)."""
    for name, build in BUILDERS.items():
        settings = {
            "mongodb_database": f"e2e_{run}_{name}",
            "consumer_group_prefix": f"e2e-{run}",
            "kafka_bootstrap_servers": kafka,
        }
        runtime = build(settings)
        for handler in runtime.handlers:
            await start_at_the_end(
                kafka, runtime.settings.consumer_group(handler.name), handler.topics
            )
        await runtime.client.close()
        await runtime.producer.stop()


BUILDERS: dict[str, Callable[[dict[str, str]], ServiceRuntime]] = {
    "intake": lambda s: build_intake(IntakeSettings.model_validate(s))[1],
    "outcomes": lambda s: build_outcomes(OutcomesSettings.model_validate(s))[1],
    "notification": lambda s: build_notification(NotificationSettings.model_validate(s))[1],
}


def stack_of(
    state: Path, run: str, kafka: str, mongo: str, services: tuple[str, ...] = SERVICES
) -> Stack:
    """One instance of each service (or of `services`); stacks made with the same `run` share
    databases and consumer groups, as instances of one deployment do."""
    return Stack(
        state=state,
        endpoints=Endpoints(
            kafka_bootstrap_servers=kafka,
            mongodb_uri=mongo,
            oidc_issuer=SignInSettings.from_env(infra_environment()).issuer,
            smtp_port=free_port(),
            service_ports={name: free_port() for name in services},
        ),
        extra_env={"CONSUMER_GROUP_PREFIX": f"e2e-{run}", "LOG_LEVEL": "WARNING"},
        database_prefix=f"e2e_{run}_",
    )
