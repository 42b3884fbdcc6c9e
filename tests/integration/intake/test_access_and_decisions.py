"""Who may do what: partners see only their own concerns, only a manager makes the s42 decision,
and what the partner then reads is the status and the feedback meant for them."""

from __future__ import annotations

import httpx
from pydantic import JsonValue

from shared.events import DomainEvent, Envelope
from shared.events.intake import S42Decision, S42DecisionMade
from tests.integration.intake.conftest import Intake, a_submission
from tests.support.polling import eventually
from tests.support.staff import DISPLAY_NAMES, TestUser

DECISION = {
    "decision": "s42_enquiry",
    "rationale": "Care and support needs, financial abuse by her son, and she cannot stop him "
    "alone.",
}


async def raised(intake: Intake, agency: str) -> dict[str, str]:
    response = await intake.raise_concern(agency, a_submission())
    assert response.status_code == 202, response.text
    answer: dict[str, str] = response.json()
    return answer


async def seen_by_partner(intake: Intake, agency: str, reference: str) -> httpx.Response:
    return await intake.http.get(
        f"/partner/concerns/{reference}", headers=intake.as_partner(agency)
    )


async def partner_view(
    intake: Intake, agency: str, reference: str, until: str
) -> dict[str, JsonValue]:
    response = await eventually(
        lambda: seen_by_partner(intake, agency, reference),
        until=lambda r: r.status_code == 200 and until in r.json()["status"],
        what=f"the partner to see {until!r}",
    )
    found: dict[str, JsonValue] = response.json()
    return found


async def test_without_an_api_key_a_submission_is_refused_with_401(intake: Intake) -> None:
    response = await intake.http.post("/concerns", json=a_submission())

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "ApiKey"


async def test_a_wrong_api_key_is_refused_with_401(intake: Intake) -> None:
    response = await intake.http.post(
        "/concerns", json=a_submission(), headers={"X-API-Key": "not-a-key"}
    )

    assert response.status_code == 401


async def test_staff_routes_need_a_staff_token(intake: Intake) -> None:
    without = await intake.http.get("/triage")
    with_a_partner_key = await intake.http.get(
        "/triage", headers=intake.as_partner(intake.agency_a)
    )

    assert (without.status_code, with_a_partner_key.status_code) == (401, 401)


async def test_a_token_without_a_staff_role_is_refused_with_403(intake: Intake) -> None:
    response = await intake.http.get("/triage", headers=intake.staff.no_staff_role)

    assert response.status_code == 403


async def test_partner_a_cannot_read_partner_b_s_concern(intake: Intake) -> None:
    concern = await raised(intake, intake.agency_b)
    await partner_view(intake, intake.agency_b, concern["reference"], until="received")

    response = await seen_by_partner(intake, intake.agency_a, concern["reference"])
    listed = await intake.http.get("/partner/concerns", headers=intake.as_partner(intake.agency_a))

    assert response.status_code == 404
    assert listed.json() == []


async def test_a_practitioner_cannot_make_the_s42_decision(intake: Intake) -> None:
    concern = await raised(intake, intake.agency_a)

    response = await intake.http.post(
        f"/concerns/{concern['concern_id']}/decision",
        json=DECISION,
        headers=intake.as_practitioner(),
    )

    assert response.status_code == 403
    assert "only a manager" in response.json()["detail"]


async def test_a_manager_makes_the_s42_decision_and_it_is_published(intake: Intake) -> None:
    concern = await raised(intake, intake.agency_a)

    response = await intake.http.post(
        f"/concerns/{concern['concern_id']}/decision",
        json=DECISION,
        headers=intake.as_manager(),
    )

    assert response.status_code == 200, response.text
    assert response.json()["recorded"] == ["S42DecisionMade"]

    def decisions(events: list[Envelope]) -> list[DomainEvent]:
        return [
            e.payload
            for e in events
            if e.stream_id == concern["concern_id"] and isinstance(e.payload, S42DecisionMade)
        ]

    [decision] = decisions(
        await intake.published(lambda es: bool(decisions(es)), what="the decision on Kafka")
    )
    assert isinstance(decision, S42DecisionMade)
    assert decision.decision is S42Decision.S42_ENQUIRY
    assert decision.decided_by == DISPLAY_NAMES[TestUser.MANAGER]


async def test_a_concern_is_decided_only_once(intake: Intake) -> None:
    concern = await raised(intake, intake.agency_a)
    path = f"/concerns/{concern['concern_id']}/decision"
    await intake.http.post(path, json=DECISION, headers=intake.as_manager())

    again = await intake.http.post(path, json=DECISION, headers=intake.as_manager())

    assert again.status_code == 409


async def test_an_incomplete_decision_names_what_is_missing(intake: Intake) -> None:
    concern = await raised(intake, intake.agency_a)

    response = await intake.http.post(
        f"/concerns/{concern['concern_id']}/decision",
        json={
            "decision": "no_further_action",
            "failed_criterion": "unable_to_protect_themselves",
            "rationale": "She has stopped the card and is protecting herself.",
        },
        headers=intake.as_manager(),
    )

    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["field"] == "route"
    assert "care_act_assessment" in problem["allowed"]


async def test_an_unknown_concern_answers_404(intake: Intake) -> None:
    response = await intake.http.post(
        "/concerns/concern-00000000-0000-4000-8000-000000000000/information",
        json={"note": "Spoke to her GP.", "source": "GP"},
        headers=intake.as_practitioner(),
    )

    assert response.status_code == 404


async def test_the_partner_follows_its_concern_from_received_to_decided_with_feedback(
    intake: Intake,
) -> None:
    concern = await raised(intake, intake.agency_a)
    base = f"/concerns/{concern['concern_id']}"
    await partner_view(intake, intake.agency_a, concern["reference"], until="received")

    await intake.http.post(
        f"{base}/information",
        json={"note": "Spoke to Mrs Hill: she wants help with her money.", "source": "the person"},
        headers=intake.as_practitioner(),
    )
    await partner_view(intake, intake.agency_a, concern["reference"], until="being looked at")
    await intake.http.post(f"{base}/decision", json=DECISION, headers=intake.as_manager())
    await intake.http.post(
        f"{base}/referrer-feedback",
        json={"feedback": "Thank you. We are making enquiries with Mrs Hill."},
        headers=intake.as_practitioner(),
    )

    seen = await eventually(
        lambda: seen_by_partner(intake, intake.agency_a, concern["reference"]),
        until=lambda r: bool(r.json()["feedback"]),
        what="the feedback in the partner view",
    )
    view = seen.json()
    assert view["stage"] == "decided"
    assert view["status"] == (
        "decided: the council is making safeguarding enquiries (Care Act 2014, section 42)"
    )
    assert [f["feedback"] for f in view["feedback"]] == [
        "Thank you. We are making enquiries with Mrs Hill."
    ]
    assert "Spoke to Mrs Hill" not in seen.text


async def test_a_bad_staff_request_names_the_field(intake: Intake) -> None:
    response = await intake.http.post(
        "/concerns/concern-0b7c3a52-5d0e-4f0e-9c55-3f3c1f1c2a10/decision",
        json={"decision": "maybe", "rationale": "Because."},
        headers=intake.as_manager(),
    )

    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["field"] == "decision"
    assert "s42_enquiry" in problem["allowed"]


async def test_the_partner_view_equals_itself_after_a_rebuild(intake: Intake) -> None:
    followed, received, other = [
        await raised(intake, agency)
        for agency in (intake.agency_a, intake.agency_a, intake.agency_b)
    ]
    base = f"/concerns/{followed['concern_id']}"
    await intake.http.post(
        f"{base}/information",
        json={"note": "Spoke to her GP.", "source": "her GP"},
        headers=intake.as_practitioner(),
    )
    await intake.http.post(f"{base}/decision", json=DECISION, headers=intake.as_manager())
    for feedback in ("Thank you.", "We are making enquiries."):
        await intake.http.post(
            f"{base}/referrer-feedback",
            json={"feedback": feedback},
            headers=intake.as_practitioner(),
        )
    await eventually(
        lambda: seen_by_partner(intake, intake.agency_a, followed["reference"]),
        until=lambda r: len(r.json()["feedback"]) == 2,
        what="both feedbacks in the partner view",
    )
    for agency, concern in ((intake.agency_a, received), (intake.agency_b, other)):
        await partner_view(intake, agency, concern["reference"], until="received")
    ours = {"_id": {"$in": [c["concern_id"] for c in (followed, received, other)]}}
    view = intake.runtime.database["partner_concerns"]
    built = await view.find(ours).sort("_id").to_list()

    await intake.runtime.rebuild("partner-view")

    assert len(built) == 3
    assert await view.find(ours).sort("_id").to_list() == built
