"""The lead workers' work items: every date agreed with a person that passed unkept and has not
been followed up (the rule is `domain.work_items`), one document per case, so a lead worker's
list is one indexed query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pymongo import ASCENDING

from services.outcomes.domain.work_items import CaseWorkItems
from services.outcomes.read_models.per_case import PerCaseProjection
from shared.events import Envelope
from shared.events.outcomes import AgreedDateKind, CaseEvent
from shared.mongo import Database, Document
from shared.topics import OUTCOMES_EVENTS

COLLECTION = "work_items"


class OpenWorkItem(BaseModel):
    """A date agreed with the person that passed unkept, for the lead worker to follow up."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    case_id: str
    reference: str | None
    lead_worker: str | None
    """None while the case has no lead worker: the team picks it up."""
    kind: AgreedDateKind
    agreed_date: date
    plan_action: str | None
    noticed_at: AwareDatetime


def fold_work_items(
    case_id: str, document: Document | None, events: Sequence[Envelope]
) -> Document:
    work = (
        CaseWorkItems.model_validate(document["work"])
        if document
        else CaseWorkItems(case_id=case_id)
    )
    for envelope in events:
        work = work.after(envelope.payload, envelope.occurred_at)
    return {
        "work": work.model_dump(mode="json"),
        "lead_worker": work.lead_worker,
        "open": len(work.open_items),
    }


class WorkItems(PerCaseProjection):
    name = "work-items"
    topics: Sequence[str] = (OUTCOMES_EVENTS,)
    collection_name = COLLECTION

    def case_of(self, event: Envelope) -> str | None:
        return event.stream_id if isinstance(event.payload, CaseEvent) else None

    def fold(self, case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
        return fold_work_items(case_id, document, events)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("open", ASCENDING), ("lead_worker", ASCENDING)])

    async def reset(self) -> None:
        await super().reset()
        await self.ensure_indexes()


async def open_work_items(database: Database, lead_worker: str | None) -> list[OpenWorkItem]:
    """Open work items, oldest agreed date first; only `lead_worker`'s when given."""
    query: Document = {"open": {"$gt": 0}}
    if lead_worker is not None:
        query["lead_worker"] = lead_worker
    found: list[OpenWorkItem] = []
    async for document in database[COLLECTION].find(query, projection={"work": 1}):
        found += _open_items(CaseWorkItems.model_validate(document["work"]))
    return sorted(found, key=lambda item: (item.agreed_date, item.case_id, item.item_id))


async def case_work_items(database: Database, case_id: str) -> list[OpenWorkItem] | None:
    """A case's open work items; None when nothing is known of the case yet."""
    document = await database[COLLECTION].find_one({"_id": case_id}, projection={"work": 1})
    if document is None:
        return None
    return _open_items(CaseWorkItems.model_validate(document["work"]))


def _open_items(work: CaseWorkItems) -> list[OpenWorkItem]:
    return [
        OpenWorkItem(
            item_id=item.item_id,
            case_id=work.case_id,
            reference=work.reference,
            lead_worker=work.lead_worker,
            kind=item.kind,
            agreed_date=item.agreed_date,
            plan_action=item.plan_action,
            noticed_at=item.noticed_at,
        )
        for item in work.open_items
    ]
