"""Delivering one message along one safe route: retry passing failures, then fall back.

- A transient failure (timeout, provider busy or down) is retried with exponential backoff, a
  bounded number of times; if it still fails the outcome is a NotificationFailed that is not
  permanent, so the step can be tried again later.
- A permanent failure (provider refused the message or the addressee) is not retried: the
  person's fallback channel is tried instead, when they have one the safety rules allowed.
- A message a sender cannot even compose (a value a mail header refuses, a letter the print queue
  cannot hold) fails permanently too: sending the same thing again cannot work, and retrying it
  for ever would only hide it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from services.notification.adapters.delivery.sender import (
    OutgoingMessage,
    PermanentDeliveryError,
    Sender,
    TransientDeliveryError,
)
from services.notification.domain.safety import Route
from shared.events.notification import Channel, NotificationFailed, RecipientRole

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    """Attempts per channel, the first included."""
    first_delay_seconds: float = 1.0
    multiplier: float = 2.0
    max_delay_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("at least one attempt is needed")

    def delay_before(self, attempt: int) -> float:
        """The wait before attempt number `attempt` (2, 3, ...)."""
        delay = self.first_delay_seconds * self.multiplier ** (attempt - 2)
        return float(min(delay, self.max_delay_seconds))


@dataclass(frozen=True)
class Delivered:
    route: Route
    """The route that worked: the chosen one, or its fallback."""
    provider_reference: str
    attempts: int
    fallback_used: bool


@dataclass(frozen=True)
class DeliveryFailed:
    role: RecipientRole
    channel: Channel
    permanent: bool
    error: str
    attempts: int
    fallback_channel_tried: Channel | None

    def as_event(
        self,
        *,
        person_id: str,
        source_event_id: str,
        source_event_type: str,
        case_id: str | None = None,
        concern_id: str | None = None,
    ) -> NotificationFailed:
        return NotificationFailed(
            person_id=person_id,
            source_event_id=source_event_id,
            source_event_type=source_event_type,
            case_id=case_id,
            concern_id=concern_id,
            recipient_role=self.role,
            channel=self.channel,
            permanent=self.permanent,
            error=self.error[:2000],
            attempts=self.attempts,
            fallback_channel_tried=self.fallback_channel_tried,
        )


@dataclass(frozen=True)
class _Sent:
    provider_reference: str
    attempts: int


@dataclass(frozen=True)
class _NotSent:
    permanent: bool
    error: str
    attempts: int


async def deliver(
    message: OutgoingMessage,
    route: Route,
    senders: Mapping[Channel, Sender],
    *,
    policy: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Delivered | DeliveryFailed:
    """Send `message` along `route` (and its fallback, after a permanent failure)."""
    policy = policy or RetryPolicy()
    first = await _send_with_retries(message, route, senders, policy, sleep)
    if isinstance(first, _Sent):
        return Delivered(route, first.provider_reference, first.attempts, fallback_used=False)
    fallback = route.fallback
    if not first.permanent or fallback is None:
        return DeliveryFailed(
            role=route.role,
            channel=route.channel,
            permanent=first.permanent,
            error=first.error,
            attempts=first.attempts,
            fallback_channel_tried=None,
        )
    log.info(
        "falling back from %s to %s for %s", route.channel, fallback.channel, message.reference
    )
    second = await _send_with_retries(message, fallback, senders, policy, sleep)
    attempts = first.attempts + second.attempts
    if isinstance(second, _Sent):
        return Delivered(fallback, second.provider_reference, attempts, fallback_used=True)
    return DeliveryFailed(
        role=route.role,
        channel=route.channel,
        permanent=second.permanent,
        error=f"{route.channel}: {first.error}; {fallback.channel}: {second.error}",
        attempts=attempts,
        fallback_channel_tried=fallback.channel,
    )


async def _send_with_retries(
    message: OutgoingMessage,
    route: Route,
    senders: Mapping[Channel, Sender],
    policy: RetryPolicy,
    sleep: Sleep,
) -> _Sent | _NotSent:
    sender = senders.get(route.channel)
    if sender is None:
        return _NotSent(
            permanent=True, error=f"no sender is set up for {route.channel}", attempts=0
        )
    error = ""
    for attempt in range(1, policy.attempts + 1):
        if attempt > 1:
            await sleep(policy.delay_before(attempt))
        try:
            reference = await sender.send(message, route.addressee)
        except PermanentDeliveryError as refused:
            return _NotSent(permanent=True, error=str(refused), attempts=attempt)
        except (ValueError, TypeError) as unwritable:
            # The error's text may quote the message or the addressee: name only its kind.
            return _NotSent(
                permanent=True,
                error=f"the message could not be composed for {route.channel} "
                f"({type(unwritable).__name__})",
                attempts=attempt,
            )
        except TransientDeliveryError as failed:
            error = str(failed)
            log.warning(
                "attempt %d of %d by %s failed for %s",
                attempt,
                policy.attempts,
                route.channel,
                message.reference,
                extra={"error": failed},
            )
        else:
            return _Sent(provider_reference=reference, attempts=attempt)
    return _NotSent(permanent=False, error=error, attempts=policy.attempts)
