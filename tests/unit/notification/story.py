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
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    Consent,
    ContactPoints,
    MatchedBy,
    Person,
    PersonInvolvement,
    PostalAddress,
    Referrer,
    RepeatConcernLinked,
    Representative,
    S42Decision,
    S42DecisionMade,
    SubmissionChannel,
    WhatHappened,
    YesNoUnknown,
)
from shared.events.outcomes import (
    AdvocateAppointed,
    CaseAllocated,
    CaseClosed,
    CaseOpened,
    EnquiryConcluded,
    EnquiryKind,
    EnquiryStarted,
    Experience,
    ExperienceAnswer,
    FormalActionBasis,
    FormalActionKind,
    FormalActionTaken,
    LeadWorkerAssigned,
    MeetingArranged,
    MentalCapacityAssessed,
    OutcomeAchievement,
    OutcomeRating,
    OutcomesReviewed,
    Participant,
    ParticipantRole,
    PlanAction,
    ReviewStage,
    RiskDetail,
    SacCaseDetails,
    SafeguardingPlanAgreed,
    StatutoryGround,
    WishesOverridden,
)
from shared.sac import (
    Achievement,
    ActionTakenAndResult,
    MentalCapacity,
    MspAsked,
    RiskLocation,
    RiskOutcome,
    RiskSource,
    RiskType,
)

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
        language: str = "English",
        source: AllegedSourceOfRisk | None = None,
        nobody_named: bool = False,
        risk_source: RiskSource = RiskSource.KNOWN_TO_INDIVIDUAL,
        risk_location: RiskLocation = RiskLocation.OWN_HOME,
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
                location=risk_location,
                source=risk_source,
                incident_date=date(2026, 3, 1),
            ),
            involvement=PersonInvolvement(
                person_aware=YesNoUnknown.YES,
                person_consented=Consent.YES,
                person_own_words="I want the abuse to stop – but I still want to see my son.",
            ),
            communication=CommunicationNeeds(
                language=language,
                easy_read=easy_read,
                interpreter_needed=interpreter_needed,
                representative=representative,
            ),
            alleged_source_of_risk=None if nobody_named else source or self._john(source_contact),
            agency="west-mercia-police",
            referrer=Referrer(name="PC Sam Okafor", role="Police constable", phone="01632 960321"),
            partner_reference=f"WMP-{self.tag}",
            submitted_via=SubmissionChannel.HTTP,
        )
        return self._on_concern(concern, PARTNER, occurred_at)

    def _john(self, contact: ContactPoints | None) -> AllegedSourceOfRisk:
        return AllegedSourceOfRisk(
            name="John Smith",
            relationship="son",
            contact=contact
            if contact is not None
            else ContactPoints(
                email=self.john_email, phone=self.john_phone, address=johns_address()
            ),
        )

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

    def linked_when_raised(self) -> Envelope:
        """Intake recognised the person when the concern was raised: not a move."""
        return self._on_concern(
            ConcernLinkedToPerson(
                concern_id=self.concern_id,
                person_id=self.person_id,
                matched_by=MatchedBy.NAME_DOB_POSTCODE,
            ),
            SYSTEM,
        )

    def linked_by_hand(self, *, to: str) -> Envelope:
        """A practitioner found the concern is about someone else on record."""
        return self._on_concern(
            ConcernLinkedToPerson(
                concern_id=self.concern_id,
                person_id=to,
                previous_person_id=self.person_id,
                matched_by=MatchedBy.MANUAL,
                linked_by="Sam Jones",
                reason="Wrong Mary Smith: this one lives in Malvern.",
            ),
            WORKER,
        )

    def unlinked(self, *, new_person_id: str) -> Envelope:
        return self._on_concern(
            ConcernUnlinkedFromPerson(
                concern_id=self.concern_id,
                person_id=self.person_id,
                new_person_id=new_person_id,
                unlinked_by="Sam Jones",
                reason="Wrong Mary Smith: a different date of birth.",
            ),
            WORKER,
        )

    def repeat_linked(self, *, of: Story) -> Envelope:
        return self._on_concern(
            RepeatConcernLinked(
                concern_id=self.concern_id,
                reference=self.reference,
                person_id=self.person_id,
                repeat_of_concern_id=of.concern_id,
                repeat_of_reference=of.reference,
                days_apart=1,
                shared_risk_types=[RiskType.FINANCIAL_OR_MATERIAL],
            ),
            SYSTEM,
        )

    def case_allocated(self, team: str) -> Envelope:
        return self._on_case(
            CaseAllocated(
                case_id=self.case_id,
                person_id=self.person_id,
                team=team,
                allocated_by="Alex Morgan",
                allocated_at=NOW,
            ),
            MANAGER,
        )

    def lead_worker_assigned(
        self, *, name: str = "Sam Jones", contact: str = "01905 111111"
    ) -> Envelope:
        return self._on_case(
            LeadWorkerAssigned(
                case_id=self.case_id,
                person_id=self.person_id,
                name=name,
                contact=contact,
                assigned_at=NOW,
            ),
            WORKER,
        )

    def advocate_appointed(
        self,
        *,
        name: str = "Asha Patel",
        organisation: str = "Worcestershire Advocacy",
        contact: ContactPoints | None = None,
    ) -> Envelope:
        return self._on_case(
            AdvocateAppointed(
                case_id=self.case_id,
                person_id=self.person_id,
                name=name,
                organisation=organisation,
                substantial_difficulty="She finds it hard to weigh up what she is told.",
                no_appropriate_person="Her son is the alleged source of risk.",
                appointed_at=NOW,
                contact=contact,
            ),
            WORKER,
        )

    def capacity_assessed(self, *, assessment_id: str, lacks_capacity: bool) -> Envelope:
        return self._on_case(
            MentalCapacityAssessed(
                case_id=self.case_id,
                person_id=self.person_id,
                assessment_id=assessment_id,
                decision="Who is told about her safeguarding",
                lacks_capacity=lacks_capacity,
                assessed_by="Sam Jones",
                assessed_at=NOW,
                best_interests="Her daughter is told, as she always relied on her."
                if lacks_capacity
                else None,
            ),
            WORKER,
        )

    def outcomes_reviewed(
        self,
        *,
        ratings: tuple[Achievement, ...] = (
            Achievement.FULLY,
            Achievement.PARTIALLY,
            Achievement.NOT_ACHIEVED,
        ),
        feels_safer: ExperienceAnswer = ExperienceAnswer.PARTLY,
        stage: ReviewStage = ReviewStage.REVIEW,
    ) -> Envelope:
        return self._on_case(
            OutcomesReviewed(
                case_id=self.case_id,
                person_id=self.person_id,
                review_id=unique(),
                stage=stage,
                reviewed_at=NOW,
                ratings=tuple(
                    OutcomeRating(
                        outcome_id=f"outcome-{n}",
                        achievement=achievement,
                        in_their_words="The bank card is mine again, but he still shouts.",
                    )
                    for n, achievement in enumerate(ratings)
                ),
                experience=Experience(
                    felt_listened_to=ExperienceAnswer.YES,
                    felt_involved=ExperienceAnswer.YES,
                    felt_informed=ExperienceAnswer.PARTLY,
                    feels_safer=feels_safer,
                ),
                person_view="It was hard to talk about my son.",
            ),
            WORKER,
        )

    def enquiry_started(self) -> Envelope:
        return self._on_case(
            EnquiryStarted(
                case_id=self.case_id,
                person_id=self.person_id,
                kind=EnquiryKind.S42_ENQUIRY,
                started_at=NOW,
            ),
            SYSTEM,
        )

    def plan_agreed(self) -> Envelope:
        return self._on_case(
            SafeguardingPlanAgreed(
                case_id=self.case_id,
                person_id=self.person_id,
                plan_id=unique(),
                actions=(
                    PlanAction(
                        description="Carer card from the bank, so her son cannot use hers.",
                        serves=("agreed-1",),
                        owner="Sam Jones",
                        agreed_date=date(2026, 3, 20),
                    ),
                ),
                agreed_at=NOW,
            ),
            WORKER,
        )

    def enquiry_concluded(
        self,
        *,
        achievements: tuple[Achievement, ...] = (Achievement.FULLY, Achievement.PARTIALLY),
        result: ActionTakenAndResult = ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
        risk_outcome: RiskOutcome | None = RiskOutcome.RISK_REDUCED,
    ) -> Envelope:
        return self._on_case(
            EnquiryConcluded(
                case_id=self.case_id,
                person_id=self.person_id,
                concluded_at=NOW,
                concluded_by="Sam Ahmed",
                case_details=SacCaseDetails(
                    risks=(
                        RiskDetail(
                            risk_type=RiskType.FINANCIAL_OR_MATERIAL,
                            location=RiskLocation.OWN_HOME,
                            source=RiskSource.KNOWN_TO_INDIVIDUAL,
                        ),
                    ),
                    action_taken_and_result=result,
                    risk_outcome=risk_outcome,
                    mental_capacity=MentalCapacity.DID_NOT_LACK_CAPACITY,
                ),
                msp_asked=MspAsked.ASKED_AND_EXPRESSED,
                achievements=tuple(
                    OutcomeAchievement(desired_outcome_id=f"outcome-{n}", achievement=achievement)
                    for n, achievement in enumerate(achievements)
                ),
            ),
            MANAGER,
        )

    def case_closed(self) -> Envelope:
        return self._on_case(
            CaseClosed(
                case_id=self.case_id,
                person_id=self.person_id,
                reason="Outcomes met; her son has moved out.",
                person_view="I feel listened to.",
                feedback_to_referrer=True,
                sar_considered=False,
                closed_at=NOW,
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
