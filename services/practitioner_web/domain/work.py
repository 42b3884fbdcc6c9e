"""The work waiting for practitioners and managers, in one list with a priority: what the person
is waiting for first (first contact not yet judged safe, someone a practitioner must tell
themselves, a date agreed with them that passed), then the decisions of triage. Overdue before
due, then the oldest first. Pure: it takes the queues the services answer with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from typing import Any

Json = Mapping[str, Any]


class WorkKind(StrEnum):
    SAFE_CONTACT = "safe-contact"
    TELL_THEM = "tell-them"
    MISSED_DATE = "missed-date"
    TRIAGE = "triage"
    DECISION = "decision"
    ALLOCATED = "allocated"


KIND_WORDS = {
    WorkKind.SAFE_CONTACT: "Safe-contact decision",
    WorkKind.TELL_THEM: "Tell them yourself",
    WorkKind.MISSED_DATE: "Agreed date missed",
    WorkKind.TRIAGE: "Concern in triage",
    WorkKind.DECISION: "Decision awaiting a manager",
    WorkKind.ALLOCATED: "Case allocated",
}


class Priority(IntEnum):
    URGENT = 1
    HIGH = 2
    NORMAL = 3


PRIORITY_WORDS = {Priority.URGENT: "Urgent", Priority.HIGH: "High", Priority.NORMAL: "Normal"}


@dataclass(frozen=True)
class WorkItem:
    kind: WorkKind
    title: str
    detail: str
    href: str
    since: datetime
    due: datetime | None
    priority: Priority
    assigned_to: str | None = None
    team: str | None = None
    """The team whose work it is, when the case is allocated to one."""

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < datetime.now(UTC)


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)


def from_safe_contact(awaiting: Iterable[Json]) -> list[WorkItem]:
    return [
        WorkItem(
            kind=WorkKind.SAFE_CONTACT,
            title="Judge whether contact is safe before anything is sent",
            detail=f"{item['steps_waiting']} step(s) waiting to be told",
            href=f"/people/{item['person_id']}/safe-contact?concern={item['concern_id'] or ''}",
            since=_when(item["waiting_since"]) or datetime.now(UTC),
            due=_when(item.get("deadline")),
            priority=Priority.URGENT,
        )
        for item in awaiting
    ]


def from_practitioner_contact(to_tell: Iterable[Json]) -> list[WorkItem]:
    return [
        WorkItem(
            kind=WorkKind.TELL_THEM,
            title=f"Tell them yourself about {item['told_about']}",
            detail="Nothing was sent: " + ", ".join(item["recipients"]),
            href=f"/people/{item['person_id']}/told/{item['source_event_id']}",
            since=_when(item.get("deadline")) or datetime.now(UTC),
            due=_when(item.get("deadline")),
            priority=Priority.URGENT if item.get("overdue") else Priority.HIGH,
        )
        for item in to_tell
    ]


def from_work_items(items: Iterable[Json]) -> list[WorkItem]:
    return [
        WorkItem(
            kind=WorkKind.MISSED_DATE,
            title=f"{str(item['kind']).replace('_', ' ').capitalize()} agreed for "
            f"{date.fromisoformat(item['agreed_date']):%-d %B %Y} passed",
            detail=item.get("plan_action") or (item.get("reference") or ""),
            href=f"/cases/{item['case_id']}",
            since=_when(item["noticed_at"]) or datetime.now(UTC),
            due=_day(item["agreed_date"]),
            priority=Priority.HIGH,
            assigned_to=item.get("lead_worker"),
        )
        for item in items
    ]


def from_triage(entries: Iterable[Json]) -> list[WorkItem]:
    items = []
    for entry in entries:
        ready = int(entry.get("information_gathered", 0)) > 0
        items.append(
            WorkItem(
                kind=WorkKind.DECISION if ready else WorkKind.TRIAGE,
                title=f"{entry['reference']}: {entry['person_name']}",
                detail="Raised by " + str(entry["agency"]),
                href=f"/concerns/{entry['concern_id']}",
                since=_when(entry["raised_at"]) or datetime.now(UTC),
                due=None,
                priority=Priority.NORMAL,
            )
        )
    return items


def from_allocations(cases: Iterable[Json]) -> list[WorkItem]:
    return [
        WorkItem(
            kind=WorkKind.ALLOCATED,
            title=f"Case {case['reference']}: {case.get('person_name') or 'name not known'}",
            detail=f"Allocated to {case['team']}"
            + (f", {case['worker']}" if case.get("worker") else ", no worker named yet"),
            href=f"/cases/{case['case_id']}",
            since=_when(case["allocated_at"]) or datetime.now(UTC),
            due=None,
            priority=Priority.NORMAL,
            assigned_to=case.get("worker"),
            team=case["team"],
        )
        for case in cases
    ]


def mine(item: WorkItem, *, name: str, is_manager: bool) -> bool:
    """Whether an item is the user's own work: safe contact and telling them are anyone's to
    pick up; a missed date is its lead worker's (the team's while there is none); an allocated
    case its worker's; a concern in triage a practitioner's, its decision a manager's."""
    match item.kind:
        case WorkKind.SAFE_CONTACT | WorkKind.TELL_THEM:
            return True
        case WorkKind.MISSED_DATE:
            return item.assigned_to in (name, None)
        case WorkKind.ALLOCATED:
            return item.assigned_to == name
        case WorkKind.DECISION:
            return is_manager
        case WorkKind.TRIAGE:
            return not is_manager


def teams(item: WorkItem, user_teams: Sequence[str]) -> bool:
    """Whether an item belongs on the user's team's list: a case allocated to another team
    does not; everything else waits for whoever picks it up."""
    return item.team is None or item.team in user_teams


def prioritised(items: Iterable[WorkItem]) -> list[WorkItem]:
    """Most urgent first; overdue before due; the longest waiting first."""
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda i: (i.priority, not i.overdue, i.due or far, i.since, i.href))


def filtered(items: Sequence[WorkItem], kinds: Sequence[str]) -> list[WorkItem]:
    wanted = {k for k in kinds if k in {w.value for w in WorkKind}}
    return [i for i in items if not wanted or i.kind.value in wanted]
