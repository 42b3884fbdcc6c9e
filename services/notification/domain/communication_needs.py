"""The first contact preferences, from the communication needs a concern was raised with.

Intake records how to reach the person, their language, whether they need an interpreter or
easy read, who represents them, and the alleged source of risk's contact points. Nobody has yet
asked the person how they want to be told, so the council's default channel is used when the
person can be reached that way; otherwise the first way they can be reached. Another way they
can be reached becomes the fallback when a message cannot go the first way.
"""

from __future__ import annotations

from services.notification.domain.preferences import ENGLISH, ContactPreferences
from shared.events.intake import AllegedSourceOfRisk as IntakeSourceOfRisk
from shared.events.intake import ConcernRaised
from shared.events.intake import ContactPoints as IntakeContactPoints
from shared.events.notification import (
    AllegedSourceOfRisk,
    Channel,
    ContactPoints,
    PostalAddress,
)

_WRITTEN_CHANNELS = (Channel.EMAIL, Channel.LETTER, Channel.SMS)


def contact_points(contact: IntakeContactPoints) -> ContactPoints:
    address = None
    if contact.address is not None:
        lines = [*contact.address.lines]
        if contact.address.town:
            lines.append(contact.address.town)
        address = PostalAddress(lines=tuple(lines), postcode=contact.address.postcode)
    return ContactPoints(email=contact.email, phone=contact.phone, address=address)


def source_of_risk(source: IntakeSourceOfRisk) -> AllegedSourceOfRisk:
    return AllegedSourceOfRisk(name=source.name, contact=contact_points(source.contact))


def reachable_by(contact: ContactPoints) -> list[Channel]:
    present = {
        Channel.EMAIL: contact.email is not None,
        Channel.LETTER: contact.address is not None,
        Channel.SMS: contact.phone is not None,
    }
    return [channel for channel in _WRITTEN_CHANNELS if present[channel]]


def preferences_from_concern(
    concern: ConcernRaised, *, default_channel: Channel
) -> ContactPreferences:
    needs = concern.communication
    person_contact = contact_points(concern.person.contact)
    representative = advocate = None
    if needs.representative is not None:
        someone = (needs.representative.name, contact_points(needs.representative.contact))
        # Intake has one slot for "a representative or advocate"; its relationship says which.
        if "advocate" in needs.representative.relationship.casefold():
            advocate = someone
        else:
            representative = someone
    ways = reachable_by(person_contact)
    channel: Channel | None = None
    if not needs.interpreter_needed:
        channel = default_channel if default_channel in ways or not ways else ways[0]
    language = needs.language.strip()
    preferences = ContactPreferences.from_communication_needs(
        person_id=concern.person_id,
        person_name=concern.person.name,
        person_contact=person_contact,
        default_channel=default_channel,
        preferred_channel=channel,
        language=ENGLISH if language.casefold() in ("english", "en") else language,
        interpreter_needed=needs.interpreter_needed,
        easy_read=needs.easy_read,
        representative=representative,
        advocate=advocate,
        alleged_source_of_risk=(
            source_of_risk(concern.alleged_source_of_risk)
            if concern.alleged_source_of_risk is not None
            else None
        ),
    )
    fallback = next((c for c in ways if c is not preferences.channel), None)
    if fallback is None or preferences.channel is Channel.PRACTITIONER_CALL:
        return preferences
    return ContactPreferences.model_validate(
        preferences.model_dump() | {"fallback_channel": fallback}
    )
