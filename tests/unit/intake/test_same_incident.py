"""The same-incident rule: a second report of one incident is linked, not decided again."""

from __future__ import annotations

from datetime import date, timedelta

from services.intake.domain.matching import OpenConcern, find_repeated_concern, is_same_incident
from shared.sac import RiskType

FINANCIAL = RiskType.FINANCIAL_OR_MATERIAL
PSYCHOLOGICAL = RiskType.PSYCHOLOGICAL
INCIDENT = date(2026, 1, 12)


def open_concern(
    reference: str = "SG-2026-AAAAAA",
    *,
    person_id: str = "person-1",
    incident_date: date = INCIDENT,
    risk_types: frozenset[RiskType] = frozenset({FINANCIAL, PSYCHOLOGICAL}),
) -> OpenConcern:
    return OpenConcern(
        concern_id=f"concern-{reference}",
        reference=reference,
        person_id=person_id,
        incident_date=incident_date,
        risk_types=risk_types,
    )


def same(
    concern: OpenConcern, days_later: int, *risks: RiskType, person_id: str = "person-1"
) -> bool:
    return is_same_incident(
        concern,
        person_id=person_id,
        incident_date=INCIDENT + timedelta(days=days_later),
        risk_types=risks,
    )


def test_a_report_within_seven_days_sharing_a_risk_type_is_the_same_incident() -> None:
    assert same(open_concern(), 3, FINANCIAL)


def test_seven_days_apart_is_still_the_same_incident() -> None:
    assert same(open_concern(), 7, FINANCIAL)


def test_eight_days_apart_is_a_different_incident() -> None:
    assert not same(open_concern(), 8, FINANCIAL)


def test_an_incident_reported_as_earlier_counts_the_same_way() -> None:
    assert same(open_concern(), -7, PSYCHOLOGICAL)
    assert not same(open_concern(), -8, PSYCHOLOGICAL)


def test_a_report_sharing_no_risk_type_is_a_different_incident() -> None:
    assert not same(open_concern(), 0, RiskType.PHYSICAL, RiskType.NEGLECT_AND_ACTS_OF_OMISSION)


def test_another_persons_concern_is_never_the_same_incident() -> None:
    assert not same(open_concern(), 0, FINANCIAL, person_id="person-2")


def test_the_open_concern_nearest_in_date_is_the_one_repeated() -> None:
    far = open_concern("SG-2026-AAAAAA", incident_date=INCIDENT - timedelta(days=6))
    near = open_concern("SG-2026-BBBBBB", incident_date=INCIDENT + timedelta(days=1))
    found = find_repeated_concern(
        [far, near], person_id="person-1", incident_date=INCIDENT, risk_types=[FINANCIAL]
    )
    assert found == near


def test_with_no_matching_open_concern_nothing_is_repeated() -> None:
    found = find_repeated_concern(
        [open_concern()], person_id="person-1", incident_date=INCIDENT, risk_types=[RiskType.SEXUAL]
    )
    assert found is None
