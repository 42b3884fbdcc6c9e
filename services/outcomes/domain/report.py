"""The national return (Safeguarding Adults Collection, SAC) and the local Making Safeguarding
Personal measures: a pure function of case summaries over a period.

The tables, their references and their cells follow the official statistics code
(NHSDigital/ASC-Safeguarding-Adults, `publication_outputs/`): one cell per table reference,
enquiry type, category and subcategory. Labels are the return's exact wording (`.label`), never
typed here. Periods are inclusive days in England. How each table counts:

- SG1f Safeguarding Concerns: concerns raised in the period (a repeat report of the same incident
  joins the open case and is one concern with it; LOCAL-MSP5 counts those repeats). Section 42 and
  Other Enquiries: enquiries that started in the period.
- SG1a-SG1d individuals: people involved in a concern raised, or an enquiry started, in the
  period, each counted once per column whatever the number of their cases; age on the last day of
  the period; gender, ethnicity and primary support reason as last known on their latest case.
- SG2-SG4 cover enquiries that ended (were concluded, or recorded as ceased) in the period, one
  column for each kind of enquiry. SG2a (type of risk by source) and SG2b (location by source)
  count an enquiry once per category: two risks in the person's own home are one "Own Home".
  Row totals ("Total" subcategory) count enquiries with that row's category, column totals
  ("Total" category) enquiries with that source.
- SG2c action taken and result, SG2e risk outcome (where action was taken on a risk), SG3a mental
  capacity (and, for those who lacked it, how many were supported by an advocate, family or
  friend), SG4a whether they were asked about their outcomes and, where they expressed some,
  whether they were achieved in their overall view: one per enquiry.
- Local measures (not in the return): each desired outcome's achievement; how the process felt
  (the experience answers from the latest review); involvement; why enquiries ceased; repeats.
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
from shared.events.outcomes import (
    CeasedReason,
    Demographics,
    EnquiryKind,
    Experience,
    ExperienceAnswer,
    RiskDetail,
    SacCaseDetails,
)
from shared.sac import (
    Achievement,
    ActionTakenAndResult,
    AgeBand,
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

CONCERNS = "Safeguarding Concerns"
SECTION_42_ENQUIRIES = EnquiryKind.S42_ENQUIRY.label
OTHER_ENQUIRIES = EnquiryKind.OTHER_ENQUIRY.label
CONCLUDED = {
    EnquiryKind.S42_ENQUIRY: "Concluded Section 42 Enquiries",
    EnquiryKind.OTHER_ENQUIRY: "Concluded Other Enquiries",
}
INDIVIDUALS_IN_CONCERNS = "Individuals Involved In Safeguarding Concerns"
INDIVIDUALS_IN_ENQUIRIES = {
    EnquiryKind.S42_ENQUIRY: "Individuals Involved In Section 42 Safeguarding Enquiries",
    EnquiryKind.OTHER_ENQUIRY: "Individuals Involved In Other Safeguarding Enquiries",
}
TOTAL = "Total"
SUPPORTED = (
    "Of the enquiries recorded as Yes, in how many of these cases was support provided by an "
    "advocate, family or friend"
)
CSV_COLUMNS = ("TABLE_REFERENCE", "ENQUIRY_TYPE", "CATEGORY", "SUBCATEGORY", "VALUE")

_EXPERIENCE_QUESTIONS = {
    "felt_listened_to": "Felt listened to",
    "felt_involved": "Felt involved",
    "felt_informed": "Felt informed",
    "feels_safer": "Feels safer",
}
_EXPERIENCE_ANSWERS = {
    ExperienceAnswer.YES: "Yes",
    ExperienceAnswer.PARTLY: "Partly",
    ExperienceAnswer.NO: "No",
    ExperienceAnswer.NOT_ASKED: "Not asked",
}
NOT_RECORDED = "Not recorded"
_CEASED = {
    CeasedReason.PERSONS_REQUEST: "At the person's request",
    CeasedReason.PERSON_DIED: "The person died",
    CeasedReason.NO_LONGER_AT_RISK: "No longer at risk",
}
_ASKED = frozenset({MspAsked.ASKED_AND_EXPRESSED, MspAsked.ASKED_NONE_EXPRESSED})


@dataclass(frozen=True)
class Cell:
    enquiry_type: str
    category: str
    subcategory: str
    value: int


@dataclass(frozen=True)
class Table:
    reference: str
    title: str
    counts: str
    """What one count is: an individual, a concern, an enquiry, a desired outcome."""
    official: bool
    """Part of the national return, or a local measure."""
    cells: tuple[Cell, ...]

    def value(self, enquiry_type: str, category: str, subcategory: str = "") -> int:
        for cell in self.cells:
            if (cell.enquiry_type, cell.category, cell.subcategory) == (
                enquiry_type,
                category,
                subcategory,
            ):
                return cell.value
        raise KeyError((self.reference, enquiry_type, category, subcategory))


@dataclass(frozen=True)
class MspReport:
    period_start: date
    period_end: date
    tables: tuple[Table, ...]

    def table(self, reference: str) -> Table:
        return next(t for t in self.tables if t.reference == reference)


def age_on(demographics: Demographics, day: date) -> int | None:
    """The person's age on `day`: from their date of birth, or moved on from an approximate age
    by the whole years since it was given."""
    if demographics.date_of_birth is not None:
        born = demographics.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if demographics.approximate_age is not None and demographics.approximate_age_on is not None:
        given = demographics.approximate_age_on
        years = day.year - given.year - ((day.month, day.day) < (given.month, given.day))
        return demographics.approximate_age + years
    return None


def msp_report(summaries: Iterable[CaseSummary], period_start: date, period_end: date) -> MspReport:
    cases = list(summaries)

    def in_period(moment: datetime | None) -> bool:
        return moment is not None and period_start <= day_in_england(moment) <= period_end

    raised = [c for c in cases if in_period(c.concern_raised_at)]
    started = {
        kind: [c for c in cases if c.enquiry_kind is kind and in_period(c.enquiry_started_at)]
        for kind in EnquiryKind
    }
    ended = [c for c in cases if in_period(c.ended_at) and c.case_details is not None]
    individuals = [
        (INDIVIDUALS_IN_CONCERNS, _people(raised)),
        *((INDIVIDUALS_IN_ENQUIRIES[k], _people(started[k])) for k in EnquiryKind),
    ]
    return MspReport(
        period_start=period_start,
        period_end=period_end,
        tables=(
            _individuals_table(
                "SG1a",
                "Individuals by age band",
                individuals,
                AgeBand,
                lambda d: AgeBand.of(age_on(d, period_end)),
            ),
            _individuals_table(
                "SG1b", "Individuals by gender", individuals, Gender, lambda d: d.gender
            ),
            _individuals_table(
                "SG1c", "Individuals by ethnicity", individuals, Ethnicity, lambda d: d.ethnicity
            ),
            _individuals_table(
                "SG1d",
                "Individuals by primary support reason",
                individuals,
                PrimarySupportReason,
                lambda d: d.primary_support_reason,
            ),
            Table(
                "SG1f",
                "Safeguarding concerns and enquiries",
                "concern or enquiry",
                True,
                (
                    Cell(CONCERNS, TOTAL, "", len(raised)),
                    Cell(SECTION_42_ENQUIRIES, TOTAL, "", len(started[EnquiryKind.S42_ENQUIRY])),
                    Cell(OTHER_ENQUIRIES, TOTAL, "", len(started[EnquiryKind.OTHER_ENQUIRY])),
                ),
            ),
            _cross_table(
                "SG2a",
                "Type of risk, by source of risk",
                ended,
                RiskType,
                lambda c: {(r.risk_type, r.source) for r in _risks(c)},
            ),
            _cross_table(
                "SG2b",
                "Location of risk, by source of risk",
                ended,
                RiskLocation,
                lambda c: {(r.location, r.source) for r in _risks(c)},
            ),
            _enquiry_table(
                "SG2c",
                "Action taken and result",
                ended,
                [(c.label, c) for c in ActionTakenAndResult],
                lambda c: _detail(c, lambda d: [d.action_taken_and_result]),
            ),
            _enquiry_table(
                "SG2e",
                "Risk outcome, where action was taken on a risk",
                ended,
                [(c.label, c) for c in RiskOutcome],
                lambda c: _detail(c, lambda d: [d.risk_outcome] if d.risk_outcome else []),
            ),
            _enquiry_table(
                "SG3a",
                "Did the person lack capacity",
                ended,
                [*((c.label, c) for c in MentalCapacity), (SUPPORTED, SUPPORTED)],
                lambda c: _detail(
                    c,
                    lambda d: [
                        d.mental_capacity,
                        *([SUPPORTED] if d.lacked_capacity_supported else []),
                    ],
                ),
            ),
            _enquiry_table(
                "SG4a",
                "Was the person asked about the outcomes they wanted, and were they achieved",
                ended,
                [*((c.label, c) for c in MspAsked), *((c.label, c) for c in Achievement)],
                lambda c: [
                    *([c.msp_asked] if c.msp_asked else []),
                    *(
                        [c.overall_achievement]
                        if c.msp_asked is MspAsked.ASKED_AND_EXPRESSED and c.overall_achievement
                        else []
                    ),
                ],
            ),
            _enquiry_table(
                "LOCAL-MSP1",
                "Local: each desired outcome achieved, in the person's view",
                ended,
                [(c.label, c) for c in Achievement],
                lambda c: (
                    list(c.achievements) if c.msp_asked is MspAsked.ASKED_AND_EXPRESSED else []
                ),
                counts="desired outcome",
            ),
            _experience_table(ended),
            _involvement_table(ended),
            _enquiry_table(
                "LOCAL-MSP4",
                "Local: enquiries that ceased before their conclusion, by reason",
                ended,
                [(label, reason) for reason, label in _CEASED.items()],
                lambda c: [c.ceased_reason] if c.ceased_reason else [],
            ),
            Table(
                "LOCAL-MSP5",
                "Local: repeat reports of an incident, joined to its open case",
                "repeat report",
                False,
                (
                    Cell(
                        CONCERNS,
                        "Repeat reports",
                        "",
                        sum(1 for c in cases for at in c.repeats_raised_at if in_period(at)),
                    ),
                ),
            ),
        ),
    )


def report_as_dict(report: MspReport) -> dict[str, JsonValue]:
    """The report as JSON-compatible data."""
    return {
        "period": {"start": report.period_start.isoformat(), "end": report.period_end.isoformat()},
        "tables": [
            {
                "reference": table.reference,
                "title": table.title,
                "counts": table.counts,
                "official": table.official,
                "cells": [
                    {
                        "enquiry_type": cell.enquiry_type,
                        "category": cell.category,
                        "subcategory": cell.subcategory,
                        "value": cell.value,
                    }
                    for cell in table.cells
                ],
            }
            for table in report.tables
        ],
    }


def report_as_csv(report: MspReport) -> str:
    """The report as CSV in the official layout: one line per cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in report.tables:
        for cell in table.cells:
            writer.writerow(
                [table.reference, cell.enquiry_type, cell.category, cell.subcategory, cell.value]
            )
    return out.getvalue()


# -- building the tables ------------------------------------------------------------------


def _people(cases: Sequence[CaseSummary]) -> list[Demographics]:
    """One entry per person: what is known about them on their latest case."""
    latest: dict[str, CaseSummary] = {}
    for case in cases:
        seen = latest.get(case.person_id)
        if seen is None or case.concern_raised_at > seen.concern_raised_at:
            latest[case.person_id] = case
    return [case.demographics for case in latest.values()]


def _individuals_table(
    reference: str,
    title: str,
    individuals: Sequence[tuple[str, Sequence[Demographics]]],
    categories: type[SacCategory],
    category_of: Callable[[Demographics], SacCategory],
) -> Table:
    cells: list[Cell] = []
    for enquiry_type, people in individuals:
        counts = dict.fromkeys(categories, 0)
        for person in people:
            counts[category_of(person)] += 1
        cells += [Cell(enquiry_type, c.label, "", counts[c]) for c in categories]
    return Table(reference, title, "individual", True, tuple(cells))


def _cross_table(
    reference: str,
    title: str,
    ended: Sequence[CaseSummary],
    rows: type[SacCategory],
    pairs_of: Callable[[CaseSummary], set[tuple[SacCategory, RiskSource]]],
) -> Table:
    cells: list[Cell] = []
    for kind in EnquiryKind:
        enquiries = [pairs_of(c) for c in ended if c.enquiry_kind is kind]
        for row in rows:
            for source in RiskSource:
                count = sum(1 for pairs in enquiries if (row, source) in pairs)
                cells.append(Cell(CONCLUDED[kind], row.label, source.label, count))
            count = sum(1 for pairs in enquiries if any(r is row for r, _ in pairs))
            cells.append(Cell(CONCLUDED[kind], row.label, TOTAL, count))
        for source in RiskSource:
            count = sum(1 for pairs in enquiries if any(s is source for _, s in pairs))
            cells.append(Cell(CONCLUDED[kind], TOTAL, source.label, count))
    return Table(reference, title, "concluded enquiry", True, tuple(cells))


def _enquiry_table(
    reference: str,
    title: str,
    ended: Sequence[CaseSummary],
    rows: Sequence[tuple[str, object]],
    values_of: Callable[[CaseSummary], Iterable[object]],
    *,
    counts: str = "concluded enquiry",
) -> Table:
    """One cell per row per kind of enquiry; `rows` pairs each label with the value counted
    under it, and `values_of` gives an enquiry's values (each counted once)."""
    cells: list[Cell] = []
    for kind in EnquiryKind:
        tally: dict[object, int] = {}
        for case in ended:
            if case.enquiry_kind is kind:
                for value in values_of(case):
                    tally[value] = tally.get(value, 0) + 1
        cells += [Cell(CONCLUDED[kind], label, "", tally.get(v, 0)) for label, v in rows]
    return Table(reference, title, counts, not reference.startswith("LOCAL"), tuple(cells))


def _experience_table(ended: Sequence[CaseSummary]) -> Table:
    def answers(case: CaseSummary) -> list[tuple[str, str]]:
        experience: Experience | None = case.experience
        return [
            (
                question,
                _EXPERIENCE_ANSWERS[getattr(experience, field)] if experience else NOT_RECORDED,
            )
            for field, question in _EXPERIENCE_QUESTIONS.items()
        ]

    cells: list[Cell] = []
    for kind in EnquiryKind:
        given = [a for c in ended if c.enquiry_kind is kind for a in answers(c)]
        for question in _EXPERIENCE_QUESTIONS.values():
            for answer in [*_EXPERIENCE_ANSWERS.values(), NOT_RECORDED]:
                cells.append(
                    Cell(CONCLUDED[kind], question, answer, given.count((question, answer)))
                )
    return Table(
        "LOCAL-MSP2",
        "Local: how the process felt, in the person's words at their latest review",
        "concluded enquiry",
        False,
        tuple(cells),
    )


def _involvement_table(ended: Sequence[CaseSummary]) -> Table:
    measures: list[tuple[str, Callable[[CaseSummary], bool], Callable[[CaseSummary], bool]]] = [
        (
            "Asked what outcomes they wanted, of all concluded enquiries",
            lambda c: c.msp_asked in _ASKED,
            lambda c: True,
        ),
        (
            "Expressed the outcomes they wanted, of those asked",
            lambda c: c.msp_asked is MspAsked.ASKED_AND_EXPRESSED,
            lambda c: c.msp_asked in _ASKED,
        ),
        (
            "Outcomes fully or partially achieved in their view, of those who expressed some",
            lambda c: c.overall_achievement in (Achievement.FULLY, Achievement.PARTIALLY),
            lambda c: c.msp_asked is MspAsked.ASKED_AND_EXPRESSED,
        ),
        (
            "Informed of every decision, of all concluded enquiries",
            lambda c: c.informed_of_every_decision,
            lambda c: True,
        ),
    ]
    cells: list[Cell] = []
    for kind in EnquiryKind:
        mine = [c for c in ended if c.enquiry_kind is kind]
        for title, counted, of in measures:
            denominator = [c for c in mine if of(c)]
            cells.append(
                Cell(CONCLUDED[kind], title, "Numerator", sum(1 for c in denominator if counted(c)))
            )
            cells.append(Cell(CONCLUDED[kind], title, "Denominator", len(denominator)))
    return Table(
        "LOCAL-MSP3", "Local: how involved the person was", "concluded enquiry", False, tuple(cells)
    )


def _risks(case: CaseSummary) -> Sequence[RiskDetail]:
    return case.case_details.risks if case.case_details else ()


def _detail(case: CaseSummary, values: Callable[[SacCaseDetails], list[object]]) -> list[object]:
    return values(case.case_details) if case.case_details else []
