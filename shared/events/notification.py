"""Events of the notification service: how each person wants to be told, and what they were told.

Making Safeguarding Personal found that people "were not kept informed". Every significant step in
a person's case therefore ends in one of these events on the person's own informing stream
(`informing-<person_id>`): they were informed (how, when, by which route), informing was withheld
for a recorded reason, a practitioner must make contact instead, delivery failed, or the deadline
for telling them passed. Together they prove whether the person was kept informed — or why not.

Nothing here names the alleged source of risk except the contact points notification must never
use, and those never reach a message.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from shared.events.envelope import Actor, DomainEvent
from shared.events.registry import event
from shared.events.values import Language, Moment, OneLine
from shared.personal_data import Personal
from shared.sac import RiskLocation, RiskSource

_SPACE = r"\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
EMAIL_PATTERN = f"^[{_SPACE}]*[^@{_SPACE}]+@[^@{_SPACE}]+[{_SPACE}]*$"
"""Surrounding space allowed. Spaces are spelt out, not written `\\s`: Python and the patterns of
JSON Schema disagree about `\\s`, and the schema must accept exactly what the check accepts."""


def informing_stream(person_id: str) -> str:
    """The stream holding everything about how one person is kept informed."""
    return f"informing-{person_id}"


MAX_CONTACT_POINTS = 50
"""Contact points marked unsafe for one person."""
MAX_SOURCES_OF_RISK = 100
"""Alleged sources of risk kept for one person (one is added by each concern naming another)."""


class RecipientRole(StrEnum):
    """Who receives messages about the person's case: the person, or someone they chose."""

    PERSON = "person"
    REPRESENTATIVE = "representative"
    ADVOCATE = "advocate"


class Channel(StrEnum):
    """How a message reaches its recipient. A practitioner call is logged by the practitioner."""

    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    PRACTITIONER_CALL = "practitioner_call"


class MessageFormat(StrEnum):
    STANDARD = "standard"
    EASY_READ = "easy_read"


class PreferencesSource(StrEnum):
    """Where a set of contact preferences came from."""

    INTAKE = "intake"
    """The communication needs recorded when the concern was raised."""
    PRACTITIONER = "practitioner"
    """A practitioner recorded what the person (or their representative) asked for."""
    ADVOCACY = "advocacy"
    """An independent advocate was appointed in the person's case, with how to reach them."""


class RecipientChoice(StrEnum):
    """Why someone other than the person may be told about the person's case. The person's own
    wish decides who is told; a representative named by a referrer is not chosen by that."""

    PERSON_CHOSE = "person_chose"
    """The person chose them."""
    BEST_INTERESTS = "best_interests"
    """A capacity assessment found the person lacks capacity to choose, and a best-interests
    decision chose them (the assessment is named)."""
    APPOINTED_ADVOCATE = "appointed_advocate"
    """An independent advocate appointed for the person (Care Act 2014 s68)."""
    NAMED_BY_REFERRER = "named_by_referrer"
    """Named on the concern by the referrer; not told until the person chooses them."""


class WithholdingReason(StrEnum):
    POLICE_INVESTIGATION = "police_investigation"
    RISK_TO_PERSON = "risk_to_person"
    OTHER = "other"


class PractitionerContactReason(StrEnum):
    ONLY_ROUTE_UNSAFE = "only_route_unsafe"
    """Every available route is marked unsafe or could reach the alleged source of risk."""
    PERSON_ASKED_FOR_CALL = "person_asked_for_call"
    NO_CONTACT_POINT = "no_contact_point"
    """Nobody marked to be informed has a contact point for the chosen channels."""
    STEP_NOT_HANDLED = "step_not_handled"
    """The system could not handle the step (it is on the dead-letter topic for operators)."""
    ROUTE_NOT_CONFIRMED = "route_not_confirmed"
    """No practitioner has confirmed a safe route to this recipient for this concern, or the
    route confirmed is no longer the one on record."""
    LANGUAGE_NOT_AVAILABLE = "language_not_available"
    """There is no reviewed message in the person's language: an interpreter or a translated
    letter is needed."""
    PRACTITIONER_TO_TELL = "practitioner_to_tell"
    """A practitioner judged that only they should tell this recipient, in person or by phone."""


class ContactPointKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"


class ClashKind(StrEnum):
    """Why a recipient, or one of their contact points, may reach an alleged source of risk.
    Whether a practitioner may judge it not to apply is the domain's rule
    (`services/notification/domain/source_of_risk.py`)."""

    SOURCE_CONTACT_POINT = "source_contact_point"
    """The contact point is an alleged source of risk's own (the same email, phone or house)."""
    MARKED_UNSAFE = "marked_unsafe"
    """The contact point was marked unsafe for the person."""
    NAME_LIKE_SOURCE = "name_like_source"
    """The recipient's name is, or resembles, an alleged source of risk's name."""
    RELATIONSHIP_LIKE_SOURCE = "relationship_like_source"
    """The recipient has the relationship to the person an alleged source of risk has."""
    HOUSEHOLD_OF_SOURCE = "household_of_source"
    """The recipient's relationship is unknown and they live where the source may live."""
    HOME_SHARED_WITH_SOURCE = "home_shared_with_source"
    """The address is the person's home, which the alleged source of risk may share."""
    AT_SERVICE_PROVIDER = "at_service_provider"
    """The address is at the service provider the alleged source of risk works for."""


class Clash(BaseModel):
    """One reason a recipient may reach an alleged source of risk: which contact point (None:
    the recipient themselves, by name or relationship) and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClashKind
    point: ContactPointKind | None = None


class PostalAddress(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lines: tuple[OneLine, ...] = Field(min_length=1, max_length=6)
    postcode: str = Field(min_length=2, max_length=12)


class ContactPoints(BaseModel):
    """Ways to reach someone. Any of them may be missing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    address: PostalAddress | None = None


class Recipient(BaseModel):
    """Someone who may be told about the person's case, and whether they are to be told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: RecipientRole
    name: Personal[OneLine]
    contact: Personal[ContactPoints]
    inform: StrictBool
    """True when the person chose (or it was agreed) that this recipient is told."""
    relationship: Personal[str | None] = Field(
        default=None, max_length=200, description="Their relationship to the person."
    )
    chosen: RecipientChoice | None = Field(
        default=None,
        description="Why a representative or advocate may be told; None for the person.",
    )
    capacity_assessment_id: str | None = Field(
        default=None,
        max_length=100,
        description="The capacity assessment behind a best-interests choice.",
    )


class UnsafeContactPoint(BaseModel):
    """A contact point that must never be used, e.g. a phone or address the source of risk can see.

    Any of email, phone and address may be given; each one given is unsafe."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {
                    "properties": {
                        "contact": {
                            "required": [point],
                            "properties": {point: {"not": {"type": "null"}}},
                        }
                    }
                }
                for point in ("email", "phone", "address")
            ]
        },
    )

    contact: ContactPoints
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _names_a_contact_point(self) -> Self:
        if not (self.contact.email or self.contact.phone or self.contact.address):
            raise ValueError("an unsafe contact point needs an email, a phone or an address")
        return self


class AllegedSourceOfRisk(BaseModel):
    """What notification keeps about an alleged source of risk: only enough never to contact them
    (or anyone and anywhere that may be them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: OneLine | None = None
    contact: ContactPoints
    relationship: str | None = Field(
        default=None, max_length=200, description="Their relationship to the person, e.g. son."
    )
    risk_source: RiskSource | None = Field(
        default=None, description="Who the concern said the risk comes from (SAC terms)."
    )
    risk_location: RiskLocation | None = Field(
        default=None, description="Where the concern said the risk is (SAC terms)."
    )


@event("ContactPreferencesRecorded")
class ContactPreferencesRecorded(DomainEvent):
    """How the person wants to be kept informed, replacing anything recorded before.

    Recorded by the system from the communication needs given when a concern is raised, and by a
    practitioner whenever the person (or their representative) asks for a change."""

    person_id: str = Field(min_length=1, max_length=100)
    source: PreferencesSource
    recipients: tuple[Recipient, ...] = Field(min_length=1, max_length=len(RecipientRole))
    channel: Channel
    fallback_channel: Channel | None = None
    language: Language
    format: MessageFormat
    unsafe_contact_points: Personal[tuple[UnsafeContactPoint, ...]] = Field(
        default=(), max_length=MAX_CONTACT_POINTS
    )
    alleged_sources_of_risk: Personal[tuple[AllegedSourceOfRisk, ...]] = Field(
        default=(), max_length=MAX_SOURCES_OF_RISK
    )
    homes: Personal[tuple[PostalAddress, ...]] = Field(
        default=(),
        max_length=20,
        description="The person's home as each concern gave it: where an alleged source of risk "
        "may live, whatever address the person is written to at now. Only ever added.",
    )


class _AboutACaseStep(DomainEvent):
    """Fields shared by every event about telling the person of one step in their case."""

    person_id: str = Field(min_length=1, max_length=100)
    source_event_id: str = Field(min_length=1, max_length=100)
    source_event_type: str = Field(min_length=1, max_length=100)
    case_id: str | None = Field(default=None, max_length=100)
    concern_id: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _names_the_case_or_concern(self) -> Self:
        if self.case_id is None and self.concern_id is None:
            raise ValueError("give the case_id or the concern_id the step belongs to")
        return self


@event("PersonInformed")
class PersonInformed(_AboutACaseStep):
    """The person, or the representative or advocate they chose, was told about a step in their
    case. Recorded by the system when a provider accepted the message, or by a practitioner who
    told them by phone or in person (then `provider_reference` is None and the actor is who told
    them)."""

    recipient_role: RecipientRole
    channel: Channel
    format: MessageFormat
    informed_at: Moment
    provider_reference: str | None = Field(default=None, max_length=200)
    message_summary: str = Field(min_length=1, max_length=500)


@event("InformingWithheld")
class InformingWithheld(DomainEvent):
    """Telling the person was deliberately withheld or delayed, for a recorded reason, until a
    review date. Without `source_event_id` it covers everything until the review date.
    Recorded by a practitioner or manager; `decided_by` is who made the decision."""

    person_id: str = Field(min_length=1, max_length=100)
    source_event_id: str | None = Field(default=None, max_length=100)
    source_event_type: str | None = Field(default=None, max_length=100)
    case_id: str | None = Field(default=None, max_length=100)
    reason: WithholdingReason
    reason_text: Personal[str] = Field(min_length=1, max_length=4000)
    review_date: date
    decided_by: Actor

    @model_validator(mode="after")
    def _event_id_and_type_together(self) -> Self:
        if (self.source_event_id is None) != (self.source_event_type is None):
            raise ValueError("give both source_event_id and source_event_type, or neither")
        return self

    @property
    def covers_everything_until_review(self) -> bool:
        return self.source_event_id is None


@event("PractitionerContactRequired")
class PractitionerContactRequired(_AboutACaseStep):
    """Nothing was sent: a practitioner must tell this recipient themselves, because every route
    was unsafe, no route was confirmed safe, there was no contact point, no reviewed message in
    their language, or the person asked for a call. Recorded by the system when it decides how
    to inform."""

    recipient_role: RecipientRole
    reason: PractitionerContactReason
    detail: str = Field(min_length=1, max_length=1000)
    message_summary: str = Field(min_length=1, max_length=500)
    clashes: tuple[Clash, ...] = Field(
        default=(), max_length=50, description="What may reach an alleged source of risk."
    )


class ConfirmedRoute(BaseModel):
    """One recipient's route, as a practitioner confirmed it safe: the channel, the one contact
    point it uses (none for a practitioner's call or visit), and any flag they saw and judged not
    to apply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: RecipientRole
    channel: Channel
    contact: Personal[ContactPoints] = ContactPoints()
    despite: tuple[ClashKind, ...] = Field(default=(), max_length=len(ClashKind))


@event("SafeContactDecided")
class SafeContactDecided(DomainEvent):
    """A practitioner judged that telling these recipients about a concern is safe, and how.
    Until this is recorded for a concern, nothing about it is sent to anyone; afterwards later
    steps go only along these routes, each checked again at every send. A recipient left out is
    not sent anything (a practitioner is asked to make contact); a later decision replaces the
    routes of the recipients it names. Recorded by a practitioner or manager; `decided_by` is who
    judged."""

    person_id: str = Field(min_length=1, max_length=100)
    concern_id: str = Field(min_length=1, max_length=100)
    routes: tuple[ConfirmedRoute, ...] = Field(
        min_length=1, max_length=len(RecipientRole) * len(Channel)
    )
    decided_by: Actor

    @model_validator(mode="after")
    def _each_route_once(self) -> Self:
        routes = [(route.role, route.channel) for route in self.routes]
        if len(routes) != len(set(routes)):
            raise ValueError("confirm each recipient's channel once")
        return self


@event("NotificationFailed")
class NotificationFailed(_AboutACaseStep):
    """A message could not be delivered: retries of a passing failure ran out (`permanent` is
    False), or the provider refused it and any fallback channel failed too. Recorded by the
    system; the person has not been informed."""

    recipient_role: RecipientRole
    channel: Channel
    permanent: bool
    error: str = Field(min_length=1, max_length=2000)
    attempts: int = Field(ge=0)
    """Sending attempts made; 0 when no sender is set up for the channel."""
    fallback_channel_tried: Channel | None = None


@event("InformingOverdue")
class InformingOverdue(_AboutACaseStep):
    """The deadline for telling the person about a step passed with no PersonInformed,
    InformingWithheld or PractitionerContactRequired for it. Recorded by the system's scheduler,
    so that a practitioner acts on it."""

    deadline: Moment
