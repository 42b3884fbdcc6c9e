"""The case file: everything recorded in one person's case, as a practitioner or manager reads it.

What the person wants is shown in their own words with every earlier wording kept; what was
agreed; wishes about formal action (each as the words of whoever said them), best-interests
decisions and any override; capacity and advocacy; risk discussions; the plan and the actions
done; reviews; case notes of contacts between professionals; repeat reports of the incident that
joined the case; what the national return will say about the person; the status; and the dates
agreed with them. Items are the recorded events themselves, so nothing is re-typed or re-worded
on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pymongo import ASCENDING

from services.outcomes.domain.summary import known_demographics
from services.outcomes.read_models.per_case import PerCaseProjection
from shared.events import Envelope
from shared.events.outcomes import (
    AdvocateAppointed,
    AgreedDateMissed,
    BestInterestsDecisionMade,
    CaseAllocated,
    CaseClosed,
    CaseEvent,
    CaseMovedToPerson,
    CaseNoteRecorded,
    CaseOpened,
    ConversationHeld,
    Demographics,
    DemographicsRecorded,
    DesiredOutcomeExpressed,
    DesiredOutcomeRevised,
    DesiredOutcomeWithdrawn,
    EnquiryCeased,
    EnquiryConcluded,
    EnquiryStarted,
    ExpressedBy,
    FormalActionTaken,
    FormalActionWishesRecorded,
    LeadWorkerAssigned,
    MeetingArranged,
    MentalCapacityAssessed,
    NextContactAgreed,
    OutcomeAgreed,
    OutcomeCategory,
    OutcomesReviewed,
    PlanActionCompleted,
    RepeatConcernJoined,
    ReviewDateAgreed,
    RiskDiscussionHeld,
    SafeguardingPlanAgreed,
    WishesOverridden,
)
from shared.mongo import Database, Document
from shared.sac import RiskLocation, RiskSource, RiskType
from shared.topics import OUTCOMES_EVENTS

COLLECTION = "case_files"


class CaseStatus(StrEnum):
    OPEN = "open"
    """Opened for a concern; no enquiry (yet)."""
    ENQUIRY = "enquiry"
    CONCLUDED = "concluded"
    CEASED = "ceased"
    """The enquiry stopped before its conclusion (recorded by a manager, with the reason)."""
    CLOSED = "closed"


class ReadModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


CONTACT_DETAILS = frozenset({"contact"})
"""The fields of case events that say how to reach someone (the lead worker's phone, the
advocate's email, phone and address). The case file keeps none: contact details are
notification's business, and it has them from the same events."""


class LeadWorker(ReadModel):
    """The person's lead worker (how to reach them is in what notification sent the person)."""

    name: str
    assigned_at: AwareDatetime


class Advocate(ReadModel):
    """The independent advocate arranged (how to reach them is notification's to keep)."""

    name: str
    organisation: str
    substantial_difficulty: str
    no_appropriate_person: str
    appointed_at: AwareDatetime


class Wording(ReadModel):
    """One wording of a desired outcome, exactly as said."""

    text: str
    expressed_by: ExpressedBy
    category: OutcomeCategory | None
    at: AwareDatetime


class DesiredOutcome(ReadModel):
    desired_outcome_id: str
    text: str
    """The current wording, verbatim."""
    expressed_by: ExpressedBy
    category: OutcomeCategory | None
    expressed_at: AwareDatetime
    withdrawn: DesiredOutcomeWithdrawn | None
    history: list[Wording]
    """Every wording in order, the first as first expressed, the last the current one."""


class ConcernAtIntake(ReadModel):
    raised_at: AwareDatetime
    risk_types: list[RiskType]
    risk_location: RiskLocation | None
    risk_source: RiskSource | None
    persons_own_words: str | None


class CaseFile(ReadModel):
    case_id: str
    concern_id: str
    person_id: str
    reference: str
    person_name: str | None
    status: CaseStatus
    version: int
    """How many of the case's events this file reflects."""
    opened_at: AwareDatetime
    concern: ConcernAtIntake
    repeat_concerns: list[RepeatConcernJoined] = []
    """Other reports of the same incident, which joined this case."""
    demographics: Demographics | None = None
    """What the national return will count about the person."""
    enquiry: EnquiryStarted | None
    lead_worker: LeadWorker | None
    allocation: CaseAllocated | None = None
    """Whose work the case is: a team's, and a worker's in it."""
    conversations: list[ConversationHeld]
    desired_outcomes: list[DesiredOutcome]
    agreed_outcomes: list[OutcomeAgreed]
    formal_action_wishes: list[FormalActionWishesRecorded]
    wishes_overrides: list[WishesOverridden]
    best_interests_decisions: list[BestInterestsDecisionMade] = []
    formal_actions: list[FormalActionTaken]
    capacity_assessments: list[MentalCapacityAssessed]
    advocate: Advocate | None
    risk_discussions: list[RiskDiscussionHeld]
    meetings: list[MeetingArranged]
    case_notes: list[CaseNoteRecorded] = []
    """Contacts between professionals; for staff, never part of a message to the person."""
    plan: SafeguardingPlanAgreed | None
    completed_plan_actions: list[PlanActionCompleted] = []
    next_contact: NextContactAgreed | None
    review_date: ReviewDateAgreed | None
    missed_dates: list[AgreedDateMissed]
    reviews: list[OutcomesReviewed]
    conclusion: EnquiryConcluded | None
    cessation: EnquiryCeased | None = None
    closure: CaseClosed | None


_LISTS = {
    RepeatConcernJoined: "repeat_concerns",
    BestInterestsDecisionMade: "best_interests_decisions",
    CaseNoteRecorded: "case_notes",
    PlanActionCompleted: "completed_plan_actions",
    ConversationHeld: "conversations",
    OutcomeAgreed: "agreed_outcomes",
    FormalActionWishesRecorded: "formal_action_wishes",
    WishesOverridden: "wishes_overrides",
    FormalActionTaken: "formal_actions",
    MentalCapacityAssessed: "capacity_assessments",
    RiskDiscussionHeld: "risk_discussions",
    MeetingArranged: "meetings",
    AgreedDateMissed: "missed_dates",
    OutcomesReviewed: "reviews",
}
_LATEST = {
    EnquiryStarted: "enquiry",
    LeadWorkerAssigned: "lead_worker",
    CaseAllocated: "allocation",
    AdvocateAppointed: "advocate",
    SafeguardingPlanAgreed: "plan",
    NextContactAgreed: "next_contact",
    ReviewDateAgreed: "review_date",
    EnquiryConcluded: "conclusion",
    EnquiryCeased: "cessation",
    CaseClosed: "closure",
}
_STATUS_AFTER = {
    EnquiryStarted: CaseStatus.ENQUIRY,
    EnquiryConcluded: CaseStatus.CONCLUDED,
    EnquiryCeased: CaseStatus.CEASED,
    CaseClosed: CaseStatus.CLOSED,
}


def new_case_file(case_id: str) -> Document:
    return {
        "case_id": case_id,
        "concern_id": None,
        "person_id": None,
        "reference": None,
        "person_name": None,
        "status": CaseStatus.OPEN.value,
        "version": 0,
        "opened_at": None,
        "concern": None,
        "demographics": None,
        "desired_outcomes": [],
        **{key: [] for key in _LISTS.values()},
        **dict.fromkeys(_LATEST.values()),
    }


def fold_case_file(case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
    """The case file after `events`, which are the case's next events in stream order."""
    file = dict(document) if document is not None else new_case_file(case_id)
    for envelope in events:
        payload = envelope.payload
        if not isinstance(payload, CaseEvent):
            continue
        _apply(file, payload)
        file["version"] = envelope.stream_version
    return file


def _apply(file: Document, payload: CaseEvent) -> None:
    kind = type(payload)
    kept = payload.model_dump(mode="json", exclude=set(CONTACT_DETAILS))
    if kind in _LISTS:
        key = _LISTS[kind]
        file[key] = [*file.get(key, []), kept]
    elif kind in _LATEST:
        file[_LATEST[kind]] = kept
    if kind in _STATUS_AFTER and file["status"] != CaseStatus.CLOSED.value:
        file["status"] = _STATUS_AFTER[kind].value
    match payload:
        case CaseMovedToPerson():
            file["person_id"] = payload.person_id
        case CaseOpened():
            opened = payload.model_dump(mode="json")
            file.update(
                {key: opened[key] for key in ("concern_id", "person_id", "reference")},
                person_name=opened["person_name"],
                opened_at=opened["opened_at"],
                concern={
                    "raised_at": opened["concern_raised_at"],
                    "risk_types": opened["risk_types"],
                    "risk_location": opened["risk_location"],
                    "risk_source": opened["risk_source"],
                    "persons_own_words": opened["persons_own_words"],
                },
            )
            _learn_demographics(file, payload.demographics)
        case RepeatConcernJoined():
            _learn_demographics(file, payload.demographics)
        case DemographicsRecorded():
            file["demographics"] = payload.demographics.model_dump(mode="json")
        case DesiredOutcomeExpressed():
            expressed = payload.model_dump(mode="json")
            file["desired_outcomes"] = [
                *file["desired_outcomes"],
                {
                    "desired_outcome_id": payload.desired_outcome_id,
                    **_wording(expressed),
                    "expressed_at": expressed["expressed_at"],
                    "withdrawn": None,
                    "history": [{**_wording(expressed), "at": expressed["expressed_at"]}],
                },
            ]
        case DesiredOutcomeRevised():
            revised = payload.model_dump(mode="json")
            _change_outcome(
                file,
                payload.desired_outcome_id,
                lambda outcome: {
                    **outcome,
                    **_wording(revised),
                    "history": [
                        *outcome["history"],
                        {**_wording(revised), "at": revised["revised_at"]},
                    ],
                },
            )
        case DesiredOutcomeWithdrawn():
            withdrawn = payload.model_dump(mode="json")
            _change_outcome(
                file,
                payload.desired_outcome_id,
                lambda outcome: {**outcome, "withdrawn": withdrawn},
            )
        case _:
            pass


def _learn_demographics(file: Document, reported: Demographics | None) -> None:
    known = file.get("demographics")
    merged = known_demographics(
        Demographics.model_validate(known) if known is not None else None, reported
    )
    file["demographics"] = merged.model_dump(mode="json")


def _wording(dumped: Document) -> Document:
    return {key: dumped[key] for key in ("text", "expressed_by", "category")}


def _change_outcome(
    file: Document, desired_outcome_id: str, change: Callable[[Document], Document]
) -> None:
    file["desired_outcomes"] = [
        change(outcome) if outcome["desired_outcome_id"] == desired_outcome_id else outcome
        for outcome in file["desired_outcomes"]
    ]


class CaseFiles(PerCaseProjection):
    name = "case-files"
    topics: Sequence[str] = (OUTCOMES_EVENTS,)
    collection_name = COLLECTION

    def case_of(self, event: Envelope) -> str | None:
        return event.stream_id if isinstance(event.payload, CaseEvent) else None

    def fold(self, case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
        return fold_case_file(case_id, document, events)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("allocation.team", ASCENDING), ("status", ASCENDING)])
        await self.collection.create_index(
            [("allocation.worker", ASCENDING), ("status", ASCENDING)]
        )
        # Every allocated open case, when no team or worker is asked for (`allocated_cases`).
        await self.collection.create_index([("status", ASCENDING)])
        # A person's cases, on her erasure (`cases_of`).
        await self.collection.create_index([("person_id", ASCENDING)])

    async def reset(self) -> None:
        await super().reset()
        await self.ensure_indexes()


async def read_case_file(database: Database, case_id: str) -> CaseFile | None:
    document = await database[COLLECTION].find_one({"_id": case_id})
    if document is None or document.get("concern_id") is None:
        return None
    return CaseFile.model_validate(document)


async def person_of_subject(database: Database, kind: str, subject_id: str) -> str | None:
    """Whom a case (or its timeline) or a concern is about, for the audit of access."""
    key = "concern_id" if kind == "concern" else "case_id"
    found = await database[COLLECTION].find_one({key: subject_id}, {"person_id": 1})
    return str(found["person_id"]) if found and found.get("person_id") else None


async def team_of_subject(database: Database, kind: str, subject_id: str) -> str | None:
    """The team a case (or its timeline) is allocated to, for the per-team access rule; None
    when nobody allocated it."""
    if kind not in ("case", "timeline"):
        return None
    found = await database[COLLECTION].find_one({"case_id": subject_id}, {"allocation": 1})
    allocation = (found or {}).get("allocation") or {}
    team = allocation.get("team")
    return str(team) if team else None


async def allocated_teams(database: Database, case_ids: set[str]) -> dict[str, str | None]:
    """The team each case is allocated to (None when nobody allocated it), for the lists that
    show staff only the cases the per-team rule lets them read."""
    cursor = database[COLLECTION].find(
        {"_id": {"$in": sorted(case_ids)}}, projection={"allocation": 1}
    )
    return {
        str(document["_id"]): ((document.get("allocation") or {}).get("team") or None)
        async for document in cursor
    }


async def cases_of(database: Database, person_id: str) -> list[str]:
    """The cases about the person now (a case moved to someone else is theirs)."""
    cursor = database[COLLECTION].find({"person_id": person_id}, projection={"_id": 1})
    return sorted([str(document["_id"]) async for document in cursor])


MAX_ALLOCATED = 500
"""A team's open cases fit on one page of work; more would be a list nobody reads."""


class AllocatedCase(BaseModel):
    """An open case and whose work it is."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    reference: str
    person_id: str
    person_name: str | None
    status: CaseStatus
    team: str
    worker: str | None
    allocated_at: AwareDatetime


async def allocated_cases(
    database: Database, *, team: str | None = None, worker: str | None = None
) -> list[AllocatedCase]:
    """Open cases allocated to `team` or to `worker` (to both, when both are given; every
    allocated open case when neither is), the longest allocated first."""
    # Each query names the fields of one index, led by a value, with no `$ne`: the test server
    # reads the whole collection for any other. The rest (the worker, when the team is given
    # too; an allocation, when neither is) is checked as the cases are read.
    still_open: Document = {"$in": [s.value for s in CaseStatus if s is not CaseStatus.CLOSED]}
    if team is not None:
        query: Document = {"allocation.team": team, "status": still_open}
    elif worker is not None:
        query = {"allocation.worker": worker, "status": still_open}
    else:
        query = {"status": still_open}
    found: list[AllocatedCase] = []
    async with database[COLLECTION].find(query) as cursor:
        async for document in cursor:
            allocation = document.get("allocation")
            if not allocation or (worker is not None and allocation.get("worker") != worker):
                continue
            found.append(
                AllocatedCase(
                    case_id=document["case_id"],
                    reference=document["reference"],
                    person_id=document["person_id"],
                    person_name=document.get("person_name"),
                    status=document["status"],
                    team=allocation["team"],
                    worker=allocation.get("worker"),
                    allocated_at=allocation["allocated_at"],
                )
            )
            if len(found) == MAX_ALLOCATED:
                break
    return sorted(found, key=lambda c: (c.allocated_at, c.case_id))
