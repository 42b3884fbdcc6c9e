"""The MSP and national return report over a seeded set of cases, checked against a hand count."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from services.outcomes.domain import (
    CaseSummary,
    MspReport,
    msp_report,
    report_as_csv,
    report_as_dict,
)
from shared.events.outcomes import EnquiryKind, RiskDetail, SacCaseDetails
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

S42 = EnquiryKind.S42_ENQUIRY
OTHER = EnquiryKind.OTHER_ENQUIRY
FULLY, PARTIALLY, NOT = Achievement.FULLY, Achievement.PARTIALLY, Achievement.NOT_ACHIEVED
YEAR_START, YEAR_END = date(2025, 4, 1), date(2026, 3, 31)


def on(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def risk(kind: RiskType, where: RiskLocation, source: RiskSource) -> RiskDetail:
    return RiskDetail(risk_type=kind, location=where, source=source)


def details(
    risks: list[RiskDetail],
    action: ActionTakenAndResult,
    capacity: MentalCapacity,
    outcome: RiskOutcome | None = None,
    supported: bool | None = None,
) -> SacCaseDetails:
    return SacCaseDetails(
        risks=tuple(risks),
        action_taken_and_result=action,
        risk_outcome=outcome,
        mental_capacity=capacity,
        lacked_capacity_supported=supported,
    )


HOME, KNOWN = RiskLocation.OWN_HOME, RiskSource.KNOWN_TO_INDIVIDUAL
PROVIDER = RiskSource.SERVICE_PROVIDER

SEEDED = [
    # A: s42, concluded in the year, two outcomes both fully achieved, told of everything.
    CaseSummary(
        case_id="case-a",
        person_id="person-a",
        concern_raised_at=on(2025, 5, 1),
        enquiry_kind=S42,
        enquiry_started_at=on(2025, 5, 3),
        concluded_at=on(2025, 7, 1),
        case_details=details(
            [
                risk(RiskType.PHYSICAL, HOME, KNOWN),
                risk(RiskType.FINANCIAL_OR_MATERIAL, HOME, KNOWN),
            ],
            ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
            MentalCapacity.DID_NOT_LACK_CAPACITY,
            outcome=RiskOutcome.RISK_REDUCED,
        ),
        msp_asked=MspAsked.ASKED_AND_EXPRESSED,
        achievements=(FULLY, FULLY),
        informed_of_every_decision=True,
    ),
    # B: s42 in a nursing home, lacked capacity; one outcome fully, one not: partially overall.
    CaseSummary(
        case_id="case-b",
        person_id="person-b",
        concern_raised_at=on(2025, 6, 10),
        enquiry_kind=S42,
        enquiry_started_at=on(2025, 6, 12),
        concluded_at=on(2025, 9, 1),
        case_details=details(
            [risk(RiskType.NEGLECT_AND_ACTS_OF_OMISSION, RiskLocation.CARE_HOME_NURSING, PROVIDER)],
            ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN,
            MentalCapacity.LACKED_CAPACITY,
            outcome=RiskOutcome.RISK_REMOVED,
            supported=True,
        ),
        msp_asked=MspAsked.ASKED_AND_EXPRESSED,
        achievements=(FULLY, NOT),
        informed_of_every_decision=False,
    ),
    # C: s42, asked but expressed no outcomes, two risks, no action taken.
    CaseSummary(
        case_id="case-c",
        person_id="person-c",
        concern_raised_at=on(2025, 8, 1),
        enquiry_kind=S42,
        enquiry_started_at=on(2025, 8, 2),
        concluded_at=on(2025, 10, 15),
        case_details=details(
            [
                risk(RiskType.PSYCHOLOGICAL, HOME, KNOWN),
                risk(RiskType.DOMESTIC_ABUSE, HOME, KNOWN),
            ],
            ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN,
            MentalCapacity.DID_NOT_LACK_CAPACITY,
        ),
        msp_asked=MspAsked.ASKED_NONE_EXPRESSED,
        informed_of_every_decision=True,
    ),
    # D: other enquiry (self-neglect), one outcome, not achieved.
    CaseSummary(
        case_id="case-d",
        person_id="person-d",
        concern_raised_at=on(2025, 9, 1),
        enquiry_kind=OTHER,
        enquiry_started_at=on(2025, 9, 5),
        concluded_at=on(2026, 1, 10),
        case_details=details(
            [risk(RiskType.SELF_NEGLECT, HOME, KNOWN)],
            ActionTakenAndResult.NO_RISK_NO_ACTION_TAKEN,
            MentalCapacity.DONT_KNOW,
        ),
        msp_asked=MspAsked.ASKED_AND_EXPRESSED,
        achievements=(NOT,),
        informed_of_every_decision=True,
    ),
    # E: s42 started in the year, not concluded yet.
    CaseSummary(
        case_id="case-e",
        person_id="person-e",
        concern_raised_at=on(2026, 2, 1),
        enquiry_kind=S42,
        enquiry_started_at=on(2026, 2, 3),
    ),
    # F: concern and enquiry in the previous year, concluded in this one; not asked.
    CaseSummary(
        case_id="case-f",
        person_id="person-f",
        concern_raised_at=on(2025, 3, 20),
        enquiry_kind=S42,
        enquiry_started_at=on(2025, 3, 25),
        concluded_at=on(2025, 4, 20),
        case_details=details(
            [risk(RiskType.PHYSICAL, RiskLocation.IN_A_COMMUNITY_SERVICE, PROVIDER)],
            ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST,
            MentalCapacity.NOT_RECORDED,
        ),
        msp_asked=MspAsked.NOT_ASKED,
        informed_of_every_decision=False,
    ),
    # G: concern raised at 23:30 UTC on 31 March 2026, which is 1 April in England: next year.
    CaseSummary(case_id="case-g", person_id="person-g", concern_raised_at=on(2026, 3, 31, 23, 30)),
    # H: concern only (no enquiry), in the year.
    CaseSummary(case_id="case-h", person_id="person-h", concern_raised_at=on(2026, 1, 5)),
]


@pytest.fixture
def report() -> MspReport:
    return msp_report(SEEDED, YEAR_START, YEAR_END)


def column(report: MspReport, key: str) -> dict[str, tuple[int, int]]:
    """Non-zero rows of a table as label -> (section 42, other)."""
    return {
        r.label: (r.section_42, r.other)
        for r in report.table(key).rows
        if (r.section_42, r.other) != (0, 0)
    }


def test_counts_concerns_and_enquiries_started_in_the_year(report: MspReport) -> None:
    # Concerns: A B C D E H (F was last year; G is 1 April in England).
    assert report.concerns == 6
    # Enquiries started: A B C E are s42 (F started last year); D is other.
    assert (report.s42_enquiries, report.other_enquiries) == (4, 1)
    # Concluded: A B C F are s42; D is other.
    assert (report.concluded_s42_enquiries, report.concluded_other_enquiries) == (4, 1)


def test_sg4a_counts_whether_each_concluded_enquiry_asked_the_person(report: MspReport) -> None:
    assert column(report, "msp_asked") == {
        "Yes, they were asked and outcomes were expressed": (2, 1),  # A B | D
        "Yes, they were asked but no outcomes were expressed": (1, 0),  # C
        "No": (1, 0),  # F
    }
    assert [r.label for r in report.table("msp_asked").rows] == [m.label for m in MspAsked]


def test_sg4a_achievement_per_enquiry_uses_the_persons_overall_view(report: MspReport) -> None:
    assert column(report, "achievement_by_enquiry") == {
        "Fully achieved": (1, 0),  # A: fully, fully
        "Partially achieved": (1, 0),  # B: fully, not
        "Not achieved": (0, 1),  # D: not
    }


def test_sg4a_achievement_per_outcome_counts_every_expressed_outcome(report: MspReport) -> None:
    assert column(report, "achievement_by_outcome") == {
        "Fully achieved": (3, 0),  # A A B
        "Not achieved": (1, 1),  # B | D
    }


def test_sg2_counts_each_risk_of_each_concluded_enquiry(report: MspReport) -> None:
    assert column(report, "risk_type") == {
        "Physical": (2, 0),  # A F
        "Financial or Material": (1, 0),  # A
        "Neglect and Acts of Omission": (1, 0),  # B
        "Psychological": (1, 0),  # C
        "Domestic Abuse": (1, 0),  # C
        "Self-Neglect": (0, 1),  # D
    }
    assert column(report, "risk_location") == {
        "Own Home": (4, 1),  # A A C C | D
        "Care Home – Nursing": (1, 0),  # B
        "In a Community Service": (1, 0),  # F
    }
    assert column(report, "risk_source") == {
        "Other – Known to Individual": (4, 1),  # A A C C | D
        "Service Provider": (2, 0),  # B F
    }


def test_sg2_counts_action_result_and_risk_outcome_per_concluded_enquiry(
    report: MspReport,
) -> None:
    assert column(report, "action_taken_and_result") == {
        "Risk identified and action taken": (1, 0),  # A
        "Risk assessment inconclusive and action taken": (1, 0),  # B
        "Risk identified and no action taken": (1, 0),  # C
        "Enquiry ceased at individual's request and no action taken": (1, 0),  # F
        "No risk identified and no action taken": (0, 1),  # D
    }
    assert column(report, "risk_outcome") == {"Risk reduced": (1, 0), "Risk removed": (1, 0)}


def test_mental_capacity_is_counted_per_concluded_enquiry(report: MspReport) -> None:
    assert column(report, "mental_capacity") == {
        "No, they did not lack capacity": (2, 0),  # A C
        "Yes, they lacked capacity": (1, 0),  # B
        "Not recorded": (1, 0),  # F
        "Don't know": (0, 1),  # D
    }


def test_involvement_measures_match_the_hand_count(report: MspReport) -> None:
    # Concluded: A B C D F. Asked: A B C D. Expressed: A B D. Fully or partially: A B.
    # Informed of every decision: A C D.
    measures = {m.key: (m.numerator, m.denominator) for m in report.involvement}

    assert measures == {
        "asked": (4, 5),
        "expressed": (3, 4),
        "achieved_fully_or_partially": (2, 3),
        "informed_of_every_decision": (3, 5),
    }
    assert report.measure("asked").share == pytest.approx(0.8)


def test_share_is_absent_rather_than_zero_when_nothing_was_concluded() -> None:
    empty = msp_report([], YEAR_START, YEAR_END)

    assert empty.measure("asked").share is None


def test_report_renders_to_json_with_the_returns_exact_labels(report: MspReport) -> None:
    rendered = report_as_dict(report)

    assert json.loads(json.dumps(rendered)) == rendered
    assert rendered["counts"] == {
        "Safeguarding Concerns": 6,
        "Section 42 Enquiries": 4,
        "Other Enquiries": 1,
        "Concluded Section 42 Enquiries": 4,
        "Concluded Other Enquiries": 1,
    }
    tables = rendered["tables"]
    assert isinstance(tables, list)
    [asked] = [t for t in tables if isinstance(t, dict) and t["key"] == "msp_asked"]
    assert asked["rows"] == [
        {"label": "Yes, they were asked and outcomes were expressed", "section_42": 2, "other": 1},
        {
            "label": "Yes, they were asked but no outcomes were expressed",
            "section_42": 1,
            "other": 0,
        },
        {"label": "No", "section_42": 1, "other": 0},
        {"label": "Don't know", "section_42": 0, "other": 0},
        {"label": "Not recorded", "section_42": 0, "other": 0},
    ]


def test_report_renders_to_csv_one_figure_per_line(report: MspReport) -> None:
    lines = list(csv.reader(io.StringIO(report_as_csv(report))))

    assert lines[0] == ["table", "row", "column", "value"]
    assert ["Counts", "Safeguarding Concerns", "Count", "6"] in lines
    assert [
        "Location of risk",
        "Care Home – Nursing",
        "Concluded Section 42 Enquiries",
        "1",
    ] in lines
    assert [
        "Involvement",
        "Informed of every decision (of concluded enquiries)",
        "Share",
        "0.6000",
    ] in lines
