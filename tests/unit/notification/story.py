"""Events of one person's case as notification receives them: a concern raised about Mary, whose
son John is the alleged source of risk, and the steps that follow. Every call gives fresh ids,
so tests sharing the system topics can tell their own events apart."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from shared.events import Actor, DomainEvent, Envelope, Metadata, Role
from shared.events.intake import (
    AllegedSourceOfRisk,
    CommunicationNeeds,
    ConcernRaised,
    Consent,
    ContactPoints,
    Person,
    PersonInvolvement,
    PostalAddress,
    Referrer,
    Representative,
    S42Decision,
    S42DecisionMade,
    SubmissionChannel,
    WhatHappened,
    YesNoUnknown,
)
from shared.events.outcomes import (
    CaseOpened,
    FormalActionBasis,
    FormalActionKind,
    FormalActionTaken,
    MeetingArranged,
    Participant,
    ParticipantRole,
    StatutoryGround,
    WishesOverridden,
)
from shared.sac import RiskLocation, RiskSource, RiskType

PARTNER = Actor(id="partner:west-mercia-police", role=Role.PARTNER, agency="west-mercia-police")
MANAGER = Actor(id="sam-17", role=Role.MANAGER, agency="Worcestershire County Council")
WORKER = Actor(id="sw-4", role=Role.PRACTITIONER, agency="Worcestershire County Council")
SYSTEM = Actor(id="system", role=Role.SYSTEM)
NOW = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)


def unique() -> str:
    return uuid.uuid4().hex[:10]


def mary_address() -> PostalAddress:
    return PostalAddress(lines=["14 Orchard Close"], town="Worcester", postcode="WR1 2AB")


def johns_address() -> PostalAddress:
    return PostalAddress(lines=["3 Mill Lane"], town="Worcester", postcode="WR2 5XY")


class Story:
    """One person's case, with ids of its own."""

    def __init__(self) -> None:
        tag = unique()
        self.tag = tag
        self.person_id = f"person-{uuid.uuid4()}"
        self.concern_id = f"concern-{uuid.uuid4()}"
        self.case_id = f"case-{uuid.uuid5(uuid.NAMESPACE_URL, self.concern_id)}"
        self.reference = f"SG-2026-{tag[:6].upper()}"
        self.mary_email = f"mary.{tag}@example.org"
        self.mary_phone = "07700 900456"
        self.john_email = f"john.{tag}@example.org"
        self.john_phone = "07700 900123"
        self.correlation_id = str(uuid.uuid4())
        self._concern_version = 0
        self._case_version = 0

    def concern_raised(
        self,
        *,
        contact: ContactPoints | None = None,
        easy_read: bool = False,
        interpreter_needed: bool = False,
        representative: Representative | None = None,
        source_contact: ContactPoints | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        concern = ConcernRaised(
            concern_id=self.concern_id,
            reference=self.reference,
            person_id=self.person_id,
            person=Person(
                name="Mary Smith",
                date_of_birth=date(1941, 6, 14),
                contact=contact
                if contact is not None
                else ContactPoints(email=self.mary_email, address=mary_address()),
            ),
            care_and_support_needs=YesNoUnknown.YES,
            what_happened=WhatHappened(
                description="Her son takes her bank card every week and shouts at her.",
                risk_types=[RiskType.FINANCIAL_OR_MATERIAL, RiskType.PSYCHOLOGICAL],
                location=RiskLocation.OWN_HOME,
                source=RiskSource.KNOWN_TO_INDIVIDUAL,
                incident_date=date(2026, 3, 1),
            ),
            involvement=PersonInvolvement(
                person_aware=YesNoUnknown.YES,
                person_consented=Consent.YES,
                person_own_words="I want the abuse to stop – but I still want to see my son.",
            ),
            communication=CommunicationNeeds(
                easy_read=easy_read,
                interpreter_needed=interpreter_needed,
                representative=representative,
            ),
            alleged_source_of_risk=AllegedSourceOfRisk(
                name="John Smith",
                relationship="son",
                contact=source_contact
                if source_contact is not None
                else ContactPoints(
                    email=self.john_email, phone=self.john_phone, address=johns_address()
                ),
            ),
            agency="west-mercia-police",
            referrer=Referrer(name="PC Sam Okafor", role="Police constable", phone="01632 960321"),
            partner_reference=f"WMP-{self.tag}",
            submitted_via=SubmissionChannel.HTTP,
        )
        return self._on_concern(concern, PARTNER, occurred_at)

    def s42_decision_made(self, decision: S42Decision = S42Decision.S42_ENQUIRY) -> Envelope:
        return self._on_concern(
            S42DecisionMade(
                concern_id=self.concern_id,
                reference=self.reference,
                person_id=self.person_id,
                decision=decision,
                failed_criterion=None,
                rationale="She has care and support needs and cannot protect herself.",
                decided_by="Sam Ahmed",
            ),
            MANAGER,
        )

    def case_opened(self) -> Envelope:
        return self._on_case(
            CaseOpened(
                case_id=self.case_id,
                person_id=self.person_id,
                concern_id=self.concern_id,
                reference=self.reference,
                concern_raised_at=NOW,
                opened_at=NOW,
            ),
            SYSTEM,
        )

    def meeting_arranged(self, *, person_invited: bool) -> Envelope:
        return self._on_case(
            MeetingArranged(
                case_id=self.case_id,
                person_id=self.person_id,
                meeting_id=unique(),
                meets_at=NOW + timedelta(days=7),
                where_or_how="Your home",
                purpose="Your plan",
                invited=(Participant(role=ParticipantRole.PRACTITIONER, name="Sam Jones"),),
                person_invited=person_invited,
            ),
            WORKER,
        )

    def wishes_overridden(self, *, person_told: bool) -> Envelope:
        return self._on_case(
            WishesOverridden(
                case_id=self.case_id,
                person_id=self.person_id,
                action=FormalActionKind.POLICE,
                grounds=(StatutoryGround.OTHERS_AT_RISK,),
                reason="Other older people in the street are at risk from the same man.",
                person_told=person_told,
                why_not_told=None if person_told else "Her son reads her post and would know.",
                overridden_by="Sam Ahmed",
                overridden_at=NOW,
            ),
            MANAGER,
        )

    def formal_action_taken(self, basis: FormalActionBasis) -> Envelope:
        return self._on_case(
            FormalActionTaken(
                case_id=self.case_id,
                person_id=self.person_id,
                action=FormalActionKind.POLICE,
                description="Referred to the police public protection unit.",
                requested_by="Sam Jones",
                taken_at=NOW,
                basis=basis,
            ),
            WORKER,
        )

    def _on_concern(
        self, payload: DomainEvent, actor: Actor, occurred_at: datetime | None = None
    ) -> Envelope:
        self._concern_version += 1
        return self._record(payload, self.concern_id, self._concern_version, actor, occurred_at)

    def _on_case(self, payload: DomainEvent, actor: Actor) -> Envelope:
        self._case_version += 1
        return self._record(payload, self.case_id, self._case_version, actor, None)

    def _record(
        self,
        payload: DomainEvent,
        stream_id: str,
        version: int,
        actor: Actor,
        occurred_at: datetime | None,
    ) -> Envelope:
        return Envelope.record(
            payload,
            stream_id=stream_id,
            stream_version=version,
            metadata=Metadata(actor=actor, correlation_id=self.correlation_id),
            occurred_at=occurred_at,
        )
