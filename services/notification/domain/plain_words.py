"""What each step in a case means, in plain words: for the messages recipients get (the person,
standard or easy read; a representative or advocate, about the person) and for the
communications log practitioners read.

Messages never quote the council's internal codes (s42, SAC labels): a person told "risk
identified and action taken" learns nothing. Easy-read words keep to one short idea per line.
Words about results follow the person's own ratings and are the council's view where they are
the council's ("we think"): a message never claims more than the person said.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.events.intake import NoFurtherActionRoute, S42Decision
from shared.events.notification import (
    Channel,
    ClashKind,
    MessageFormat,
    PractitionerContactReason,
    RecipientRole,
    WithholdingReason,
)
from shared.events.outcomes import (
    ExperienceAnswer,
    FormalActionKind,
    MeetingFormat,
    StatutoryGround,
)
from shared.sac import ActionTakenAndResult, RiskOutcome

if TYPE_CHECKING:
    from services.notification.domain.messages import Ratings, StepFacts

STANDARD = MessageFormat.STANDARD
EASY_READ = MessageFormat.EASY_READ

WHAT_THEY_ARE_TOLD: Mapping[str, str] = {
    "concern_received": "the concern raised about them, and what happens next",
    "s42_decision": "the decision on what happens with the concern",
    "enquiry_started": "the start of the enquiry into what happened",
    "lead_worker_assigned": "who their lead worker is",
    "advocate_appointed": "who their advocate is",
    "meeting_arranged": "a meeting they are invited to",
    "plan_agreed": "their safeguarding plan",
    "outcomes_reviewed": "the summary of their review",
    "wishes_overridden": "a decision to act against their wishes, and why",
    "formal_action_taken": "a formal action that has been taken",
    "enquiry_concluded": "what the enquiry found",
    "case_closed": "the closing of their case, and who to contact",
}
"""Per message template: what the recipient is told about (completes "told them about ...")."""

STEP_NAMES: Mapping[str, str] = {
    "ConcernRaised": "a concern was raised",
    "ConcernSubmissionRejected": "a submission was rejected",
    "ConcernLinkedToPerson": "the concern was linked to the person's record",
    "ConcernUnlinkedFromPerson": "the concern was unlinked from a person's record",
    "RepeatConcernLinked": "a repeat concern was linked",
    "InformationGathered": "information was gathered",
    "S42DecisionMade": "the manager decided what happens with the concern",
    "ReferrerFeedbackGiven": "the referrer was given feedback",
    "PersonErased": "the person's personal data was erased",
    "LegalHoldPlaced": "a legal hold was placed on the person's records",
    "LegalHoldLifted": "the legal hold on the person's records was lifted",
    "CaseOpened": "the case was opened",
    "CaseMovedToPerson": "the case was moved to the right person",
    "EnquiryStarted": "the enquiry started",
    "LeadWorkerAssigned": "a lead worker was assigned",
    "ConversationHeld": "a conversation was held",
    "DesiredOutcomeExpressed": "the person said what they want",
    "DesiredOutcomeRevised": "the person changed what they want",
    "DesiredOutcomeWithdrawn": "the person withdrew an outcome",
    "OutcomeAgreed": "an outcome was agreed",
    "FormalActionWishesRecorded": "the person's wishes about formal action were recorded",
    "MentalCapacityAssessed": "mental capacity was assessed",
    "AdvocateAppointed": "an advocate was appointed",
    "RiskDiscussionHeld": "risks were discussed",
    "MeetingArranged": "a meeting was arranged",
    "SafeguardingPlanAgreed": "the plan was agreed",
    "WishesOverridden": "a manager overrode the person's wishes",
    "FormalActionTaken": "a formal action was taken",
    "NextContactAgreed": "the next contact was agreed",
    "ReviewDateAgreed": "a review date was agreed",
    "AgreedDateMissed": "an agreed date was missed",
    "OutcomesReviewed": "the outcomes were reviewed",
    "EnquiryConcluded": "the enquiry was concluded",
    "CaseClosed": "the case was closed",
}

ROLE_NAMES: Mapping[RecipientRole, str] = {
    RecipientRole.PERSON: "the person",
    RecipientRole.REPRESENTATIVE: "their representative",
    RecipientRole.ADVOCATE: "their advocate",
}

CHANNEL_NAMES: Mapping[Channel, str] = {
    Channel.EMAIL: "email",
    Channel.SMS: "text message",
    Channel.LETTER: "letter",
    Channel.PRACTITIONER_CALL: "a practitioner's call",
}

WITHHOLDING_REASONS: Mapping[WithholdingReason, str] = {
    WithholdingReason.POLICE_INVESTIGATION: "a police investigation",
    WithholdingReason.RISK_TO_PERSON: "a risk to the person",
    WithholdingReason.OTHER: "another reason",
}

PRACTITIONER_CONTACT_REASONS: Mapping[PractitionerContactReason, str] = {
    PractitionerContactReason.ONLY_ROUTE_UNSAFE: "every way of sending it may reach an alleged "
    "source of risk or was marked unsafe",
    PractitionerContactReason.PERSON_ASKED_FOR_CALL: "the person asked to be told by a call",
    PractitionerContactReason.NO_CONTACT_POINT: "there was no way of sending it",
    PractitionerContactReason.ROUTE_NOT_CONFIRMED: "no practitioner has confirmed a safe way to "
    "reach them for this concern",
    PractitionerContactReason.LANGUAGE_NOT_AVAILABLE: "there is no reviewed message in their "
    "language (an interpreter or a translated letter is needed)",
    PractitionerContactReason.PRACTITIONER_TO_TELL: "a practitioner decided to tell them in "
    "person or by phone",
    PractitionerContactReason.STEP_NOT_HANDLED: "the system could not handle this step",
}

CLASHES: Mapping[ClashKind, str] = {
    ClashKind.SOURCE_CONTACT_POINT: "is an alleged source of risk's own",
    ClashKind.MARKED_UNSAFE: "was marked unsafe",
    ClashKind.NAME_LIKE_SOURCE: "name is, or is like, an alleged source of risk's",
    ClashKind.RELATIONSHIP_LIKE_SOURCE: "relationship to the person is an alleged source of risk's",
    ClashKind.HOUSEHOLD_OF_SOURCE: "household may be an alleged source of risk's",
    ClashKind.HOME_SHARED_WITH_SOURCE: "is the person's home, which an alleged source of risk "
    "may share",
    ClashKind.AT_SERVICE_PROVIDER: "is at the service provider an alleged source of risk works for",
}
"""Completes "the <recipient>'s [<contact point>] ..."."""

SUPPORTER_ROLES: Mapping[RecipientRole, str] = {
    RecipientRole.REPRESENTATIVE: "representative",
    RecipientRole.ADVOCATE: "independent advocate",
}

MEETING_FORMATS: Mapping[MeetingFormat, str] = {
    MeetingFormat.IN_PERSON: "in person",
    MeetingFormat.PHONE: "by phone",
    MeetingFormat.VIDEO: "by video call",
}


@dataclass(frozen=True)
class About:
    """Whom a message is about: the person reading it ("you"), or, for a representative or
    advocate, the person by their first name."""

    name: str | None = None

    @property
    def is_the_reader(self) -> bool:
        return self.name is None


YOU = About()


def step_name(event_type: str) -> str:
    return STEP_NAMES.get(event_type, event_type)


def what_they_are_told(template: str | None, event_type: str) -> str:
    if template is not None and template in WHAT_THEY_ARE_TOLD:
        return WHAT_THEY_ARE_TOLD[template]
    return step_name(event_type)


_S42: Mapping[tuple[S42Decision, MessageFormat], str] = {
    (S42Decision.S42_ENQUIRY, STANDARD): (
        "We will make enquiries to find out what happened. We will work with you on what you "
        "would like to happen, and what you want will guide what we do."
    ),
    (S42Decision.S42_ENQUIRY, EASY_READ): (
        "We will find out what happened.\nWe will ask you what you want to happen."
    ),
    (S42Decision.OTHER_ENQUIRY, STANDARD): (
        "We will look into what happened with you, and work with you on what you would like "
        "to happen."
    ),
    (S42Decision.OTHER_ENQUIRY, EASY_READ): (
        "We will look into what happened with you.\nWe will ask you what you want to happen."
    ),
}

_S42_ABOUT: Mapping[S42Decision, str] = {
    S42Decision.S42_ENQUIRY: "We will make enquiries to find out what happened, and work with "
    "{name} on what they would like to happen.",
    S42Decision.OTHER_ENQUIRY: "We will look into what happened with {name}, and work with them "
    "on what they would like to happen.",
}

_NO_FURTHER_ACTION: Mapping[tuple[NoFurtherActionRoute, MessageFormat], str] = {
    (NoFurtherActionRoute.NO_ACTION, STANDARD): "We will not be taking any further action.",
    (NoFurtherActionRoute.NO_ACTION, EASY_READ): "We will not do anything more.",
    (NoFurtherActionRoute.ADVICE_AND_GUIDANCE, STANDARD): (
        "We will give you advice and information that may help."
    ),
    (NoFurtherActionRoute.ADVICE_AND_GUIDANCE, EASY_READ): "We will give you advice.",
    (NoFurtherActionRoute.CARE_ACT_ASSESSMENT, STANDARD): (
        "We will offer you an assessment of the care and support you need."
    ),
    (NoFurtherActionRoute.CARE_ACT_ASSESSMENT, EASY_READ): ("We will ask you what help you need."),
    (NoFurtherActionRoute.CASE_MANAGEMENT, STANDARD): (
        "The team that already supports you will follow this up with you."
    ),
    (NoFurtherActionRoute.CASE_MANAGEMENT, EASY_READ): (
        "The people who already help you will talk to you."
    ),
    (NoFurtherActionRoute.REVIEW, STANDARD): (
        "We will review the care and support you already have."
    ),
    (NoFurtherActionRoute.REVIEW, EASY_READ): "We will check the help you get now.",
    (NoFurtherActionRoute.OTHER_COUNCIL_SERVICE, STANDARD): (
        "Another council service will help you with this."
    ),
    (NoFurtherActionRoute.OTHER_COUNCIL_SERVICE, EASY_READ): (
        "Another team at the council will help you."
    ),
    (NoFurtherActionRoute.SIGNPOSTED_EXTERNALLY, STANDARD): (
        "We will tell you about other organisations that can help."
    ),
    (NoFurtherActionRoute.SIGNPOSTED_EXTERNALLY, EASY_READ): (
        "We will tell you about other people who can help."
    ),
    (NoFurtherActionRoute.PASSED_TO_ANOTHER_COUNCIL, STANDARD): (
        "We have passed the concern to the council for the area where you live, who will "
        "help you with it."
    ),
    (NoFurtherActionRoute.PASSED_TO_ANOTHER_COUNCIL, EASY_READ): (
        "Another council will help you.\nIt is the council where you live."
    ),
}

_NO_FURTHER_ACTION_ABOUT: Mapping[NoFurtherActionRoute, str] = {
    NoFurtherActionRoute.NO_ACTION: "We will not be taking any further action.",
    NoFurtherActionRoute.ADVICE_AND_GUIDANCE: "We will give {name} advice and information that "
    "may help.",
    NoFurtherActionRoute.CARE_ACT_ASSESSMENT: "We will offer {name} an assessment of the care "
    "and support they need.",
    NoFurtherActionRoute.CASE_MANAGEMENT: "The team that already supports {name} will follow "
    "this up with them.",
    NoFurtherActionRoute.REVIEW: "We will review the care and support {name} already has.",
    NoFurtherActionRoute.OTHER_COUNCIL_SERVICE: "Another council service will help {name} with "
    "this.",
    NoFurtherActionRoute.SIGNPOSTED_EXTERNALLY: "We will tell {name} about other organisations "
    "that can help.",
    NoFurtherActionRoute.PASSED_TO_ANOTHER_COUNCIL: "We have passed the concern to the council "
    "for the area where {name} lives, who will help with it.",
}


def s42_decision(facts: StepFacts, format: MessageFormat, about: About = YOU) -> str | None:
    """The manager's decision on the concern, in plain words."""
    decision = facts.s42_decision
    if decision is None:
        return None
    if decision is not S42Decision.NO_FURTHER_ACTION:
        if about.name is not None:
            return _S42_ABOUT[decision].format(name=about.name)
        return _S42[(decision, format)]
    route = facts.no_further_action_route or NoFurtherActionRoute.NO_ACTION
    if about.name is not None:
        opening = (
            f"We will not be making safeguarding enquiries about the concern for {about.name}."
        )
        next_step = _NO_FURTHER_ACTION_ABOUT[route].format(name=about.name)
    else:
        opening = (
            "We will not look into this any more."
            if format is EASY_READ
            else "We will not be making safeguarding enquiries about this concern."
        )
        next_step = _NO_FURTHER_ACTION[(route, format)]
    if route is NoFurtherActionRoute.NO_ACTION:
        return opening
    return f"{opening}\n{next_step}"


_CONCLUSIONS: Mapping[tuple[ActionTakenAndResult, MessageFormat], str] = {
    (ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN, STANDARD): (
        "We found that there was a risk to you, and action was taken to reduce it."
    ),
    (ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN, EASY_READ): (
        "We found you were at risk.\nThings were done about it."
    ),
    (ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN, STANDARD): (
        "We found that there was a risk to you. No further action has been taken."
    ),
    (ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN, EASY_READ): (
        "We found you were at risk.\nNothing more has been done."
    ),
    (ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN, STANDARD): (
        "We could not be sure whether there was a risk to you, but action was taken to help "
        "keep you safe."
    ),
    (ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN, EASY_READ): (
        "We could not be sure if you were at risk.\nThings were done to help keep you safe."
    ),
    (ActionTakenAndResult.INCONCLUSIVE_NO_ACTION_TAKEN, STANDARD): (
        "We could not be sure whether there was a risk to you. No further action has been taken."
    ),
    (ActionTakenAndResult.INCONCLUSIVE_NO_ACTION_TAKEN, EASY_READ): (
        "We could not be sure if you were at risk.\nNothing more has been done."
    ),
    (ActionTakenAndResult.NO_RISK_ACTION_TAKEN, STANDARD): (
        "We did not find a risk to you, but action was taken to help you."
    ),
    (ActionTakenAndResult.NO_RISK_ACTION_TAKEN, EASY_READ): (
        "We did not find you were at risk.\nThings were done to help you."
    ),
    (ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN, STANDARD): (
        "We did not find a risk to you, so no further action is needed."
    ),
    (ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN, EASY_READ): (
        "We did not find you were at risk.\nNothing more needs to be done."
    ),
    (ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST, STANDARD): (
        "As you asked, we have stopped looking into what happened."
    ),
    (ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST, EASY_READ): (
        "You asked us to stop.\nWe have stopped."
    ),
}

_CONCLUSIONS_ABOUT: Mapping[ActionTakenAndResult, str] = {
    ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN: "We found that there was a risk to "
    "{name}, and action was taken to reduce it.",
    ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN: "We found that there was a risk to "
    "{name}. No further action has been taken.",
    ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN: "We could not be sure whether there was a "
    "risk to {name}, but action was taken to help keep them safe.",
    ActionTakenAndResult.INCONCLUSIVE_NO_ACTION_TAKEN: "We could not be sure whether there was a "
    "risk to {name}. No further action has been taken.",
    ActionTakenAndResult.NO_RISK_ACTION_TAKEN: "We did not find a risk to {name}, but action was "
    "taken to help them.",
    ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN: "We did not find a risk to {name}, so no "
    "further action is needed.",
    ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST: "As {name} asked, we have stopped "
    "looking into what happened.",
}

_RISK_OUTCOMES: Mapping[tuple[RiskOutcome, MessageFormat], str] = {
    (RiskOutcome.RISK_REMAINED, STANDARD): (
        "We think some risk remains, and we will keep talking with you about it."
    ),
    (RiskOutcome.RISK_REMAINED, EASY_READ): "We think there is still some risk.\nWe will keep "
    "talking.",
    (RiskOutcome.RISK_REDUCED, STANDARD): "We think the risk to you is now lower.",
    (RiskOutcome.RISK_REDUCED, EASY_READ): "We think the risk is lower now.",
    (RiskOutcome.RISK_REMOVED, STANDARD): "We think the risk to you has been removed.",
    (RiskOutcome.RISK_REMOVED, EASY_READ): "We think the risk has gone.",
}

_RISK_OUTCOMES_ABOUT: Mapping[RiskOutcome, str] = {
    RiskOutcome.RISK_REMAINED: "We think some risk remains, and we will keep talking with "
    "{name} about it.",
    RiskOutcome.RISK_REDUCED: "We think the risk to {name} is now lower.",
    RiskOutcome.RISK_REMOVED: "We think the risk to {name} has been removed.",
}


def findings(facts: StepFacts, format: MessageFormat, about: About = YOU) -> str | None:
    """What the enquiry found (the council's view), then what the person said of their own
    outcomes (theirs): never one passed off as the other."""
    if facts.conclusion is None:
        return None
    if about.name is not None:
        lines = [_CONCLUSIONS_ABOUT[facts.conclusion].format(name=about.name)]
        if facts.risk_outcome is not None:
            lines.append(_RISK_OUTCOMES_ABOUT[facts.risk_outcome].format(name=about.name))
    else:
        lines = [_CONCLUSIONS[(facts.conclusion, format)]]
        if facts.risk_outcome is not None:
            lines.append(_RISK_OUTCOMES[(facts.risk_outcome, format)])
    if facts.ratings is not None and facts.ratings.total:
        lines.append(_their_ratings(facts.ratings, format, about))
    return "\n".join(lines)


def review_summary(facts: StepFacts, format: MessageFormat, about: About = YOU) -> str:
    """A review, in the person's own terms: how many of their outcomes they rated achieved,
    and whether they said they feel safer."""
    lines: list[str] = []
    if about.name is not None:
        lines.append(f"{about.name} told us how things are going.")
    elif format is EASY_READ:
        lines.append("You told us how things are going.")
    else:
        lines.append("You told us how things are going with what you wanted to happen.")
    if facts.ratings is not None and facts.ratings.total:
        lines.append(_their_ratings(facts.ratings, format, about))
    if facts.feels_safer is not None and facts.feels_safer is not ExperienceAnswer.NOT_ASKED:
        lines.append(_FEELS_SAFER[facts.feels_safer].format(who=_who(about, format)))
    if facts.final_review:
        lines.append(
            "This was the last review."
            if format is EASY_READ and about.is_the_reader
            else "This was the final review before we finish our work."
        )
    return "\n".join(lines) if format is EASY_READ else " ".join(lines)


_FEELS_SAFER: Mapping[ExperienceAnswer, str] = {
    ExperienceAnswer.YES: "{who} feel safer.",
    ExperienceAnswer.PARTLY: "{who} feel a little safer, but not fully safe.",
    ExperienceAnswer.NO: "{who} do not feel safer yet.",
}


def _who(about: About, format: MessageFormat) -> str:
    if about.name is not None:
        return f"{about.name} said they"
    return "You said you"


def _their_ratings(ratings: Ratings, format: MessageFormat, about: About) -> str:
    if format is EASY_READ and about.is_the_reader:
        return (
            f"Things that happened as you wanted: {ratings.fully}.\n"
            f"Things that partly happened: {ratings.partly}.\n"
            f"Things that have not happened: {ratings.not_achieved}."
        )
    who = "you" if about.is_the_reader else about.name
    verb = "was" if ratings.fully == 1 else "were"
    return (
        f"Of the {ratings.total} outcomes {who} wanted, {who} said {ratings.fully} {verb} fully "
        f"achieved, {ratings.partly} partly achieved and {ratings.not_achieved} not achieved."
    )


_ACTIONS_TO_COME: Mapping[FormalActionKind, str] = {
    FormalActionKind.POLICE: "We will tell the police about what happened.",
    FormalActionKind.DISCIPLINARY: "We will ask the employer to consider disciplinary action.",
    FormalActionKind.REGULATOR: (
        "We will tell the organisation that checks care services about what happened."
    ),
    FormalActionKind.LEGAL: "We will start legal action.",
}

_ACTIONS_TAKEN: Mapping[FormalActionKind, str] = {
    FormalActionKind.POLICE: "The police have been told about what happened.",
    FormalActionKind.DISCIPLINARY: "The employer has been asked to consider disciplinary action.",
    FormalActionKind.REGULATOR: (
        "The organisation that checks care services has been told about what happened."
    ),
    FormalActionKind.LEGAL: "Legal action has been started.",
}


def action_to_come(facts: StepFacts) -> str | None:
    return _ACTIONS_TO_COME[facts.formal_action] if facts.formal_action else None


def action_taken(facts: StepFacts) -> str | None:
    return _ACTIONS_TAKEN[facts.formal_action] if facts.formal_action else None


_GROUNDS: Mapping[StatutoryGround, str] = {
    StatutoryGround.OTHERS_AT_RISK: "other people may be at risk",
    StatutoryGround.CRIME_OR_SUSPECTED_CRIME: "a crime may have been committed",
    StatutoryGround.PUBLIC_INTEREST: "it is in the public interest",
    StatutoryGround.COERCION_OR_CONTROL: "someone may be putting pressure on {whom} or "
    "controlling what happens",
    StatutoryGround.HIGH_RISK_TO_LIFE_OR_LIMB: "there is a high risk of serious harm",
    StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS: "the decision had to be made in {whose} best "
    "interests",
    StatutoryGround.REGULATED_PROVIDER_OR_POSITION_OF_TRUST: "a care service, or someone in a "
    "position of trust, is involved",
}


def grounds(facts: StepFacts, about: About = YOU) -> list[str]:
    """Why a manager decided to act without the person's agreement: the statutory grounds they
    recorded, in plain words (never the manager's own text)."""
    whom = "you" if about.is_the_reader else about.name
    whose = "your" if about.is_the_reader else f"{about.name}'s"
    return [_GROUNDS[g].format(whom=whom, whose=whose) for g in facts.override_grounds]
