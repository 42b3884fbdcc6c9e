"""Events of the outcomes service: one stream per case (`case-<uuid5 of the concern id>`).

A case opens when intake raises a concern about a person and follows the person through the
enquiry: conversations, what they want in their own words, what was agreed, their wishes about
formal action, risk discussions, the plan, reviews, the conclusion and closure.

Every payload carries `case_id` and `person_id`, so the notification service can decide whom to
inform without looking anything up. The person's own words are stored exactly as given: length is
bounded, nothing is stripped, normalised or truncated.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from shared.events.envelope import DomainEvent
from shared.events.intake import ContactPoints
from shared.events.registry import event
from shared.events.values import Day, Moment, given, not_given
from shared.events.values import Id as Id  # outcomes code names ids by it
from shared.personal_data import Personal
from shared.sac import (
    Achievement,
    ActionTakenAndResult,
    Ethnicity,
    Gender,
    MentalCapacity,
    MspAsked,
    PrimarySupportReason,
    RiskLocation,
    RiskOutcome,
    RiskSource,
    RiskType,
    SacCategory,
)

TheirWords = Annotated[str, Field(min_length=1, max_length=10_000)]
"""What someone said, kept verbatim."""
Text = Annotated[str, Field(min_length=1, max_length=10_000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]

# How long a case's lists may be: far more than any real case needs, small enough that every
# event stays well under the size an event may have (shared.limits.MAX_EVENT_BYTES).
MAX_PEOPLE = 50
"""Participants in a conversation, people present at a discussion or invited to a meeting."""
MAX_OPTIONS = 20
"""Options discussed in one risk discussion."""
MAX_ACTIONS = 50
"""Actions in one plan."""
MAX_RISKS = 50
"""Risks in one enquiry's case details."""
MAX_OUTCOMES = 100
"""Outcomes served, rated or assessed at once."""


class EnquiryKind(SacCategory):
    """Which enquiry the manager decided on; `.label` is the return's count heading."""

    S42_ENQUIRY = ("s42_enquiry", "Section 42 Enquiries")
    OTHER_ENQUIRY = ("other_enquiry", "Other Enquiries")


class ParticipantRole(StrEnum):
    PERSON = "person"
    REPRESENTATIVE = "representative"
    ADVOCATE = "advocate"
    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    FAMILY_OR_FRIEND = "family_or_friend"
    OTHER_PROFESSIONAL = "other_professional"


class ConversationMode(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class ExpressedBy(StrEnum):
    """Whose words these are: the person's own, or someone speaking for them. Only the person's
    own words are their wishes; a representative's or advocate's view is recorded as theirs."""

    PERSON = "person"
    REPRESENTATIVE = "representative"
    ADVOCATE = "advocate"


class OutcomeCategory(StrEnum):
    """Optional, for reporting only. Nothing ranks one category above another: for some
    people a relationship matters more than safety."""

    SAFETY = "safety"
    RELATIONSHIP = "relationship"
    JUSTICE = "justice"
    APOLOGY = "apology"
    PREVENT_HARM_TO_OTHERS = "prevent_harm_to_others"
    WELLBEING_SOCIAL = "wellbeing_social"
    OTHER = "other"


class FormalActionKind(StrEnum):
    POLICE = "police"
    DISCIPLINARY = "disciplinary"
    REGULATOR = "regulator"
    LEGAL = "legal"


class Wish(StrEnum):
    WANTS = "wants"
    DOES_NOT_WANT = "does_not_want"
    UNDECIDED = "undecided"


class StatutoryGround(StrEnum):
    """The only grounds on which a manager may act against the person's wishes.

    `lacks_capacity_best_interests` is kept so that overrides recorded on it still load; a new
    override may not use it: when the person lacks capacity for the decision, a best-interests
    decision (BestInterestsDecisionMade) decides instead."""

    OTHERS_AT_RISK = "others_at_risk"
    CRIME_OR_SUSPECTED_CRIME = "crime_or_suspected_crime"
    PUBLIC_INTEREST = "public_interest"
    COERCION_OR_CONTROL = "coercion_or_control"
    HIGH_RISK_TO_LIFE_OR_LIMB = "high_risk_to_life_or_limb"
    LACKS_CAPACITY_BEST_INTERESTS = "lacks_capacity_best_interests"
    REGULATED_PROVIDER_OR_POSITION_OF_TRUST = "regulated_provider_or_position_of_trust"


class FormalActionBasis(StrEnum):
    """Why a formal action was allowed: the person wanted it, a best-interests decision for a
    person who lacks capacity for that decision, or a manager's override on a statutory ground."""

    PERSON_WANTS_IT = "person_wants_it"
    BEST_INTERESTS_DECISION = "best_interests_decision"
    WISHES_OVERRIDDEN = "wishes_overridden"


class MeetingFormat(StrEnum):
    """How a meeting is held: the only thing about where a meeting is that a message says."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class AgreedDateKind(StrEnum):
    NEXT_CONTACT = "next_contact"
    REVIEW = "review"
    PLAN_ACTION = "plan_action"


class CeasedReason(StrEnum):
    """Why an enquiry stopped before its conclusion. Only the person's request has a row of its
    own in the national return ("Enquiry ceased at individual's request and no action taken")."""

    PERSONS_REQUEST = "persons_request"
    PERSON_DIED = "person_died"
    NO_LONGER_AT_RISK = "no_longer_at_risk"


class ContactMode(StrEnum):
    """How professionals were in touch, for a case note."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"
    EMAIL = "email"
    LETTER = "letter"
    MEETING = "meeting"


class ReviewStage(StrEnum):
    REVIEW = "review"
    CLOSURE = "closure"


class ExperienceAnswer(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    NOT_ASKED = "not_asked"


class Value(BaseModel):
    """Base of the immutable values events carry."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Participant(Value):
    role: ParticipantRole
    name: Personal[Name]


class Professional(Value):
    """Someone from another agency (or the council) a case note is about."""

    name: Personal[Name]
    role: Name = Field(description="Their role, e.g. GP, police constable, care home manager.")
    organisation: Personal[Name]


class ConsultedView(Value):
    """What someone consulted on a best-interests decision said (Mental Capacity Act 2005
    s4(7)): their view is recorded as theirs."""

    role: ParticipantRole
    name: Personal[Name]
    view: Personal[Text]


class Demographics(Value):
    """What the national return needs to know about the person (SAC table SG1), with its labels.
    Leave out what is not known: it is reported as Not Known."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"allOf": [given("approximate_age"), given("approximate_age_on")]},
                {"allOf": [not_given("approximate_age"), not_given("approximate_age_on")]},
            ]
        }
    )

    date_of_birth: Personal[date | None] = None
    approximate_age: int | None = Field(
        default=None, ge=18, le=130, description="Age in years when no date of birth is known."
    )
    approximate_age_on: date | None = Field(
        default=None, description="The day the approximate age was given."
    )
    gender: Gender = Gender.NOT_KNOWN
    ethnicity: Ethnicity = Ethnicity.NOT_KNOWN
    primary_support_reason: PrimarySupportReason = PrimarySupportReason.NOT_KNOWN

    @model_validator(mode="after")
    def _approximate_age_has_its_day(self) -> Demographics:
        if (self.approximate_age is None) != (self.approximate_age_on is None):
            raise ValueError("approximate_age and approximate_age_on go together")
        return self


class RiskOption(Value):
    """One option as discussed with the person, with its risks and benefits as they saw them."""

    option: Text
    risks: Text
    benefits: Text


class PlanAction(Value):
    action_id: Id = Field(default_factory=lambda: str(uuid.uuid4()))
    description: Personal[Text]
    serves: tuple[Id, ...] = Field(
        min_length=1, max_length=MAX_OUTCOMES, description="agreed outcome ids"
    )
    owner: Name
    agreed_date: Day = Field(description="the date agreed with the person")


class OutcomeRating(Value):
    """The person's own rating of one agreed or desired outcome."""

    outcome_id: Id
    achievement: Achievement
    in_their_words: Personal[TheirWords | None] = None


class Experience(Value):
    felt_listened_to: ExperienceAnswer
    felt_involved: ExperienceAnswer
    felt_informed: ExperienceAnswer
    feels_safer: ExperienceAnswer


class RiskDetail(Value):
    risk_type: RiskType
    location: RiskLocation
    source: RiskSource


_ACTION_TAKEN_ON_RISK = frozenset(
    {
        ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
        ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN,
    }
)


class SacCaseDetails(Value):
    """The national return's case details for one concluded enquiry."""

    # The rules of the validators below, stated for clients in the JSON Schema.
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {
                        "properties": {
                            "action_taken_and_result": {
                                "enum": [a.value for a in sorted(_ACTION_TAKEN_ON_RISK)]
                            }
                        }
                    },
                    "then": given("risk_outcome"),
                    "else": not_given("risk_outcome"),
                },
                {
                    "if": {
                        "properties": {
                            "mental_capacity": {"const": MentalCapacity.LACKED_CAPACITY.value}
                        }
                    },
                    "then": given("lacked_capacity_supported"),
                    "else": not_given("lacked_capacity_supported"),
                },
            ]
        }
    )

    risks: tuple[RiskDetail, ...] = Field(min_length=1, max_length=MAX_RISKS)
    action_taken_and_result: ActionTakenAndResult
    risk_outcome: RiskOutcome | None = None
    mental_capacity: MentalCapacity
    lacked_capacity_supported: StrictBool | None = Field(
        default=None,
        description="for a person who lacked capacity: supported by an advocate, family or friend",
    )

    @model_validator(mode="after")
    def _risk_outcome_only_where_action_taken_on_risk(self) -> SacCaseDetails:
        # The return asks for a risk outcome only where action was taken on an identified or
        # inconclusive risk; anywhere else the figure would be meaningless.
        if self.action_taken_and_result in _ACTION_TAKEN_ON_RISK and self.risk_outcome is None:
            raise ValueError(
                f"risk_outcome is required when the action taken and result is "
                f"{self.action_taken_and_result.label!r}: one of "
                f"{', '.join(o.value for o in RiskOutcome)}"
            )
        if (
            self.action_taken_and_result not in _ACTION_TAKEN_ON_RISK
            and self.risk_outcome is not None
        ):
            raise ValueError(
                f"risk_outcome must be left out when the action taken and result is "
                f"{self.action_taken_and_result.label!r}: it applies only where action was taken "
                f"on an identified or inconclusive risk"
            )
        return self

    @model_validator(mode="after")
    def _support_recorded_only_for_lacked_capacity(self) -> SacCaseDetails:
        lacked = self.mental_capacity is MentalCapacity.LACKED_CAPACITY
        if lacked and self.lacked_capacity_supported is None:
            raise ValueError(
                "lacked_capacity_supported is required when the person lacked capacity: "
                "say whether an advocate, family or friend supported them"
            )
        if not lacked and self.lacked_capacity_supported is not None:
            raise ValueError(
                "lacked_capacity_supported applies only when the person lacked capacity"
            )
        return self


class OutcomeAchievement(Value):
    """Whether one desired outcome was achieved, in the person's view."""

    desired_outcome_id: Id
    achievement: Achievement


class CaseEvent(DomainEvent):
    """Base of every case event: which case, and whose."""

    case_id: Id
    person_id: Id


@event("CaseOpened")
class CaseOpened(CaseEvent):
    """A case was opened for a concern intake raised about a person. Caused by the system."""

    concern_id: Id
    reference: Name
    concern_raised_at: Moment
    opened_at: Moment
    person_name: Personal[Name | None] = Field(
        default=None, description="The person's name as the concern gave it."
    )
    risk_types: tuple[RiskType, ...] = Field(
        default=(),
        max_length=len(RiskType),
        description="The types of risk the concern reported (national return terms).",
    )
    risk_location: RiskLocation | None = Field(
        default=None, description="Where the concern said the risk is."
    )
    risk_source: RiskSource | None = Field(
        default=None, description="Who the concern said the risk comes from."
    )
    persons_own_words: Personal[TheirWords | None] = Field(
        default=None,
        description="What the person said about the concern when it was raised, verbatim.",
    )
    demographics: Demographics | None = Field(
        default=None,
        description="What the concern said about the person for the national return; None on "
        "cases opened before it was carried.",
    )


@event("RepeatConcernJoined")
class RepeatConcernJoined(CaseEvent):
    """Another concern about the same incident (intake linked it as a repeat) joined this open
    case instead of opening one of its own. Caused by the system."""

    concern_id: Id = Field(description="The repeat concern.")
    reference: Name
    concern_raised_at: Moment
    risk_types: tuple[RiskType, ...] = Field(default=(), max_length=len(RiskType))
    risk_location: RiskLocation | None = None
    risk_source: RiskSource | None = None
    persons_own_words: Personal[TheirWords | None] = Field(
        default=None, description="What the person said about it when it was raised, verbatim."
    )
    demographics: Demographics | None = None
    joined_at: Moment


@event("DemographicsRecorded")
class DemographicsRecorded(CaseEvent):
    """What is known about the person for the national return (age, gender, ethnicity, primary
    support reason), replacing what the concern said. Recorded by a practitioner or manager."""

    demographics: Demographics
    recorded_at: Moment


@event("CaseMovedToPerson")
class CaseMovedToPerson(CaseEvent):
    """The case's concern was found to be about someone else, and a practitioner moved it at
    intake: from now on the case is about `person_id`, and the person it was wrongly about is
    told nothing more about it. Caused by the system in reaction to intake's relink or unlink."""

    concern_id: Id
    previous_person_id: Id


@event("EnquiryStarted")
class EnquiryStarted(CaseEvent):
    """The enquiry began after a manager decided on an s42 or other enquiry at intake.
    Caused by the system in reaction to that decision."""

    kind: EnquiryKind
    started_at: Moment


@event("LeadWorkerAssigned")
class LeadWorkerAssigned(CaseEvent):
    """A lead worker was named for the person. Recorded by a practitioner or manager."""

    name: Name
    contact: Text
    assigned_at: Moment


@event("CaseAllocated")
class CaseAllocated(CaseEvent):
    """The case was allocated to a team, and to a worker in it when one is named: whose work it
    is. Recorded by a manager. For staff only: the person is told who their lead worker is."""

    team: Name = Field(description="The team whose work it is, as the directory names it.")
    worker: Name | None = Field(
        default=None, description="The worker in that team, when one is named."
    )
    allocated_by: Name
    allocated_at: Moment


@event("ConversationHeld")
class ConversationHeld(CaseEvent):
    """A conversation with the person (or someone speaking for them) took place.
    Recorded by a practitioner or manager."""

    conversation_id: Id
    participants: tuple[Participant, ...] = Field(min_length=1, max_length=MAX_PEOPLE)
    held_at: Moment
    mode: ConversationMode
    summary: Personal[Text]


@event("DesiredOutcomeExpressed")
class DesiredOutcomeExpressed(CaseEvent):
    """The person (or their representative) said, in their own words, what they want to happen.
    Recorded by a practitioner or manager."""

    desired_outcome_id: Id
    text: Personal[TheirWords]
    expressed_by: ExpressedBy
    expressed_at: Moment
    category: OutcomeCategory | None = None


@event("DesiredOutcomeRevised")
class DesiredOutcomeRevised(CaseEvent):
    """The person changed what they want; the earlier words stay in the history.
    Recorded by a practitioner or manager."""

    desired_outcome_id: Id
    text: Personal[TheirWords]
    previous_text: Personal[TheirWords]
    expressed_by: ExpressedBy
    revised_at: Moment
    category: OutcomeCategory | None = None


@event("DesiredOutcomeWithdrawn")
class DesiredOutcomeWithdrawn(CaseEvent):
    """The person no longer wants this outcome. Recorded by a practitioner or manager."""

    desired_outcome_id: Id
    reason: TheirWords
    withdrawn_at: Moment


@event("OutcomeAgreed")
class OutcomeAgreed(CaseEvent):
    """An outcome was negotiated and agreed with the person, serving one or more of their
    desired outcomes. Recorded by a practitioner or manager."""

    agreed_outcome_id: Id
    wording: Personal[TheirWords]
    serves: tuple[Id, ...] = Field(
        min_length=1, max_length=MAX_OUTCOMES, description="desired outcome ids"
    )
    agreed_at: Moment


@event("FormalActionWishesRecorded")
class FormalActionWishesRecorded(CaseEvent):
    """The person said whether they want a formal action (police, disciplinary, regulator,
    legal) to be taken. Recorded by a practitioner or manager."""

    action: FormalActionKind
    wish: Wish
    in_their_words: Personal[TheirWords]
    expressed_by: ExpressedBy
    recorded_at: Moment
    recorded_by: Id | None = Field(
        default=None,
        description="The staff member who heard and recorded it. The person's consent counts "
        "only when someone other than the one taking the action recorded it; None on wishes "
        "recorded before this was kept.",
    )


@event("MentalCapacityAssessed")
class MentalCapacityAssessed(CaseEvent):
    """The person's capacity to make one specific decision was assessed (Mental Capacity Act
    2005). Recorded by a practitioner or manager."""

    assessment_id: Id
    decision: Personal[Text]
    lacks_capacity: bool
    assessed_by: Name
    assessed_at: Moment
    best_interests: Personal[Text | None] = None
    formal_action: FormalActionKind | None = Field(
        default=None,
        description="The formal action the decision is about, when it is about one: the "
        "assessment counts for that action only.",
    )

    @model_validator(mode="after")
    def _best_interests_when_capacity_lacking(self) -> MentalCapacityAssessed:
        # MCA 2005 s1(5): a decision made for someone who lacks capacity is made in their best
        # interests, so the reasoning has to be on the record.
        if self.lacks_capacity and self.best_interests is None:
            raise ValueError("best_interests is required when the person lacks capacity")
        return self


@event("AdvocateAppointed")
class AdvocateAppointed(CaseEvent):
    """An independent advocate was arranged (Care Act 2014 s68): the person would have
    substantial difficulty taking part and no appropriate person can support them.
    Recorded by a practitioner or manager."""

    name: Personal[Name]
    organisation: Personal[Name]
    substantial_difficulty: Personal[Text]
    no_appropriate_person: Personal[Text]
    appointed_at: Moment
    contact: Personal[ContactPoints | None] = Field(
        default=None, description="How to reach the advocate, so they are kept informed too."
    )


@event("RiskDiscussionHeld")
class RiskDiscussionHeld(CaseEvent):
    """Options were discussed openly with the person, with the risks and benefits of each,
    and the person made their decision. Recorded by a practitioner or manager."""

    discussion_id: Id
    held_at: Moment
    present: tuple[Participant, ...] = Field(min_length=1, max_length=MAX_PEOPLE)
    options: tuple[RiskOption, ...] = Field(min_length=1, max_length=MAX_OPTIONS)
    persons_decision: Personal[TheirWords]
    decided_by: ExpressedBy


@event("MeetingArranged")
class MeetingArranged(CaseEvent):
    """A meeting about the person's safeguarding was arranged. Recorded by a practitioner
    or manager."""

    meeting_id: Id
    meets_at: Moment
    where_or_how: Personal[Text]
    purpose: Personal[Text]
    invited: tuple[Participant, ...] = Field(min_length=1, max_length=MAX_PEOPLE)
    person_invited: bool
    format: MeetingFormat | None = Field(
        default=None, description="In person, by phone or by video; what a message may say."
    )


@event("SafeguardingPlanAgreed")
class SafeguardingPlanAgreed(CaseEvent):
    """A plan was agreed with the person; each action serves agreed outcomes. A later plan
    replaces an earlier one. Recorded by a practitioner or manager."""

    plan_id: Id
    actions: tuple[PlanAction, ...] = Field(min_length=1, max_length=MAX_ACTIONS)
    agreed_at: Moment


@event("WishesOverridden")
class WishesOverridden(CaseEvent):
    """A Safeguarding Adults Manager decided a formal action may go ahead against (or without)
    the person's wishes, on statutory grounds. Only a manager may cause it."""

    action: FormalActionKind
    grounds: tuple[StatutoryGround, ...] = Field(min_length=1, max_length=len(StatutoryGround))
    reason: Text
    person_told: bool
    why_not_told: Text | None = None
    capacity_assessment_id: Id | None = None
    overridden_by: Name
    overridden_at: Moment
    override_id: Id | None = Field(
        default=None,
        description="Names the override: it allows one action. None on overrides recorded "
        "before they were named.",
    )

    @model_validator(mode="after")
    def _say_why_the_person_was_not_told(self) -> WishesOverridden:
        # The person is told of any override; not telling them is allowed only when telling
        # them is itself unsafe, and that decision must be on the record.
        if not self.person_told and self.why_not_told is None:
            raise ValueError("why_not_told is required when the person was not told")
        if self.person_told and self.why_not_told is not None:
            raise ValueError("why_not_told must be left out when the person was told")
        return self


@event("BestInterestsDecisionMade")
class BestInterestsDecisionMade(CaseEvent):
    """A capacity assessment found the person lacks capacity to decide about one formal action,
    so a best-interests decision about it was made (Mental Capacity Act 2005 s4), with the
    person's own wishes and the views of those consulted, their representative or advocate
    among them. Recorded by a practitioner or manager."""

    decision_id: Id
    action: FormalActionKind
    capacity_assessment_id: Id
    in_best_interests: bool = Field(description="Whether the action goes ahead.")
    persons_wishes: Personal[TheirWords] = Field(
        description="The person's own wishes and feelings, as far as they can be found out."
    )
    consulted: tuple[ConsultedView, ...] = Field(min_length=1, max_length=MAX_PEOPLE)
    reasons: Personal[Text]
    decided_by: Name
    decided_at: Moment


@event("FormalActionTaken")
class FormalActionTaken(CaseEvent):
    """A formal action was taken, on the person's consent, a best-interests decision or a
    manager's override. Recorded by a practitioner or manager."""

    action: FormalActionKind
    description: Personal[Text]
    requested_by: Name
    taken_at: Moment
    basis: FormalActionBasis
    authority_id: Id | None = Field(
        default=None,
        description="The override or best-interests decision it was taken on; each allows one "
        "action. None when the person consented.",
    )
    taken_by: Id | None = Field(default=None, description="The staff member who recorded it.")


@event("NextContactAgreed")
class NextContactAgreed(CaseEvent):
    """The person agreed when they will next be contacted. Recorded by a practitioner
    or manager."""

    contact_on: date
    agreed_at: Moment


@event("ReviewDateAgreed")
class ReviewDateAgreed(CaseEvent):
    """The person agreed when their outcomes will be reviewed. Recorded by a practitioner
    or manager."""

    review_on: date
    agreed_at: Moment


@event("AgreedDateMissed")
class AgreedDateMissed(CaseEvent):
    """A date agreed with the person passed without the contact or review happening.
    Caused by the system."""

    kind: AgreedDateKind
    agreed_date: date
    agreed_at: Moment
    noticed_at: Moment
    plan_action_id: Id | None = Field(default=None, description="For a plan action's date.")
    plan_action: Personal[Text | None] = Field(
        default=None, description="What the plan action was."
    )
    lead_worker: Name | None = Field(
        default=None, description="Who follows it up: the case's lead worker, if one is named."
    )


@event("PlanActionCompleted")
class PlanActionCompleted(CaseEvent):
    """An action of the safeguarding plan was done. Recorded by a practitioner or manager."""

    plan_id: Id
    action_id: Id
    completed_at: Moment
    note: Personal[Text | None] = None


@event("CaseNoteRecorded")
class CaseNoteRecorded(CaseEvent):
    """A contact between professionals about the case (a call with the GP, a strategy meeting
    with the police): who, what was said, what was agreed. For staff: never part of a message
    to the person. Recorded by a practitioner or manager."""

    note_id: Id
    contact_with: tuple[Professional, ...] = Field(min_length=1, max_length=MAX_PEOPLE)
    mode: ContactMode
    what_was_said: Personal[Text]
    what_was_agreed: Personal[Text | None] = None
    happened_at: Moment
    recorded_by: Name


@event("OutcomesReviewed")
class OutcomesReviewed(CaseEvent):
    """The person rated their outcomes and said how the process felt, at a review or at
    closure. Recorded by a practitioner or manager."""

    review_id: Id
    stage: ReviewStage
    reviewed_at: Moment
    ratings: tuple[OutcomeRating, ...] = Field(default=(), max_length=MAX_OUTCOMES)
    experience: Experience
    person_view: Personal[TheirWords | None] = None


@event("EnquiryConcluded")
class EnquiryConcluded(CaseEvent):
    """A Safeguarding Adults Manager signed off the enquiry's conclusion with the national
    return's case details and the person's view of each desired outcome. Only a manager may
    cause it."""

    concluded_at: Moment
    concluded_by: Name
    case_details: SacCaseDetails
    msp_asked: MspAsked
    achievements: tuple[OutcomeAchievement, ...] = Field(default=(), max_length=MAX_OUTCOMES)


@event("EnquiryCeased")
class EnquiryCeased(CaseEvent):
    """The enquiry stopped before its conclusion (at the person's request, because they died,
    or because they are no longer at risk), with the national return's case details as far as
    they are known. Ends the enquiry like a conclusion, and the return counts it. Only a
    manager may cause it."""

    reason: CeasedReason
    explanation: Personal[Text]
    persons_view: Personal[TheirWords | None] = None
    case_details: SacCaseDetails
    msp_asked: MspAsked
    achievements: tuple[OutcomeAchievement, ...] = Field(default=(), max_length=MAX_OUTCOMES)
    ceased_by: Name
    ceased_at: Moment


@event("CaseClosed")
class CaseClosed(CaseEvent):
    """The case was closed, at any stage. Recorded by a practitioner or manager."""

    reason: Text
    person_view: Personal[TheirWords | None] = None
    feedback_to_referrer: bool
    sar_considered: bool = Field(description="whether a Safeguarding Adults Review was considered")
    closed_at: Moment


__all__ = [
    "AdvocateAppointed",
    "AgreedDateKind",
    "AgreedDateMissed",
    "BestInterestsDecisionMade",
    "CaseAllocated",
    "CaseClosed",
    "CaseEvent",
    "CaseNoteRecorded",
    "CaseOpened",
    "CeasedReason",
    "ConsultedView",
    "ContactMode",
    "ConversationHeld",
    "ConversationMode",
    "Demographics",
    "DemographicsRecorded",
    "DesiredOutcomeExpressed",
    "DesiredOutcomeRevised",
    "DesiredOutcomeWithdrawn",
    "EnquiryCeased",
    "EnquiryConcluded",
    "EnquiryKind",
    "EnquiryStarted",
    "Experience",
    "ExperienceAnswer",
    "ExpressedBy",
    "FormalActionBasis",
    "FormalActionKind",
    "FormalActionTaken",
    "FormalActionWishesRecorded",
    "LeadWorkerAssigned",
    "MeetingArranged",
    "MentalCapacityAssessed",
    "NextContactAgreed",
    "OutcomeAchievement",
    "OutcomeAgreed",
    "OutcomeCategory",
    "OutcomeRating",
    "OutcomesReviewed",
    "Participant",
    "ParticipantRole",
    "PlanAction",
    "PlanActionCompleted",
    "Professional",
    "RepeatConcernJoined",
    "ReviewDateAgreed",
    "ReviewStage",
    "RiskDetail",
    "RiskDiscussionHeld",
    "RiskOption",
    "SacCaseDetails",
    "SafeguardingPlanAgreed",
    "StatutoryGround",
    "TheirWords",
    "Wish",
    "WishesOverridden",
]
