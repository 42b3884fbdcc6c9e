"""The national return's counting rules, one at a time (the whole return over 23 cases is
test_sac_fixture): SG1 counts people once, SG2 counts a category once per enquiry, and the
report comes out in the official CSV layout and as JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from services.outcomes.domain import CaseSummary, msp_report, report_as_csv, report_as_dict
from services.outcomes.domain.report import (
    CONCLUDED,
    CSV_COLUMNS,
    INDIVIDUALS_IN_ENQUIRIES,
    TOTAL,
    age_on,
)
from shared.events.outcomes import Demographics, EnquiryKind, RiskDetail, SacCaseDetails
from shared.sac import (
    ActionTakenAndResult,
    AgeBand,
    Gender,
    MentalCapacity,
    MspAsked,
    RiskLocation,
    RiskSource,
    RiskType,
)

S42 = EnquiryKind.S42_ENQUIRY
YEAR_START, YEAR_END = date(2025, 4, 1), date(2026, 3, 31)
HOME, KNOWN = RiskLocation.OWN_HOME, RiskSource.KNOWN_TO_INDIVIDUAL
ENDED = CONCLUDED[S42]


def on(month: int, day: int, year: int = 2025) -> datetime:
    return datetime(year, month, day, 10, tzinfo=UTC)


def concluded(case_id: str, *risks: RiskDetail, person: str = "person-1") -> CaseSummary:
    return CaseSummary(
        case_id=case_id,
        person_id=person,
        concern_raised_at=on(5, 1),
        enquiry_kind=S42,
        enquiry_started_at=on(5, 2),
        ended_at=on(7, 1),
        case_details=SacCaseDetails(
            risks=risks,
            action_taken_and_result=ActionTakenAndResult.RISK_IDENTIFIED_NO_ACTION_TAKEN,
            mental_capacity=MentalCapacity.DID_NOT_LACK_CAPACITY,
        ),
        msp_asked=MspAsked.NOT_ASKED,
    )


def risk(kind: RiskType, where: RiskLocation = HOME, source: RiskSource = KNOWN) -> RiskDetail:
    return RiskDetail(risk_type=kind, location=where, source=source)


def test_two_enquiries_each_with_two_risks_in_the_persons_own_home_count_own_home_twice() -> None:
    report = msp_report(
        [
            concluded("case-a", risk(RiskType.PHYSICAL), risk(RiskType.FINANCIAL_OR_MATERIAL)),
            concluded("case-b", risk(RiskType.PHYSICAL), risk(RiskType.PSYCHOLOGICAL)),
        ],
        YEAR_START,
        YEAR_END,
    )

    location = report.table("SG2b")
    assert location.value(ENDED, HOME.label, TOTAL) == 2
    assert location.value(ENDED, HOME.label, KNOWN.label) == 2
    assert report.table("SG2a").value(ENDED, RiskType.PHYSICAL.label, TOTAL) == 2
    assert report.table("SG2a").value(ENDED, TOTAL, KNOWN.label) == 2


def test_one_type_from_two_sources_is_one_enquiry_of_that_type_and_one_of_each_source() -> None:
    report = msp_report(
        [
            concluded(
                "case-a",
                risk(RiskType.SEXUAL, source=RiskSource.SERVICE_PROVIDER),
                risk(RiskType.SEXUAL, source=KNOWN),
            )
        ],
        YEAR_START,
        YEAR_END,
    )

    types = report.table("SG2a")
    assert types.value(ENDED, RiskType.SEXUAL.label, TOTAL) == 1
    assert types.value(ENDED, RiskType.SEXUAL.label, RiskSource.SERVICE_PROVIDER.label) == 1
    assert types.value(ENDED, RiskType.SEXUAL.label, KNOWN.label) == 1


def _person_case(case_id: str, started: datetime, gender: Gender) -> CaseSummary:
    return CaseSummary(
        case_id=case_id,
        person_id="person-x",
        concern_raised_at=started,
        demographics=Demographics(gender=gender),
        enquiry_kind=S42,
        enquiry_started_at=started,
    )


def test_a_person_with_three_enquiries_is_one_individual_as_last_known() -> None:
    report = msp_report(
        [
            _person_case("case-a", on(5, 1), Gender.NOT_KNOWN),
            _person_case("case-c", on(11, 1), Gender.FEMALE),
            _person_case("case-b", on(8, 1), Gender.MALE),
        ],
        YEAR_START,
        YEAR_END,
    )

    individuals = INDIVIDUALS_IN_ENQUIRIES[S42]
    assert report.table("SG1f").value(EnquiryKind.S42_ENQUIRY.label, TOTAL) == 3
    assert report.table("SG1b").value(individuals, Gender.FEMALE.label) == 1
    assert sum(c.value for c in report.table("SG1b").cells if c.enquiry_type == individuals) == 1


@pytest.mark.parametrize(
    ("demographics", "age"),
    [
        (Demographics(date_of_birth=date(1941, 6, 14)), 84),
        (Demographics(date_of_birth=date(1930, 3, 31)), 96),
        (Demographics(date_of_birth=date(1930, 4, 1)), 95),
        (Demographics(date_of_birth=date(1944, 2, 29)), 82),
        (Demographics(approximate_age=64, approximate_age_on=date(2024, 6, 1)), 65),
        (Demographics(approximate_age=80, approximate_age_on=date(2026, 3, 31)), 80),
        (Demographics(), None),
    ],
)
def test_age_is_taken_on_the_last_day_of_the_period(
    demographics: Demographics, age: int | None
) -> None:
    assert age_on(demographics, YEAR_END) == age


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (17, AgeBand.UNKNOWN),
        (18, AgeBand.AGE_18_64),
        (64, AgeBand.AGE_18_64),
        (65, AgeBand.AGE_65_74),
        (84, AgeBand.AGE_75_84),
        (85, AgeBand.AGE_85_94),
        (94, AgeBand.AGE_85_94),
        (95, AgeBand.AGE_95_PLUS),
        (None, AgeBand.UNKNOWN),
    ],
)
def test_age_bands_are_the_returns(age: int | None, band: AgeBand) -> None:
    assert AgeBand.of(age) is band


def test_the_csv_is_in_the_official_layout_one_cell_a_line() -> None:
    report = msp_report([concluded("case-a", risk(RiskType.PHYSICAL))], YEAR_START, YEAR_END)

    rows = list(csv.reader(io.StringIO(report_as_csv(report))))

    assert (
        tuple(rows[0])
        == CSV_COLUMNS
        == (
            "TABLE_REFERENCE",
            "ENQUIRY_TYPE",
            "CATEGORY",
            "SUBCATEGORY",
            "VALUE",
        )
    )
    assert ["SG2c", ENDED, "Risk identified and no action taken", "", "1"] in rows
    assert ["SG1f", "Safeguarding Concerns", "Total", "", "1"] in rows
    references = list(dict.fromkeys(row[0] for row in rows[1:]))
    assert references == [
        "SG1a",
        "SG1b",
        "SG1c",
        "SG1d",
        "SG1f",
        "SG2a",
        "SG2b",
        "SG2c",
        "SG2e",
        "SG3a",
        "SG4a",
        "LOCAL-MSP1",
        "LOCAL-MSP2",
        "LOCAL-MSP3",
        "LOCAL-MSP4",
        "LOCAL-MSP5",
    ]


def test_the_json_has_the_same_cells_and_marks_the_local_measures() -> None:
    report = msp_report([concluded("case-a", risk(RiskType.PHYSICAL))], YEAR_START, YEAR_END)

    body = json.loads(json.dumps(report_as_dict(report)))

    assert body["period"] == {"start": "2025-04-01", "end": "2026-03-31"}
    official = {t["reference"]: t["official"] for t in body["tables"]}
    assert official["SG4a"] is True
    assert official["LOCAL-MSP2"] is False
    csv_rows = list(csv.reader(io.StringIO(report_as_csv(report))))[1:]
    json_rows = [
        [t["reference"], c["enquiry_type"], c["category"], c["subcategory"], str(c["value"])]
        for t in body["tables"]
        for c in t["cells"]
    ]
    assert json_rows == csv_rows


def test_an_empty_period_reports_zeros_in_every_cell() -> None:
    report = msp_report([], YEAR_START, YEAR_END)

    assert {c.value for t in report.tables for c in t.cells} == {0}
