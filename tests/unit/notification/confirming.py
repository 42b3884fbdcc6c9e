"""A practitioner's safe-contact decision, as the tests record it."""

from __future__ import annotations

from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import (
    Confirmed,
    RouteWanted,
    confirm_routes,
    route_flags,
)
from shared.events.notification import Channel, ConfirmedRoute, RecipientRole


def seen_and_confirmed(
    preferences: ContactPreferences, *routes: tuple[RecipientRole, Channel]
) -> tuple[ConfirmedRoute, ...]:
    """The routes a practitioner confirms after reading every flag on them and judging the
    plausible ones not to apply (a flag that can never be judged away is still refused). Tests
    whose subject is not the flags use this, so they hold whatever a matcher flags."""
    flags = {(flag.role, flag.channel): flag for flag in route_flags(preferences)}
    wanted = []
    for role, channel in routes:
        flagged = flags.get((role, channel))
        despite = tuple(sorted({c.kind for c in flagged.clashes})) if flagged else ()
        wanted.append(RouteWanted(role=role, channel=channel, despite=despite))
    return confirm_routes(preferences, tuple(wanted))


def by_recipient(routes: tuple[ConfirmedRoute, ...]) -> Confirmed:
    """Confirmed routes as the informing record keeps them for a concern."""
    return {(route.role, route.channel): route for route in routes}
