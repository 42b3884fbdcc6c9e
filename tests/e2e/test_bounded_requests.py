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


async def post_large_body(port: int, *, chunked: bool) -> tuple[int, bool]:
    """POST a 50 MB body to /concerns without credentials. Returns the status, and whether the
    service shut the connection on the rest of the body.

    The answer is read before the rest is sent: a server that closes with unread bytes resets
    the connection, and a reset loses an answer not yet read. So declared, nothing is sent
    before the answer; chunked, exactly one byte past the limit."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {FIFTY_MB}"
    writer.write(
        f"POST /concerns HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n".encode()
    )

    def framed(piece: bytes) -> bytes:
        return f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece

    sent = 0
    if chunked:
        while sent <= MAX_REQUEST_BODY_BYTES:
            piece = b"x" * min(CHUNK, MAX_REQUEST_BODY_BYTES + 1 - sent)
            writer.write(framed(piece))
            sent += len(piece)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=60)
    shut = False
    try:
        while sent < FIFTY_MB:
            writer.write(framed(b"x" * CHUNK))
            await writer.drain()
            sent += CHUNK
    except OSError:  # reset, or a broken pipe
        shut = True
    finally:
        writer.close()
    return int(head.split(b" ", 2)[1]), shut


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_an_unauthenticated_50_mb_body_is_413_with_flat_memory(
    intake: Stack, chunked: bool
) -> None:
    before = rss(intake)
    status, shut = await post_large_body(intake.endpoints.service_ports["intake"], chunked=chunked)
    after = rss(intake)
    assert status == 413
    # The service would not take the rest, and holds at most about the limit.
    assert shut
    assert after - before < MAX_REQUEST_BODY_BYTES + 8 * MIB, (before, after)
