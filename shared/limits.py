"""Size limits checked before any work is done, so that no message, event or request can stop
the system by being too big for a later step (a record the dead-letter producer refuses, an event
the outbox relay can never publish).

Kafka's broker refuses a record batch over `message.max.bytes` (1 MiB by default) and the producer
one over `max_request_size` (1 MiB); everything here stays well under that.
"""

from typing import Final

KIB: Final = 1024
MIB: Final = 1024 * KIB

MAX_EVENT_BYTES: Final = 256 * KIB
"""An event as stored and published (the encoded envelope). Checked at `append`: a larger one is
refused before anything is written (HTTP 422), never left in the outbox for the relay to fail on."""

MAX_INCOMING_MESSAGE_BYTES: Final = 1 * MIB
"""A consumed record's value after decompression. Larger ones are refused without being read:
a small gzip-compressed record can inflate to many megabytes."""

MAX_PARTITION_FETCH_BYTES: Final = 1 * MIB
"""Compressed bytes a consumer fetches per partition per request (the broker still returns one
larger batch whole, so nothing can stall on it)."""

MAX_FETCH_BYTES: Final = 8 * MIB
"""Compressed bytes a consumer fetches per request across its partitions."""

MAX_DEAD_LETTER_BYTES: Final = 512 * KIB
"""A dead letter's value, key and headers together. A record over this is parked truncated."""

DEAD_LETTER_KEPT_BYTES: Final = 16 * KIB
"""How much of an oversized record's value a truncated dead letter keeps (with its size and
SHA-256 and its original coordinates, so the original can still be found and compared)."""

MAX_REASON_CHARS: Final = 2000
"""A dead letter's reason, and an error text stored in an event."""

MAX_PROBLEM_FIELD_CHARS: Final = 300
"""The name of a field a problem is about (a partner may send a key of any length)."""

MAX_LISTED_PROBLEMS: Final = 50
"""Problems listed in one answer (HTTP problem details, a rejection event, a dead-letter reason);
the rest are counted, not listed: 7,000 unknown keys must not make a 1 MiB explanation."""


def capped(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text`, shortened to `limit` characters with a note of how much was cut."""
    if len(text) <= limit:
        return text
    kept = max(limit - 40, 0)  # room for the note
    return f"{text[:kept]}... ({len(text) - kept} more characters)"


MAX_REQUEST_BODY_BYTES: Final = 1 * MIB
"""An HTTP request body. A larger one is answered 413 before it is read, parsed or its sender
authenticated: an unauthenticated sender must not be able to make a service hold megabytes."""

MAX_REQUEST_HEADER_BYTES: Final = 16 * KIB
"""An HTTP request's headers together (names and values). uvicorn refuses more than this before
a request is formed; the services check it as well, so the bound does not depend on the server."""

MAX_REQUEST_HEADERS: Final = 100
"""Headers in one HTTP request."""
