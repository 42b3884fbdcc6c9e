"""The Making Safeguarding Personal and national return (SAC) report: a pure function of case
summaries over a period.

How it counts (periods are inclusive days in England):
- Safeguarding Concerns: cases whose concern was raised in the period. Section 42 and Other
  Enquiries: enquiries that started in the period.
- Every table covers enquiries concluded in the period, with one column for Section 42 enquiries
  (the national return's figure) and one for other enquiries.
- SG4a "asked": one per concluded enquiry. SG4a achievement is given twice: per enquiry, using the
  person's overall view (fully if every outcome was fully achieved, not achieved if none was
  achieved, otherwise partially), as the return counts it; and per outcome, one per desired
  outcome the person expressed. Both count only enquiries where outcomes were expressed.
- Risk type, location and source count risks: one enquiry can record several, so these columns
  can add up to more than the number of enquiries. Action taken and result, risk outcome and
  mental capacity count enquiries.
- Involvement measures cover all concluded enquiries (both kinds): asked (of concluded), expressed
  (of those asked), fully or partially achieved in their overall view (of those who expressed
  outcomes), informed of every decision (of concluded).
Row labels are the return's exact wording (`.label`), never typed here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import JsonValue

from services.outcomes.domain.england import day_in_england
from services.outcomes.domain.summary import CaseSummary
from shared.events.outcomes import EnquiryKind, RiskDetail
from shared.sac import (
    Achievement,
    ActionTakenAndResult,
    MentalCapacity,
    MspAsked,
    RiskLocation,
    RiskOutcome,
    RiskSource,
    RiskType,
    SacCategory,
)

CONCERNS = "Safeguarding Concerns"
SECTION_42_COLUMN = "Concluded Section 42 Enquiries"
OTHER_COLUMN = "Concluded Other Enquiries"
_ASKED = frozenset({MspAsked.ASKED_AND_EXPRESSED, MspAsked.ASKED_NONE_EXPRESSED})


@dataclass(frozen=True)
class Row:
    label: str
    section_42: int
    other: int


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    counts: str
    """What one count is: a concluded enquiry, a risk, or an outcome."""
    rows: tuple[Row, ...]

    def row(self, label: str) -> Row:
        return next(r for r in self.rows if r.label == label)


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    numerator: int
    denominator: int

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class MspReport:
    period_start: date
    period_end: date
    concerns: int
    s42_enquiries: int
    other_enquiries: int
    concluded_s42_enquiries: int
    concluded_other_enquiries: int
    tables: tuple[Table, ...]
    involvement: tuple[Measure, ...]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def measure(self, key: str) -> Measure:
        return next(m for m in self.involvement if m.key == key)


def msp_report(summaries: Iterable[CaseSummary], period_start: date, period_end: date) -> MspReport:
    cases = list(summaries)

    def in_period(moment: datetime | None) -> bool:
        return moment is not None and period_start <= day_in_england(moment) <= period_end

    started = [c for c in cases if in_period(c.enquiry_started_at)]
    concluded = [c for c in cases if in_period(c.concluded_at) and c.case_details is not None]
    expressed = [c for c in concluded if c.msp_asked is MspAsked.ASKED_AND_EXPRESSED]
    asked = [c for c in concluded if c.msp_asked in _ASKED]
    return MspReport(
        period_start=period_start,
        period_end=period_end,
        concerns=sum(1 for c in cases if in_period(c.concern_raised_at)),
        s42_enquiries=sum(1 for c in started if c.enquiry_kind is EnquiryKind.S42_ENQUIRY),
        other_enquiries=sum(1 for c in started if c.enquiry_kind is EnquiryKind.OTHER_ENQUIRY),
        concluded_s42_enquiries=sum(
            1 for c in concluded if c.enquiry_kind is EnquiryKind.S42_ENQUIRY
        ),
        concluded_other_enquiries=sum(
            1 for c in concluded if c.enquiry_kind is EnquiryKind.OTHER_ENQUIRY
        ),
        tables=(
            _table(
                "msp_asked",
                "SG4a Was the person asked about the outcomes they wanted",
                "concluded enquiry",
                MspAsked,
                concluded,
                lambda c: [c.msp_asked] if c.msp_asked else [],
            ),
            _table(
                "achievement_by_enquiry",
                "SG4a Outcomes achieved, in the person's overall view",
                "concluded enquiry where outcomes were expressed",
                Achievement,
                expressed,
                lambda c: [c.overall_achievement] if c.overall_achievement else [],
            ),
            _table(
                "achievement_by_outcome",
                "SG4a Outcomes achieved, each desired outcome",
                "desired outcome expressed",
                Achievement,
                expressed,
                lambda c: c.achievements,
            ),
            _table(
                "risk_type",
                "Type of risk",
                "risk",
                RiskType,
                concluded,
                lambda c: [r.risk_type for r in _risks(c)],
            ),
            _table(
                "risk_location",
                "Location of risk",
                "risk",
                RiskLocation,
                concluded,
                lambda c: [r.location for r in _risks(c)],
            ),
            _table(
                "risk_source",
                "Source of risk",
                "risk",
                RiskSource,
                concluded,
                lambda c: [r.source for r in _risks(c)],
            ),
            _table(
                "action_taken_and_result",
                "Action taken and result",
                "concluded enquiry",
                ActionTakenAndResult,
                concluded,
                lambda c: [c.case_details.action_taken_and_result] if c.case_details else [],
            ),
            _table(
                "risk_outcome",
                "Risk outcome",
                "concluded enquiry where action was taken on a risk",
                RiskOutcome,
                concluded,
                lambda c: (
                    [c.case_details.risk_outcome]
                    if c.case_details and c.case_details.risk_outcome
                    else []
                ),
            ),
            _table(
                "mental_capacity",
                "SG3a Did the person lack capacity",
                "concluded enquiry",
                MentalCapacity,
                concluded,
                lambda c: [c.case_details.mental_capacity] if c.case_details else [],
            ),
        ),
        involvement=(
            Measure(
                "asked",
                "Asked what outcomes they wanted (of concluded enquiries)",
                len(asked),
                len(concluded),
            ),
            Measure(
                "expressed",
                "Expressed the outcomes they wanted (of those asked)",
                len(expressed),
                len(asked),
            ),
            Measure(
                "achieved_fully_or_partially",
                "Outcomes fully or partially achieved in their view (of those who expressed)",
                sum(
                    1
                    for c in expressed
                    if c.overall_achievement in (Achievement.FULLY, Achievement.PARTIALLY)
                ),
                len(expressed),
            ),
            Measure(
                "informed_of_every_decision",
                "Informed of every decision (of concluded enquiries)",
                sum(1 for c in concluded if c.informed_of_every_decision),
                len(concluded),
            ),
        ),
    )


def report_as_dict(report: MspReport) -> dict[str, JsonValue]:
    """The report as JSON-compatible data."""
    return {
        "period": {"start": report.period_start.isoformat(), "end": report.period_end.isoformat()},
        "counts": {
            CONCERNS: report.concerns,
            EnquiryKind.S42_ENQUIRY.label: report.s42_enquiries,
            EnquiryKind.OTHER_ENQUIRY.label: report.other_enquiries,
            SECTION_42_COLUMN: report.concluded_s42_enquiries,
            OTHER_COLUMN: report.concluded_other_enquiries,
        },
        "tables": [
            {
                "key": table.key,
                "title": table.title,
                "counts": table.counts,
                "rows": [
                    {"label": row.label, "section_42": row.section_42, "other": row.other}
                    for row in table.rows
                ],
            }
            for table in report.tables
        ],
        "involvement": [
            {
                "key": measure.key,
                "title": measure.title,
                "numerator": measure.numerator,
                "denominator": measure.denominator,
                "share": measure.share,
            }
            for measure in report.involvement
        ],
    }


def report_as_csv(report: MspReport) -> str:
    """The report as CSV text, one figure per line: table, row, column, value."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["table", "row", "column", "value"])
    writer.writerow(["Period", "Start", "", report.period_start.isoformat()])
    writer.writerow(["Period", "End", "", report.period_end.isoformat()])
    for label, count in (
        (CONCERNS, report.concerns),
        (EnquiryKind.S42_ENQUIRY.label, report.s42_enquiries),
        (EnquiryKind.OTHER_ENQUIRY.label, report.other_enquiries),
        (SECTION_42_COLUMN, report.concluded_s42_enquiries),
        (OTHER_COLUMN, report.concluded_other_enquiries),
    ):
        writer.writerow(["Counts", label, "Count", count])
    for table in report.tables:
        for row in table.rows:
            writer.writerow([table.title, row.label, SECTION_42_COLUMN, row.section_42])
            writer.writerow([table.title, row.label, OTHER_COLUMN, row.other])
    for measure in report.involvement:
        share = "" if measure.share is None else f"{measure.share:.4f}"
        writer.writerow(["Involvement", measure.title, "Numerator", measure.numerator])
        writer.writerow(["Involvement", measure.title, "Denominator", measure.denominator])
        writer.writerow(["Involvement", measure.title, "Share", share])
    return out.getvalue()


def _risks(case: CaseSummary) -> Sequence[RiskDetail]:
    return case.case_details.risks if case.case_details else ()


def _table(
    key: str,
    title: str,
    counts: str,
    categories: type[SacCategory],
    cases: Sequence[CaseSummary],
    values_of: Callable[[CaseSummary], Iterable[SacCategory]],
) -> Table:
    section_42: dict[SacCategory, int] = dict.fromkeys(categories, 0)
    other: dict[SacCategory, int] = dict.fromkeys(categories, 0)
    for case in cases:
        column = section_42 if case.enquiry_kind is EnquiryKind.S42_ENQUIRY else other
        for value in values_of(case):
            column[value] += 1
    return Table(
        key=key,
        title=title,
        counts=counts,
        rows=tuple(Row(c.label, section_42[c], other[c]) for c in categories),
    )
