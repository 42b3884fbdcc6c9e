"""Every service answers as its OpenAPI document says: schemathesis with every check, on the
three services running as processes, a few examples per operation in every `make test`, the
same ones each run (`make api-conformance` runs thousands, new ones each time)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.stack import Stack
from tests.support.conformance import conformance, manager_authorization
from tests.support.servers import infra_environment, server_addresses
from tests.support.stacks import stack_of, start_every_group_at_the_end

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("CI_API_CONFORMANCE_EXAMPLES", "5"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    kafka, mongo = server_addresses()
    run = uuid.uuid4().hex[:8]
    asyncio.run(start_every_group_at_the_end(run, kafka))
    services = stack_of(tmp_path_factory.mktemp("conformance"), run, kafka, mongo)
    try:
        services.start()
        yield services
    finally:
        services.stop()


def test_every_service_answers_as_its_openapi_document_says(stack: Stack, tmp_path: Path) -> None:
    statuses = conformance(
        stack.endpoints,
        authorization=manager_authorization(infra_environment()),
        examples=EXAMPLES,
        reports=tmp_path,
        deterministic=True,
    )

    failures = {
        service: (tmp_path / f"{service}.txt").read_text()[-4000:]
        for service, status in statuses.items()
        if status != 0
    }
    assert failures == {}
