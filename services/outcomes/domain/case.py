"""The case: the person's safeguarding, from the concern to closure, as an event-sourced aggregate.

The case decides; it does no I/O. A handler loads the case from its stream with `from_history`
(saying what time it is now, by the server's clock), calls one method (which checks the rules and
records new events), then appends `pending_events` expecting `stored_version`. Values the person
gave are passed in and kept verbatim. When something happened may be given, within bounds
(`moments`); sign-offs happen now.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TypeVar

from services.outcomes.domain.agreed_dates import AgreedDates
from services.outcomes.domain.conclusion import check_achievements, check_result
from services.outcomes.domain.desired_outcome import AgreedOutcome, DesiredOutcome
from services.outcomes.domain.formal_action import FormalActionRule
from services.outcomes.domain.moments import when_it_happened
from services.outcomes.domain.refusals import (
    CaseIsClosed,
    CaseRefused,
    EnquiryNotEnded,
    NotPermitted,
    UnknownOutcome,
)
from shared.events.envelope import Actor, Role
from shared.events.intake import ContactPoints
from shared.events.outcomes import (
    AdvocateAppointed,
    AgreedDateKind,
    AgreedDateMissed,
    BestInterestsDecisionMade,
    CaseAllocated,
    CaseClosed,
    CaseEvent,
    CaseMovedToPerson,
    CaseNoteRecorded,
    CaseOpened,
    CeasedReason,
    ConsultedView,
    ContactMode,
    ConversationHeld,
    ConversationMode,
    Demographics,
    DemographicsRecorded,
    DesiredOutcomeExpressed,
    DesiredOutcomeRevised,
    DesiredOutcomeWithdrawn,
    EnquiryCeased,
    EnquiryConcluded,
    EnquiryKind,
    EnquiryStarted,
    Experience,
    ExpressedBy,
    FormalActionKind,
    FormalActionTaken,
    FormalActionWishesRecorded,
    LeadWorkerAssigned,
    MeetingArranged,
    MeetingFormat,
    MentalCapacityAssessed,
    NextContactAgreed,
    OutcomeAchievement,
    OutcomeAgreed,
    OutcomeCategory,
    OutcomeRating,
    OutcomesReviewed,
    Participant,
    ParticipantRole,
    PlanAction,
    PlanActionCompleted,
    Professional,
    RepeatConcernJoined,
    ReviewDateAgreed,
    ReviewStage,
    RiskDiscussionHeld,
    RiskOption,
    SacCaseDetails,
    SafeguardingPlanAgreed,
    StatutoryGround,
    Wish,
    WishesOverridden,
)
from shared.sac import MspAsked, RiskLocation, RiskSource, RiskType

E = TypeVar("E", bound=CaseEvent)

# Someone who can speak for the person: a conversation among professionals alone is not a
# conversation with the person (it is a case note), and does not keep a contact date agreed
# with them.
_THE_PERSONS_SIDE = frozenset(
    {ParticipantRole.PERSON, ParticipantRole.REPRESENTATIVE, ParticipantRole.ADVOCATE}
)


def case_id_for(concern_id: str) -> str:
    """The case's stream id, derived from the concern so that a redelivered ConcernRaised
    cannot open a second case."""
    return f"case-{uuid.uuid5(uuid.NAMESPACE_URL, concern_id)}"


def _new_id() -> str:
    return str(uuid.uuid4())


class Case:
    """One person's case. Build it with `Case.open(...)` or `Case.from_history(events, now=...)`.

    `now` is the server's time the case decides at; a caller replaying a history step by step
    (the benchmark's generator) moves it on between steps."""

    def __init__(self, opened: CaseOpened, now: datetime) -> None:
        self.case_id = opened.case_id
        self.person_id = opened.person_id
        self.concern_id = opened.concern_id
        self.reference = opened.reference
        self.concern_raised_at = opened.concern_raised_at
        self.now = now
        self.stored_version = 0
        self._pending: list[CaseEvent] = []
        self._position = 0
        self.enquiry_kind: EnquiryKind | None = None
        self.concluded: EnquiryConcluded | None = None
        self.ceased: EnquiryCeased | None = None
        self.closed: CaseClosed | None = None
        self.lead_worker: LeadWorkerAssigned | None = None
        self.desired_outcomes: dict[str, DesiredOutcome] = {}
        self.agreed_outcomes: dict[str, AgreedOutcome] = {}
        self.formal_action = FormalActionRule()
        self.plan: SafeguardingPlanAgreed | None = None
        self.agreed_dates = AgreedDates()
        self.joined_concerns: set[str] = set()
        self._apply(opened)

    # -- building -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        concern_id: str,
        person_id: str,
        reference: str,
        concern_raised_at: datetime,
        opened_at: datetime,
        person_name: str | None = None,
        risk_types: Sequence[RiskType] = (),
        risk_location: RiskLocation | None = None,
        risk_source: RiskSource | None = None,
        persons_own_words: str | None = None,
        demographics: Demographics | None = None,
    ) -> Case:
        """A new case for a concern raised about a person; `CaseOpened` is pending. What the
        concern said (the risks, the person's name, their own words and what the national
        return needs about them) comes with it, so the case file and the person's timeline
        start where the concern did."""
        opened = CaseOpened(
            case_id=case_id_for(concern_id),
            person_id=person_id,
            concern_id=concern_id,
            reference=reference,
            concern_raised_at=concern_raised_at,
            opened_at=opened_at,
            person_name=person_name,
            risk_types=tuple(risk_types),
            risk_location=risk_location,
            risk_source=risk_source,
            persons_own_words=persons_own_words,
            demographics=demographics,
        )
        case = cls(opened, opened_at)
        case._pending.append(opened)
        return case

    @classmethod
    def from_history(cls, events: Iterable[CaseEvent], *, now: datetime) -> Case:
        """The case as its stored events left it; `stored_version` is how many there were."""
        stream = iter(events)
        first = next(stream, None)
        if not isinstance(first, CaseOpened):
            raise ValueError("a case's history starts with CaseOpened")
        case = cls(first, now)
        for recorded in stream:
            case._apply(recorded)
        case.stored_version = case._position
        return case

    @property
    def pending_events(self) -> tuple[CaseEvent, ...]:
        """Events decided since loading, in order, to be appended after `stored_version`."""
        return tuple(self._pending)

    @property
    def enquiry_ended(self) -> EnquiryConcluded | EnquiryCeased | None:
        return self.concluded or self.ceased

    # -- the concern and the enquiry ------------------------------------------------------

    def join_repeat_concern(
        self,
        *,
        concern_id: str,
        reference: str,
        concern_raised_at: datetime,
        risk_types: Sequence[RiskType] = (),
        risk_location: RiskLocation | None = None,
        risk_source: RiskSource | None = None,
        persons_own_words: str | None = None,
        demographics: Demographics | None = None,
    ) -> RepeatConcernJoined | None:
        """Another report of the same incident joins this case instead of opening its own, so
        it is decided here and the person does not get a second case. None if it already
        joined."""
        self._require_open()
        if concern_id in self.joined_concerns or concern_id == self.concern_id:
            return None
        return self._record(
            RepeatConcernJoined(
                case_id=self.case_id,
                person_id=self.person_id,
                concern_id=concern_id,
                reference=reference,
                concern_raised_at=concern_raised_at,
                risk_types=tuple(risk_types),
                risk_location=risk_location,
                risk_source=risk_source,
                persons_own_words=persons_own_words,
                demographics=demographics,
                joined_at=self.now,
            )
        )

    def record_demographics(self, demographics: Demographics) -> DemographicsRecorded:
        self._require_open()
        return self._record(
            DemographicsRecorded(
                case_id=self.case_id,
                person_id=self.person_id,
                demographics=demographics,
                recorded_at=self.now,
            )
        )

    def start_enquiry(self, kind: EnquiryKind, *, started_at: datetime) -> EnquiryStarted:
        self._require_open()
        if self.enquiry_kind is not None:
            raise CaseRefused(f"The enquiry has already started ({self.enquiry_kind.value})")
        return self._record(
            EnquiryStarted(
                case_id=self.case_id, person_id=self.person_id, kind=kind, started_at=started_at
            )
        )

    def assign_lead_worker(
        self, *, name: str, contact: str, assigned_at: datetime | None = None
    ) -> LeadWorkerAssigned:
        self._require_open()
        return self._record(
            LeadWorkerAssigned(
                case_id=self.case_id,
                person_id=self.person_id,
                name=name,
                contact=contact,
                assigned_at=self._happened("assigned_at", assigned_at),
            )
        )

    def allocate(self, *, team: str, worker: str | None, allocated_by: str) -> CaseAllocated:
        """Whose work the case is: a team's, and a worker's in it when one is named. Again for
        a new allocation; never once the case is closed."""
        self._require_open()
        return self._record(
            CaseAllocated(
                case_id=self.case_id,
                person_id=self.person_id,
                team=team,
                worker=worker,
                allocated_by=allocated_by,
                allocated_at=self.now,
            )
        )

    def hold_conversation(
        self,
        *,
        participants: Sequence[Participant],
        mode: ConversationMode,
        summary: str,
        held_at: datetime | None = None,
    ) -> ConversationHeld:
        self._require_open()
        if not any(p.role in _THE_PERSONS_SIDE for p in participants):
            raise CaseRefused(
                "A conversation is with the person: include the person, their representative "
                "or their advocate among the participants. Record a contact between "
                "professionals as a case note."
            )
        return self._record(
            ConversationHeld(
                case_id=self.case_id,
                person_id=self.person_id,
                conversation_id=_new_id(),
                participants=tuple(participants),
                held_at=self._happened("held_at", held_at),
                mode=mode,
                summary=summary,
            )
        )

    def record_case_note(
        self,
        *,
        contact_with: Sequence[Professional],
        mode: ContactMode,
        what_was_said: str,
        recorded_by: str,
        what_was_agreed: str | None = None,
        happened_at: datetime | None = None,
    ) -> CaseNoteRecorded:
        """A contact between professionals about the case, for staff only."""
        self._require_open()
        return self._record(
            CaseNoteRecorded(
                case_id=self.case_id,
                person_id=self.person_id,
                note_id=_new_id(),
                contact_with=tuple(contact_with),
                mode=mode,
                what_was_said=what_was_said,
                what_was_agreed=what_was_agreed,
                happened_at=self._happened("happened_at", happened_at),
                recorded_by=recorded_by,
            )
        )

    def arrange_meeting(
        self,
        *,
        meets_at: datetime,
        where_or_how: str,
        purpose: str,
        invited: Sequence[Participant],
        person_invited: bool,
        format: MeetingFormat | None = None,
    ) -> MeetingArranged:
        self._require_open()
        return self._record(
            MeetingArranged(
                case_id=self.case_id,
                person_id=self.person_id,
                meeting_id=_new_id(),
                meets_at=meets_at,
                where_or_how=where_or_how,
                purpose=purpose,
                invited=tuple(invited),
                person_invited=person_invited,
                format=format,
            )
        )

    # -- what the person wants ------------------------------------------------------------

    def express_desired_outcome(
        self,
        *,
        text: str,
        expressed_by: ExpressedBy,
        expressed_at: datetime | None = None,
        category: OutcomeCategory | None = None,
    ) -> DesiredOutcomeExpressed:
        """Record what the person wants, exactly in their words. Outcomes are never checked
        against each other: "I want the abuse to stop – but I still want to see my son" is
        one valid outcome, not a contradiction."""
        self._require_open()
        return self._record(
            DesiredOutcomeExpressed(
                case_id=self.case_id,
                person_id=self.person_id,
                desired_outcome_id=_new_id(),
                text=text,
                expressed_by=expressed_by,
                expressed_at=self._happened("expressed_at", expressed_at),
                category=category,
            )
        )

    def revise_desired_outcome(
        self,
        desired_outcome_id: str,
        *,
        text: str,
        expressed_by: ExpressedBy,
        revised_at: datetime | None = None,
        category: OutcomeCategory | None = None,
    ) -> DesiredOutcomeRevised:
        self._require_open()
        outcome = self._current_desired_outcome(desired_outcome_id)
        return self._record(
            DesiredOutcomeRevised(
                case_id=self.case_id,
                person_id=self.person_id,
                desired_outcome_id=desired_outcome_id,
                text=text,
                previous_text=outcome.text,
                expressed_by=expressed_by,
                revised_at=self._happened("revised_at", revised_at),
                category=category,
            )
        )

    def withdraw_desired_outcome(
        self, desired_outcome_id: str, *, reason: str, withdrawn_at: datetime | None = None
    ) -> DesiredOutcomeWithdrawn:
        self._require_open()
        self._current_desired_outcome(desired_outcome_id)
        return self._record(
            DesiredOutcomeWithdrawn(
                case_id=self.case_id,
                person_id=self.person_id,
                desired_outcome_id=desired_outcome_id,
                reason=reason,
                withdrawn_at=self._happened("withdrawn_at", withdrawn_at),
            )
        )

    def agree_outcome(
        self, *, wording: str, serves: Sequence[str], agreed_at: datetime | None = None
    ) -> OutcomeAgreed:
        """Agree an outcome with the person; it must serve desired outcomes they still hold,
        so every agreed outcome traces back to their own words."""
        self._require_open()
        for desired_outcome_id in serves:
            self._current_desired_outcome(desired_outcome_id)
        return self._record(
            OutcomeAgreed(
                case_id=self.case_id,
                person_id=self.person_id,
                agreed_outcome_id=_new_id(),
                wording=wording,
                serves=tuple(dict.fromkeys(serves)),
                agreed_at=self._happened("agreed_at", agreed_at),
            )
        )

    # -- formal action, capacity and advocacy ---------------------------------------------

    def record_formal_action_wishes(
        self,
        actor: Actor,
        action: FormalActionKind,
        *,
        wish: Wish,
        in_their_words: str,
        expressed_by: ExpressedBy,
        recorded_at: datetime | None = None,
    ) -> FormalActionWishesRecorded:
        """Record what someone said about a formal action, as theirs: only the person's own
        wish is their wish (see `formal_action`)."""
        self._require_open()
        return self._record(
            FormalActionWishesRecorded(
                case_id=self.case_id,
                person_id=self.person_id,
                action=action,
                wish=wish,
                in_their_words=in_their_words,
                expressed_by=expressed_by,
                recorded_at=self._happened("recorded_at", recorded_at),
                recorded_by=actor.id,
            )
        )

    def assess_mental_capacity(
        self,
        *,
        decision: str,
        lacks_capacity: bool,
        assessed_by: str,
        assessed_at: datetime | None = None,
        best_interests: str | None = None,
        formal_action: FormalActionKind | None = None,
    ) -> MentalCapacityAssessed:
        self._require_open()
        return self._record(
            MentalCapacityAssessed(
                case_id=self.case_id,
                person_id=self.person_id,
                assessment_id=_new_id(),
                decision=decision,
                lacks_capacity=lacks_capacity,
                assessed_by=assessed_by,
                assessed_at=self._happened("assessed_at", assessed_at),
                best_interests=best_interests,
                formal_action=formal_action,
            )
        )

    def make_best_interests_decision(
        self,
        action: FormalActionKind,
        *,
        capacity_assessment_id: str,
        in_best_interests: bool,
        persons_wishes: str,
        consulted: Sequence[ConsultedView],
        reasons: str,
        decided_by: str,
        decided_at: datetime | None = None,
    ) -> BestInterestsDecisionMade:
        """Decide, for a person found to lack capacity to decide about `action` themselves,
        whether it is in their best interests (Mental Capacity Act 2005 s4)."""
        self._require_open()
        self.formal_action.check_best_interests(action, capacity_assessment_id, consulted)
        return self._record(
            BestInterestsDecisionMade(
                case_id=self.case_id,
                person_id=self.person_id,
                decision_id=_new_id(),
                action=action,
                capacity_assessment_id=capacity_assessment_id,
                in_best_interests=in_best_interests,
                persons_wishes=persons_wishes,
                consulted=tuple(consulted),
                reasons=reasons,
                decided_by=decided_by,
                decided_at=self._happened("decided_at", decided_at),
            )
        )

    def appoint_advocate(
        self,
        *,
        name: str,
        organisation: str,
        substantial_difficulty: str,
        no_appropriate_person: str,
        appointed_at: datetime | None = None,
        contact: ContactPoints | None = None,
    ) -> AdvocateAppointed:
        self._require_open()
        return self._record(
            AdvocateAppointed(
                case_id=self.case_id,
                person_id=self.person_id,
                name=name,
                organisation=organisation,
                substantial_difficulty=substantial_difficulty,
                no_appropriate_person=no_appropriate_person,
                appointed_at=self._happened("appointed_at", appointed_at),
                contact=contact,
            )
        )

    def move_to_person(self, person_id: str) -> CaseMovedToPerson | None:
        """The concern was moved to another person at intake: the case follows it, closed or
        not (a record about the wrong person is corrected whatever its stage). None when the
        case is already theirs."""
        if person_id == self.person_id:
            return None
        return self._record(
            CaseMovedToPerson(
                case_id=self.case_id,
                person_id=person_id,
                concern_id=self.concern_id,
                previous_person_id=self.person_id,
            )
        )

    def override_wishes(
        self,
        actor: Actor,
        action: FormalActionKind,
        *,
        grounds: Sequence[StatutoryGround],
        reason: str,
        person_told: bool,
        why_not_told: str | None = None,
        capacity_assessment_id: str | None = None,
    ) -> WishesOverridden:
        """A manager lets one formal action go ahead against or without the person's wishes."""
        self._require_open()
        self.formal_action.check_override(actor, action, grounds, capacity_assessment_id)
        return self._record(
            WishesOverridden(
                case_id=self.case_id,
                person_id=self.person_id,
                action=action,
                grounds=tuple(dict.fromkeys(grounds)),
                reason=reason,
                person_told=person_told,
                why_not_told=why_not_told,
                capacity_assessment_id=capacity_assessment_id,
                overridden_by=actor.id,
                overridden_at=self.now,
                override_id=_new_id(),
            )
        )

    def take_formal_action(
        self,
        actor: Actor,
        action: FormalActionKind,
        *,
        description: str,
        requested_by: str,
        taken_at: datetime | None = None,
    ) -> FormalActionTaken:
        """Record a formal action as taken; refused (FormalActionRefused) unless the formal
        action rule allows it."""
        self._require_open()
        basis, authority_id = self.formal_action.authority_for(action, actor)
        return self._record(
            FormalActionTaken(
                case_id=self.case_id,
                person_id=self.person_id,
                action=action,
                description=description,
                requested_by=requested_by,
                taken_at=self._happened("taken_at", taken_at),
                basis=basis,
                authority_id=authority_id,
                taken_by=actor.id,
            )
        )

    # -- risk and the plan ----------------------------------------------------------------

    def hold_risk_discussion(
        self,
        *,
        present: Sequence[Participant],
        options: Sequence[RiskOption],
        persons_decision: str,
        decided_by: ExpressedBy,
        held_at: datetime | None = None,
    ) -> RiskDiscussionHeld:
        self._require_open()
        return self._record(
            RiskDiscussionHeld(
                case_id=self.case_id,
                person_id=self.person_id,
                discussion_id=_new_id(),
                held_at=self._happened("held_at", held_at),
                present=tuple(present),
                options=tuple(options),
                persons_decision=persons_decision,
                decided_by=decided_by,
            )
        )

    def agree_plan(
        self, *, actions: Sequence[PlanAction], agreed_at: datetime | None = None
    ) -> SafeguardingPlanAgreed:
        """Agree the plan; each action must serve outcomes agreed with the person, because the
        plan exists to achieve what they want."""
        self._require_open()
        when = self._happened("agreed_at", agreed_at)
        for action in actions:
            AgreedDates.check(action.agreed_date, when)
            for agreed_outcome_id in action.serves:
                if agreed_outcome_id not in self.agreed_outcomes:
                    raise UnknownOutcome(
                        f"A plan action must serve an outcome agreed with the person; "
                        f"{agreed_outcome_id!r} is not an agreed outcome in this case"
                    )
        return self._record(
            SafeguardingPlanAgreed(
                case_id=self.case_id,
                person_id=self.person_id,
                plan_id=_new_id(),
                actions=tuple(actions),
                agreed_at=when,
            )
        )

    def complete_plan_action(
        self, action_id: str, *, completed_at: datetime | None = None, note: str | None = None
    ) -> PlanActionCompleted:
        self._require_open()
        if self.plan is None or action_id not in {a.action_id for a in self.plan.actions}:
            raise UnknownOutcome(f"No action {action_id!r} in the current safeguarding plan")
        return self._record(
            PlanActionCompleted(
                case_id=self.case_id,
                person_id=self.person_id,
                plan_id=self.plan.plan_id,
                action_id=action_id,
                completed_at=self._happened("completed_at", completed_at),
                note=note,
            )
        )

    # -- timeliness for the person --------------------------------------------------------

    def agree_next_contact(
        self, *, contact_on: date, agreed_at: datetime | None = None
    ) -> NextContactAgreed:
        self._require_open()
        when = self._happened("agreed_at", agreed_at)
        AgreedDates.check(contact_on, when)
        return self._record(
            NextContactAgreed(
                case_id=self.case_id,
                person_id=self.person_id,
                contact_on=contact_on,
                agreed_at=when,
            )
        )

    def agree_review_date(
        self, *, review_on: date, agreed_at: datetime | None = None
    ) -> ReviewDateAgreed:
        self._require_open()
        when = self._happened("agreed_at", agreed_at)
        AgreedDates.check(review_on, when)
        return self._record(
            ReviewDateAgreed(
                case_id=self.case_id,
                person_id=self.person_id,
                review_on=review_on,
                agreed_at=when,
            )
        )

    def missed_dates(self, now: datetime) -> list[AgreedDateMissed]:
        """The agreed dates that passed unkept and have not been noticed yet. Changes nothing;
        `notice_missed_dates` records them."""
        if self.closed is not None:
            return []
        return [
            AgreedDateMissed(
                case_id=self.case_id,
                person_id=self.person_id,
                kind=missed.kind,
                agreed_date=missed.agreed_date,
                agreed_at=missed.agreed_at,
                noticed_at=now,
                plan_action_id=missed.plan_action_id,
                plan_action=missed.plan_action,
                lead_worker=self.lead_worker.name if self.lead_worker else None,
            )
            for missed in self.agreed_dates.missed(now)
        ]

    def notice_missed_dates(self) -> list[AgreedDateMissed]:
        return [self._record(missed) for missed in self.missed_dates(self.now)]

    # -- review, conclusion, closure ------------------------------------------------------

    def review_outcomes(
        self,
        *,
        stage: ReviewStage,
        ratings: Sequence[OutcomeRating],
        experience: Experience,
        reviewed_at: datetime | None = None,
        person_view: str | None = None,
    ) -> OutcomesReviewed:
        self._require_open()
        for rating in ratings:
            if rating.outcome_id not in self.agreed_outcomes:
                self._current_desired_outcome(rating.outcome_id)
        return self._record(
            OutcomesReviewed(
                case_id=self.case_id,
                person_id=self.person_id,
                review_id=_new_id(),
                stage=stage,
                reviewed_at=self._happened("reviewed_at", reviewed_at),
                ratings=tuple(ratings),
                experience=experience,
                person_view=person_view,
            )
        )

    def conclude_enquiry(
        self,
        actor: Actor,
        *,
        case_details: SacCaseDetails,
        msp_asked: MspAsked,
        achievements: Sequence[OutcomeAchievement],
    ) -> EnquiryConcluded:
        """A manager signs off the enquiry with the national return's case details and the
        person's view of each outcome they expressed. Signed off now, by the server's clock."""
        self._require_an_enquiry_to_end(actor, "sign off an enquiry's conclusion")
        check_result(case_details.action_taken_and_result, None)
        check_achievements(msp_asked, achievements, self.desired_outcomes)
        return self._record(
            EnquiryConcluded(
                case_id=self.case_id,
                person_id=self.person_id,
                concluded_at=self.now,
                concluded_by=actor.id,
                case_details=case_details,
                msp_asked=msp_asked,
                achievements=tuple(achievements),
            )
        )

    def cease_enquiry(
        self,
        actor: Actor,
        *,
        reason: CeasedReason,
        explanation: str,
        case_details: SacCaseDetails,
        msp_asked: MspAsked,
        achievements: Sequence[OutcomeAchievement] = (),
        persons_view: str | None = None,
    ) -> EnquiryCeased:
        """A manager records that the enquiry stopped before its conclusion, and why; the
        national return counts it with the case details known. Recorded now."""
        self._require_an_enquiry_to_end(actor, "record that an enquiry ceased")
        check_result(case_details.action_taken_and_result, reason)
        check_achievements(msp_asked, achievements, self.desired_outcomes)
        return self._record(
            EnquiryCeased(
                case_id=self.case_id,
                person_id=self.person_id,
                reason=reason,
                explanation=explanation,
                persons_view=persons_view,
                case_details=case_details,
                msp_asked=msp_asked,
                achievements=tuple(achievements),
                ceased_by=actor.id,
                ceased_at=self.now,
            )
        )

    def close(
        self,
        *,
        reason: str,
        person_view: str | None,
        feedback_to_referrer: bool,
        sar_considered: bool,
    ) -> CaseClosed:
        """Close the case, at any stage; an enquiry that started must have ended first, by a
        conclusion or a record that it ceased, so that it reaches the national return."""
        self._require_open()
        if self.enquiry_kind is not None and self.enquiry_ended is None:
            raise EnquiryNotEnded(
                "The enquiry has started but has not ended: a manager concludes it, or records "
                "that it ceased (at the person's request, because they died, or because they "
                "are no longer at risk), before the case closes"
            )
        return self._record(
            CaseClosed(
                case_id=self.case_id,
                person_id=self.person_id,
                reason=reason,
                person_view=person_view,
                feedback_to_referrer=feedback_to_referrer,
                sar_considered=sar_considered,
                closed_at=self.now,
            )
        )

    # -- internals ------------------------------------------------------------------------

    def _happened(self, field: str, given: datetime | None) -> datetime:
        return when_it_happened(field, given, now=self.now, not_before=self.concern_raised_at)

    def _require_open(self) -> None:
        if self.closed is not None:
            raise CaseIsClosed(
                f"Case {self.reference} was closed at {self.closed.closed_at.isoformat()}; "
                f"its record cannot change"
            )

    def _require_an_enquiry_to_end(self, actor: Actor, doing: str) -> None:
        self._require_open()
        if actor.role is not Role.MANAGER:
            raise NotPermitted(
                f"Only a Safeguarding Adults Manager may {doing}; this was attempted in the "
                f"role {actor.role.value!r}"
            )
        if self.enquiry_kind is None:
            raise CaseRefused("No enquiry has started in this case, so none can end")
        if self.concluded is not None:
            raise CaseRefused("The enquiry has already been concluded")
        if self.ceased is not None:
            raise CaseRefused("The enquiry has already ceased")

    def _current_desired_outcome(self, desired_outcome_id: str) -> DesiredOutcome:
        outcome = self.desired_outcomes.get(desired_outcome_id)
        if outcome is None:
            raise UnknownOutcome(f"No desired outcome {desired_outcome_id!r} in this case")
        if outcome.withdrawn:
            raise UnknownOutcome(
                f"Desired outcome {desired_outcome_id!r} was withdrawn by the person"
            )
        return outcome

    def _record(self, event: E) -> E:
        self._apply(event)
        self._pending.append(event)
        return event

    def _apply(self, event: CaseEvent) -> None:
        self._position += 1
        position = self._position
        match event:
            case CaseOpened():
                pass
            case CaseMovedToPerson(person_id=person_id):
                self.person_id = person_id
            case RepeatConcernJoined():
                self.joined_concerns.add(event.concern_id)
            case EnquiryStarted(kind=kind):
                self.enquiry_kind = kind
            case LeadWorkerAssigned():
                self.lead_worker = event
            case ConversationHeld(held_at=held_at):
                self.agreed_dates.contact_made(held_at)
            case DesiredOutcomeExpressed():
                self.desired_outcomes[event.desired_outcome_id] = DesiredOutcome(
                    desired_outcome_id=event.desired_outcome_id,
                    text=event.text,
                    expressed_by=event.expressed_by,
                    category=event.category,
                )
            case DesiredOutcomeRevised():
                outcome = self.desired_outcomes[event.desired_outcome_id]
                outcome.earlier_texts.append(outcome.text)
                outcome.text = event.text
                outcome.expressed_by = event.expressed_by
                outcome.category = event.category
            case DesiredOutcomeWithdrawn():
                self.desired_outcomes[event.desired_outcome_id].withdrawn_because = event.reason
            case OutcomeAgreed():
                self.agreed_outcomes[event.agreed_outcome_id] = AgreedOutcome(
                    agreed_outcome_id=event.agreed_outcome_id,
                    wording=event.wording,
                    serves=event.serves,
                )
            case FormalActionWishesRecorded():
                self.formal_action.wish_recorded(event, position)
            case MentalCapacityAssessed():
                self.formal_action.capacity_assessed(event, position)
            case BestInterestsDecisionMade():
                self.formal_action.best_interests_decided(event, position)
            case WishesOverridden():
                self.formal_action.overridden(event, position)
            case FormalActionTaken():
                self.formal_action.action_taken(event)
            case AdvocateAppointed():
                self.formal_action.advocate_appointed(event)
            case SafeguardingPlanAgreed():
                self.plan = event
                self.agreed_dates.plan_agreed(event.actions, event.agreed_at)
            case PlanActionCompleted():
                self.agreed_dates.plan_action_done(event.action_id, event.completed_at)
            case NextContactAgreed():
                self.agreed_dates.agreed(
                    AgreedDateKind.NEXT_CONTACT, event.contact_on, event.agreed_at
                )
            case ReviewDateAgreed():
                self.agreed_dates.agreed(AgreedDateKind.REVIEW, event.review_on, event.agreed_at)
            case AgreedDateMissed():
                self.agreed_dates.noticed(event.kind, event.agreed_date, event.plan_action_id)
            case OutcomesReviewed():
                if event.stage is ReviewStage.REVIEW:
                    self.agreed_dates.review_held(event.reviewed_at)
            case EnquiryConcluded():
                self.concluded = event
            case EnquiryCeased():
                self.ceased = event
            case CaseClosed():
                self.closed = event
            case _:
                # DemographicsRecorded, RiskDiscussionHeld, MeetingArranged, CaseNoteRecorded:
                # part of the record, but no later decision depends on them.
                pass
