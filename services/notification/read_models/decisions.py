"""Informing decisions: for every step in a person's case, what was decided about telling them,
and who is still waiting to be told.

One document per step (`_id` = the step's event id), written in the same transaction as the
events and deliveries the decision produced, so a redelivered step finds its decision and does
nothing. `pending_roles` shrinks as recipients are told (or withheld, or handed to a
practitioner); a step whose deadline passes with someone still pending is overdue.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pymongo import ASCENDING

from shared.events.notification import Channel, MessageFormat, RecipientRole
from shared.mongo import Database, Document, Session


class DecisionOutcome(StrEnum):
    NOT_TOLD = "not_told"
    """The informing policy does not message this step."""
    WITHHELD = "withheld"
    TELLING = "telling"
    """Recipients are being told (by message or by a practitioner)."""


class RecipientOutcome(StrEnum):
    SENDING = "sending"
    PRACTITIONER_CONTACT = "practitioner_contact"
    NOT_WRITTEN = "not_written"
    """The message could not be written (a detail did not fit); a practitioner must act."""


class RecipientDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    role: RecipientRole
    outcome: RecipientOutcome
    channel: Channel | None = None
    fallback_channel: Channel | None = None


class InformingDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source_event_id: str
    source_event_type: str
    person_id: str
    case_id: str | None
    concern_id: str | None
    occurred_at: AwareDatetime
    correlation_id: str
    decided_at: AwareDatetime
    outcome: DecisionOutcome
    why_not: str | None = None
    template: str | None = None
    told_about: str
    format: MessageFormat | None = None
    deadline: AwareDatetime | None = None
    recipients: tuple[RecipientDecision, ...] = ()
    pending_roles: tuple[RecipientRole, ...] = ()
    overdue_raised: bool = False

    def as_document(self) -> Document:
        document: Document = self.model_dump(mode="json")
        document["_id"] = document.pop("source_event_id")
        # Stored as dates, not text, so deadlines can be compared in queries.
        document |= {
            "occurred_at": self.occurred_at,
            "decided_at": self.decided_at,
            "deadline": self.deadline,
        }
        return document

    @classmethod
    def from_document(cls, document: Document) -> InformingDecision:
        fields = {k: v for k, v in document.items() if k != "_id"}
        return cls.model_validate(fields | {"source_event_id": document["_id"]})


class Decisions:
    def __init__(self, database: Database) -> None:
        self.collection = database["informing_decisions"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("person_id", ASCENDING), ("decided_at", ASCENDING)])
        await self.collection.create_index([("overdue_raised", ASCENDING), ("deadline", ASCENDING)])

    async def get(
        self, source_event_id: str, session: Session | None = None
    ) -> InformingDecision | None:
        document = await self.collection.find_one({"_id": source_event_id}, session=session)
        return InformingDecision.from_document(document) if document else None

    async def add(self, decision: InformingDecision, session: Session) -> None:
        await self.collection.insert_one(decision.as_document(), session=session)

    async def recipient_dealt_with(
        self, source_event_id: str, role: RecipientRole, session: Session
    ) -> None:
        await self.collection.update_one(
            {"_id": source_event_id}, {"$pull": {"pending_roles": role.value}}, session=session
        )

    async def all_dealt_with(self, source_event_id: str, session: Session) -> None:
        await self.collection.update_one(
            {"_id": source_event_id},
            {"$set": {"pending_roles": []}},
            session=session,
        )

    async def overdue(self, now: datetime, limit: int = 500) -> list[InformingDecision]:
        """Steps past their deadline with someone not yet told, not yet reported."""
        cursor = self.collection.find(
            {
                "overdue_raised": False,
                "deadline": {"$lte": now},
                "pending_roles.0": {"$exists": True},
            }
        ).limit(limit)
        return [InformingDecision.from_document(d) async for d in cursor]

    async def mark_overdue(self, source_event_id: str, session: Session) -> None:
        await self.collection.update_one(
            {"_id": source_event_id}, {"$set": {"overdue_raised": True}}, session=session
        )

    async def still_overdue(self) -> int:
        """Steps reported overdue whose recipients are still not all told."""
        return await self.collection.count_documents(
            {"overdue_raised": True, "pending_roles.0": {"$exists": True}}
        )

    async def for_person(self, person_id: str) -> list[InformingDecision]:
        cursor = self.collection.find({"person_id": person_id}).sort("decided_at", ASCENDING)
        return [InformingDecision.from_document(d) async for d in cursor]
