"""An unauthenticated sender cannot make a service hold a large request: intake, as a process on
the real servers, answers a 50 MB body 413 before reading it (declared or chunked) and its
memory stays flat."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import psutil
import pytest

from infra.stack import Stack
from shared.limits import MAX_REQUEST_BODY_BYTES, MIB
from tests.support.servers import server_addresses
from tests.support.stacks import stack_of

pytestmark = pytest.mark.e2e

FIFTY_MB = 50 * 1000 * 1000
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    kafka, mongo = server_addresses()
    stack = stack_of(
        tmp_path_factory.mktemp("bounded"), uuid.uuid4().hex[:8], kafka, mongo, ("intake",)
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def rss(stack: Stack) -> int:
    return int(psutil.Process(stack.processes["intake"].pid).memory_info().rss)


async def post_large_body(port: int, *, chunked: bool) -> tuple[int, int]:
    """POST 50 MB to /concerns without credentials, streaming it while reading the answer.
    Returns the status and how many body bytes the service let us send before answering."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {FIFTY_MB}"
    writer.write(
        f"POST /concerns HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n".encode()
    )
    sent = 0

    async def push() -> None:
        nonlocal sent
        chunk = b"x" * CHUNK
        framed = f"{CHUNK:x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
        while sent < FIFTY_MB:
            writer.write(framed)
            await writer.drain()
            sent += CHUNK

    pushing = asyncio.create_task(push())
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=60)
    finally:
        pushing.cancel()
        await asyncio.gather(pushing, return_exceptions=True)
        writer.close()
    return int(head.split(b" ", 2)[1]), sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_an_unauthenticated_50_mb_body_is_413_with_flat_memory(
    intake: Stack, chunked: bool
) -> None:
    before = rss(intake)
    status, sent = await post_large_body(intake.endpoints.service_ports["intake"], chunked=chunked)
    after = rss(intake)
    assert status == 413
    # The service answered long before the body was all sent, and holds at most about the limit.
    assert sent < FIFTY_MB
    assert after - before < MAX_REQUEST_BODY_BYTES + 8 * MIB, (before, after)
