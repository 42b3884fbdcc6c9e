"""The safety rules for informing: which routes a message about the person's case may take.

- **First contact is a practitioner's judgement.** A message goes to a recipient only along a route
  (channel and contact point) a practitioner confirmed safe for the concern, and only while that is
  still the recipient's contact point on record.
- **Never the alleged source of risk.** Every send is checked against everything known about who
  must never be reached (`source_of_risk.clashes_of`): a source's own email, phone or house, a
  contact point marked unsafe, never; a recipient or address that plausibly is, or reaches, the
  source (a name like theirs, their relationship, their household, their workplace) only when the
  practitioner saw that flag and confirmed the route despite it.
- **Err towards not sending.** No safe route left means nothing is sent: a practitioner must make
  contact, and that is recorded with the reason and the flags. The same when the person asked to
  be told by a practitioner, or there is no reviewed message in their language.

Only a `Route` chosen here may be handed to a sender.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from services.notification.domain import plain_words
from services.notification.domain.preferences import ContactPreferences, has_reviewed_messages
from services.notification.domain.source_of_risk import RiskPicture, clashes_of, may_be_confirmed
from shared.events.notification import (
    Channel,
    Clash,
    ClashKind,
    ConfirmedRoute,
    ContactPointKind,
    ContactPoints,
    PostalAddress,
    PractitionerContactReason,
    Recipient,
    RecipientRole,
)


class EmailAddressee(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    email: str


class PhoneAddressee(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    phone: str


class PostalAddressee(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    address: PostalAddress


Addressee = EmailAddressee | PhoneAddressee | PostalAddressee


@dataclass(frozen=True)
class Route:
    """A safe way to send one recipient a message, with a safe fallback if the person has one."""

    role: RecipientRole
    channel: Channel
    addressee: Addressee
    fallback: Route | None = None


@dataclass(frozen=True)
class PractitionerContact:
    """Nothing may be sent to this recipient: a practitioner must tell them."""

    role: RecipientRole
    reason: PractitionerContactReason
    detail: str
    clashes: tuple[Clash, ...] = ()


RouteDecision = Route | PractitionerContact
Confirmed = Mapping[tuple[RecipientRole, Channel], ConfirmedRoute]
"""The routes a practitioner confirmed safe for one concern, by recipient and channel."""

_POINTS: dict[Channel, ContactPointKind] = {
    Channel.EMAIL: ContactPointKind.EMAIL,
    Channel.SMS: ContactPointKind.PHONE,
    Channel.LETTER: ContactPointKind.ADDRESS,
}
_ROLE_WORDS = {
    RecipientRole.PERSON: "person",
    RecipientRole.REPRESENTATIVE: "representative",
    RecipientRole.ADVOCATE: "advocate",
}
_POINT_WORDS = {
    ContactPointKind.EMAIL: "email address",
    ContactPointKind.PHONE: "phone number",
    ContactPointKind.ADDRESS: "postal address",
}


def point_on(contact: ContactPoints, channel: Channel) -> str | PostalAddress | None:
    """The contact point a channel uses: the email, the phone (for text messages) or the
    address; None for a practitioner's call or when none is recorded."""
    if channel is Channel.EMAIL:
        return contact.email
    if channel is Channel.SMS:
        return contact.phone
    if channel is Channel.LETTER:
        return contact.address
    return None


def clashes_for(recipient: Recipient, preferences: ContactPreferences) -> tuple[Clash, ...]:
    """Everything that may make sending to `recipient` reach an alleged source of risk, against
    every home the person is known to have had (where a source may live), not only the address
    she is written to at now."""
    person = preferences.recipient(RecipientRole.PERSON)
    homes: list[PostalAddress | None] = list(preferences.homes)
    if person is not None and person.contact.address is not None:
        homes.append(person.contact.address)
    found: list[Clash] = []
    for home in homes or [None]:
        picture = RiskPicture(
            sources=preferences.alleged_sources_of_risk,
            unsafe_contact_points=preferences.unsafe_contact_points,
            person_contact=ContactPoints(address=home),
        )
        found += [c for c in clashes_of(recipient, picture) if c not in found]
    return tuple(found)


def clashes_on(recipient: Recipient, channel: Channel, clashes: tuple[Clash, ...]) -> list[Clash]:
    """The clashes that matter for sending to `recipient` by `channel`: those about the recipient
    themselves, and those about the contact point the channel uses."""
    point = _POINTS.get(channel)
    return [clash for clash in clashes if clash.point is None or clash.point is point]


def blocking(clashes: list[Clash], despite: tuple[ClashKind, ...]) -> list[Clash]:
    """The clashes that stop a send: any that no practitioner may judge away, and any plausible
    one the practitioner did not see and confirm the route despite."""
    return [c for c in clashes if not may_be_confirmed(c.kind) or c.kind not in despite]


@dataclass
class _Refusals:
    no_point: list[Channel] = field(default_factory=list)
    not_confirmed: list[Channel] = field(default_factory=list)
    unsafe: list[Clash] = field(default_factory=list)


def decide_routes(
    preferences: ContactPreferences, confirmed: Confirmed | None, *, advocate_told: bool
) -> tuple[RouteDecision, ...]:
    """For each recipient who is told about this step: the safe route to use, or why a
    practitioner must make contact instead. `confirmed` None means no safe-contact decision is
    recorded for the concern (the caller waits for one)."""
    return tuple(
        decide_route(recipient, preferences, confirmed or {})
        for recipient in preferences.recipients_to_inform
        if advocate_told or recipient.role is not RecipientRole.ADVOCATE
    )


def decide_route(
    recipient: Recipient, preferences: ContactPreferences, confirmed: Confirmed
) -> RouteDecision:
    role = recipient.role
    if preferences.channel is Channel.PRACTITIONER_CALL:
        return PractitionerContact(
            role=role,
            reason=PractitionerContactReason.PERSON_ASKED_FOR_CALL,
            detail="The person is to be told by a practitioner: they asked for it, or need an "
            "interpreter.",
        )
    if role is RecipientRole.PERSON and not has_reviewed_messages(preferences.language):
        return PractitionerContact(
            role=role,
            reason=PractitionerContactReason.LANGUAGE_NOT_AVAILABLE,
            detail="The person's preferred language has no reviewed message.",
        )
    clashes = clashes_for(recipient, preferences)
    channels: list[Channel] = [preferences.channel]
    if preferences.fallback_channel is not None:
        channels.append(preferences.fallback_channel)
    routes: list[Route] = []
    refused = _Refusals()
    for channel in channels:
        point = point_on(recipient.contact, channel)
        confirmation = confirmed.get((role, channel))
        relevant = clashes_on(recipient, channel, clashes)
        unconfirmed = confirmation is None or point_on(confirmation.contact, channel) != point
        # Unconfirmed and flagged, or flagged beyond what was confirmed: the practitioner needs
        # to see the flags (a source's own contact point can never be confirmed at all).
        stopping = blocking(
            relevant, () if unconfirmed or confirmation is None else confirmation.despite
        )
        if point is None:
            refused.no_point.append(channel)
        elif stopping:
            refused.unsafe += [c for c in stopping if c not in refused.unsafe]
        elif unconfirmed:
            refused.not_confirmed.append(channel)
        else:
            routes.append(
                Route(role=role, channel=channel, addressee=_addressee(recipient, channel))
            )
    if routes:
        first, *rest = routes
        return Route(first.role, first.channel, first.addressee, rest[0] if rest else None)
    return _practitioner_contact(recipient, refused, confirmed)


def _practitioner_contact(
    recipient: Recipient, refused: _Refusals, confirmed: Confirmed
) -> PractitionerContact:
    role = recipient.role
    who = _ROLE_WORDS[role]
    if refused.unsafe:
        flags = "; ".join(clash_words(who, c) for c in refused.unsafe)
        return PractitionerContact(
            role=role,
            reason=PractitionerContactReason.ONLY_ROUTE_UNSAFE,
            detail=f"{flags[0].upper()}{flags[1:]}.",
            clashes=tuple(refused.unsafe),
        )
    if (role, Channel.PRACTITIONER_CALL) in confirmed:
        return PractitionerContact(
            role=role,
            reason=PractitionerContactReason.PRACTITIONER_TO_TELL,
            detail=f"A practitioner decided to tell the {who} in person or by phone.",
        )
    if refused.not_confirmed:
        channels = " or ".join(c.value for c in refused.not_confirmed)
        return PractitionerContact(
            role=role,
            reason=PractitionerContactReason.ROUTE_NOT_CONFIRMED,
            detail=f"No practitioner has confirmed that {channels} to the {who} is safe for "
            "this concern, or the contact point changed since.",
        )
    channels = " or ".join(c.value for c in refused.no_point) or "any channel"
    return PractitionerContact(
        role=role,
        reason=PractitionerContactReason.NO_CONTACT_POINT,
        detail=f"The {who} has no contact point for {channels}.",
    )


def clash_words(who: str, clash: Clash) -> str:
    """A flag in plain words, e.g. "the person's phone number is an alleged source of risk's
    own" (never a code, never the contact point itself)."""
    thing = _POINT_WORDS[clash.point] if clash.point is not None else ""
    return " ".join(f"the {who}'s {thing} {plain_words.CLASHES[clash.kind]}".split())


def _addressee(recipient: Recipient, channel: Channel) -> Addressee:
    contact = recipient.contact
    if channel is Channel.EMAIL and contact.email is not None:
        return EmailAddressee(name=recipient.name, email=contact.email.strip())
    if channel is Channel.SMS and contact.phone is not None:
        return PhoneAddressee(name=recipient.name, phone=contact.phone.strip())
    if channel is Channel.LETTER and contact.address is not None:
        return PostalAddressee(name=recipient.name, address=contact.address)
    raise ValueError(f"{channel} has no contact point for this recipient")


@dataclass(frozen=True)
class RouteWanted:
    """A route a practitioner judged safe: for whom, by which channel, the contact point they
    saw (checked against the one on record), and the flags they judged not to apply."""

    role: RecipientRole
    channel: Channel
    contact: ContactPoints | None = None
    despite: tuple[ClashKind, ...] = ()


@dataclass(frozen=True)
class RouteProblem:
    field: str
    problem: str
    allowed: str


class RoutesRefused(Exception):
    """The safe-contact decision cannot be recorded as asked; `problems` say why, per route."""

    def __init__(self, problems: list[RouteProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.problem}" for p in problems))
        self.problems = problems


def confirm_routes(
    preferences: ContactPreferences, wanted: tuple[RouteWanted, ...]
) -> tuple[ConfirmedRoute, ...]:
    """The routes to record as a practitioner's safe-contact decision. Refuses a route to
    someone who is not told, a contact point that is not the one on record, a point that is a
    source's own or marked unsafe (never usable), and a plausible clash the practitioner did not
    say they saw and judged not to apply."""
    problems: list[RouteProblem] = []
    routes: list[ConfirmedRoute] = []
    for index, route in enumerate(wanted):
        where = f"routes[{index}]"
        recipient = preferences.recipient(route.role)
        who = _ROLE_WORDS[route.role]
        if recipient is None or recipient not in preferences.recipients_to_inform:
            problems.append(
                RouteProblem(
                    f"{where}.role",
                    f"the {who} is not someone who is told about the person's case",
                    "a recipient the contact preferences mark to be told (and, for a "
                    "representative or advocate, chosen)",
                )
            )
            continue
        if route.channel is Channel.PRACTITIONER_CALL:
            routes.append(ConfirmedRoute(role=route.role, channel=route.channel))
            continue
        point = point_on(recipient.contact, route.channel)
        if point is None:
            problems.append(
                RouteProblem(
                    f"{where}.channel",
                    f"the {who} has no contact point for {route.channel.value}",
                    "a channel the recipient has a contact point for, or practitioner_call",
                )
            )
            continue
        if route.contact is not None and point_on(route.contact, route.channel) != point:
            problems.append(
                RouteProblem(
                    f"{where}.contact",
                    f"is not the {who}'s {_POINT_WORDS[_POINTS[route.channel]]} on record",
                    "the contact point now in the contact preferences (it may have changed)",
                )
            )
            continue
        relevant = clashes_on(recipient, route.channel, clashes_for(recipient, preferences))
        never = sorted({c.kind.value for c in relevant if not may_be_confirmed(c.kind)})
        if never:
            problems.append(
                RouteProblem(
                    f"{where}.channel",
                    f"the {who}'s {route.channel.value} route can never be used: "
                    f"{', '.join(never)}",
                    "another channel, or practitioner_call",
                )
            )
            continue
        unseen = sorted({c.kind.value for c in blocking(relevant, route.despite)})
        if unseen:
            problems.append(
                RouteProblem(
                    f"{where}.despite",
                    f"the {who}'s {route.channel.value} route may reach an alleged source of "
                    f"risk: {', '.join(unseen)}",
                    f"list {', '.join(unseen)} in despite if you have checked and judged they "
                    "do not apply; otherwise choose another route",
                )
            )
            continue
        routes.append(
            ConfirmedRoute(
                role=route.role,
                channel=route.channel,
                contact=_only(route.channel, point),
                despite=tuple(sorted(set(route.despite))),
            )
        )
    if problems:
        raise RoutesRefused(problems)
    return tuple(routes)


def _only(channel: Channel, point: str | PostalAddress) -> ContactPoints:
    if isinstance(point, PostalAddress):
        return ContactPoints(address=point)
    return ContactPoints(email=point) if channel is Channel.EMAIL else ContactPoints(phone=point)


@dataclass(frozen=True)
class RouteFlags:
    """What a practitioner sees before judging a route: the contact point and its flags."""

    role: RecipientRole
    channel: Channel
    clashes: tuple[Clash, ...]

    @property
    def never_usable(self) -> bool:
        return any(not may_be_confirmed(c.kind) for c in self.clashes)


def route_flags(preferences: ContactPreferences) -> tuple[RouteFlags, ...]:
    """Every written route to every recipient on record, with what may reach an alleged
    source of risk: shown to the practitioner, never silently skipped."""
    flags: list[RouteFlags] = []
    for recipient in preferences.recipients:
        clashes = clashes_for(recipient, preferences)
        for channel in _POINTS:
            if point_on(recipient.contact, channel) is not None:
                relevant = tuple(clashes_on(recipient, channel, clashes))
                flags.append(RouteFlags(recipient.role, channel, relevant))
    return tuple(flags)
