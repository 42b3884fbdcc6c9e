"""Informing decisions: for every step in a person's case, what was decided about telling them,
and who is still waiting to be told.

One document per step (`_id` = the step's event id), written in the same transaction as the
events and deliveries the decision produced, so a redelivered step finds its decision and does
nothing. `pending_roles` shrinks as recipients are told (or withheld, or handed to a
practitioner); a step whose deadline passes with someone still pending is overdue. A step that
waits for a practitioner's safe-contact decision keeps what its message may say (`facts`) so it
can be told once the decision is recorded; it is pending, so it becomes overdue like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pymongo import ASCENDING, UpdateOne

from services.notification.domain.messages import StepFacts
from services.notification.domain.steps import Step
from shared.events import Actor, Role
from shared.events.notification import Channel, MessageFormat, RecipientRole
from shared.mongo import Database, Document, Session, drop_replaced_indexes


class DecisionOutcome(StrEnum):
    NOT_TOLD = "not_told"
    """The informing policy does not message this step."""
    WITHHELD = "withheld"
    TELLING = "telling"
    """Recipients are being told (by message or by a practitioner)."""
    AWAITING_SAFE_CONTACT = "awaiting_safe_contact"
    """Nothing is sent until a practitioner records that contact is safe, and how."""
    MOVED = "moved"
    """The concern was moved to another person: this person is told nothing more about it."""
    ERASED = "erased"
    """The person was erased: nobody is told anything more about her."""


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
    facts: StepFacts | None = None
    advocate_told: bool = False
    practitioner_to_tell: tuple[RecipientRole, ...] = ()
    """Recipients nothing was sent to, whom a practitioner must tell (until they record it)."""

    def as_step(self) -> Step:
        """The step again, to decide it once a practitioner's safe-contact decision is in."""
        return Step(
            source_event_id=self.source_event_id,
            source_event_type=self.source_event_type,
            person_id=self.person_id,
            case_id=self.case_id,
            concern_id=self.concern_id,
            occurred_at=self.occurred_at,
            correlation_id=self.correlation_id,
            actor=Actor(id="system", role=Role.SYSTEM),
            tell=self.template is not None,
            template=self.template,
            deadline=self.deadline,
            why_not=self.why_not,
            advocate_told=self.advocate_told,
            facts=self.facts,
        )

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


AWAITING: Document = {"outcome": DecisionOutcome.AWAITING_SAFE_CONTACT.value}
AWAITING_BY_PERSON_INDEX = "awaiting_by_person"
AWAITING_BY_DEADLINE_INDEX = "awaiting_by_deadline"
SOMEONE_PENDING: Document = {"pending_roles.0": {"$exists": True}}
"""Steps with someone still to be told (or withheld from, or handed to a practitioner)."""
SOMEONE_FOR_A_PRACTITIONER: Document = {"practitioner_to_tell.0": {"$exists": True}}
"""Steps with someone a practitioner must still tell."""
REPLACED_DECISION_INDEXES = (
    "person_id_1_decided_at_1",
    "person_id_1_outcome_1_concern_id_1",
    "outcome_1_deadline_1",
    "overdue_raised_1_deadline_1",
    "practitioner_to_tell_1_deadline_1",
)
"""The indexes before the ones `Decisions.ensure_indexes` makes, dropped where found."""


class Decisions:
    def __init__(self, database: Database) -> None:
        self.collection = database["informing_decisions"]

    async def ensure_indexes(self) -> None:
        # No index here has a key that recording a safe-contact decision changes: the steps
        # waiting for one are indexed only while they wait (as the outbox's pending entries are,
        # `shared.eventstore`), and a person's decisions by person alone, where `decided_at`
        # in the key was rewritten by every decision.
        await self.collection.create_index([("person_id", ASCENDING)])
        await self.collection.create_index(
            [("person_id", ASCENDING), ("concern_id", ASCENDING), ("occurred_at", ASCENDING)],
            name=AWAITING_BY_PERSON_INDEX,
            partialFilterExpression=AWAITING,
        )
        await self.collection.create_index(
            [("deadline", ASCENDING)],
            name=AWAITING_BY_DEADLINE_INDEX,
            partialFilterExpression=AWAITING,
        )
        # The overdue sweep and the practitioners' queue read only the steps someone is still
        # waiting on: sparse indexes hold just those, so neither reads every step ever decided.
        await self.collection.create_index([("pending_roles.0", ASCENDING)], sparse=True)
        await self.collection.create_index([("practitioner_to_tell.0", ASCENDING)], sparse=True)
        await drop_replaced_indexes(self.collection, REPLACED_DECISION_INDEXES)

    async def get(
        self, source_event_id: str, session: Session | None = None
    ) -> InformingDecision | None:
        document = await self.collection.find_one({"_id": source_event_id}, session=session)
        return InformingDecision.from_document(document) if document else None

    async def decided_among(self, source_event_ids: Iterable[str], session: Session) -> set[str]:
        """Which of these steps have a decision already, in one look-up."""
        return {
            str(document["_id"])
            async for document in self.collection.find(
                {"_id": {"$in": sorted(set(source_event_ids))}},
                projection={"_id": 1},
                session=session,
            )
        }

    async def add(self, decision: InformingDecision, session: Session) -> None:
        await self.collection.insert_one(decision.as_document(), session=session)

    async def add_all(self, decisions: Sequence[InformingDecision], session: Session) -> None:
        """`add` for many at once, in order (one write)."""
        if decisions:
            await self.collection.insert_many([d.as_document() for d in decisions], session=session)

    async def replace(self, decision: InformingDecision, session: Session) -> None:
        await self.collection.replace_one(
            {"_id": decision.source_event_id}, decision.as_document(), session=session
        )

    async def awaiting(
        self, person_id: str, concern_id: str | None, session: Session | None = None
    ) -> list[InformingDecision]:
        """This person's steps about the concern (all of theirs, for None) that wait for a
        safe-contact decision, oldest first."""
        query: Document = {"person_id": person_id, **AWAITING}
        if concern_id is not None:
            query["concern_id"] = concern_id
        cursor = self.collection.find(query, session=session).sort("occurred_at", ASCENDING)
        return [InformingDecision.from_document(d) async for d in cursor]

    async def awaiting_anyone(self, limit: int = 500) -> list[InformingDecision]:
        """Every step waiting for a safe-contact decision, oldest deadline first: the work queue."""
        cursor = self.collection.find(AWAITING).sort("deadline", ASCENDING).limit(limit)
        return [InformingDecision.from_document(d) async for d in cursor]

    async def erase_person(self, person_id: str, session: Session) -> None:
        """The person was erased: each decision keeps its kind and dates but not what a message
        may say (`facts`); nobody is waiting to be told, or for a practitioner to tell them."""
        still_open = [
            document["_id"]
            for document in await self._of_person(person_id, session)
            if document.get("pending_roles")
            or document.get("practitioner_to_tell")
            or document.get("outcome") == DecisionOutcome.AWAITING_SAFE_CONTACT
        ]
        if still_open:
            await self.collection.update_many(
                {"_id": {"$in": still_open}},
                {
                    "$set": {
                        "outcome": DecisionOutcome.ERASED.value,
                        "pending_roles": [],
                        "practitioner_to_tell": [],
                    }
                },
                session=session,
            )
        await self.collection.update_many(
            {"person_id": person_id}, {"$set": {"facts": None}}, session=session
        )

    async def still_open_about(
        self, person_id: str, concern_id: str, session: Session
    ) -> list[InformingDecision]:
        """This person's steps about the concern that someone may still be told about."""
        return [
            InformingDecision.from_document(document)
            for document in await self._of_person(person_id, session, whole=True)
            if document.get("concern_id") == concern_id and document.get("pending_roles")
        ]

    async def _of_person(
        self, person_id: str, session: Session, *, whole: bool = False
    ) -> list[Document]:
        """This person's steps (only what says whether they are still open, unless `whole`),
        read by person: which to change is chosen from these, as the test server would read
        every step ever decided for a query on fields besides the person."""
        fields = (
            None if whole else ["concern_id", "outcome", "pending_roles", "practitioner_to_tell"]
        )
        cursor = self.collection.find({"person_id": person_id}, fields, session=session)
        return await cursor.to_list()

    async def practitioner_told(
        self, source_event_id: str, role: RecipientRole, session: Session
    ) -> None:
        await self.collection.update_one(
            {"_id": source_event_id},
            {"$pull": {"pending_roles": role.value, "practitioner_to_tell": role.value}},
            session=session,
        )

    async def practitioner_to_tell(self, limit: int = 500) -> list[InformingDecision]:
        """Steps someone must still be told about by a practitioner: the work queue of
        PractitionerContactRequired, oldest deadline first."""
        cursor = (
            self.collection.find(SOMEONE_FOR_A_PRACTITIONER)
            .sort("deadline", ASCENDING)
            .limit(limit)
        )
        return [InformingDecision.from_document(d) async for d in cursor]

    async def all_dealt_with(self, source_event_id: str, session: Session) -> None:
        await self.write_all([step_done(source_event_id)], session)

    async def write_all(self, changes: Sequence[UpdateOne], session: Session) -> None:
        """Changes to decisions (`recipient_done`, `step_done`), in order, with one
        write."""
        if changes:
            await self.collection.bulk_write(list(changes), session=session)

    async def overdue(self, now: datetime, limit: int = 500) -> list[InformingDecision]:
        """Steps past their deadline with someone not yet told, not yet reported. Read from the
        steps someone is waiting on, and the rest checked here: the test server would read
        every step ever decided for a query on more fields than its index holds."""
        found: list[InformingDecision] = []
        async with self.collection.find(SOMEONE_PENDING) as waited_on:
            async for document in waited_on:
                deadline = document.get("deadline")
                if not document["overdue_raised"] and deadline is not None and deadline <= now:
                    found.append(InformingDecision.from_document(document))
                    if len(found) == limit:
                        break
        return found

    async def mark_overdue(self, source_event_id: str, session: Session) -> None:
        await self.collection.update_one(
            {"_id": source_event_id}, {"$set": {"overdue_raised": True}}, session=session
        )

    async def still_overdue(self) -> int:
        """Steps reported overdue whose recipients are still not all told."""
        return len(
            [
                document
                async for document in self.collection.find(
                    SOMEONE_PENDING, projection={"overdue_raised": 1}
                )
                if document["overdue_raised"]
            ]
        )

    async def for_person(self, person_id: str) -> list[InformingDecision]:
        cursor = self.collection.find({"person_id": person_id}).sort("decided_at", ASCENDING)
        return [InformingDecision.from_document(d) async for d in cursor]


def recipient_done(source_event_id: str, role: RecipientRole) -> UpdateOne:
    """The change once this recipient of the step is dealt with (told, or not to be)."""
    return UpdateOne({"_id": source_event_id}, {"$pull": {"pending_roles": role.value}})


def step_done(source_event_id: str) -> UpdateOne:
    """The change once every recipient of the step is dealt with (it was withheld)."""
    return UpdateOne({"_id": source_event_id}, {"$set": {"pending_roles": []}})
