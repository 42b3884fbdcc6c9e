"""What each page needs, gathered from the services with the user's token. The services answer
for themselves; this only asks the right ones and puts the answers side by side."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from services.practitioner_web.adapters.services import Json, Refused, Service, Services
from services.practitioner_web.domain import work as work_queue
from services.practitioner_web.domain.steps import CaseContext
from shared.events import Role


@dataclass(frozen=True)
class User:
    subject: str
    name: str
    role: Role
    token: str
    teams: tuple[str, ...] = ()
    """The teams the council's directory puts them in."""

    @property
    def is_manager(self) -> bool:
        return self.role is Role.MANAGER


async def my_and_team_work(services: Services, user: User) -> tuple[list[Any], list[Any]]:
    """(my work, the team's work): the team's is everything waiting that is not another team's
    allocated case; mine is what `work.mine` says is the user's own."""
    triage, awaiting, to_tell, items, allocated = await asyncio.gather(
        services.get("intake", "/triage", user.token),
        services.get("notification", "/safe-contact/awaiting", user.token),
        services.get("notification", "/practitioner-contact/awaiting", user.token),
        services.get("outcomes", "/work-items", user.token),
        services.get("outcomes", "/allocations", user.token),
    )
    everything = [
        *work_queue.from_safe_contact(awaiting),
        *work_queue.from_practitioner_contact(to_tell),
        *work_queue.from_work_items(items),
        *work_queue.from_triage(triage),
        *work_queue.from_allocations(allocated),
    ]
    mine = [i for i in everything if work_queue.mine(i, name=user.name, is_manager=user.is_manager)]
    team = [i for i in everything if work_queue.teams(i, user.teams)]
    return work_queue.prioritised(mine), work_queue.prioritised(team)


@dataclass
class PersonPage:
    person: Json
    preferences: Json | None
    cases: list[Json] = field(default_factory=list)
    """The case file of each concern that has one, newest concern first."""
    awaiting_safe_contact: list[str] = field(default_factory=list)
    """Concern ids whose first contact waits for a practitioner's judgement."""

    @property
    def desired_outcomes(self) -> list[tuple[Json, Json]]:
        """(case, outcome) for every outcome the person still wants, across their cases."""
        return [
            (case, outcome)
            for case in self.cases
            for outcome in case["desired_outcomes"]
            if not outcome.get("withdrawn")
        ]


async def person_page(services: Services, user: User, person_id: str) -> PersonPage | None:
    person = await services.find("intake", f"/people/{person_id}", user.token)
    if person is None:
        return None
    preferences, picture = await asyncio.gather(
        services.find("notification", f"/people/{person_id}/contact-preferences", user.token),
        services.find("notification", f"/people/{person_id}/safe-contact", user.token),
    )
    located = await asyncio.gather(
        *(
            services.find("outcomes", f"/concerns/{c['concern_id']}/case", user.token)
            for c in person["concerns"]
        )
    )
    case_ids = list(dict.fromkeys(found["case_id"] for found in located if found))
    files = await asyncio.gather(
        *(services.find("outcomes", f"/cases/{case_id}", user.token) for case_id in case_ids)
    )
    waiting = sorted(
        {str(w["concern_id"]) for w in (picture or {}).get("waiting", ()) if w.get("concern_id")}
    )
    return PersonPage(person, preferences, [f for f in files if f], waiting)


async def case_file(services: Services, user: User, case_id: str) -> Json | None:
    return await services.find("outcomes", f"/cases/{case_id}", user.token)


def case_context(file: Json, user: User) -> CaseContext:
    concern = file.get("concern") or {}
    return CaseContext(
        person_name=file.get("person_name") or "the person",
        recorder=user.name,
        desired_outcomes=tuple(
            (o["desired_outcome_id"], o["text"])
            for o in file["desired_outcomes"]
            if not o.get("withdrawn")
        ),
        agreed_outcomes=tuple(
            (o["agreed_outcome_id"], o["wording"]) for o in file["agreed_outcomes"]
        ),
        capacity_assessments=tuple(
            (a["assessment_id"], a["decision"])
            for a in file.get("capacity_assessments", ())
            if a["lacks_capacity"]
        ),
        risk_types=tuple(concern.get("risk_types") or ()),
        location=concern.get("risk_location"),
        source=concern.get("risk_source"),
    )


async def record(
    services: Services, user: User, service: str, path: str, body: Json, method: str = "POST"
) -> Json:
    """Record a step; a refusal comes back as `Refused` for the form to show."""
    assert service in ("intake", "outcomes", "notification")
    answer = await services.call(method, service, path, user.token, body=body)  # type: ignore[arg-type]
    return answer.json()


async def step_to_tell(
    services: Services, user: User, person_id: str, source_event_id: str
) -> Json | None:
    """The step a practitioner must tell the person (or someone they chose) about themselves,
    while it waits."""
    waiting = await services.get("notification", "/practitioner-contact/awaiting", user.token)
    return next(
        (
            step
            for step in waiting
            if step["person_id"] == person_id and step["source_event_id"] == source_event_id
        ),
        None,
    )


AUDITED_SERVICES: tuple[Service, ...] = ("intake", "outcomes", "notification")


async def access_audit(services: Services, user: User, query: dict[str, str]) -> list[Json]:
    """The audit of access of the three services for a person or a member of staff, newest
    first, each entry with the service that recorded it."""
    found = await asyncio.gather(
        *(
            services.get(service, "/admin/access-audit", user.token, params=query)
            for service in AUDITED_SERVICES
        )
    )
    return sorted(
        (
            {**entry, "service": service}
            for service, entries in zip(AUDITED_SERVICES, found, strict=True)
            for entry in entries
        ),
        key=lambda entry: str(entry["at"]),
        reverse=True,
    )


async def chronology(services: Services, user: User, file: Json) -> tuple[Json, Json | None]:
    timeline, log = await asyncio.gather(
        services.find("outcomes", f"/cases/{file['case_id']}/timeline", user.token),
        services.find("notification", f"/people/{file['person_id']}/communications", user.token),
    )
    return timeline or {"entries": []}, log


__all__ = ["PersonPage", "Refused", "User", "case_context", "my_and_team_work", "person_page"]
