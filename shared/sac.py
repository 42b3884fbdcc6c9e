"""The national return's categories (Safeguarding Adults Collection, SAC), with their exact labels.

Source: NHS England's SAC guidance and the official statistics code (NHSDigital/ASC-Safeguarding-Adults).
Values are stable machine names; `.label` is the wording the return uses. Reports derive every figure
from events carrying these values; nothing in a report is typed in by hand.
"""

from __future__ import annotations

from enum import StrEnum


class SacCategory(StrEnum):
    """A StrEnum whose members also carry the return's exact label."""

    label: str

    def __new__(cls, value: str, label: str) -> SacCategory:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class RiskType(SacCategory):
    PHYSICAL = ("physical", "Physical")
    SEXUAL = ("sexual", "Sexual")
    PSYCHOLOGICAL = ("psychological", "Psychological")
    FINANCIAL_OR_MATERIAL = ("financial_or_material", "Financial or Material")
    DISCRIMINATORY = ("discriminatory", "Discriminatory")
    ORGANISATIONAL = ("organisational", "Organisational")
    NEGLECT_AND_ACTS_OF_OMISSION = ("neglect_and_acts_of_omission", "Neglect and Acts of Omission")
    DOMESTIC_ABUSE = ("domestic_abuse", "Domestic Abuse")
    SEXUAL_EXPLOITATION = ("sexual_exploitation", "Sexual Exploitation")
    MODERN_SLAVERY = ("modern_slavery", "Modern Slavery")
    SELF_NEGLECT = ("self_neglect", "Self-Neglect")


class RiskLocation(SacCategory):
    OWN_HOME = ("own_home", "Own Home")
    IN_THE_COMMUNITY = ("in_the_community", "In the Community (excluding community services)")
    IN_A_COMMUNITY_SERVICE = ("in_a_community_service", "In a Community Service")
    CARE_HOME_NURSING = ("care_home_nursing", "Care Home – Nursing")
    CARE_HOME_RESIDENTIAL = ("care_home_residential", "Care Home – Residential")
    HOSPITAL_ACUTE = ("hospital_acute", "Hospital – Acute")
    HOSPITAL_MENTAL_HEALTH = ("hospital_mental_health", "Hospital – Mental Health")
    HOSPITAL_COMMUNITY = ("hospital_community", "Hospital – Community")
    OTHER = ("other", "Other")


class RiskSource(SacCategory):
    SERVICE_PROVIDER = ("service_provider", "Service Provider")
    KNOWN_TO_INDIVIDUAL = ("known_to_individual", "Other – Known to Individual")
    UNKNOWN_TO_INDIVIDUAL = ("unknown_to_individual", "Other – Unknown to Individual")


class ActionTakenAndResult(SacCategory):
    RISK_IDENTIFIED_ACTION_TAKEN = (
        "risk_identified_action_taken",
        "Risk identified and action taken",
    )
    RISK_IDENTIFIED_NO_ACTION_TAKEN = (
        "risk_identified_no_action_taken",
        "Risk identified and no action taken",
    )
    INCONCLUSIVE_ACTION_TAKEN = (
        "inconclusive_action_taken",
        "Risk assessment inconclusive and action taken",
    )
    INCONCLUSIVE_NO_ACTION_TAKEN = (
        "inconclusive_no_action_taken",
        "Risk assessment inconclusive and no action taken",
    )
    NO_RISK_ACTION_TAKEN = ("no_risk_action_taken", "No risk identified and action taken")
    NO_RISK_NO_ACTION_TAKEN = ("no_risk_no_action_taken", "No risk identified and no action taken")
    CEASED_AT_INDIVIDUALS_REQUEST = (
        "ceased_at_individuals_request",
        "Enquiry ceased at individual's request and no action taken",
    )


class RiskOutcome(SacCategory):
    """Only where action was taken on an identified (or inconclusive) risk."""

    RISK_REMAINED = ("risk_remained", "Risk remained")
    RISK_REDUCED = ("risk_reduced", "Risk reduced")
    RISK_REMOVED = ("risk_removed", "Risk removed")


class MentalCapacity(SacCategory):
    LACKED_CAPACITY = ("lacked_capacity", "Yes, they lacked capacity")
    DID_NOT_LACK_CAPACITY = ("did_not_lack_capacity", "No, they did not lack capacity")
    DONT_KNOW = ("dont_know", "Don't know")
    NOT_RECORDED = ("not_recorded", "Not recorded")


class MspAsked(SacCategory):
    """SG4a: was the person asked about the outcomes they wanted?"""

    ASKED_AND_EXPRESSED = (
        "asked_and_expressed",
        "Yes, they were asked and outcomes were expressed",
    )
    ASKED_NONE_EXPRESSED = (
        "asked_none_expressed",
        "Yes, they were asked but no outcomes were expressed",
    )
    NOT_ASKED = ("not_asked", "No")
    DONT_KNOW = ("dont_know", "Don't know")
    NOT_RECORDED = ("not_recorded", "Not recorded")


class Achievement(SacCategory):
    """SG4a, for expressed outcomes: the person's own view."""

    FULLY = ("fully", "Fully achieved")
    PARTIALLY = ("partially", "Partially achieved")
    NOT_ACHIEVED = ("not_achieved", "Not achieved")


class AgeBand(SacCategory):
    AGE_18_64 = ("18-64", "18-64")
    AGE_65_74 = ("65-74", "65-74")
    AGE_75_84 = ("75-84", "75-84")
    AGE_85_94 = ("85-94", "85-94")
    AGE_95_PLUS = ("95+", "95+")
    UNKNOWN = ("unknown", "Unknown")

    @classmethod
    def of(cls, age: int | None) -> AgeBand:
        if age is None or age < 18:
            return cls.UNKNOWN
        for upper, band in (
            (64, cls.AGE_18_64),
            (74, cls.AGE_65_74),
            (84, cls.AGE_75_84),
            (94, cls.AGE_85_94),
        ):
            if age <= upper:
                return band
        return cls.AGE_95_PLUS


class Gender(SacCategory):
    MALE = ("male", "Male")
    FEMALE = ("female", "Female")
    NOT_KNOWN = ("not_known", "Not Known")


class Ethnicity(SacCategory):
    WHITE = ("white", "White")
    MIXED = ("mixed", "Mixed / Multiple")
    ASIAN = ("asian", "Asian / Asian British")
    BLACK = ("black", "Black / African / Caribbean / Black British")
    OTHER = ("other", "Other Ethnic Group")
    REFUSED = ("refused", "Refused")
    NOT_KNOWN = ("not_known", "Undeclared / Not Known")


class PrimarySupportReason(SacCategory):
    PHYSICAL = ("physical_support", "Physical Support")
    SENSORY = ("sensory_support", "Sensory Support")
    MEMORY_AND_COGNITION = ("memory_and_cognition", "Support with Memory and Cognition")
    LEARNING_DISABILITY = ("learning_disability", "Learning Disability Support")
    MENTAL_HEALTH = ("mental_health", "Mental Health Support")
    SOCIAL = ("social_support", "Social Support")
    NO_SUPPORT_REASON = ("no_support_reason", "No Support Reason")
    NOT_KNOWN = ("not_known", "Not Known")
