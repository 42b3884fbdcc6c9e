"""The triage queue: open concerns for council staff, oldest first, with each repeat report of the
same incident shown under the concern it repeats (so it is read, not decided twice)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Final

from pydantic import AwareDatetime, BaseModel, Field
from pymongo import ASCENDING

from services.intake.read_models.per_concern import change_each_concern
from shared.events import Envelope
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    Consent,
    InformationGathered,
    RepeatConcernLinked,
    S42DecisionMade,
    YesNoUnknown,
)
from shared.mongo import Database, Document, Session
from shared.projection import Projection
from shared.sac import RiskType
from shared.topics import INTAKE_EVENTS

QUEUE: Final = "triage_queue"


class RepeatReport(BaseModel):
    """Another report of the same incident, linked to the open concern it repeats."""

    concern_id: str
    reference: str
    raised_at: AwareDatetime
    agency: str
    risk_types: list[RiskType]


class TriageEntry(BaseModel):
    """An open concern waiting for information gathering and the s42 decision."""

    concern_id: str
    reference: str
    raised_at: AwareDatetime
    agency: str = Field(description="The partner agency that raised it.")
    person_id: str
    person_name: str = Field(description="The person's name as the concern gives it.")
    risk_types: list[RiskType]
    care_and_support_needs: YesNoUnknown
    person_aware: YesNoUnknown = Field(description="Does the person know the concern is raised?")
    person_consented: Consent = Field(description="Did the person agree to it being raised?")
    information_gathered: int = Field(description="How many notes of information are recorded.")
    repeats: list[RepeatReport] = Field(description="Repeat reports of the same incident.")


class TriageQueue(Projection):
    name = "triage-queue"
    topics: Sequence[str] = (INTAKE_EVENTS,)
    read_models = (QUEUE,)

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.queue = database[QUEUE]

    async def ensure_indexes(self) -> None:
        await self.queue.create_index(
            [("decided", ASCENDING), ("repeat_of", ASCENDING), ("raised_at", ASCENDING)]
        )

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        changes: list[tuple[Envelope, Document]] = []
        for event in events:
            change: Document | None = None
            match event.payload:
                case ConcernRaised() as raised:
                    change = {
                        "$set": {
                            "reference": raised.reference,
                            "raised_at": event.occurred_at,
                            "agency": raised.agency,
                            "person_id": raised.person_id,
                            "person_name": raised.person.name,
                            "risk_types": [r.value for r in raised.what_happened.risk_types],
                            "care_and_support_needs": raised.care_and_support_needs.value,
                            "person_aware": raised.involvement.person_aware.value,
                            "person_consented": raised.involvement.person_consented.value,
                            "repeat_of": None,
                            "decided": False,
                        },
                        "$setOnInsert": {"information_gathered": 0},
                    }
                case ConcernLinkedToPerson() as linked:
                    change = {"$set": {"person_id": linked.person_id}}
                case ConcernUnlinkedFromPerson() as unlinked:
                    change = {"$set": {"person_id": unlinked.new_person_id}}
                case RepeatConcernLinked() as repeat:
                    change = {"$set": {"repeat_of": repeat.repeat_of_concern_id}}
                case InformationGathered():
                    change = {"$inc": {"information_gathered": 1}}
                case S42DecisionMade() as decided:
                    change = {"$set": {"decided": True, "decision": decided.decision.value}}
                case _:
                    pass
            if change is not None:
                changes.append((event, change))
        await change_each_concern(self.queue, changes, session)


class Triage:
    """Reads the triage queue."""

    def __init__(self, database: Database) -> None:
        self.queue = database[QUEUE]

    async def open_concerns(self, *, limit: int = 200) -> list[TriageEntry]:
        waiting = (
            await self.queue.find({"decided": False, "repeat_of": None})
            .sort([("raised_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        repeats: dict[str, list[RepeatReport]] = defaultdict(list)
        repeat_ids: set[str] = set()
        cursor = self.queue.find({"repeat_of": {"$in": [d["_id"] for d in waiting]}})
        async for doc in cursor.sort([("raised_at", ASCENDING)]):
            repeats[doc["repeat_of"]].append(RepeatReport.model_validate(_with_id(doc)))
            repeat_ids.add(doc["_id"])
        # A repeat linked between the two reads is shown only under the concern it repeats.
        return [
            TriageEntry.model_validate({**_with_id(doc), "repeats": repeats[doc["_id"]]})
            for doc in waiting
            if doc["_id"] not in repeat_ids
        ]


def _with_id(doc: Document) -> Document:
    return {**doc, "concern_id": doc["_id"]}
