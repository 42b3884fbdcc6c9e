"""The national return over 23 hand-counted cases (tests/fixtures/sac): each case is played
through the Case aggregate as the service would record it, folded by the MSP report's read
model, and the report must reproduce every cell of the tables counted by hand in expected.csv
(a cell not listed there is 0)."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import TypeAdapter

from services.outcomes.domain import (
    Case,
    CaseSummary,
    MspReport,
    is_a_decision_the_person_is_told_about,
    msp_report,
    report_as_csv,
    summarise,
)
from services.outcomes.domain.report import CSV_COLUMNS
from services.outcomes.read_models.msp_report import fold_summary
from shared.events import Actor, Envelope, Metadata, Role
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import (
    Channel,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    informing_stream,
)
from shared.events.outcomes import (
    CaseEvent,
    CeasedReason,
    Demographics,
    EnquiryKind,
    Experience,
    ExperienceAnswer,
    ExpressedBy,
    OutcomeAchievement,
    ReviewStage,
    SacCaseDetails,
)
from shared.sac import (
    Achievement,
    MspAsked,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sac"
MANAGER = Actor(id="manager-owen", role=Role.MANAGER)
PRACTITIONER = Actor(id="practitioner-asha", role=Role.PRACTITIONER)
Spec = dict[str, Any]
E = TypeVar("E", bound=Enum)


def _demographics(fields: Spec) -> Demographics:
    return Demographics.model_validate(fields)


def member(kind: type[E], value: str) -> E:
    """The member of an enumeration with this value (the fixture names them by value)."""
    return TypeAdapter(kind).validate_python(value)


def _details(spec: Spec) -> SacCaseDetails:
    return SacCaseDetails.model_validate(
        {
            "risks": [{"risk_type": t, "location": w, "source": s} for t, w, s in spec["risks"]],
            "action_taken_and_result": spec["result"],
            "risk_outcome": spec.get("risk_outcome"),
            "mental_capacity": spec["capacity"],
            "lacked_capacity_supported": spec.get("supported"),
        }
    )


def played(spec: Spec, people: Spec) -> list[Envelope]:
    """The case's events, each recorded at the time of its step, and what the person was told."""
    raised: datetime = spec["raised"]
    steps: list[tuple[datetime, Actor, Callable[[Case], object]]] = []
    if "recorded_demographics" in spec:
        recorded = _demographics(spec["recorded_demographics"])
        steps.append(
            (raised + timedelta(hours=1), PRACTITIONER, lambda c: c.record_demographics(recorded))
        )
    for n, at in enumerate(spec.get("repeats", [])):

        def repeat(case: Case, at: datetime = at, n: int = n) -> object:
            return case.join_repeat_concern(
                concern_id=f"concern-{spec['name']}-repeat-{n}",
                reference=f"SG-REPEAT-{spec['name']}-{n}",
                concern_raised_at=at,
            )

        steps.append((at, SYSTEM_ACTOR, repeat))
    outcomes: list[str] = []
    if "enquiry" in spec:
        started: datetime = spec["started"]
        kind = member(EnquiryKind, spec["enquiry"])
        steps.append((started, SYSTEM_ACTOR, lambda c: c.start_enquiry(kind, started_at=started)))
        for n, _ in enumerate(spec.get("achieved", [])):

            def express(case: Case, n: int = n) -> object:
                said = case.express_desired_outcome(
                    text=f"What I want, number {n + 1}", expressed_by=ExpressedBy.PERSON
                )
                outcomes.append(said.desired_outcome_id)
                return said

            steps.append((started + timedelta(hours=1), PRACTITIONER, express))
    if "experience" in spec:
        listened, involved, informed, safer = (
            member(ExperienceAnswer, answer) for answer in spec["experience"]
        )
        stage = member(ReviewStage, spec.get("review", "closure"))
        steps.append(
            (
                spec["ended"] - timedelta(hours=1),
                PRACTITIONER,
                lambda c: c.review_outcomes(
                    stage=stage,
                    ratings=[],
                    experience=Experience(
                        felt_listened_to=listened,
                        felt_involved=involved,
                        felt_informed=informed,
                        feels_safer=safer,
                    ),
                ),
            )
        )
    if "ended" in spec:
        steps.append((spec["ended"], MANAGER, lambda c: _end(c, spec, outcomes)))

    base = people[spec["person"]]
    case = Case.open(
        concern_id=f"concern-{spec['name']}",
        person_id=spec["person"],
        reference=f"SG-{spec['name']}",
        concern_raised_at=raised,
        opened_at=raised,
        demographics=_demographics({**base, **spec.get("demographics", {})}),
    )
    recorded_at = [(raised, SYSTEM_ACTOR)]
    for at, actor, step in sorted(steps, key=lambda s: s[0]):
        case.now = at
        before = len(case.pending_events)
        step(case)
        recorded_at += [(at, actor)] * (len(case.pending_events) - before)
    envelopes = [
        Envelope.record(
            event,
            stream_id=case.case_id,
            stream_version=version,
            metadata=Metadata(actor=actor),
            occurred_at=at,
        )
        for version, (event, (at, actor)) in enumerate(
            zip(case.pending_events, recorded_at, strict=True), start=1
        )
    ]
    told = [e for e in envelopes if is_a_decision_the_person_is_told_about(e)]
    return envelopes + (
        [_informed(e, n) for n, e in enumerate(told, start=1)] if spec.get("informed") else []
    )


def _end(case: Case, spec: Spec, outcomes: list[str]) -> object:
    achievements = [
        OutcomeAchievement(desired_outcome_id=o, achievement=member(Achievement, a))
        for o, a in zip(outcomes, spec.get("achieved", []), strict=True)
    ]
    if "ceased" in spec:
        return case.cease_enquiry(
            MANAGER,
            reason=member(CeasedReason, spec["ceased"]),
            explanation="As recorded by the manager.",
            case_details=_details(spec),
            msp_asked=member(MspAsked, spec["msp"]),
            achievements=achievements,
        )
    return case.conclude_enquiry(
        MANAGER,
        case_details=_details(spec),
        msp_asked=member(MspAsked, spec["msp"]),
        achievements=achievements,
    )


def _informed(about: Envelope, version: int) -> Envelope:
    payload = about.payload
    assert isinstance(payload, CaseEvent)
    return Envelope.record(
        PersonInformed(
            person_id=payload.person_id,
            source_event_id=about.event_id,
            source_event_type=about.event_type,
            case_id=about.stream_id,
            recipient_role=RecipientRole.PERSON,
            channel=Channel.LETTER,
            format=MessageFormat.STANDARD,
            informed_at=about.occurred_at + timedelta(hours=2),
            message_summary="A step in their case",
        ),
        stream_id=informing_stream(payload.person_id),
        stream_version=version,
        metadata=Metadata(actor=SYSTEM_ACTOR),
    )


@pytest.fixture(scope="module")
def fixture() -> Spec:
    with (FIXTURES / "cases.toml").open("rb") as file:
        return tomllib.load(file)


@pytest.fixture(scope="module")
def histories(fixture: Spec) -> list[list[Envelope]]:
    return [played(spec, fixture["people"]) for spec in fixture["case"]]


@pytest.fixture(scope="module")
def summaries(histories: list[list[Envelope]]) -> list[CaseSummary]:
    """Folded as the read model folds them: in batches, the case's events and then what the
    person was told."""
    folded = []
    for history in histories:
        case_id = history[0].stream_id
        mine = [e for e in history if e.stream_id == case_id]
        told = [e for e in history if e.stream_id != case_id]
        document = fold_summary(case_id, fold_summary(case_id, None, mine[:2]), mine[2:])
        document = fold_summary(case_id, document, told)
        assert document["summary"] is not None
        folded.append(CaseSummary.model_validate(document["summary"]))
    return folded


@pytest.fixture(scope="module")
def report(fixture: Spec, summaries: list[CaseSummary]) -> MspReport:
    period = fixture["period"]
    start, end = period["from"], period["to"]
    assert isinstance(start, date)
    assert isinstance(end, date)
    return msp_report(summaries, start, end)


def _cells(text: str) -> list[tuple[str, ...]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [tuple(row) for row in rows[1:]]


def test_the_fixture_has_at_least_twenty_cases(fixture: Spec) -> None:
    assert len(fixture["case"]) >= 20


def test_the_read_models_fold_equals_the_domains_fold(
    histories: list[list[Envelope]], summaries: list[CaseSummary]
) -> None:
    for history, folded in zip(histories, summaries, strict=True):
        case_id = history[0].stream_id
        informed_of = {
            e.payload.source_event_id for e in history if isinstance(e.payload, PersonInformed)
        }
        mine = [e for e in history if e.stream_id == case_id]
        assert summarise(mine, informed_of) == folded


def test_every_table_cell_is_the_hand_count(report: MspReport) -> None:
    expected = _cells((FIXTURES / "expected.csv").read_text(encoding="utf-8"))
    produced = _cells(report_as_csv(report))

    keys = [row[:4] for row in produced]
    assert len(keys) == len(set(keys)), "each cell appears once"
    assert [row[:4] for row in expected if row[:4] not in set(keys)] == [], "no unknown cell"
    assert [row for row in produced if row[4] != "0"] == [
        row for row in _in_report_order(expected, keys)
    ]


def _in_report_order(
    expected: list[tuple[str, ...]], keys: list[tuple[str, ...]]
) -> list[tuple[str, ...]]:
    position = {key: n for n, key in enumerate(keys)}
    return sorted(expected, key=lambda row: position[row[:4]])
