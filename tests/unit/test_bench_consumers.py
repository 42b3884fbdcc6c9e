"""The benchmark starts a fresh outcomes service with every consumer group at the end of its
topics, so that each rebuild is measured alone: a group left out would catch up live through the
rebuilds, competing with them for the service and the database."""

from __future__ import annotations

from bench.run import OUTCOMES_CONSUMERS
from services.outcomes.app import assemble
from services.outcomes.settings import OutcomesSettings


async def test_the_benchmark_knows_every_consumer_of_the_outcomes_service() -> None:
    settings = OutcomesSettings(
        kafka_bootstrap_servers="127.0.0.1:9",
        mongodb_uri="mongodb://127.0.0.1:9/?directConnection=true",
        mongodb_database="never_reached",
        oidc_issuer="http://127.0.0.1:9/realms/never-reached",
        oidc_audience="safeguarding-api",
        unallocated_case_team="triage",
    )
    _, runtime, _ = assemble(settings)

    assert {(h.name, tuple(h.topics)) for h in runtime.handlers} == {
        (c.name, tuple(c.topics)) for c in OUTCOMES_CONSUMERS
    }
