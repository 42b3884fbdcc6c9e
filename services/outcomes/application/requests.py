"""What practitioners and managers send to record a step in a case. Times a step happened at
default to the moment it is recorded; give them when recording something after the event.
Free text is kept exactly as sent."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shared.events.outcomes import (
    MAX_ACTIONS,
    MAX_OPTIONS,
    MAX_OUTCOMES,
    MAX_PEOPLE,
    ConversationMode,
    Experience,
    ExpressedBy,
    FormalActionKind,
    Id,
    Name,
    OutcomeAchievement,
    OutcomeCategory,
    OutcomeRating,
    Participant,
    PlanAction,
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
        description="Must include the person, their representative or advocate.",
    )
    mode: ConversationMode
    summary: Text
    held_at: When = None


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
    expressed_by: ExpressedBy = ExpressedBy.PERSON
    recorded_at: When = None


class AssessMentalCapacity(Body):
    decision: Text = Field(description="The one specific decision assessed.")
    lacks_capacity: StrictBool
    best_interests: Text | None = Field(
        default=None, description="Required when the person lacks capacity for the decision."
    )
    assessed_by: Name | None = Field(default=None, description="Defaults to the caller.")
    assessed_at: When = None


class AppointAdvocate(Body):
    name: Name
    organisation: Name
    substantial_difficulty: Text
    no_appropriate_person: Text
    appointed_at: When = None


class HoldRiskDiscussion(Body):
    present: list[Participant] = Field(min_length=1, max_length=MAX_PEOPLE)
    options: list[RiskOption] = Field(min_length=1, max_length=MAX_OPTIONS)
    persons_decision: TheirWords
    decided_by: ExpressedBy = ExpressedBy.PERSON
    held_at: When = None


class ArrangeMeeting(Body):
    meets_at: Moment
    where_or_how: Text
    purpose: Text
    invited: list[Participant] = Field(min_length=1, max_length=MAX_PEOPLE)
    person_invited: StrictBool


class AgreePlan(Body):
    actions: list[PlanAction] = Field(min_length=1, max_length=MAX_ACTIONS)
    agreed_at: When = None


class TakeFormalAction(Body):
    action: FormalActionKind
    description: Text
    requested_by: Name | None = Field(default=None, description="Defaults to the caller.")
    taken_at: When = None


class OverrideWishes(Body):
    action: FormalActionKind
    grounds: list[StatutoryGround] = Field(min_length=1, max_length=len(StatutoryGround))
    reason: Text
    person_told: StrictBool
    why_not_told: Text | None = Field(
        default=None, description="Required when the person was not told: why telling is unsafe."
    )
    capacity_assessment_id: Id | None = Field(
        default=None, description="Only with the lacks_capacity_best_interests ground."
    )
    overridden_at: When = None


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
    concluded_at: When = None


class CloseCase(Body):
    reason: Text
    person_view: TheirWords | None = None
    feedback_to_referrer: StrictBool
    sar_considered: StrictBool = Field(
        description="Whether a Safeguarding Adults Review was considered."
    )
    closed_at: When = None


class AssignLeadWorker(Body):
    name: Name
    contact: Text
    assigned_at: When = None
