"""The safe-contact decision, as a practitioner makes it before anything about a concern is sent:
every route to every recipient, each flag in plain words; a route that can never be used cannot
be chosen; a flagged route is chosen only when the practitioner ticks that they checked each of
its flags (sent as `despite`). Notification checks all of it again; this is what the page offers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.practitioner_web.domain.forms import FormError

CLASH_WORDS = {
    "source_contact_point": "This is the alleged source of risk's own {point}",
    "marked_unsafe": "This {point} was marked unsafe for them",
    "name_like_source": "Their name is, or is like, the alleged source of risk's",
    "relationship_like_source": "They have the same relationship to the person as the alleged "
    "source of risk",
    "household_of_source": "Their relationship is not known and they live where the alleged "
    "source of risk may live",
    "home_shared_with_source": "This is the person's home, which the alleged source of risk "
    "may share",
    "at_service_provider": "This is at the service provider the alleged source of risk works for",
}
POINT_WORDS = {"email": "email address", "phone": "phone number", "address": "address"}
CHANNEL_WORDS = {
    "email": "Email",
    "sms": "Text message",
    "letter": "Letter",
    "practitioner_call": "A call from a practitioner",
}
ROLE_WORDS = {
    "person": "The person",
    "representative": "Their representative",
    "advocate": "Their advocate",
}


def clash_in_words(kind: str, point: str | None) -> str:
    words = CLASH_WORDS.get(kind, kind.replace("_", " "))
    return words.format(point=POINT_WORDS.get(point or "", "contact point"))


@dataclass(frozen=True)
class Flag:
    kind: str
    words: str


@dataclass(frozen=True)
class RouteOption:
    """One route a practitioner may judge: `value` is `<role>:<channel>`."""

    role: str
    recipient: str
    relationship: str | None
    channel: str
    flags: tuple[Flag, ...]
    never_usable: bool
    may_be_told: bool

    @property
    def value(self) -> str:
        return f"{self.role}:{self.channel}"

    @property
    def label(self) -> str:
        who = self.recipient + (f" ({self.relationship})" if self.relationship else "")
        return f"{CHANNEL_WORDS.get(self.channel, self.channel)} to {who}"

    @property
    def can_be_chosen(self) -> bool:
        return self.may_be_told and not self.never_usable


def route_options(picture: Mapping[str, Any]) -> list[RouteOption]:
    """Every route of the notification service's safe-contact picture, the person's first."""
    order = {"person": 0, "representative": 1, "advocate": 2}
    options = [
        RouteOption(
            role=recipient["role"],
            recipient=recipient["name"],
            relationship=recipient.get("relationship"),
            channel=route["channel"],
            flags=tuple(
                Flag(c["kind"], clash_in_words(c["kind"], c.get("point"))) for c in route["clashes"]
            ),
            never_usable=bool(route["never_usable"]),
            may_be_told=bool(recipient.get("may_be_told", True)),
        )
        for recipient in picture["recipients"]
        for route in recipient["routes"]
    ]
    return sorted(options, key=lambda o: order.get(o.role, 9))


@dataclass(frozen=True)
class Judgement:
    routes: tuple[dict[str, Any], ...]
    errors: tuple[FormError, ...]


def judge(
    options: Sequence[RouteOption], chosen: Sequence[str], checked: Sequence[str]
) -> Judgement:
    """The routes to confirm from the ticked routes (`<role>:<channel>`) and the ticked flags
    (`<role>:<channel>:<kind>`), or the errors that stop it. One route per recipient."""
    by_value = {o.value: o for o in options}
    errors: list[FormError] = []
    routes: list[dict[str, Any]] = []
    roles: set[str] = set()
    if not chosen:
        errors.append(
            FormError("routes", "Select at least one route you judged safe, or withhold instead")
        )
    for value in chosen:
        option = by_value.get(value)
        if option is None or not option.can_be_chosen:
            errors.append(FormError("routes", "A route that can never be used cannot be chosen"))
            continue
        if option.role in roles:
            errors.append(
                FormError("routes", f"Choose one route for {option.recipient.split()[0]}")
            )
            continue
        roles.add(option.role)
        unticked = [f for f in option.flags if f"{value}:{f.kind}" not in checked]
        for flag in unticked:
            errors.append(
                FormError(
                    f"{value}:{flag.kind}",
                    f"Confirm you checked “{flag.words}” for {option.label.lower()}",
                )
            )
        routes.append(
            {
                "role": option.role,
                "channel": option.channel,
                "despite": [f.kind for f in option.flags],
            }
        )
    return Judgement(tuple(routes), tuple(errors))
