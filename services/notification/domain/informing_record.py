"""One person's informing record: their informing stream (`informing-<person_id>`), folded.

It decides, without any I/O, what happens when a step in their case comes in (tell them by
which routes, withhold it, wait for a practitioner's safe-contact decision, or not message it),
and what a practitioner may record: new contact preferences, a safe-contact decision, a
withholding, or that they told someone themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from services.notification.domain.preferences import (
    ENGLISH,
    ContactPreferences,
    who_may_be_told_schema,
)
from services.notification.domain.safety import (
    Confirmed,
    PractitionerContact,
    RouteDecision,
    RoutesRefused,
    RouteWanted,
    confirm_routes,
    decide_routes,
)
from services.notification.domain.steps import Step
from shared.events import Actor, Envelope
from shared.events.notification import (
    MAX_CONTACT_POINTS,
    Channel,
    ConfirmedRoute,
    ContactPoints,
    ContactPreferencesRecorded,
    InformingWithheld,
    MessageFormat,
    PersonInformed,
    PractitionerContactReason,
    PractitionerContactRequired,
    PreferencesSource,
    Recipient,
    RecipientChoice,
    RecipientRole,
    SafeContactDecided,
    UnsafeContactPoint,
    WithholdingReason,
)
from shared.events.values import Language

_IDS = uuid.UUID("6d1c0f9e-3b57-5a8e-9d0c-5f3a1e7b2c48")
REASON_TEXT_LIMIT = 4000


def derived_event_id(*parts: str) -> str:
    """The id of an event the system records because of something else (a step, a delivery):
    the same every time, so a redelivery or a retry after a crash cannot record it twice."""
    return str(uuid.uuid5(_IDS, ":".join(parts)))


def delivery_reference(source_event_id: str, role: RecipientRole) -> str:
    """Our reference for telling one recipient about one step. It holds no personal data, because
    providers show references to their own staff."""
    return f"{source_event_id}.{role.value}"


def informed_event_id(source_event_id: str, role: RecipientRole) -> str:
    """PersonInformed's id: one per step and recipient, whoever records it (the delivery
    worker, a second worker after a crash, or a practitioner who told them by phone)."""
    return derived_event_id("informed", delivery_reference(source_event_id, role))


class NoPreferencesRecorded(Exception):
    """Nothing is recorded about how this person wants to be told."""


class InformingRefused(Exception):
    """A practitioner asked for something the informing rules do not allow (answered 422)."""


class CapacityAssessmentNotOnRecord(InformingRefused):
    """A best-interests choice names a capacity assessment that is not one in the person's cases
    finding they lack capacity: the request is well formed, what is on record disagrees
    (answered 409)."""


class AlreadyDone(Exception):
    """The step was already dealt with (answered 409)."""


def _preference_rules() -> list[JsonValue]:
    """`ContactPreferences`' rules as JSON Schema, so the API states them: someone is told, each
    role once, only those who may be told are marked to be, and a fallback that differs from the
    channel and is never a call."""
    roles: list[JsonValue] = [
        {
            "properties": {
                "recipients": {
                    "contains": {"properties": {"role": {"const": role.value}}},
                    "minContains": 0,
                    "maxContains": 1,
                }
            }
        }
        for role in RecipientRole
    ]
    fallbacks: list[JsonValue] = [
        {
            "if": {"properties": {"channel": {"const": channel.value}}, "required": ["channel"]},
            "then": {"properties": {"fallback_channel": {"not": {"const": channel.value}}}},
        }
        for channel in Channel
    ]
    return [
        {
            "properties": {
                "recipients": {
                    "contains": {"properties": {"inform": {"const": True}}, "required": ["inform"]}
                }
            }
        },
        *roles,
        {"properties": {"recipients": {"items": who_may_be_told_schema()}}},
        *fallbacks,
        {
            "if": {
                "properties": {"channel": {"const": Channel.PRACTITIONER_CALL.value}},
                "required": ["channel"],
            },
            "then": {"properties": {"fallback_channel": {"type": "null"}}},
        },
        {"properties": {"fallback_channel": {"not": {"const": Channel.PRACTITIONER_CALL.value}}}},
    ]


class PreferencesWanted(BaseModel):
    """Contact preferences as a practitioner records them. The alleged sources of risk are not
    part of it: they are kept from every concern and can never be removed here."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"allOf": _preference_rules()}
    )

    recipients: tuple[Recipient, ...] = Field(min_length=1, max_length=len(RecipientRole))
    channel: Channel
    fallback_channel: Channel | None = None
    language: Language = ENGLISH
    format: MessageFormat = MessageFormat.STANDARD
    unsafe_contact_points: tuple[UnsafeContactPoint, ...] = Field(
        default=(), max_length=MAX_CONTACT_POINTS
    )


@dataclass(frozen=True)
class NotTold:
    """The policy does not message this step; `why` says so in the log."""

    why: str


@dataclass(frozen=True)
class Withheld:
    """Telling them about this step is withheld; `event` is recorded for the step unless a
    practitioner already withheld this very step."""

    withholding: InformingWithheld
    event: InformingWithheld | None


@dataclass(frozen=True)
class AwaitingSafeContact:
    """Nothing about this concern may be sent until a practitioner records that contacting the
    person (and each other recipient) is safe and how, or withholds it. The step waits; its
    deadline still runs, so the decision cannot be forgotten."""


@dataclass(frozen=True)
class Tell:
    """Tell each recipient by their safe route, or have a practitioner tell them."""

    routes: tuple[RouteDecision, ...]
    format: MessageFormat
    preferences: ContactPreferences | None


StepDecision = NotTold | Withheld | AwaitingSafeContact | Tell

NO_PREFERENCES = PractitionerContact(
    role=RecipientRole.PERSON,
    reason=PractitionerContactReason.NO_CONTACT_POINT,
    detail="No contact preferences are recorded for the person.",
)


@dataclass
class InformingRecord:
    person_id: str
    version: int = 0
    preferences: ContactPreferences | None = None
    withholdings: list[InformingWithheld] = field(default_factory=list)
    informed: set[tuple[str, RecipientRole]] = field(default_factory=set)
    safe_contact: dict[str, dict[tuple[RecipientRole, Channel], ConfirmedRoute]] = field(
        default_factory=dict
    )
    """Concern id -> the routes a practitioner confirmed safe for it."""

    @classmethod
    def from_history(cls, person_id: str, history: Sequence[Envelope]) -> InformingRecord:
        record = cls(person_id=person_id)
        for envelope in history:
            record.version = envelope.stream_version
            payload = envelope.payload
            if isinstance(payload, ContactPreferencesRecorded):
                record.preferences = ContactPreferences.from_recorded(payload)
            elif isinstance(payload, InformingWithheld):
                record.withholdings.append(payload)
            elif isinstance(payload, PersonInformed):
                record.informed.add((payload.source_event_id, payload.recipient_role))
            elif isinstance(payload, SafeContactDecided):
                routes = record.safe_contact.setdefault(payload.concern_id, {})
                # A later decision replaces the routes of the recipients it names.
                for role in {route.role for route in payload.routes}:
                    for key in [key for key in routes if key[0] is role]:
                        del routes[key]
                routes |= {(route.role, route.channel): route for route in payload.routes}
        return record

    # --- preferences ----------------------------------------------------------------------------

    def preferences_from_intake(
        self, needs: ContactPreferences
    ) -> ContactPreferencesRecorded | None:
        """The preferences a new concern gives. A later concern does not undo what the person
        already asked for; it only adds its alleged source of risk to those never contacted."""
        if self.preferences is None:
            return needs.recorded(PreferencesSource.INTAKE)
        merged = self.preferences
        for source in needs.alleged_sources_of_risk:
            merged = merged.with_alleged_source_of_risk(source)
        for home in needs.homes:
            merged = merged.with_home(home)
        if merged == self.preferences:
            return None
        return merged.recorded(PreferencesSource.INTAKE)

    def preferences_set_by_practitioner(
        self, wanted: PreferencesWanted, capacity_assessments: frozenset[str] = frozenset()
    ) -> ContactPreferencesRecorded:
        """Raises pydantic's ValidationError when the preferences contradict themselves, and
        InformingRefused when they would tell someone the person did not choose.
        `capacity_assessments` are the assessments in the person's cases that found they lack
        capacity for a decision: a best-interests choice must name one of them."""
        kept = (
            {
                "alleged_sources_of_risk": self.preferences.alleged_sources_of_risk,
                "homes": self.preferences.homes,
            }
            if self.preferences
            else {}
        )
        preferences = ContactPreferences.model_validate(
            wanted.model_dump() | {"person_id": self.person_id} | kept
        )
        refusals = preferences.refusals()
        if refusals:
            raise InformingRefused("; ".join(refusals))
        unknown = [
            f"the capacity assessment {r.capacity_assessment_id} is not one in the person's "
            "cases that found they lack capacity"
            for r in preferences.recipients
            if r.inform
            and r.chosen is RecipientChoice.BEST_INTERESTS
            and r.capacity_assessment_id
            and r.capacity_assessment_id not in capacity_assessments
        ]
        if unknown:
            raise CapacityAssessmentNotOnRecord("; ".join(unknown))
        return preferences.recorded(PreferencesSource.PRACTITIONER)

    def advocate_appointed(
        self, name: str, contact: ContactPoints
    ) -> ContactPreferencesRecorded | None:
        """The preferences once an independent advocate is appointed: the advocate is a
        recipient, told what the informing policy tells advocates (along routes a practitioner
        confirms, like anyone else's). None when nothing is recorded for the person yet."""
        if self.preferences is None:
            return None
        advocate = Recipient(
            role=RecipientRole.ADVOCATE,
            name=name,
            relationship="independent advocate",
            contact=contact,
            inform=True,
            chosen=RecipientChoice.APPOINTED_ADVOCATE,
        )
        updated = self.preferences.with_recipient(advocate)
        if updated == self.preferences:
            return None
        return updated.recorded(PreferencesSource.ADVOCACY)

    # --- safe contact ---------------------------------------------------------------------------

    def decide_safe_contact(
        self, concern_id: str, wanted: tuple[RouteWanted, ...], decided_by: Actor
    ) -> SafeContactDecided:
        """A practitioner's judgement that these routes are safe for this concern. Raises
        NoPreferencesRecorded when there is nobody on record to contact, and RoutesRefused
        when a route is not one that may be confirmed."""
        if self.preferences is None:
            raise NoPreferencesRecorded(self.person_id)
        if not wanted:
            raise RoutesRefused([])
        return SafeContactDecided(
            person_id=self.person_id,
            concern_id=concern_id,
            routes=confirm_routes(self.preferences, wanted),
            decided_by=decided_by,
        )

    def confirmed_for(self, concern_id: str | None) -> Confirmed | None:
        """The routes confirmed safe for a concern; None when no decision is recorded."""
        return self.safe_contact.get(concern_id) if concern_id is not None else None

    # --- withholding ----------------------------------------------------------------------------

    def withhold(
        self,
        *,
        reason: WithholdingReason,
        reason_text: str,
        review_date: date,
        decided_by: Actor,
        today: date,
        step: StepSeen | None = None,
    ) -> InformingWithheld:
        if review_date < today:
            raise InformingRefused(
                f"The review date {review_date.isoformat()} has passed; give today or a later date."
            )
        if step is not None and step.told_everyone:
            raise AlreadyDone("Everyone chosen to be told about this step has already been told.")
        return InformingWithheld(
            person_id=self.person_id,
            source_event_id=step.source_event_id if step else None,
            source_event_type=step.source_event_type if step else None,
            case_id=step.case_id if step else None,
            reason=reason,
            reason_text=reason_text,
            review_date=review_date,
            decided_by=decided_by,
        )

    def withholding_for(self, source_event_id: str, today: date) -> InformingWithheld | None:
        """What stops this step being told: a withholding of the step itself, or one of
        everything whose review date has not passed."""
        for withholding in self.withholdings:
            if withholding.source_event_id == source_event_id:
                return withholding
        in_force = [
            w
            for w in self.withholdings
            if w.covers_everything_until_review and w.review_date >= today
        ]
        return in_force[-1] if in_force else None

    def withheld_step(
        self, step: StepSeen, withholding: InformingWithheld
    ) -> InformingWithheld | None:
        """The event that records this step as withheld, or None if it already is."""
        if withholding.source_event_id == step.source_event_id:
            return None
        return InformingWithheld(
            person_id=self.person_id,
            source_event_id=step.source_event_id,
            source_event_type=step.source_event_type,
            case_id=step.case_id,
            reason=withholding.reason,
            reason_text=withholding.reason_text,
            review_date=withholding.review_date,
            decided_by=withholding.decided_by,
        )

    # --- deciding -------------------------------------------------------------------------------

    def decide(self, step: Step, today: date) -> StepDecision:
        if not step.tell:
            return NotTold(why=step.why_not or "the informing policy does not message this step")
        seen = StepSeen.of(step)
        if step.unsafe_to_tell is not None:
            unsafe = InformingWithheld(
                person_id=self.person_id,
                source_event_id=step.source_event_id,
                source_event_type=step.source_event_type,
                case_id=step.case_id,
                reason=WithholdingReason.RISK_TO_PERSON,
                reason_text=_bounded(step.unsafe_to_tell.why, step.source_event_id),
                review_date=step.unsafe_to_tell.review_date,
                decided_by=step.actor,
            )
            return Withheld(withholding=unsafe, event=unsafe)
        withholding = self.withholding_for(step.source_event_id, today)
        if withholding is not None:
            return Withheld(withholding=withholding, event=self.withheld_step(seen, withholding))
        confirmed = self.confirmed_for(step.concern_id)
        if confirmed is None:
            return AwaitingSafeContact()
        if self.preferences is None:
            return Tell(routes=(NO_PREFERENCES,), format=MessageFormat.STANDARD, preferences=None)
        return Tell(
            routes=decide_routes(self.preferences, confirmed, advocate_told=step.advocate_told),
            format=self.preferences.format,
            preferences=self.preferences,
        )

    def route_now(self, role: RecipientRole, concern_id: str | None) -> RouteDecision | None:
        """The route for `role` under the preferences and the safe-contact decision as they
        are now; None if they are no longer to be told (or nothing is recorded)."""
        if self.preferences is None:
            return NO_PREFERENCES if role is RecipientRole.PERSON else None
        confirmed = self.confirmed_for(concern_id) or {}
        decisions = decide_routes(self.preferences, confirmed, advocate_told=True)
        return next((d for d in decisions if d.role is role), None)

    # --- told by a practitioner -----------------------------------------------------------------

    def told_by_practitioner(
        self,
        step: StepSeen,
        *,
        role: RecipientRole,
        channel: Channel,
        format: MessageFormat,
        informed_at: datetime,
        summary: str,
    ) -> PersonInformed:
        if (step.source_event_id, role) in self.informed:
            raise AlreadyDone(f"Telling {role.value} about this step is already recorded.")
        return PersonInformed(
            person_id=self.person_id,
            source_event_id=step.source_event_id,
            source_event_type=step.source_event_type,
            case_id=step.case_id,
            concern_id=step.concern_id,
            recipient_role=role,
            channel=channel,
            format=format,
            informed_at=informed_at,
            provider_reference=None,
            message_summary=summary,
        )


@dataclass(frozen=True)
class StepSeen:
    """A step as it was decided, for commands that refer back to it."""

    source_event_id: str
    source_event_type: str
    case_id: str | None
    concern_id: str | None
    told_everyone: bool = False

    @classmethod
    def of(cls, step: Step) -> StepSeen:
        return cls(step.source_event_id, step.source_event_type, step.case_id, step.concern_id)


def practitioner_contact_required(
    step: StepSeen, person_id: str, contact: PractitionerContact, summary: str
) -> PractitionerContactRequired:
    return PractitionerContactRequired(
        person_id=person_id,
        source_event_id=step.source_event_id,
        source_event_type=step.source_event_type,
        case_id=step.case_id,
        concern_id=step.concern_id,
        recipient_role=contact.role,
        reason=contact.reason,
        detail=contact.detail[:1000],
        message_summary=summary[:500],
        clashes=contact.clashes,
    )


def _bounded(why: str, source_event_id: str) -> str:
    if len(why) <= REASON_TEXT_LIMIT:
        return why
    # The manager's words are kept in full on their own event; this points there.
    return f"The manager's reasons are recorded with their decision (event {source_event_id})."
