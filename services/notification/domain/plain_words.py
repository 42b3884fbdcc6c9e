"""What each step in a case means, in plain words: for the person's messages (standard and easy
read) and for the communications log practitioners read.

Messages never quote the council's internal codes (s42, SAC labels): a person told "risk
identified and action taken" learns nothing. Easy-read words keep to one short idea per line.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.events.intake import NoFurtherActionRoute, S42Decision, S42DecisionMade
from shared.events.notification import (
    Channel,
    MessageFormat,
    PractitionerContactReason,
    RecipientRole,
    WithholdingReason,
)
from shared.events.outcomes import (
    EnquiryConcluded,
    FormalActionKind,
    OutcomesReviewed,
    ReviewStage,
)
from shared.sac import Achievement, ActionTakenAndResult, RiskOutcome

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
    "CaseOpened": "the case was opened",
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
    PractitionerContactReason.ONLY_ROUTE_UNSAFE: "every way of sending it was unsafe",
    PractitionerContactReason.PERSON_ASKED_FOR_CALL: "the person asked to be told by a call",
    PractitionerContactReason.NO_CONTACT_POINT: "there was no way of sending it",
    PractitionerContactReason.STEP_NOT_HANDLED: "the system could not handle this step",
}


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


def s42_decision(decision: S42DecisionMade, format: MessageFormat) -> str:
    if decision.decision is not S42Decision.NO_FURTHER_ACTION:
        return _S42[(decision.decision, format)]
    route = decision.route or NoFurtherActionRoute.NO_ACTION
    opening = (
        "We will not look into this any more."
        if format is EASY_READ
        else "We will not be making safeguarding enquiries about this concern."
    )
    if route is NoFurtherActionRoute.NO_ACTION:
        return opening
    return f"{opening}\n{_NO_FURTHER_ACTION[(route, format)]}"


_CONCLUSIONS: Mapping[tuple[ActionTakenAndResult, MessageFormat], str] = {
    (ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN, STANDARD): (
        "We found that there was a risk to you, and action was taken to make you safer."
    ),
    (ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN, EASY_READ): (
        "We found you were at risk.\nThings were done to make you safer."
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

_RISK_OUTCOMES: Mapping[tuple[RiskOutcome, MessageFormat], str] = {
    (RiskOutcome.RISK_REMAINED, STANDARD): (
        "Some risk remains, and we will keep talking with you about it."
    ),
    (RiskOutcome.RISK_REMAINED, EASY_READ): "There is still some risk.\nWe will keep talking.",
    (RiskOutcome.RISK_REDUCED, STANDARD): "The risk to you is now lower.",
    (RiskOutcome.RISK_REDUCED, EASY_READ): "You are safer now.",
    (RiskOutcome.RISK_REMOVED, STANDARD): "The risk to you has been removed.",
    (RiskOutcome.RISK_REMOVED, EASY_READ): "The risk has gone.",
}


def conclusion(concluded: EnquiryConcluded, format: MessageFormat) -> str:
    details = concluded.case_details
    words = _CONCLUSIONS[(details.action_taken_and_result, format)]
    if details.risk_outcome is not None:
        words = f"{words}\n{_RISK_OUTCOMES[(details.risk_outcome, format)]}"
    return words


def review(reviewed: OutcomesReviewed, format: MessageFormat) -> str:
    achieved = [rating.achievement for rating in reviewed.ratings]
    fully = achieved.count(Achievement.FULLY)
    partly = achieved.count(Achievement.PARTIALLY)
    not_yet = achieved.count(Achievement.NOT_ACHIEVED)
    final = reviewed.stage is ReviewStage.CLOSURE
    if format is EASY_READ:
        lines = ["You told us how things are going."]
        if achieved:
            lines.append(f"Things that happened as you wanted: {fully}.")
            lines.append(f"Things that partly happened: {partly}.")
            lines.append(f"Things that have not happened: {not_yet}.")
        if final:
            lines.append("This was your last review.")
        return "\n".join(lines)
    words = "You told us how things are going with what you wanted to happen."
    if achieved:
        words += (
            f" Of the {len(achieved)} outcomes we talked about, you said {fully} "
            f"{'was' if fully == 1 else 'were'} fully achieved, {partly} partly achieved and "
            f"{not_yet} not achieved."
        )
    if final:
        words += " This was the final review before we finish our work with you."
    return words


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


def action_to_come(action: FormalActionKind) -> str:
    return _ACTIONS_TO_COME[action]


def action_taken(action: FormalActionKind) -> str:
    return _ACTIONS_TAKEN[action]
