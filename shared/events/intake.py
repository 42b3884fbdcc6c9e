"""Intake's events: a concern is raised, matched to a person, looked into, decided, fed back.

Stream: one per concern, `concern-<uuid4>`. The value objects here (Person, WhatHappened, ...) are
the contract partners submit and downstream services read; `services.intake.domain.submission` builds on
them and adds only checks that depend on the day a submission arrives.

Free text (descriptions, the person's own words, notes) is stored exactly as given: only its
length is checked. One-line text (names, roles, relationships) loses control characters and line
breaks at the boundary (`shared.events.values.OneLine`). Structured values (NHS number,
postcode, email, phone) are checked for shape.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.events.envelope import DomainEvent, Role
from shared.events.registry import event
from shared.events.values import (
    VISIBLE,
    Day,
    Documented,
    Id,
    Language,
    OneLine,
    a_number,
    at_least_one_of,
    not_blank,
)
from shared.limits import MAX_LISTED_PROBLEMS, MAX_PROBLEM_FIELD_CHARS, MAX_REASON_CHARS
from shared.personal_data import Personal
from shared.sac import Ethnicity, Gender, PrimarySupportReason, RiskLocation, RiskSource, RiskType

# --- checked values -------------------------------------------------------------------------------


ShortText = OneLine
"""A name, role or relationship: 1 to 200 characters on one line."""
LongText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=10_000),
    AfterValidator(not_blank),
    Documented({"pattern": VISIBLE}),
]
"""A description, note or the person's own words: 1 to 10,000 characters, kept exactly as given."""
PartnerReference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    AfterValidator(not_blank),
    Documented({"pattern": VISIBLE}),
]
"""The partner's own id for a submission: 1 to 100 characters."""

NHS_NUMBER_ALLOWED = "10 digits (spaces allowed) whose last digit is the Modulus 11 check digit"


def nhs_number_check_digit_is_valid(digits: str) -> bool:
    """The NHS Modulus 11 check: weights 10..2 on the first nine digits; 11 - (sum mod 11) is the
    tenth digit (11 counts as 0; 10 means the number can never be valid)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_number(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    if len(digits) != 10 or not digits.isdigit():
        raise PydanticCustomError(
            "nhs_number_format", "is not 10 digits", {"allowed": NHS_NUMBER_ALLOWED}
        )
    if not nhs_number_check_digit_is_valid(digits):
        raise PydanticCustomError(
            "nhs_number_check_digit",
            "fails the NHS number Modulus 11 check digit: a digit is probably mistyped",
            {"allowed": NHS_NUMBER_ALLOWED},
        )
    return digits


NhsNumber = Annotated[
    str,
    StringConstraints(max_length=20),
    AfterValidator(_nhs_number),
    Documented({"format": "nhs-number", "description": NHS_NUMBER_ALLOWED}),
]
"""An NHS number; stored as its 10 digits without spaces."""

_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)$")


def _postcode(value: str) -> str:
    if not _POSTCODE.fullmatch(re.sub(r"\s", "", value).upper()):
        raise PydanticCustomError(
            "postcode_format",
            "is not a UK postcode",
            {"allowed": "a UK postcode such as WR1 2AB (spaces and case do not matter)"},
        )
    return value


Postcode = Annotated[
    str,
    StringConstraints(max_length=10),
    AfterValidator(_postcode),
    Documented({"format": "uk-postcode", "description": "a UK postcode such as WR1 2AB"}),
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise PydanticCustomError(
            "email_format",
            "is not an email address",
            {"allowed": "an address like name@example.org"},
        )
    return value


Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_email),
    Documented({"format": "email-address", "description": "an address like name@example.org"}),
]

_PHONE = re.compile(r"^\+?[0-9 ()\-]+$")


def _phone(value: str) -> str:
    digit_count = sum(c.isdigit() for c in value)
    if not _PHONE.fullmatch(value) or not 7 <= digit_count <= 15:
        raise PydanticCustomError(
            "phone_format",
            "is not a phone number",
            {"allowed": "7 to 15 digits, optionally with a leading +, spaces, brackets or hyphens"},
        )
    return value


Phone = Annotated[
    str,
    StringConstraints(max_length=30),
    AfterValidator(_phone),
    Documented(
        {
            "format": "phone-number",
            "description": "7 to 15 digits, optionally with a leading +, spaces, brackets or "
            "hyphens",
        }
    ),
]


def _each_once(values: list[RiskType]) -> list[RiskType]:
    if len(set(values)) != len(values):
        raise PydanticCustomError(
            "repeated_risk_type", "names a risk type more than once", {"allowed": "each type once"}
        )
    return values


# --- answers --------------------------------------------------------------------------------------


class YesNoUnknown(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Consent(StrEnum):
    """Whether the person agreed to the concern being raised."""

    YES = "yes"
    NO = "no"
    NOT_ASKED = "not_asked"


class SubmissionChannel(StrEnum):
    """How a partner sent a submission."""

    HTTP = "http"
    KAFKA = "kafka"


class MatchedBy(StrEnum):
    """How a concern came to be linked to a person record."""

    NHS_NUMBER = "nhs_number"
    NAME_DOB_POSTCODE = "name_dob_postcode"
    MANUAL = "manual"


class S42Decision(StrEnum):
    """The Safeguarding Adults Manager's decision on a concern (Care Act 2014 s42)."""

    S42_ENQUIRY = "s42_enquiry"
    OTHER_ENQUIRY = "other_enquiry"
    NO_FURTHER_ACTION = "no_further_action"


class NoFurtherActionRoute(StrEnum):
    """Where a concern goes when no safeguarding enquiry follows."""

    NO_ACTION = "no_action"
    ADVICE_AND_GUIDANCE = "advice_and_guidance"
    CARE_ACT_ASSESSMENT = "care_act_assessment"
    CASE_MANAGEMENT = "case_management"
    REVIEW = "review"
    OTHER_COUNCIL_SERVICE = "other_council_service"
    SIGNPOSTED_EXTERNALLY = "signposted_externally"
    PASSED_TO_ANOTHER_COUNCIL = "passed_to_another_council"


class S42Criterion(StrEnum):
    """The three s42(1) criteria; all must be met for the s42 duty to apply."""

    CARE_AND_SUPPORT_NEEDS = "care_and_support_needs"
    EXPERIENCING_OR_AT_RISK_OF_ABUSE_OR_NEGLECT = "experiencing_or_at_risk_of_abuse_or_neglect"
    UNABLE_TO_PROTECT_THEMSELVES = "unable_to_protect_themselves"


# --- value objects --------------------------------------------------------------------------------


class ErasureReason(StrEnum):
    """Why a person's personal data was erased."""

    SUBJECT_REQUEST = "subject-request"
    """She (or someone acting for her) asked for it (UK GDPR Art. 17), and a manager agreed."""
    RETENTION = "retention"
    """The council's retention period after her last concern closed had passed."""


class ValueObject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PostalAddress(ValueObject):
    lines: list[ShortText] = Field(
        min_length=1, max_length=5, description="Address lines, house and street first."
    )
    town: ShortText | None = Field(default=None, description="Town or city.")
    postcode: Postcode = Field(description="UK postcode, e.g. WR1 2AB.")


class ContactPoints(ValueObject):
    email: Email | None = Field(default=None, description="Email address.")
    phone: Phone | None = Field(default=None, description="Phone number.")
    address: PostalAddress | None = Field(default=None, description="Postal address.")


class Person(ValueObject):
    """The adult the concern is about."""

    name: ShortText = Field(description="Full name, as the person gives it.")
    date_of_birth: Day | None = Field(default=None, description="Date of birth, if known.")
    approximate_age: int | None = Field(
        default=None, ge=18, le=130, description="Age in years, if the date of birth is not known."
    )
    nhs_number: NhsNumber | None = Field(
        default=None, description="NHS number, if known: 10 digits with a valid check digit."
    )
    gender: Gender = Field(default=Gender.NOT_KNOWN, description="Gender, if known.")
    ethnicity: Ethnicity = Field(default=Ethnicity.NOT_KNOWN, description="Ethnicity, if known.")
    primary_support_reason: PrimarySupportReason = Field(
        default=PrimarySupportReason.NOT_KNOWN, description="Primary support reason, if known."
    )
    contact: ContactPoints = Field(
        default_factory=ContactPoints,
        description="How to reach the person. Leave out any contact point the source of risk "
        "can see or share.",
    )

    _approximate_age_is_a_number = field_validator("approximate_age", mode="before")(a_number)


class WhatHappened(ValueObject):
    description: Personal[LongText] = Field(description="What happened, in the referrer's words.")
    risk_types: Annotated[
        list[RiskType], AfterValidator(_each_once), Documented({"uniqueItems": True})
    ] = Field(
        min_length=1,
        max_length=len(RiskType),
        description="Every type of risk the concern is about (at least one).",
    )
    location: RiskLocation = Field(description="Where the risk is.")
    source: RiskSource = Field(
        description="Who the risk comes from, in the national return's terms."
    )
    incident_date: Day = Field(
        description="When it happened; if it is ongoing, the most recent date known."
    )


class PersonInvolvement(ValueObject):
    """Making Safeguarding Personal starts here: does the person know, agree, and what did they say."""

    person_aware: YesNoUnknown = Field(description="Does the person know this concern is raised?")
    person_consented: Consent = Field(
        description="Did the person agree to the concern being raised? Raising it does not need "
        "consent; the answer shapes how the council approaches them."
    )
    person_own_words: Personal[LongText | None] = Field(
        default=None,
        description="What the person said about it, word for word. Stored exactly as given.",
    )


class Representative(ValueObject):
    """Someone the person wants involved, or an independent advocate (Care Act s68)."""

    name: ShortText = Field(description="Their name.")
    relationship: ShortText = Field(
        description="Their relationship to the person, e.g. daughter, independent advocate."
    )
    contact: ContactPoints = Field(default_factory=ContactPoints, description="How to reach them.")


class CommunicationNeeds(ValueObject):
    language: Language = Field(default="English", description="The person's preferred language.")
    interpreter_needed: StrictBool = Field(
        default=False, description="Does the person need an interpreter?"
    )
    easy_read: StrictBool = Field(
        default=False, description="Does the person want easy-read information?"
    )
    representative: Personal[Representative | None] = Field(
        default=None, description="A representative or advocate who should be involved, if any."
    )


class AllegedSourceOfRisk(ValueObject):
    """Who is said to be causing the risk. Their contact points are recorded so that nothing about
    the person is ever sent to them."""

    model_config = ConfigDict(json_schema_extra=at_least_one_of("name", "relationship"))

    name: ShortText | None = Field(default=None, description="Their name, if known.")
    relationship: ShortText | None = Field(
        default=None, description="Their relationship to the person, e.g. son, paid carer."
    )
    contact: ContactPoints = Field(
        default_factory=ContactPoints,
        description="Their contact points, so the person is never contacted through them.",
    )

    @model_validator(mode="after")
    def _identifiable(self) -> Self:
        if self.name is None and self.relationship is None:
            raise PydanticCustomError(
                "source_of_risk_unidentified",
                "gives neither a name nor a relationship",
                {"allowed": "a name, a relationship, or both (leave the block out if unknown)"},
            )
        return self


class Referrer(ValueObject):
    """The person at the partner agency who raised the concern."""

    model_config = ConfigDict(json_schema_extra=at_least_one_of("email", "phone"))

    name: ShortText = Field(description="The referrer's name.")
    role: ShortText = Field(description="Their role, e.g. police constable, district nurse.")
    email: Email | None = Field(default=None, description="Email address for feedback.")
    phone: Phone | None = Field(default=None, description="Phone number for questions.")

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.email is None and self.phone is None:
            raise PydanticCustomError(
                "referrer_unreachable",
                "gives no way to reach the referrer",
                {"allowed": "an email, a phone number, or both"},
            )
        return self


class SubmissionProblem(ValueObject):
    """One thing wrong with a submission, in terms a partner can act on."""

    field: str = Field(
        max_length=MAX_PROBLEM_FIELD_CHARS,
        description="Where the problem is, e.g. person.nhs_number.",
    )
    problem: str = Field(max_length=MAX_REASON_CHARS, description="What is wrong.")
    allowed: str | None = Field(
        default=None, max_length=MAX_REASON_CHARS, description="What would be accepted."
    )


# --- events ---------------------------------------------------------------------------------------


@event("ConcernRaised")
class ConcernRaised(DomainEvent):
    """A partner agency raised a safeguarding concern about an adult, and intake accepted it.

    Caused by a partner (over HTTP or Kafka). Carries everything outcomes and notification need,
    including the alleged source of risk's contact points so that they are never informed.
    """

    concern_id: Id = Field(description="The concern's stream id.")
    reference: Id = Field(description="Human reference, e.g. SG-2026-4F7K2Q.")
    person_id: Id = Field(description="The person record this concern is about.")
    person: Personal[Person] = Field(description="The adult the concern is about.")
    care_and_support_needs: YesNoUnknown = Field(
        description="Does the person appear to have care and support needs (s42(1)(a))?"
    )
    what_happened: WhatHappened = Field(description="What happened, where and by whom.")
    immediate_safety_actions: Personal[LongText | None] = Field(
        default=None, description="What was done at once to keep the person safe."
    )
    involvement: PersonInvolvement = Field(
        description="Whether the person knows, agreed, and what they said."
    )
    communication: CommunicationNeeds = Field(
        description="How to communicate with the person, and who should be involved."
    )
    alleged_source_of_risk: Personal[AllegedSourceOfRisk | None] = Field(
        default=None, description="Who is said to be causing the risk, if known. Never informed."
    )
    agency: ShortText = Field(description="The partner agency that raised it.")
    referrer: Personal[Referrer] = Field(description="Who at the agency raised it.")
    partner_reference: PartnerReference = Field(
        description="The partner's own id for the submission."
    )
    submitted_via: SubmissionChannel = Field(description="How the partner sent it.")
    repeat_of_concern_id: Id | None = Field(
        default=None,
        description="The open concern this one reports the same incident as, when it does "
        "(RepeatConcernLinked follows): it joins that concern's case instead of opening one.",
    )


@event("ConcernSubmissionRejected")
class ConcernSubmissionRejected(DomainEvent):
    """A partner's submission could not be accepted as a concern; nothing was raised.

    Caused by the system on reading an invalid submission. The same reasons go back to the partner
    (HTTP problem details) or onto the dead-letter topic (Kafka). It belongs to no concern.
    """

    agency: ShortText | None = Field(
        description="The agency that sent it; None when a Kafka message had no agency header."
    )
    partner_reference: PartnerReference | None = Field(
        default=None, description="The partner's id for the submission, if it could be read."
    )
    reasons: list[SubmissionProblem] = Field(
        min_length=1,
        max_length=MAX_LISTED_PROBLEMS + 1,
        description="Everything wrong with it (when there are very many, the first ones and "
        "a last one counting the rest).",
    )
    submitted_via: SubmissionChannel = Field(description="How the partner sent it.")


@event("ConcernLinkedToPerson")
class ConcernLinkedToPerson(DomainEvent):
    """The concern was found to be about a person already on record, and linked to them.

    Caused by the system when a concern is raised and its match keys find the person
    (`matched_by` nhs_number or name_dob_postcode), or by a practitioner or manager by hand
    (`manual`, with a reason). From now on the concern is about `person_id`.
    """

    concern_id: Id
    person_id: Id
    previous_person_id: Id | None = Field(
        default=None, description="The person record the concern was about before, if any."
    )
    matched_by: MatchedBy
    linked_by: ShortText | None = Field(default=None, description="Who linked it, if by hand.")
    reason: LongText | None = Field(default=None, description="Why it was linked by hand.")


@event("ConcernUnlinkedFromPerson")
class ConcernUnlinkedFromPerson(DomainEvent):
    """A practitioner or manager found the concern was wrongly linked to `person_id`; it is now
    about a new person record, `new_person_id`."""

    concern_id: Id
    person_id: Id
    new_person_id: Id = Field(description="The new person record the concern is now about.")
    unlinked_by: ShortText = Field(description="Who unlinked it.")
    reason: LongText = Field(description="Why the link was wrong.")


@event("RepeatConcernLinked")
class RepeatConcernLinked(DomainEvent):
    """The concern reports the same incident as an open concern, and was linked to it rather than
    decided on its own. Caused by the system when the concern is raised."""

    concern_id: Id
    reference: Id
    person_id: Id
    repeat_of_concern_id: Id = Field(description="The open concern this one repeats.")
    repeat_of_reference: Id = Field(description="Its human reference.")
    days_apart: int = Field(ge=0, description="Days between the two incident dates.")
    shared_risk_types: list[RiskType] = Field(
        min_length=1, max_length=len(RiskType), description="The risk types both concerns report."
    )


@event("InformationGathered")
class InformationGathered(DomainEvent):
    """A practitioner or manager recorded information gathered while looking into the concern,
    e.g. from a conversation with the person, their GP or the police."""

    concern_id: Id
    note: Personal[LongText] = Field(description="What was learned, exactly as written.")
    source: ShortText = Field(description="Where it came from, e.g. the person, their GP.")
    gathered_by: ShortText = Field(description="Who recorded it.")


@event("S42DecisionMade")
class S42DecisionMade(DomainEvent):
    """A Safeguarding Adults Manager decided whether the s42 duty applies. Made once per concern.

    `route` is given exactly when the decision is no_further_action; `failed_criterion` exactly
    when it is not an s42 enquiry.
    """

    concern_id: Id
    reference: Id
    person_id: Id
    decision: S42Decision
    route: NoFurtherActionRoute | None = Field(
        default=None, description="Where the concern goes instead; only for no_further_action."
    )
    failed_criterion: S42Criterion | None = Field(
        default=None, description="The s42(1) criterion not met; not for an s42 enquiry."
    )
    rationale: LongText = Field(description="Why, in the manager's words.")
    decided_by: ShortText = Field(description="The Safeguarding Adults Manager's name.")


@event("ReferrerFeedbackGiven")
class ReferrerFeedbackGiven(DomainEvent):
    """A practitioner or manager told the referring agency what happened with their concern.

    The feedback is meant for the partner: it carries no case details."""

    concern_id: Id
    reference: Id
    agency: ShortText
    partner_reference: PartnerReference
    feedback: LongText = Field(description="What the partner is told; no case details.")
    given_by: ShortText = Field(description="Who gave it.")


@event("PersonErased")
class PersonErased(DomainEvent):
    """A person's personal data was erased: the data keys of every concern about her and of her
    informing stream were destroyed, and intake forgot how to recognise her. Caused by a manager
    (`subject-request`) or by the retention job (`retention`, the actor is the system).

    Stream: the person's own, `person-<uuid>`. The history is not rewritten: every event about
    her keeps every version, and its personal fields read as erased from now on. The free-text
    reason is sealed under the person stream's own key (never destroyed, and holding nothing
    else), so the record of why stays readable for the council's accountability while it cannot
    leak onto Kafka in clear.
    """

    person_id: Id
    concern_ids: list[Id] = Field(
        max_length=10_000, description="The concerns about her whose keys were destroyed."
    )
    subjects_destroyed: list[Id] = Field(
        max_length=10_001,
        description="The data subjects whose keys were destroyed: each concern, and "
        "`informing-<person_id>`.",
    )
    reason_kind: ErasureReason
    reason: Personal[LongText] = Field(description="Why, in the manager's words (or the job's).")
    erased_by_role: Role = Field(description="The role of who caused it (system for retention).")


@event("LegalHoldPlaced")
class LegalHoldPlaced(DomainEvent):
    """A manager placed a legal hold on the person's records: nothing about her is erased, by
    the retention job or on request, until it is lifted (UK GDPR Art. 17(3)(e): records needed
    for legal claims, a Safeguarding Adults Review, an inquest or a complaint).

    Stream: the person's own, `person-<uuid>`; the reason is sealed under its key, as
    `PersonErased`'s is."""

    person_id: Id
    reason: Personal[LongText] = Field(description="Why the records must be kept.")


@event("LegalHoldLifted")
class LegalHoldLifted(DomainEvent):
    """A manager lifted the legal hold: the retention rule applies to her records again."""

    person_id: Id
    reason: Personal[LongText] = Field(description="Why the hold is no longer needed.")
