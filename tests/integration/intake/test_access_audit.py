"""Reading and changing a concern at intake, on the real servers: recorded with the person it
is about now (after a relink), never with what the concern says. Concerns are not a team's:
every practitioner triages the front door, so another team reads them without a reason."""

from __future__ import annotations

from typing import Any

from tests.integration.intake.conftest import Intake, a_submission
from tests.support.staff import TestUser


async def test_reading_a_concern_is_recorded_with_the_person_it_is_about(intake: Intake) -> None:
    submission = a_submission(**{"person.name": "Wilhelmina Frontdoor"})
    raised = await intake.raise_concern(intake.agency_a, submission)
    assert raised.status_code == 202, raised.text
    concern_id = raised.json()["concern_id"]

    read = await intake.http.get(f"/concerns/{concern_id}", headers=intake.as_practitioner())
    by_other_team = await intake.http.get(
        f"/concerns/{concern_id}", headers=intake.staff.other_practitioner
    )
    person_id = read.json()["person_id"]
    audit = await intake.http.get(
        "/admin/access-audit", params={"person_id": person_id}, headers=intake.as_manager()
    )

    assert (read.status_code, by_other_team.status_code) == (200, 200)
    entries: list[dict[str, Any]] = audit.json()
    assert [(e["staff_id"], e["subject_kind"], e["subject_id"]) for e in entries] == [
        (intake.staff.subject(TestUser.OTHER_PRACTITIONER), "concern", concern_id),
        (intake.staff.subject(TestUser.PRACTITIONER), "concern", concern_id),
    ]
    assert "Wilhelmina" not in audit.text
