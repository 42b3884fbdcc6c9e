"""Every step a practitioner or manager records, as a question page: what is asked, in what
words, and the body the service's API takes. One home per step; the rules themselves stay in the
services (a refusal comes back as a form error)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.practitioner_web.domain.forms import (
    YES_NO,
    Answers,
    Body,
    Choice,
    Form,
    Kind,
    Question,
    choices_of,
    date_of,
    text,
    time_of,
    values,
)
from shared.events.intake import NoFurtherActionRoute, S42Criterion, S42Decision
from shared.events.notification import MessageFormat, RecipientRole, WithholdingReason
from shared.events.outcomes import (
    CeasedReason,
    ContactMode,
    ConversationMode,
    ExperienceAnswer,
    ExpressedBy,
    FormalActionKind,
    MeetingFormat,
    OutcomeCategory,
    ParticipantRole,
    StatutoryGround,
    Wish,
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

PLAN_ACTIONS = 3
RISK_OPTIONS = 3
LOCAL_TIME = ZoneInfo("Europe/London")
"""The council's clock: a time typed on a form is a time in England."""


@dataclass(frozen=True)
class CaseContext:
    """What a case's forms need to offer: its outcomes, and who is recording."""

    person_name: str
    recorder: str
    desired_outcomes: tuple[tuple[str, str], ...] = ()
    """(id, the person's words) of the outcomes they still want."""
    agreed_outcomes: tuple[tuple[str, str], ...] = ()
    capacity_assessments: tuple[tuple[str, str], ...] = ()
    """(id, the decision assessed) of assessments finding they lack capacity for it."""
    risk_types: tuple[str, ...] = ()
    location: str | None = None
    source: str | None = None
    today: date = field(default_factory=date.today)


ACTION_WORDS = {
    "police": "a police referral",
    "disciplinary": "a disciplinary referral",
    "regulator": "a referral to the regulator",
    "legal": "legal action",
}
WISH_WORDS = {"wants": "Wants it", "does_not_want": "Does not want it", "undecided": "Undecided"}
EXPRESSED_WORDS = {
    "person": "The person themselves",
    "representative": "Their representative",
    "advocate": "Their advocate",
}
CATEGORY_WORDS = {
    "safety": "Feeling or being safer",
    "relationship": "A relationship",
    "justice": "Justice",
    "apology": "An apology",
    "prevent_harm_to_others": "Preventing harm to others",
    "wellbeing_social": "Wellbeing or social life",
    "other": "Something else",
}
EXPERIENCE_WORDS = {"yes": "Yes", "partly": "Partly", "no": "No", "not_asked": "Not asked"}
DECISION_WORDS = {
    "s42_enquiry": "Section 42 enquiry",
    "other_enquiry": "Other safeguarding enquiry",
    "no_further_action": "No further safeguarding action",
}
CEASED_WORDS = {
    "persons_request": "They asked for it to stop",
    "person_died": "They died",
    "no_longer_at_risk": "They are no longer at risk",
}
GROUND_WORDS = {
    "others_at_risk": "Other people are at risk",
    "crime_or_suspected_crime": "A crime has been, or is suspected to have been, committed",
    "public_interest": "It is in the public interest",
    "coercion_or_control": "They are under coercion or control",
    "high_risk_to_life_or_limb": "There is a high risk to their life or limb",
}
"""The grounds a manager may override on; lacking capacity is decided by a best-interests
decision instead, so it is not offered."""
MEETING_FORMAT_WORDS = {"in_person": "In person", "phone": "By phone", "video": "By video"}
RECIPIENT_WORDS = {
    "person": "The person themselves",
    "representative": "Their representative",
    "advocate": "Their advocate",
}
WITHHOLDING_WORDS = {
    "police_investigation": "A police investigation would be put at risk",
    "risk_to_person": "Telling them would put them at risk",
}


def _mode_choices() -> tuple[Choice, ...]:
    return choices_of(ConversationMode, {"in_person": "In person", "phone": "By phone"})


def _formal_action() -> Question:
    return Question(
        "action",
        "Which formal action?",
        Kind.RADIOS,
        choices=choices_of(FormalActionKind, ACTION_WORDS),
        noun="the formal action",
    )


def _expressed_by(label: str, noun: str) -> Question:
    return Question(
        "expressed_by",
        label,
        Kind.RADIOS,
        choices=choices_of(ExpressedBy, EXPRESSED_WORDS),
        noun=noun,
    )


def _category() -> Question:
    return Question(
        "category",
        "What is it about?",
        Kind.SELECT,
        required=False,
        hint="Optional: nothing makes safety come first",
        choices=choices_of(OutcomeCategory, CATEGORY_WORDS),
    )


def _words(answers: Answers, name: str) -> str:
    return text(answers, name) or ""


def _optional(answers: Answers, name: str) -> str | None:
    return text(answers, name)


# --- intake ---------------------------------------------------------------------------------------


def information() -> Form:
    return Form(
        key="information",
        title="Record information gathered",
        lead="What you learned while looking into the concern, exactly as it should be kept.",
        questions=(
            Question("source", "Who did it come from?", hint="For example, the person, their GP"),
            Question("note", "What did you learn?", Kind.TEXTAREA, noun="what you learned"),
        ),
        body=lambda a: {"source": _words(a, "source"), "note": _words(a, "note")},
        done="Information recorded",
    )


def s42_decision() -> Form:
    return Form(
        key="decision",
        title="Record the section 42 decision",
        lead="Does the duty to make enquiries (Care Act 2014, section 42) apply?",
        managers_only=True,
        questions=(
            Question(
                "decision",
                "What is your decision?",
                Kind.RADIOS,
                choices=choices_of(S42Decision, DECISION_WORDS),
                noun="your decision",
            ),
            Question(
                "failed_criterion",
                "Which section 42(1) criterion is not met?",
                Kind.SELECT,
                required=False,
                hint="Only when it is not a section 42 enquiry",
                choices=choices_of(S42Criterion),
                noun="the criterion not met",
            ),
            Question(
                "route",
                "Where does the concern go instead?",
                Kind.SELECT,
                required=False,
                hint="Only for no further safeguarding action",
                choices=choices_of(NoFurtherActionRoute),
                noun="where the concern goes",
            ),
            Question("rationale", "Why?", Kind.TEXTAREA, noun="your reasons"),
        ),
        body=lambda a: {
            "decision": _words(a, "decision"),
            "failed_criterion": _optional(a, "failed_criterion"),
            "route": _optional(a, "route"),
            "rationale": _words(a, "rationale"),
        },
        done="Decision recorded",
    )


# --- outcomes: the enquiry ------------------------------------------------------------------------


def allocation(ctx: CaseContext) -> Form:
    return Form(
        key="allocation",
        title="Allocate the case",
        lead="To a team, and to a worker in it when you know who. It shows on their work.",
        managers_only=True,
        questions=(
            Question(
                "team",
                "Which team?",
                hint="As the council's directory names it, for example north-team",
                noun="the team",
            ),
            Question(
                "worker",
                "Which worker?",
                required=False,
                hint="Their name as it appears on their work; leave empty for the team to pick up",
            ),
        ),
        body=lambda a: {"team": _words(a, "team"), "worker": _optional(a, "worker")},
        done="Case allocated",
    )


def lead_worker(ctx: CaseContext) -> Form:
    return Form(
        key="lead-worker",
        title="Name the lead worker",
        questions=(
            Question("name", "Lead worker's name", hint="As it should appear on their work"),
            Question("contact", "How can the person reach them?", noun="how to reach them"),
        ),
        body=lambda a: {"name": _words(a, "name"), "contact": _words(a, "contact")},
        done="Lead worker named",
    )


def conversation(ctx: CaseContext) -> Form:
    return Form(
        key="conversation",
        title=f"Record a conversation with {ctx.person_name}",
        lead="Record what they want in their own words next, as desired outcomes.",
        questions=(
            Question("mode", "How did you talk?", Kind.RADIOS, choices=_mode_choices()),
            Question(
                "others",
                "Who else took part?",
                required=False,
                hint="Their names, separated by commas; you and the person are included",
            ),
            Question("summary", "What was talked about?", Kind.TEXTAREA, noun="a summary"),
        ),
        body=lambda a: {
            "participants": [
                {"role": "person", "name": ctx.person_name},
                {"role": "practitioner", "name": ctx.recorder},
                *(
                    {"role": "other_professional", "name": name.strip()}
                    for name in _words(a, "others").split(",")
                    if name.strip()
                ),
            ],
            "mode": _words(a, "mode"),
            "summary": _words(a, "summary"),
        },
        done="Conversation recorded",
    )


def case_note(ctx: CaseContext) -> Form:
    return Form(
        key="case-note",
        title="Record a case note",
        lead="A contact between professionals. For staff only: never sent to the person.",
        questions=(
            Question("name", "Who was the contact with?", noun="their name"),
            Question("role", "Their role", hint="For example, GP, police constable"),
            Question("organisation", "Their organisation"),
            Question(
                "mode",
                "How?",
                Kind.RADIOS,
                choices=choices_of(ContactMode),
                noun="how the contact was made",
            ),
            Question("what_was_said", "What was said?", Kind.TEXTAREA, noun="what was said"),
            Question(
                "what_was_agreed",
                "What was agreed?",
                Kind.TEXTAREA,
                required=False,
                noun="what was agreed",
            ),
        ),
        body=lambda a: {
            "contact_with": [
                {
                    "name": _words(a, "name"),
                    "role": _words(a, "role"),
                    "organisation": _words(a, "organisation"),
                }
            ],
            "mode": _words(a, "mode"),
            "what_was_said": _words(a, "what_was_said"),
            "what_was_agreed": _optional(a, "what_was_agreed"),
        },
        done="Case note recorded",
    )


def desired_outcome(ctx: CaseContext) -> Form:
    return Form(
        key="desired-outcome",
        title=f"What does {ctx.person_name} want to happen?",
        lead="Write it exactly as they said it: their words are kept as they are.",
        questions=(
            Question(
                "text",
                "In their own words",
                Kind.TEXTAREA,
                noun="what they want, in their own words",
                api_fields=("text",),
            ),
            _expressed_by("Who said it?", "who said it"),
            _category(),
        ),
        body=lambda a: {
            "text": _words(a, "text"),
            "expressed_by": _words(a, "expressed_by"),
            "category": _optional(a, "category"),
        },
        done="Their words are recorded",
    )


def formal_action_wishes(ctx: CaseContext) -> Form:
    return Form(
        key="formal-action-wishes",
        title="Record what they want about formal action",
        lead="Only the person's own wish can be their consent.",
        questions=(
            _formal_action(),
            Question(
                "wish",
                "What do they want?",
                Kind.RADIOS,
                choices=choices_of(Wish, WISH_WORDS),
                noun="what they want",
            ),
            Question("in_their_words", "In their own words", Kind.TEXTAREA, noun="their words"),
            _expressed_by("Whose view is this?", "whose view it is"),
        ),
        body=lambda a: {
            "action": _words(a, "action"),
            "wish": _words(a, "wish"),
            "in_their_words": _words(a, "in_their_words"),
            "expressed_by": _words(a, "expressed_by"),
        },
        done="Their wishes are recorded",
    )


def formal_action(ctx: CaseContext) -> Form:
    return Form(
        key="formal-action",
        title="Record a formal action taken",
        lead="Only with their consent (recorded by someone else), a best-interests decision, "
        "or a manager's override.",
        questions=(
            _formal_action(),
            Question("description", "What is to be done?", Kind.TEXTAREA, noun="what is done"),
            Question("requested_by", "Who asked for it?", required=False),
        ),
        body=lambda a: {
            "action": _words(a, "action"),
            "description": _words(a, "description"),
            "requested_by": _optional(a, "requested_by"),
        },
        done="Formal action recorded",
    )


def risk_discussion(ctx: CaseContext) -> Form:
    options: list[Question] = []
    for n in range(1, RISK_OPTIONS + 1):
        group = f"Option {n}"
        required = n == 1
        options += [
            Question(f"option_{n}", f"Option {n}", required=required, group=group),
            Question(f"risks_{n}", f"Risks of option {n}", Kind.TEXTAREA, required, group=group),
            Question(
                f"benefits_{n}", f"Benefits of option {n}", Kind.TEXTAREA, required, group=group
            ),
        ]

    def body(a: Answers) -> Body:
        present = [
            {"role": "person", "name": ctx.person_name},
            {"role": "practitioner", "name": ctx.recorder},
        ]
        return {
            "present": present,
            "options": [
                {
                    "option": _words(a, f"option_{n}"),
                    "risks": _words(a, f"risks_{n}"),
                    "benefits": _words(a, f"benefits_{n}"),
                }
                for n in range(1, RISK_OPTIONS + 1)
                if text(a, f"option_{n}")
            ],
            "persons_decision": _words(a, "persons_decision"),
        }

    return Form(
        key="risk-discussion",
        title="Record a risk discussion",
        lead="The options talked through openly with the person, with the risks and benefits "
        "of each, and what they decided.",
        questions=(
            *options,
            Question(
                "persons_decision",
                "What did they decide, in their own words?",
                Kind.TEXTAREA,
                noun="their decision",
            ),
        ),
        body=body,
        done="Risk discussion recorded",
    )


def agreed_outcome(ctx: CaseContext) -> Form:
    return Form(
        key="agreed-outcome",
        title="Agree an outcome with them",
        questions=(
            Question("wording", "The outcome agreed", Kind.TEXTAREA, noun="the outcome agreed"),
            Question(
                "serves",
                "Which of their desired outcomes does it serve?",
                Kind.CHECKBOXES,
                choices=tuple(Choice(i, f"“{words}”") for i, words in ctx.desired_outcomes),
                noun="the desired outcomes it serves",
            ),
        ),
        body=lambda a: {"wording": _words(a, "wording"), "serves": values(a, "serves")},
        done="Outcome agreed",
    )


def plan(ctx: CaseContext) -> Form:
    questions: list[Question] = []
    for n in range(1, PLAN_ACTIONS + 1):
        group = f"Action {n}"
        required = n == 1
        questions += [
            Question(
                f"description_{n}",
                f"What will be done (action {n})",
                Kind.TEXTAREA,
                required,
                group=group,
            ),
            Question(
                f"serves_{n}",
                f"Which agreed outcome does action {n} serve?",
                Kind.SELECT,
                required,
                choices=tuple(Choice(i, words) for i, words in ctx.agreed_outcomes),
                group=group,
            ),
            Question(f"owner_{n}", f"Who will do action {n}?", required=required, group=group),
            Question(
                f"date_{n}",
                f"By when (action {n})",
                Kind.DATE,
                required,
                group=group,
                hint="For example, 27 3 2027",
            ),
        ]

    def body(a: Answers) -> Body:
        return {
            "actions": [
                {
                    "description": _words(a, f"description_{n}"),
                    "serves": [_words(a, f"serves_{n}")],
                    "owner": _words(a, f"owner_{n}"),
                    "agreed_date": str(date_of(a, f"date_{n}")),
                }
                for n in range(1, PLAN_ACTIONS + 1)
                if text(a, f"description_{n}")
            ]
        }

    return Form(
        key="plan",
        title="Agree the safeguarding plan",
        lead="Each action serves an outcome agreed with them. A new plan replaces the last.",
        questions=tuple(questions),
        body=body,
        done="Plan agreed",
    )


def review_date(ctx: CaseContext) -> Form:
    return Form(
        key="review-date",
        title="Record the review date agreed with them",
        questions=(Question("review_on", "Review date", Kind.DATE, hint="For example, 27 3 2027"),),
        body=lambda a: {"review_on": str(date_of(a, "review_on"))},
        done="Review date recorded",
    )


def next_contact(ctx: CaseContext) -> Form:
    return Form(
        key="next-contact",
        title="Record when they agreed to be contacted next",
        questions=(
            Question("contact_on", "Next contact", Kind.DATE, hint="For example, 27 3 2027"),
        ),
        body=lambda a: {"contact_on": str(date_of(a, "contact_on"))},
        done="Next contact recorded",
    )


def _experience(name: str, label: str) -> Question:
    return Question(
        name,
        label,
        Kind.RADIOS,
        choices=choices_of(ExperienceAnswer, EXPERIENCE_WORDS),
        group="How it felt to them",
        noun=f"their answer to “{label}”",
    )


def review(ctx: CaseContext) -> Form:
    ratings: list[Question] = []
    for n, (outcome_id, words) in enumerate(ctx.desired_outcomes, start=1):
        group = f"“{words}”"
        ratings += [
            Question(
                f"achieved_{outcome_id}",
                "In their view, was it achieved?",
                Kind.RADIOS,
                choices=choices_of(Achievement),
                group=group,
                noun=f"whether outcome {n} was achieved",
            ),
            Question(
                f"words_{outcome_id}",
                "What they said about it",
                Kind.TEXTAREA,
                required=False,
                group=group,
            ),
        ]

    def body(a: Answers) -> Body:
        return {
            "stage": "review",
            "ratings": [
                {
                    "outcome_id": outcome_id,
                    "achievement": _words(a, f"achieved_{outcome_id}"),
                    "in_their_words": _optional(a, f"words_{outcome_id}"),
                }
                for outcome_id, _ in ctx.desired_outcomes
            ],
            "experience": {
                key: _words(a, key)
                for key in ("felt_listened_to", "felt_involved", "felt_informed", "feels_safer")
            },
            "person_view": _optional(a, "person_view"),
        }

    return Form(
        key="review",
        title="Review their outcomes with them",
        lead="Their own ratings, and how the process felt to them.",
        questions=(
            *ratings,
            _experience("felt_listened_to", "Did they feel listened to?"),
            _experience("felt_involved", "Did they feel involved?"),
            _experience("felt_informed", "Did they feel informed?"),
            _experience("feels_safer", "Do they feel safer?"),
            Question("person_view", "Anything else they said", Kind.TEXTAREA, required=False),
        ),
        body=body,
        done="Review recorded",
    )


def _case_details() -> tuple[Question, ...]:
    """The national return's case details and whether they were asked: a conclusion's and a
    cessation's."""
    return (
        Question(
            "risk_types",
            "Types of risk",
            Kind.CHECKBOXES,
            choices=choices_of(RiskType),
            api_fields=("case_details",),
            group="Case details",
        ),
        Question(
            "location",
            "Location of risk",
            Kind.SELECT,
            choices=choices_of(RiskLocation),
            group="Case details",
        ),
        Question(
            "source",
            "Source of risk",
            Kind.SELECT,
            choices=choices_of(RiskSource),
            group="Case details",
        ),
        Question(
            "action_taken_and_result",
            "Action taken and result",
            Kind.SELECT,
            choices=choices_of(ActionTakenAndResult),
            group="Case details",
        ),
        Question(
            "risk_outcome",
            "Risk outcome",
            Kind.SELECT,
            required=False,
            hint="Only where action was taken on an identified or inconclusive risk",
            choices=choices_of(RiskOutcome),
            group="Case details",
        ),
        Question(
            "mental_capacity",
            "Did they lack capacity?",
            Kind.SELECT,
            choices=choices_of(MentalCapacity),
            group="Case details",
            noun="whether they lacked capacity",
        ),
        Question(
            "msp_asked",
            "Were they asked about their outcomes?",
            Kind.SELECT,
            choices=choices_of(MspAsked),
            group="Making Safeguarding Personal",
            noun="whether they were asked",
        ),
    )


def _achievements(ctx: CaseContext) -> tuple[Question, ...]:
    return tuple(
        Question(
            f"achieved_{outcome_id}",
            f"“{words}”: achieved in their view?",
            Kind.RADIOS,
            choices=choices_of(Achievement),
            group="Their outcomes",
            noun=f"whether “{words}” was achieved",
        )
        for outcome_id, words in ctx.desired_outcomes
    )


def _return_body(ctx: CaseContext, a: Answers) -> Body:
    """The case details, whether they were asked, and their view of each outcome."""
    return {
        "case_details": {
            "risks": [
                {
                    "risk_type": risk,
                    "location": _words(a, "location"),
                    "source": _words(a, "source"),
                }
                for risk in values(a, "risk_types")
            ],
            "action_taken_and_result": _words(a, "action_taken_and_result"),
            "risk_outcome": _optional(a, "risk_outcome"),
            "mental_capacity": _words(a, "mental_capacity"),
        },
        "msp_asked": _words(a, "msp_asked"),
        "achievements": [
            {"desired_outcome_id": i, "achievement": _words(a, f"achieved_{i}")}
            for i, _ in ctx.desired_outcomes
        ],
    }


def conclusion(ctx: CaseContext) -> Form:
    return Form(
        key="conclusion",
        title="Sign off the enquiry's conclusion",
        lead="The national return's case details, and the person's view of their outcomes.",
        managers_only=True,
        questions=(*_case_details(), *_achievements(ctx)),
        body=lambda a: _return_body(ctx, a),
        done="Conclusion signed off",
    )


def cessation(ctx: CaseContext) -> Form:
    return Form(
        key="cessation",
        title="Record that the enquiry stopped",
        lead="Before its conclusion: because they asked for it to stop, or no longer need it. "
        "The national return counts it, with the case details as far as they are known.",
        managers_only=True,
        questions=(
            Question(
                "reason",
                "Why did the enquiry stop?",
                Kind.RADIOS,
                choices=choices_of(CeasedReason, CEASED_WORDS),
                noun="why the enquiry stopped",
            ),
            Question("explanation", "Explain", Kind.TEXTAREA, noun="an explanation"),
            Question(
                "persons_view",
                "What do they say, in their own words?",
                Kind.TEXTAREA,
                required=False,
            ),
            *_case_details(),
            *_achievements(ctx),
        ),
        body=lambda a: {
            "reason": _words(a, "reason"),
            "explanation": _words(a, "explanation"),
            "persons_view": _optional(a, "persons_view"),
            **_return_body(ctx, a),
        },
        done="The enquiry's end is recorded",
    )


def closure(ctx: CaseContext) -> Form:
    return Form(
        key="closure",
        title="Close the case",
        questions=(
            Question("reason", "Why is the case closing?", Kind.TEXTAREA, noun="the reason"),
            Question(
                "person_view", "What do they say about it, in their words?", Kind.TEXTAREA, False
            ),
            Question(
                "feedback_to_referrer",
                "Will the referrer be given feedback?",
                Kind.RADIOS,
                choices=YES_NO,
                noun="whether the referrer gets feedback",
            ),
            Question(
                "sar_considered",
                "Was a Safeguarding Adults Review considered?",
                Kind.RADIOS,
                choices=YES_NO,
                noun="whether a Safeguarding Adults Review was considered",
            ),
        ),
        body=lambda a: {
            "reason": _words(a, "reason"),
            "person_view": _optional(a, "person_view"),
            "feedback_to_referrer": _words(a, "feedback_to_referrer") == "yes",
            "sar_considered": _words(a, "sar_considered") == "yes",
        },
        done="Case closed",
    )


def mental_capacity(ctx: CaseContext) -> Form:
    return Form(
        key="mental-capacity",
        title="Record a mental capacity assessment",
        lead="For one specific decision. Everyone is assumed to have capacity unless it is "
        "shown that they lack it.",
        questions=(
            Question(
                "decision", "Which decision was assessed?", Kind.TEXTAREA, noun="the decision"
            ),
            Question(
                "lacks_capacity",
                "Do they lack capacity to make this decision?",
                Kind.RADIOS,
                choices=YES_NO,
                noun="whether they lack capacity",
            ),
            Question(
                "best_interests",
                "What is in their best interests, and why?",
                Kind.TEXTAREA,
                required=False,
                hint="Needed when they lack capacity for the decision",
            ),
            Question(
                "formal_action",
                "Is the decision about a formal action?",
                Kind.SELECT,
                required=False,
                hint="A best-interests decision about that action rests on this assessment",
                choices=choices_of(FormalActionKind, ACTION_WORDS),
            ),
        ),
        body=lambda a: {
            "decision": _words(a, "decision"),
            "lacks_capacity": _words(a, "lacks_capacity") == "yes",
            "best_interests": _optional(a, "best_interests"),
            "formal_action": _optional(a, "formal_action"),
        },
        done="Capacity assessment recorded",
    )


def best_interests(ctx: CaseContext) -> Form:
    return Form(
        key="best-interests",
        title="Record a best-interests decision",
        lead="About a formal action they lack capacity to decide about, with their own wishes "
        "and the views of those consulted.",
        questions=(
            _formal_action(),
            Question(
                "capacity_assessment_id",
                "Which capacity assessment is it based on?",
                Kind.SELECT,
                choices=tuple(Choice(i, words) for i, words in ctx.capacity_assessments),
                noun="the capacity assessment",
                hint="Only assessments finding they lack capacity are listed",
            ),
            Question(
                "in_best_interests",
                "Does the action go ahead?",
                Kind.RADIOS,
                choices=YES_NO,
                noun="whether the action goes ahead",
            ),
            Question(
                "persons_wishes",
                "Their own wishes and feelings, in their words",
                Kind.TEXTAREA,
                noun="their wishes and feelings",
            ),
            Question(
                "consulted_role",
                "Who was consulted?",
                Kind.SELECT,
                choices=choices_of(ParticipantRole),
                group="Who was consulted",
                api_fields=("consulted",),
                noun="who was consulted",
            ),
            Question("consulted_name", "Their name", group="Who was consulted"),
            Question(
                "consulted_view",
                "What they said",
                Kind.TEXTAREA,
                group="Who was consulted",
                noun="what they said",
            ),
            Question("reasons", "Your reasons", Kind.TEXTAREA, noun="your reasons"),
        ),
        body=lambda a: {
            "action": _words(a, "action"),
            "capacity_assessment_id": _words(a, "capacity_assessment_id"),
            "in_best_interests": _words(a, "in_best_interests") == "yes",
            "persons_wishes": _words(a, "persons_wishes"),
            "consulted": [
                {
                    "role": _words(a, "consulted_role"),
                    "name": _words(a, "consulted_name"),
                    "view": _words(a, "consulted_view"),
                }
            ],
            "reasons": _words(a, "reasons"),
        },
        done="Best-interests decision recorded",
    )


def advocate(ctx: CaseContext) -> Form:
    return Form(
        key="advocate",
        title="Record that an independent advocate was arranged",
        lead="Care Act 2014, section 68: they have substantial difficulty taking part and no "
        "appropriate person can support them. The advocate is kept informed too.",
        questions=(
            Question("name", "Advocate's name", noun="the advocate's name"),
            Question("organisation", "Their organisation", noun="their organisation"),
            Question(
                "substantial_difficulty",
                "What substantial difficulty do they have taking part?",
                Kind.TEXTAREA,
                noun="the substantial difficulty",
            ),
            Question(
                "no_appropriate_person",
                "Why can no appropriate person support them?",
                Kind.TEXTAREA,
                noun="why no appropriate person can support them",
            ),
            Question(
                "email",
                "Advocate's email address",
                required=False,
                group="How to reach the advocate",
                api_fields=("contact",),
                hint="Checked like any route before anything is sent",
            ),
            Question(
                "phone",
                "Advocate's phone number",
                required=False,
                group="How to reach the advocate",
            ),
        ),
        body=lambda a: {
            "name": _words(a, "name"),
            "organisation": _words(a, "organisation"),
            "substantial_difficulty": _words(a, "substantial_difficulty"),
            "no_appropriate_person": _words(a, "no_appropriate_person"),
            "contact": {"email": _optional(a, "email"), "phone": _optional(a, "phone")}
            if text(a, "email") or text(a, "phone")
            else None,
        },
        done="Advocate recorded",
    )


def meeting(ctx: CaseContext) -> Form:
    def body(a: Answers) -> Body:
        day, at = date_of(a, "day"), time_of(a, "time")
        meets_at = datetime.combine(day, at, LOCAL_TIME) if day and at else None
        return {
            "meets_at": meets_at.isoformat() if meets_at else None,
            "format": _words(a, "format"),
            "where_or_how": _words(a, "where_or_how"),
            "purpose": _words(a, "purpose"),
            "invited": [
                {"role": "practitioner", "name": ctx.recorder},
                *(
                    {"role": "other_professional", "name": name.strip()}
                    for name in _words(a, "others").split(",")
                    if name.strip()
                ),
            ],
            "person_invited": _words(a, "person_invited") == "yes",
        }

    return Form(
        key="meeting",
        title="Arrange a meeting",
        lead="Where and why stay on the record: a message to them only says when, and how it "
        "is held.",
        questions=(
            Question(
                "day", "Date", Kind.DATE, hint="For example, 27 3 2027", api_fields=("meets_at",)
            ),
            Question("time", "Time", Kind.TIME, hint="On the 24-hour clock, for example 14:30"),
            Question(
                "format",
                "How is it held?",
                Kind.RADIOS,
                choices=choices_of(MeetingFormat, MEETING_FORMAT_WORDS),
                noun="how it is held",
            ),
            Question("where_or_how", "Where, or how to join", noun="where, or how to join"),
            Question("purpose", "What is it for?", Kind.TEXTAREA, noun="what it is for"),
            Question(
                "others",
                "Who else is invited?",
                required=False,
                hint="Their names, separated by commas; you are included",
                api_fields=("invited",),
            ),
            Question(
                "person_invited",
                f"Is {ctx.person_name} invited?",
                Kind.RADIOS,
                choices=YES_NO,
                noun="whether they are invited",
            ),
        ),
        body=body,
        done="Meeting arranged",
    )


def override_wishes(ctx: CaseContext) -> Form:
    return Form(
        key="override-wishes",
        title="Let one formal action go ahead against their wishes",
        lead="A manager's decision, on statutory grounds only. They are told unless telling "
        "them is unsafe.",
        managers_only=True,
        questions=(
            _formal_action(),
            Question(
                "grounds",
                "On what grounds?",
                Kind.CHECKBOXES,
                choices=tuple(
                    c
                    for c in choices_of(StatutoryGround, GROUND_WORDS)
                    if c.value != StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS
                ),
                noun="the grounds",
            ),
            Question("reason", "Your reasons", Kind.TEXTAREA, noun="your reasons"),
            Question(
                "person_told",
                "Have they been told?",
                Kind.RADIOS,
                choices=YES_NO,
                noun="whether they have been told",
            ),
            Question(
                "why_not_told",
                "Why would telling them be unsafe?",
                Kind.TEXTAREA,
                required=False,
                hint="Needed when they have not been told",
            ),
        ),
        body=lambda a: {
            "action": _words(a, "action"),
            "grounds": values(a, "grounds"),
            "reason": _words(a, "reason"),
            "person_told": _words(a, "person_told") == "yes",
            "why_not_told": _optional(a, "why_not_told"),
        },
        done="Override recorded",
    )


CASE_FORMS: dict[str, Callable[[CaseContext], Form]] = {
    form(CaseContext("", "")).key: form
    for form in (
        allocation,
        lead_worker,
        conversation,
        desired_outcome,
        case_note,
        formal_action_wishes,
        formal_action,
        override_wishes,
        mental_capacity,
        best_interests,
        advocate,
        meeting,
        risk_discussion,
        agreed_outcome,
        plan,
        next_contact,
        review_date,
        review,
        conclusion,
        cessation,
        closure,
    )
}
"""The case's forms by their key (the last part of their address)."""

CASE_PATHS = {
    "allocation": "allocation",
    "lead-worker": "lead-worker",
    "conversation": "conversations",
    "desired-outcome": "desired-outcomes",
    "case-note": "case-notes",
    "formal-action-wishes": "formal-action-wishes",
    "formal-action": "formal-actions",
    "override-wishes": "wishes-overrides",
    "mental-capacity": "mental-capacity",
    "best-interests": "best-interests-decisions",
    "advocate": "advocate",
    "meeting": "meetings",
    "cessation": "cessation",
    "risk-discussion": "risk-discussions",
    "agreed-outcome": "agreed-outcomes",
    "plan": "plan",
    "next-contact": "next-contact",
    "review-date": "review-date",
    "review": "reviews",
    "conclusion": "conclusion",
    "closure": "closure",
}
"""Where each is recorded, under /cases/{id}/ in the outcomes API."""


def revise_outcome(ctx: CaseContext, words: str) -> Form:
    return Form(
        key="revise",
        title="Record that they changed what they want",
        caption=f"They said: “{words}”",
        lead="Write it exactly as they say it now. Their earlier words are kept.",
        method="PUT",
        questions=(
            Question(
                "text",
                "What they want now, in their own words",
                Kind.TEXTAREA,
                noun="what they want now, in their own words",
            ),
            _expressed_by("Who said it?", "who said it"),
            _category(),
        ),
        body=lambda a: {
            "text": _words(a, "text"),
            "expressed_by": _words(a, "expressed_by"),
            "category": _optional(a, "category"),
        },
        done="Their new words are recorded",
    )


def withdraw_outcome(ctx: CaseContext, words: str) -> Form:
    return Form(
        key="withdraw",
        title="Record that they no longer want this",
        caption=f"They said: “{words}”",
        lead="It stays on the record as something they once wanted.",
        questions=(
            Question(
                "reason",
                "Why, in their own words?",
                Kind.TEXTAREA,
                noun="why they no longer want it, in their own words",
            ),
        ),
        body=lambda a: {"reason": _words(a, "reason")},
        done="Recorded that they no longer want it",
    )


OUTCOME_FORMS: dict[str, Callable[[CaseContext, str], Form]] = {
    "revise": revise_outcome,
    "withdraw": withdraw_outcome,
}
"""Forms about one desired outcome, by key."""

OUTCOME_PATHS = {"revise": "", "withdraw": "/withdraw"}
"""Where each is recorded, after /cases/{id}/desired-outcomes/{outcome id}."""


# --- notification ---------------------------------------------------------------------------------


def withholding(today: date) -> Form:
    return Form(
        key="withholding",
        title="Withhold or delay telling them",
        lead="Nothing is sent until the review date, and the decision is recorded with why.",
        questions=(
            Question(
                "reason",
                "Why must they not be told now?",
                Kind.RADIOS,
                choices=choices_of(WithholdingReason, WITHHOLDING_WORDS),
                noun="the reason",
            ),
            Question("reason_text", "In your words", Kind.TEXTAREA, noun="your reasons"),
            Question(
                "review_date",
                "When must this be looked at again?",
                Kind.DATE,
                hint=f"For example, {(today + timedelta(days=14)):%-d %-m %Y}",
                noun="the review date",
            ),
        ),
        body=lambda a: {
            "reason": _words(a, "reason"),
            "reason_text": _words(a, "reason_text"),
            "review_date": str(date_of(a, "review_date")),
        },
        done="Withholding recorded",
    )


def told_by_practitioner(
    told_about: str, recipients: tuple[str, ...], source_event_id: str
) -> Form:
    """A practitioner told someone about a step themselves, because nothing could be sent."""
    return Form(
        key="told",
        title="Record that you told them yourself",
        caption=f"About {told_about}",
        lead="Nothing was sent about this: record who you told, by phone or in person.",
        questions=(
            Question(
                "recipient_role",
                "Who did you tell?",
                Kind.RADIOS,
                choices=tuple(
                    c for c in choices_of(RecipientRole, RECIPIENT_WORDS) if c.value in recipients
                ),
                noun="who you told",
            ),
            Question(
                "format",
                "How did you explain it?",
                Kind.RADIOS,
                choices=choices_of(
                    MessageFormat, {"standard": "As usual", "easy_read": "In easy read"}
                ),
                noun="how you explained it",
            ),
        ),
        body=lambda a: {
            "source_event_id": source_event_id,
            "recipient_role": _words(a, "recipient_role"),
            "channel": "practitioner_call",
            "format": _words(a, "format"),
        },
        done="Recorded that you told them",
    )
