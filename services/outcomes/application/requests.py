"""What practitioners and managers send to record a step in a case. When a step happened defaults
to the moment it is recorded; give it when writing something up after the event (not in the
future, not before the concern). Sign-offs (a conclusion, a cessation, an override, a closure)
take no time: they happen when recorded, by the server's clock. Free text is kept exactly as
sent."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shared.events.intake import ContactPoints
from shared.events.outcomes import (
    MAX_ACTIONS,
    MAX_OPTIONS,
    MAX_OUTCOMES,
    MAX_PEOPLE,
    CeasedReason,
    ConsultedView,
    ContactMode,
    ConversationMode,
    Demographics,
    Experience,
    ExpressedBy,
    FormalActionKind,
    Id,
    MeetingFormat,
    Name,
    OutcomeAchievement,
    OutcomeCategory,
    OutcomeRating,
    Participant,
    PlanAction,
    Professional,
    ReviewStage,
    RiskOption,
    SacCaseDetails,
    StatutoryGround,
    Text,
    TheirWords,
    Wish,
)
from shared.events.values import Day, Moment
from shared.sac import MspAsked

When = Moment | None


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HoldConversation(Body):
    participants: list[Participant] = Field(
        min_length=1,
        max_length=MAX_PEOPLE,
        description="Must include the person, their representative or advocate; a contact "
        "between professionals is a case note.",
    )
    mode: ConversationMode
    summary: Text
    held_at: When = None


class RecordCaseNote(Body):
    contact_with: list[Professional] = Field(
        min_length=1, max_length=50, description="Who the contact was with."
    )
    mode: ContactMode
    what_was_said: Text
    what_was_agreed: Text | None = None
    happened_at: When = None


class RecordDemographics(Body):
    demographics: Demographics = Field(
        description="What is known about the person for the national return; replaces what "
        "the concern said."
    )


class ExpressDesiredOutcome(Body):
    text: TheirWords = Field(description="What the person wants, in their own words, verbatim.")
    expressed_by: ExpressedBy = ExpressedBy.PERSON
    category: OutcomeCategory | None = None
    expressed_at: When = None


class ReviseDesiredOutcome(Body):
    text: TheirWords = Field(description="What the person now wants, in their own words.")
    expressed_by: ExpressedBy = ExpressedBy.PERSON
    category: OutcomeCategory | None = None
    revised_at: When = None


class WithdrawDesiredOutcome(Body):
    reason: TheirWords = Field(description="Why they no longer want it, in their words.")
    withdrawn_at: When = None


class AgreeOutcome(Body):
    wording: TheirWords
    serves: list[Id] = Field(
        min_length=1, max_length=MAX_OUTCOMES, description="The desired outcome ids it serves."
    )
    agreed_at: When = None


class RecordFormalActionWishes(Body):
    action: FormalActionKind
    wish: Wish
    in_their_words: TheirWords
    expressed_by: ExpressedBy = Field(
        default=ExpressedBy.PERSON,
        description="Whose view this is. Only the person's own wish counts as their consent; "
        "a representative's or advocate's is recorded as theirs.",
    )
    recorded_at: When = None


class AssessMentalCapacity(Body):
    decision: Text = Field(description="The one specific decision assessed.")
    lacks_capacity: StrictBool
    best_interests: Text | None = Field(
        default=None, description="Required when the person lacks capacity for the decision."
    )
    assessed_by: Name | None = Field(default=None, description="Defaults to the caller.")
    assessed_at: When = None
    formal_action: FormalActionKind | None = Field(
        default=None,
        description="The formal action the decision is about, if it is about one; a "
        "best-interests decision about that action rests on this assessment.",
    )


class MakeBestInterestsDecision(Body):
    action: FormalActionKind
    capacity_assessment_id: Id = Field(
        description="The latest assessment of this action's decision, finding the person lacks "
        "capacity for it."
    )
    in_best_interests: bool = Field(description="Whether the action goes ahead.")
    persons_wishes: TheirWords = Field(
        description="The person's own wishes and feelings, as far as they can be found out."
    )
    consulted: list[ConsultedView] = Field(
        min_length=1,
        max_length=50,
        description="Who was consulted and what they said; the person's representative or "
        "advocate when they have one.",
    )
    reasons: Text
    decided_at: When = None


class AppointAdvocate(Body):
    name: Name
    organisation: Name
    substantial_difficulty: Text
    no_appropriate_person: Text
    appointed_at: When = None
    contact: ContactPoints | None = Field(
        default=None,
        description="How to reach the advocate, so they are kept informed (along a route a "
        "practitioner confirms safe, like anyone else's).",
    )


class HoldRiskDiscussion(Body):
    present: list[Participant] = Field(min_length=1, max_length=MAX_PEOPLE)
    options: list[RiskOption] = Field(min_length=1, max_length=MAX_OPTIONS)
    persons_decision: TheirWords
    decided_by: ExpressedBy = ExpressedBy.PERSON
    held_at: When = None


class ArrangeMeeting(Body):
    meets_at: Moment
    where_or_how: Text = Field(description="For the record; never quoted in a message.")
    purpose: Text = Field(description="For the record; never quoted in a message.")
    invited: list[Participant] = Field(min_length=1, max_length=MAX_PEOPLE)
    person_invited: StrictBool
    format: MeetingFormat | None = Field(
        default=None, description="In person, by phone or by video: what a message may say."
    )


class AgreePlan(Body):
    actions: list[PlanAction] = Field(min_length=1, max_length=MAX_ACTIONS)
    agreed_at: When = None


class CompletePlanAction(Body):
    note: Text | None = None
    completed_at: When = None


class TakeFormalAction(Body):
    action: FormalActionKind
    description: Text
    requested_by: Name | None = Field(default=None, description="Defaults to the caller.")
    taken_at: When = None


class OverrideWishes(Body):
    action: FormalActionKind = Field(description="The one action this override allows.")
    grounds: list[StatutoryGround] = Field(
        min_length=1,
        max_length=len(StatutoryGround),
        description="Statutory grounds; not lacks_capacity_best_interests, which is decided by "
        "a best-interests decision instead.",
    )
    reason: Text
    person_told: StrictBool
    why_not_told: Text | None = Field(
        default=None, description="Required when the person was not told: why telling is unsafe."
    )


class AgreeNextContact(Body):
    contact_on: Day
    agreed_at: When = None


class AgreeReviewDate(Body):
    review_on: Day
    agreed_at: When = None


class ReviewOutcomes(Body):
    stage: ReviewStage = ReviewStage.REVIEW
    ratings: list[OutcomeRating] = Field(default_factory=list, max_length=MAX_OUTCOMES)
    experience: Experience
    person_view: TheirWords | None = None
    reviewed_at: When = None


class ConcludeEnquiry(Body):
    case_details: SacCaseDetails
    msp_asked: MspAsked
    achievements: list[OutcomeAchievement] = Field(default_factory=list, max_length=MAX_OUTCOMES)


class CeaseEnquiry(Body):
    reason: CeasedReason
    explanation: Text
    persons_view: TheirWords | None = None
    case_details: SacCaseDetails = Field(description="As far as they are known when it stopped.")
    msp_asked: MspAsked
    achievements: list[OutcomeAchievement] = Field(default_factory=list, max_length=MAX_OUTCOMES)


class CloseCase(Body):
    reason: Text
    person_view: TheirWords | None = None
    feedback_to_referrer: StrictBool
    sar_considered: StrictBool = Field(
        description="Whether a Safeguarding Adults Review was considered."
    )


class AllocateCase(Body):
    team: Name = Field(description="The team whose work the case is, as the directory names it.")
    worker: Name | None = Field(
        default=None, description="A worker in that team, as they are named on their cases."
    )


class AssignLeadWorker(Body):
    name: Name
    contact: Text
    assigned_at: When = None
