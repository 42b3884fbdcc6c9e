"""What a partner agency may see of the concerns it raised: where each one is, and the feedback
meant for it. Nothing else: no case details, and never another agency's concerns.

Built from intake's events, and from outcomes' CaseClosed (a concern's case is
`case-<uuid5(NAMESPACE_URL, concern id)>`, as every service agrees), so a partner also learns
when the matter is closed.

Each closure is recorded `awaiting_retention` until the retention job has looked at the person
once its period has run (`application/retention.py`): the job reads only those closures, by
index, never everyone on record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from pydantic import AwareDatetime, BaseModel, Field
from pymongo import ASCENDING, DESCENDING, InsertOne, ReplaceOne, UpdateMany, UpdateOne

import shared.events.outcomes  # noqa: F401  (registers CaseClosed, so it can be decoded here)
from services.intake.read_models.per_concern import first_document
from shared.events import Envelope
from shared.events.intake import (
    ConcernRaised,
    ConcernSubmissionRejected,
    InformationGathered,
    NoFurtherActionRoute,
    ReferrerFeedbackGiven,
    RepeatConcernLinked,
    S42Decision,
    S42DecisionMade,
    SubmissionProblem,
)
from shared.events.outcomes import CaseClosed
from shared.mongo import Database, Document, Session
from shared.projection import Projection
from shared.topics import INTAKE_EVENTS, OUTCOMES_EVENTS

CONCERNS: Final = "partner_concerns"
REJECTIONS: Final = "partner_rejections"
CLOSED_CASES: Final = "partner_closed_cases"
AWAITING_RETENTION: Final = "awaiting_retention"
IN_LIST: Final = 100
"""At most this many values in one `$in` (the test server's cost grows with the square of a
list's length)."""


class Stage(StrEnum):
    RECEIVED = "received"
    BEING_LOOKED_AT = "being looked at"
    DECIDED = "decided"
    CLOSED = "closed"


_ENQUIRY: Final = {
    S42Decision.S42_ENQUIRY: "the council is making safeguarding enquiries "
    "(Care Act 2014, section 42)",
    S42Decision.OTHER_ENQUIRY: "the council is making other safeguarding enquiries",
}
_NO_ENQUIRY: Final = "no safeguarding enquiry is needed"
_ROUTE: Final = {
    NoFurtherActionRoute.NO_ACTION: f"{_NO_ENQUIRY} and no further action will be taken",
    NoFurtherActionRoute.ADVICE_AND_GUIDANCE: f"{_NO_ENQUIRY}; advice and guidance were given",
    NoFurtherActionRoute.CARE_ACT_ASSESSMENT: f"{_NO_ENQUIRY}; a Care Act assessment is offered",
    NoFurtherActionRoute.CASE_MANAGEMENT: f"{_NO_ENQUIRY}; the person's care team follows it up",
    NoFurtherActionRoute.REVIEW: f"{_NO_ENQUIRY}; the person's care and support will be reviewed",
    NoFurtherActionRoute.OTHER_COUNCIL_SERVICE: f"{_NO_ENQUIRY}; another council service "
    "follows it up",
    NoFurtherActionRoute.SIGNPOSTED_EXTERNALLY: f"{_NO_ENQUIRY}; the person was told of another "
    "organisation that can help",
    NoFurtherActionRoute.PASSED_TO_ANOTHER_COUNCIL: "it was passed to the council responsible",
}


def decision_in_plain_words(decision: S42Decision, route: NoFurtherActionRoute | None) -> str:
    """The s42 decision as a partner is told it."""
    if decision in _ENQUIRY:
        return _ENQUIRY[decision]
    return _ROUTE[route] if route is not None else _NO_ENQUIRY


def status_text(stage: Stage, decision: str | None = None) -> str:
    return f"{stage.value}: {decision}" if stage is Stage.DECIDED and decision else stage.value


def case_of(concern_id: str) -> str:
    return f"case-{uuid.uuid5(uuid.NAMESPACE_URL, concern_id)}"


# --- what a partner reads -------------------------------------------------------------------------


class FeedbackForPartner(BaseModel):
    feedback: str = Field(description="What the council told you, in its words.")
    given_at: AwareDatetime


class PartnerConcern(BaseModel):
    """One concern your agency raised: where it is, and the feedback for you."""

    agency: str
    partner_reference: str = Field(description="Your own id for the submission.")
    reference: str = Field(description="The council's reference.")
    stage: Stage = Field(description="received, being looked at, decided or closed.")
    status: str = Field(description="The stage in plain words; a decision says what it was.")
    raised_at: AwareDatetime
    updated_at: AwareDatetime
    feedback: list[FeedbackForPartner] = Field(description="Feedback for you, oldest first.")


class RejectedSubmission(BaseModel):
    """A submission your agency sent over Kafka that could not be accepted, and why."""

    partner_reference: str | None = Field(description="Your id for it, if it could be read.")
    reasons: list[SubmissionProblem]
    rejected_at: AwareDatetime


# --- the projection -------------------------------------------------------------------------------


class PartnerView(Projection):
    name = "partner-view"
    topics: Sequence[str] = (INTAKE_EVENTS, OUTCOMES_EVENTS)
    read_models = (CONCERNS, REJECTIONS, CLOSED_CASES)

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.concerns = database[CONCERNS]
        self.rejections = database[REJECTIONS]
        self.closed_cases = database[CLOSED_CASES]

    async def ensure_indexes(self) -> None:
        await self.concerns.create_index([("agency", ASCENDING), ("reference", ASCENDING)])
        await self.concerns.create_index([("agency", ASCENDING), ("raised_at", DESCENDING)])
        await self.concerns.create_index([("case_id", ASCENDING)])
        await self.concerns.create_index([("repeat_of", ASCENDING)])
        await self.rejections.create_index([("agency", ASCENDING), ("rejected_at", DESCENDING)])
        await self.closed_cases.create_index(
            [(AWAITING_RETENTION, ASCENDING), ("closed_at", ASCENDING)]
        )

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        # The batch's writes are kept and sent together, one command per collection; they are
        # sent first whenever the partner view itself must be read in the middle (a repeat or
        # a closure, both rare), so every read sees the events before it.
        writes = _Writes(self)
        closed = await self._closed_cases(events, session)
        for event in events:
            match event.payload:
                case ConcernRaised() as raised:
                    writes.concerns.append(
                        self._raised(raised, event, closed.get(case_of(raised.concern_id)))
                    )
                case InformationGathered() as gathered:
                    writes.concerns.append(
                        UpdateOne(
                            {"_id": gathered.concern_id, "stage": Stage.RECEIVED.value},
                            self._moved(Stage.BEING_LOOKED_AT, event),
                        )
                    )
                case RepeatConcernLinked() as repeat:
                    await writes.send(session)
                    await self._repeat(repeat, event, session)
                case S42DecisionMade() as decided:
                    writes.concerns.append(
                        UpdateMany(
                            {
                                "$or": [
                                    {"_id": decided.concern_id},
                                    {"repeat_of": decided.concern_id},
                                ],
                                "stage": {"$ne": Stage.CLOSED.value},
                            },
                            self._moved(
                                Stage.DECIDED,
                                event,
                                decision_in_plain_words(decided.decision, decided.route),
                            ),
                        )
                    )
                case ReferrerFeedbackGiven() as feedback:
                    writes.concerns.append(
                        UpdateOne(
                            {"_id": feedback.concern_id},
                            {
                                "$push": {
                                    "feedback": {
                                        "feedback": feedback.feedback,
                                        "given_at": event.occurred_at,
                                    }
                                },
                                "$max": {"updated_at": event.occurred_at},
                            },
                        )
                    )
                case ConcernSubmissionRejected() as rejection if rejection.agency is not None:
                    writes.rejections.append(
                        ReplaceOne(
                            {"_id": event.event_id},
                            {
                                "agency": rejection.agency,
                                "partner_reference": rejection.partner_reference,
                                "reasons": [r.model_dump() for r in rejection.reasons],
                                "rejected_at": event.occurred_at,
                            },
                            upsert=True,
                        )
                    )
                case CaseClosed() as closure:
                    closed[closure.case_id] = {
                        "closed_at": closure.closed_at,
                        "recorded_at": event.occurred_at,
                        AWAITING_RETENTION: True,
                    }
                    writes.closed_cases.append(
                        ReplaceOne({"_id": closure.case_id}, closed[closure.case_id], upsert=True)
                    )
                    await writes.send(session)
                    await self._closed(closure, event, session)
                case _:
                    pass
        await writes.send(session)

    async def _closed_cases(
        self, events: Sequence[Envelope], session: Session
    ) -> dict[str, Document]:
        """The closures already recorded of the cases of the batch's new concerns (one `$in`
        look-up per hundred): the case may have closed before this consumer saw the concern
        (separate topics)."""
        cases = sorted(
            {case_of(e.payload.concern_id) for e in events if isinstance(e.payload, ConcernRaised)}
        )
        closed: dict[str, Document] = {}
        for start in range(0, len(cases), IN_LIST):
            async for doc in self.closed_cases.find(
                {"_id": {"$in": cases[start : start + IN_LIST]}}, session=session
            ):
                closed[doc["_id"]] = doc
        return closed

    @staticmethod
    def _raised(
        raised: ConcernRaised, event: Envelope, closed: Document | None
    ) -> InsertOne[Document]:
        stage = Stage.CLOSED if closed else Stage.RECEIVED
        # Closed before this consumer saw the concern: it was last changed when it closed, as
        # it reads when the closure is applied after the concern.
        updated_at = event.occurred_at
        if closed is not None:
            updated_at = max(updated_at, closed.get("recorded_at", updated_at))
        return first_document(
            raised.concern_id,
            {
                "$set": {
                    "agency": raised.agency,
                    "partner_reference": raised.partner_reference,
                    "reference": raised.reference,
                    "case_id": case_of(raised.concern_id),
                    "repeat_of": None,
                    "stage": stage.value,
                    "status": status_text(stage),
                    "raised_at": event.occurred_at,
                },
                "$max": {"updated_at": updated_at},
                "$setOnInsert": {"feedback": []},
            },
        )

    async def _repeat(self, repeat: RepeatConcernLinked, event: Envelope, session: Session) -> None:
        await self.concerns.update_one(
            {"_id": repeat.concern_id},
            {"$set": {"repeat_of": repeat.repeat_of_concern_id}},
            session=session,
        )
        # A repeat is decided with the concern it repeats; that may already have happened.
        original = await self.concerns.find_one(
            {"_id": repeat.repeat_of_concern_id, "stage": Stage.DECIDED.value}, session=session
        )
        if original is not None:
            await self.concerns.update_one(
                {"_id": repeat.concern_id, "stage": {"$ne": Stage.CLOSED.value}},
                {
                    "$set": {"stage": original["stage"], "status": original["status"]},
                    "$max": {"updated_at": event.occurred_at},
                },
                session=session,
            )

    async def _closed(self, closed: CaseClosed, event: Envelope, session: Session) -> None:
        """Move the closed case's concern (and its repeats) to closed; its closure is recorded
        already."""
        concern = await self.concerns.find_one({"case_id": closed.case_id}, session=session)
        if concern is None:
            return
        await self.concerns.update_many(
            {"$or": [{"_id": concern["_id"]}, {"repeat_of": concern["_id"]}]},
            self._moved(Stage.CLOSED, event),
            session=session,
        )

    @staticmethod
    def _moved(stage: Stage, event: Envelope, decision: str | None = None) -> Document:
        # The latest change, whichever topic's event is applied last (a rebuild may apply
        # them in another order than they first arrived).
        return {
            "$set": {"stage": stage.value, "status": status_text(stage, decision)},
            "$max": {"updated_at": event.occurred_at},
        }


class _Writes:
    """A batch's writes to the partner view not sent yet, in order, per collection."""

    def __init__(self, view: PartnerView) -> None:
        self.view = view
        self.concerns: list[InsertOne[Document] | UpdateOne | UpdateMany] = []
        self.rejections: list[ReplaceOne[Document]] = []
        self.closed_cases: list[ReplaceOne[Document]] = []

    async def send(self, session: Session) -> None:
        for collection, writes in (
            (self.view.concerns, self.concerns),
            (self.view.rejections, self.rejections),
            (self.view.closed_cases, self.closed_cases),
        ):
            if writes:
                await collection.bulk_write(list(writes), session=session)
                writes.clear()


# --- reading it -----------------------------------------------------------------------------------


class PartnerConcerns:
    """Reads the partner view, always for one agency."""

    def __init__(self, database: Database) -> None:
        self.concerns = database[CONCERNS]
        self.rejections = database[REJECTIONS]

    async def one(self, agency: str, reference: str) -> PartnerConcern | None:
        # References can clash, rarely: the agency's most recent concern with it is the one meant.
        found = await self.concerns.find_one(
            {"agency": agency, "reference": reference}, sort=[("raised_at", DESCENDING)]
        )
        return _partner_concern(found) if found else None

    async def all(
        self, agency: str, *, partner_reference: str | None = None, limit: int = 100
    ) -> list[PartnerConcern]:
        query: Document = {"agency": agency}
        if partner_reference is not None:
            query["partner_reference"] = partner_reference
        cursor = self.concerns.find(query).sort([("raised_at", DESCENDING)]).limit(limit)
        return [_partner_concern(doc) async for doc in cursor]

    async def rejected(self, agency: str, *, limit: int = 100) -> list[RejectedSubmission]:
        cursor = (
            self.rejections.find({"agency": agency})
            .sort([("rejected_at", DESCENDING)])
            .limit(limit)
        )
        return [RejectedSubmission.model_validate(doc) async for doc in cursor]


def _partner_concern(doc: Document) -> PartnerConcern:
    return PartnerConcern.model_validate(doc)
