"""The safety rules for informing: which routes a message about the person's case may take.

- Never inform the alleged source of risk: no message goes to an email, phone or address of theirs,
  even when it was entered as the person's own contact by mistake, and no representative or
  advocate with their name is told.
- Never use a contact point the person marked unsafe (e.g. an address the source of risk shares).
- When no safe route is left, nothing is sent: a practitioner must make contact, and that is
  recorded. The same when the person asked to be told by a practitioner's call.

Contact points are compared in a normalised form, because the same phone or address is written
many ways and a near-miss here means a message reaching the person who harmed them.
Only a `Route` chosen here may be handed to a sender.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from services.notification.domain.preferences import ContactPreferences
from shared.events.notification import (
    Channel,
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


RouteDecision = Route | PractitionerContact


def normalised_email(email: str) -> str:
    return email.strip().casefold()


def normalised_phone(phone: str) -> str:
    """UK numbers in national form (07700 900123, +44 7700 900123 and +44 (0)7700 900123 are
    the same phone); other international numbers as + and digits."""
    digits = re.sub(r"\D", "", phone)
    international = phone.strip().startswith("+")
    if digits.startswith("00"):
        digits = digits[2:]
        international = True
    # A UK national number starts with 0, so a leading 44 can only be the country code.
    if digits.startswith("44") and (international or len(digits) >= 12):
        national = digits[2:]
        return national if national.startswith("0") else f"0{national}"
    return f"+{digits}" if international else digits


def normalised_postcode(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode).upper()


def normalised_address(address: PostalAddress) -> tuple[str, str]:
    """The address as (lines, postcode): case, punctuation and line breaks ignored."""
    lines = re.sub(r"[,.;:]", " ", " ".join(address.lines)).casefold()
    return " ".join(lines.split()), normalised_postcode(address.postcode)


def normalised_name(name: str) -> str:
    return " ".join(re.sub(r"[,.]", " ", name).casefold().split())


@dataclass(frozen=True)
class _NeverUse:
    emails: frozenset[str]
    phones: frozenset[str]
    addresses: frozenset[tuple[str, str]]
    names: frozenset[str]

    @classmethod
    def from_preferences(cls, preferences: ContactPreferences) -> _NeverUse:
        points: list[ContactPoints] = [u.contact for u in preferences.unsafe_contact_points]
        points += [source.contact for source in preferences.alleged_sources_of_risk]
        return cls(
            emails=frozenset(normalised_email(p.email) for p in points if p.email),
            phones=frozenset(normalised_phone(p.phone) for p in points if p.phone),
            addresses=frozenset(normalised_address(p.address) for p in points if p.address),
            names=frozenset(
                normalised_name(source.name)
                for source in preferences.alleged_sources_of_risk
                if source.name
            ),
        )


class _Refused(Exception):
    def __init__(self, why: str, *, unsafe: bool) -> None:
        super().__init__(why)
        self.why = why
        self.unsafe = unsafe


def decide_routes(preferences: ContactPreferences) -> tuple[RouteDecision, ...]:
    """For each recipient marked to be informed: the safe route to use, or why a practitioner
    must make contact instead."""
    never_use = _NeverUse.from_preferences(preferences)
    return tuple(
        _decide(recipient, preferences, never_use) for recipient in preferences.recipients_to_inform
    )


def _decide(
    recipient: Recipient, preferences: ContactPreferences, never_use: _NeverUse
) -> RouteDecision:
    role_words = _ROLE_WORDS[recipient.role]
    if recipient.role is not RecipientRole.PERSON and normalised_name(recipient.name) in (
        never_use.names
    ):
        return PractitionerContact(
            role=recipient.role,
            reason=PractitionerContactReason.ONLY_ROUTE_UNSAFE,
            detail=f"The {role_words}'s name matches an alleged source of risk.",
        )
    if preferences.channel is Channel.PRACTITIONER_CALL:
        return PractitionerContact(
            role=recipient.role,
            reason=PractitionerContactReason.PERSON_ASKED_FOR_CALL,
            detail="The person asked to be told by a practitioner.",
        )
    channels: list[Channel] = [preferences.channel]
    if preferences.fallback_channel is not None:
        channels.append(preferences.fallback_channel)
    routes: list[Route] = []
    refusals: list[_Refused] = []
    for channel in channels:
        try:
            addressee = _addressee(recipient, channel, never_use)
        except _Refused as refused:
            refusals.append(refused)
        else:
            routes.append(Route(role=recipient.role, channel=channel, addressee=addressee))
    if routes:
        first, *rest = routes
        return Route(
            role=first.role,
            channel=first.channel,
            addressee=first.addressee,
            fallback=rest[0] if rest else None,
        )
    unsafe = any(refused.unsafe for refused in refusals)
    return PractitionerContact(
        role=recipient.role,
        reason=(
            PractitionerContactReason.ONLY_ROUTE_UNSAFE
            if unsafe
            else PractitionerContactReason.NO_CONTACT_POINT
        ),
        detail=" ".join(f"The {role_words}'s {refused.why}." for refused in refusals),
    )


def _addressee(recipient: Recipient, channel: Channel, never_use: _NeverUse) -> Addressee:
    contact = recipient.contact
    if channel is Channel.EMAIL:
        if contact.email is None:
            raise _Refused("email address is not recorded", unsafe=False)
        if normalised_email(contact.email) in never_use.emails:
            raise _Refused("email address must not be used", unsafe=True)
        return EmailAddressee(name=recipient.name, email=contact.email.strip())
    if channel is Channel.SMS:
        if contact.phone is None:
            raise _Refused("phone number is not recorded", unsafe=False)
        if normalised_phone(contact.phone) in never_use.phones:
            raise _Refused("phone number must not be used", unsafe=True)
        return PhoneAddressee(name=recipient.name, phone=contact.phone.strip())
    if channel is Channel.LETTER:
        if contact.address is None:
            raise _Refused("postal address is not recorded", unsafe=False)
        if normalised_address(contact.address) in never_use.addresses:
            raise _Refused("postal address must not be used", unsafe=True)
        return PostalAddressee(name=recipient.name, address=contact.address)
    raise _Refused(f"{channel} is not a channel messages are sent by", unsafe=False)


_ROLE_WORDS = {
    RecipientRole.PERSON: "person",
    RecipientRole.REPRESENTATIVE: "representative",
    RecipientRole.ADVOCATE: "advocate",
}
