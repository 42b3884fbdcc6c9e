"""The outcomes domain: the person's case and the MSP report. Plain Python, no I/O."""

from services.outcomes.domain.case import Case, case_id_for
from services.outcomes.domain.formal_action import FormalActionRule
from services.outcomes.domain.refusals import (
    CaseIsClosed,
    CaseRefused,
    EnquiryNotEnded,
    FormalActionRefused,
    NotPermitted,
    TimeOutOfBounds,
    UnknownOutcome,
)
from services.outcomes.domain.report import (
    Cell,
    MspReport,
    Table,
    msp_report,
    report_as_csv,
    report_as_dict,
)
from services.outcomes.domain.summary import (
    DECISIONS_THE_PERSON_IS_TOLD_ABOUT,
    CaseSummary,
    is_a_decision_the_person_is_told_about,
    summarise,
)

__all__ = [
    "DECISIONS_THE_PERSON_IS_TOLD_ABOUT",
    "Case",
    "CaseIsClosed",
    "CaseRefused",
    "CaseSummary",
    "Cell",
    "EnquiryNotEnded",
    "FormalActionRefused",
    "FormalActionRule",
    "MspReport",
    "NotPermitted",
    "Table",
    "TimeOutOfBounds",
    "UnknownOutcome",
    "case_id_for",
    "is_a_decision_the_person_is_told_about",
    "msp_report",
    "report_as_csv",
    "report_as_dict",
    "summarise",
]
