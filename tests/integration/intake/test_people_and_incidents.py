"""The same person, the same incident: a second concern finds the person on record, a repeat
report joins the open concern, and practitioners can correct a link by hand."""

from __future__ import annotations

import asyncio

from pydantic import JsonValue

from services.intake.read_models.triage import TriageEntry
from shared.events import Envelope
from shared.events.intake import (
    ConcernLinkedToPerson,
    Consent,
    MatchedBy,
    RepeatConcernLinked,
    YesNoUnknown,
)
from shared.sac import RiskType
from tests.integration.intake.conftest import Intake, a_new_nhs_number, a_submission
from tests.support.polling import eventually


async def raised(intake: Intake, agency: str, body: dict[str, JsonValue]) -> dict[str, str]:
    response = await intake.raise_concern(agency, body)
    assert response.status_code == 202, response.text
    answer: dict[str, str] = response.json()
    return answer


async def record(intake: Intake, concern_id: str) -> dict[str, JsonValue]:
    response = await intake.http.get(f"/concerns/{concern_id}", headers=intake.as_practitioner())
    assert response.status_code == 200, response.text
    found: dict[str, JsonValue] = response.json()
    return found


def payloads_of(events: list[Envelope], concern_id: str) -> list[object]:
    return [e.payload for e in events if e.stream_id == concern_id]


async def test_a_second_concern_about_the_same_person_is_linked_to_them(intake: Intake) -> None:
    nhs_number = a_new_nhs_number()
    first = await raised(intake, intake.agency_a, a_submission(**{"person.nhs_number": nhs_number}))
    # A different incident (no shared risk type), reported by another agency.
    second = await raised(
        intake,
        intake.agency_b,
        a_submission(
            **{"person.nhs_number": nhs_number, "what_happened.risk_types": ["self_neglect"]}
        ),
    )

    first_record, second_record = (
        await record(intake, first["concern_id"]),
        await record(intake, second["concern_id"]),
    )
    assert second_record["person_id"] == first_record["person_id"]
    assert second_record["linked_to_existing_person"] is True
    assert second_record["repeat_of_concern_id"] is None
    events = await intake.published(
        lambda es: any(
            isinstance(p, ConcernLinkedToPerson) for p in payloads_of(es, second["concern_id"])
        ),
        what="the link on Kafka",
    )
    [link] = [
        p for p in payloads_of(events, second["concern_id"]) if isinstance(p, ConcernLinkedToPerson)
    ]
    assert link.matched_by is MatchedBy.NHS_NUMBER
    assert link.person_id == first_record["person_id"]


async def test_without_an_nhs_number_name_date_of_birth_and_postcode_find_the_person(
    intake: Intake,
) -> None:
    first_body = a_submission(**{"person.name": "Edith  Ó'Brien"})
    second_body = a_submission(
        **{"person.name": "edith obrien", "what_happened.risk_types": ["self_neglect"]}
    )
    for body in (first_body, second_body):
        person = body["person"]
        assert isinstance(person, dict)
        del person["nhs_number"]
    first = await raised(intake, intake.agency_a, first_body)

    second = await raised(intake, intake.agency_a, second_body)

    assert (await record(intake, second["concern_id"]))["person_id"] == (
        await record(intake, first["concern_id"])
    )["person_id"]


async def test_two_concurrent_first_concerns_about_one_new_person_resolve_to_one_person(
    intake: Intake,
) -> None:
    nhs_number = a_new_nhs_number()
    bodies = [
        a_submission(**{"person.nhs_number": nhs_number, "what_happened.risk_types": [risk]})
        for risk in ("physical", "sexual", "self_neglect", "discriminatory")
    ]

    responses = await asyncio.gather(
        *(intake.raise_concern(intake.agency_a, body) for body in bodies)
    )

    assert [r.status_code for r in responses] == [202] * len(bodies)
    people = {(await record(intake, r.json()["concern_id"]))["person_id"] for r in responses}
    assert len(people) == 1


async def test_a_repeat_report_of_the_same_incident_is_linked_to_the_open_concern(
    intake: Intake,
) -> None:
    nhs_number = a_new_nhs_number()
    original = await raised(
        intake, intake.agency_a, a_submission(**{"person.nhs_number": nhs_number})
    )

    repeat = await raised(
        intake,
        intake.agency_b,
        a_submission(
            **{
                "person.nhs_number": nhs_number,
                "what_happened.risk_types": ["financial_or_material"],
            }
        ),
    )

    repeat_record = await record(intake, repeat["concern_id"])
    assert repeat_record["repeat_of_concern_id"] == original["concern_id"]
    events = await intake.published(
        lambda es: any(
            isinstance(p, RepeatConcernLinked) for p in payloads_of(es, repeat["concern_id"])
        ),
        what="the repeat link on Kafka",
    )
    [link] = [
        p for p in payloads_of(events, repeat["concern_id"]) if isinstance(p, RepeatConcernLinked)
    ]
    assert link.repeat_of_reference == original["reference"]


async def test_the_triage_queue_shows_a_repeat_under_the_concern_it_repeats(
    intake: Intake,
) -> None:
    nhs_number = a_new_nhs_number()
    original = await raised(
        intake, intake.agency_a, a_submission(**{"person.nhs_number": nhs_number})
    )
    repeat = await raised(
        intake, intake.agency_b, a_submission(**{"person.nhs_number": nhs_number})
    )

    async def queue() -> list[TriageEntry]:
        response = await intake.http.get("/triage", headers=intake.as_practitioner())
        assert response.status_code == 200
        return [TriageEntry.model_validate(e) for e in response.json()]

    entries = await eventually(
        queue,
        until=lambda es: any(e.concern_id == original["concern_id"] and e.repeats for e in es),
        what="the repeat in the triage queue",
    )
    [entry] = [e for e in entries if e.concern_id == original["concern_id"]]
    assert [r.concern_id for r in entry.repeats] == [repeat["concern_id"]]
    assert entry.person_name == "Margaret Hill"
    assert entry.risk_types == [RiskType.FINANCIAL_OR_MATERIAL, RiskType.PSYCHOLOGICAL]
    assert (entry.person_aware, entry.person_consented) == (YesNoUnknown.YES, Consent.YES)
    assert all(e.concern_id != repeat["concern_id"] for e in entries)


async def test_the_triage_queue_lists_open_concerns_oldest_first(intake: Intake) -> None:
    older = await raised(intake, intake.agency_a, a_submission())
    newer = await raised(intake, intake.agency_b, a_submission())

    response = await eventually(
        lambda: intake.http.get("/triage", headers=intake.as_practitioner()),
        until=lambda r: (
            {older["concern_id"], newer["concern_id"]} <= {e["concern_id"] for e in r.json()}
        ),
        what="both concerns in the triage queue",
    )
    mine = [
        e["concern_id"]
        for e in response.json()
        if e["concern_id"] in (older["concern_id"], newer["concern_id"])
    ]
    assert mine == [older["concern_id"], newer["concern_id"]]


async def test_a_practitioner_links_a_concern_to_a_person_by_hand_and_later_concerns_follow(
    intake: Intake,
) -> None:
    known = await raised(intake, intake.agency_a, a_submission())
    moved_house = a_submission(**{"what_happened.risk_types": ["self_neglect"]})
    stray = await raised(intake, intake.agency_a, moved_house)
    known_person = (await record(intake, known["concern_id"]))["person_id"]

    linked = await intake.http.post(
        f"/concerns/{stray['concern_id']}/link",
        json={"person_id": known_person, "reason": "Same person: she moved house last month."},
        headers=intake.as_practitioner(),
    )

    assert linked.status_code == 200, linked.text
    assert linked.json()["person_id"] == known_person
    again = a_submission(**{"what_happened.risk_types": ["physical"]})
    again["person"] = moved_house["person"]
    later = await raised(intake, intake.agency_b, again)
    assert (await record(intake, later["concern_id"]))["person_id"] == known_person


async def test_unlinking_a_wrong_match_moves_the_concern_to_a_new_person(intake: Intake) -> None:
    nhs_number = a_new_nhs_number()
    first = await raised(intake, intake.agency_a, a_submission(**{"person.nhs_number": nhs_number}))
    second = await raised(
        intake,
        intake.agency_a,
        a_submission(**{"person.nhs_number": nhs_number, "what_happened.risk_types": ["physical"]}),
    )

    unlinked = await intake.http.post(
        f"/concerns/{second['concern_id']}/unlink",
        json={"reason": "A different Margaret Hill: the NHS number was mistyped."},
        headers=intake.as_practitioner(),
    )

    assert unlinked.status_code == 200, unlinked.text
    first_person = (await record(intake, first["concern_id"]))["person_id"]
    assert unlinked.json()["person_id"] != first_person
    assert (await record(intake, second["concern_id"]))["linked_to_existing_person"] is False


async def test_linking_to_a_person_not_on_record_is_refused(intake: Intake) -> None:
    concern = await raised(intake, intake.agency_a, a_submission())

    response = await intake.http.post(
        f"/concerns/{concern['concern_id']}/link",
        json={
            "person_id": "person-00000000-0000-4000-8000-000000000000",
            "reason": "I think it is her.",
        },
        headers=intake.as_practitioner(),
    )

    # 404, not 422: the request is well formed; what it names is not on record (as the API
    # documents, and as a schema-valid request should be answered).
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "person_id"
