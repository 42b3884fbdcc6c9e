"""The first contact preferences, from the communication needs a concern was raised with.

Intake records how to reach the person, their language, whether they need an interpreter or
easy read, who represents them, and the alleged source of risk: name, relationship, contact points,
and (from what happened) whether the risk comes from a service provider and where it is. All of it
is kept, because every send is checked against it. Nobody has yet asked the person how they want
to be told, so the council's default channel is used when the person can be reached that way;
otherwise the first way they can be reached. Another way they can be reached becomes the
fallback when a message cannot go the first way. A representative the referrer names is recorded
but not told until the person chooses them.
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
    Recipient,
    RecipientChoice,
    RecipientRole,
)
from shared.sac import RiskSource

_WRITTEN_CHANNELS = (Channel.EMAIL, Channel.LETTER, Channel.SMS)


def contact_points(contact: IntakeContactPoints) -> ContactPoints:
    address = None
    if contact.address is not None:
        lines = [*contact.address.lines]
        if contact.address.town:
            lines.append(contact.address.town)
        address = PostalAddress(lines=tuple(lines), postcode=contact.address.postcode)
    return ContactPoints(email=contact.email, phone=contact.phone, address=address)


def sources_of_risk(concern: ConcernRaised) -> tuple[AllegedSourceOfRisk, ...]:
    """The alleged source of risk as the concern describes them, with where the risk is and
    whom it comes from. A concern that names nobody but says the risk comes from a service
    provider, or from someone the person knows, still yields a source: who and where they may be
    matters to every route (their workplace, a shared home)."""
    happened = concern.what_happened
    named: IntakeSourceOfRisk | None = concern.alleged_source_of_risk
    if named is None and happened.source is RiskSource.UNKNOWN_TO_INDIVIDUAL:
        return ()
    return (
        AllegedSourceOfRisk(
            name=named.name if named else None,
            relationship=named.relationship if named else None,
            contact=contact_points(named.contact) if named else ContactPoints(),
            risk_source=happened.source,
            risk_location=happened.location,
        ),
    )


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
        named = needs.representative
        # Intake has one slot for "a representative or advocate"; its relationship says which.
        is_advocate = "advocate" in named.relationship.casefold()
        someone = Recipient(
            role=RecipientRole.ADVOCATE if is_advocate else RecipientRole.REPRESENTATIVE,
            name=named.name,
            relationship=named.relationship,
            contact=contact_points(named.contact),
            inform=False,
            chosen=RecipientChoice.NAMED_BY_REFERRER,
        )
        if is_advocate:
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
        alleged_sources_of_risk=sources_of_risk(concern),
    )
    fallback = next((c for c in ways if c is not preferences.channel), None)
    if fallback is None or preferences.channel is Channel.PRACTITIONER_CALL:
        return preferences
    return ContactPreferences.model_validate(
        preferences.model_dump() | {"fallback_channel": fallback}
    )
