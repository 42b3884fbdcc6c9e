"""Work items for the lead worker: each date agreed with the person that passed unkept stays open
until it is followed up, so a missed date reaches someone instead of only being noted.

A missed contact date is followed up by a conversation with the person (or their representative
or advocate) or a new contact date agreed with them; a missed review by a review with them or a
new review date; a missed plan action by the action being done or a new plan. Closing the case
ends every open item. Items belong to the case's lead worker as it is now (unassigned until one
is named).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.events.outcomes import (
    AgreedDateKind,
    AgreedDateMissed,
    CaseClosed,
    CaseOpened,
    ConversationHeld,
    LeadWorkerAssigned,
    NextContactAgreed,
    OutcomesReviewed,
    PlanActionCompleted,
    ReviewDateAgreed,
    ReviewStage,
    SafeguardingPlanAgreed,
)


class WorkItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str
    kind: AgreedDateKind
    agreed_date: date
    plan_action_id: str | None = None
    plan_action: str | None = None
    noticed_at: AwareDatetime
    followed_up_at: AwareDatetime | None = None
    followed_up_by: str | None = None
    """What followed it up, in a few words."""

    @property
    def open(self) -> bool:
        return self.followed_up_at is None


class CaseWorkItems(BaseModel):
    """One case's work items and who they belong to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    person_id: str | None = None
    reference: str | None = None
    lead_worker: str | None = None
    items: tuple[WorkItem, ...] = ()

    @property
    def open_items(self) -> tuple[WorkItem, ...]:
        return tuple(item for item in self.items if item.open)

    def after(self, payload: object, recorded_at: datetime) -> CaseWorkItems:
        """The work items once `payload`, the case's next event, is recorded at `recorded_at`."""
        match payload:
            case CaseOpened():
                return self.model_copy(
                    update={"person_id": payload.person_id, "reference": payload.reference}
                )
            case LeadWorkerAssigned():
                return self.model_copy(update={"lead_worker": payload.name})
            case AgreedDateMissed():
                item = WorkItem(
                    item_id=item_id(payload.kind, payload.agreed_date, payload.plan_action_id),
                    kind=payload.kind,
                    agreed_date=payload.agreed_date,
                    plan_action_id=payload.plan_action_id,
                    plan_action=payload.plan_action,
                    noticed_at=payload.noticed_at,
                )
                if any(existing.item_id == item.item_id for existing in self.items):
                    return self
                return self.model_copy(update={"items": (*self.items, item)})
            case ConversationHeld():
                return self._follow_up(
                    recorded_at, "a conversation with the person", AgreedDateKind.NEXT_CONTACT
                )
            case NextContactAgreed():
                return self._follow_up(
                    recorded_at, "a new contact date agreed", AgreedDateKind.NEXT_CONTACT
                )
            case OutcomesReviewed(stage=ReviewStage.REVIEW):
                return self._follow_up(recorded_at, "a review", AgreedDateKind.REVIEW)
            case ReviewDateAgreed():
                return self._follow_up(
                    recorded_at, "a new review date agreed", AgreedDateKind.REVIEW
                )
            case PlanActionCompleted():
                return self._follow_up(
                    recorded_at,
                    "the action was done",
                    AgreedDateKind.PLAN_ACTION,
                    plan_action_id=payload.action_id,
                )
            case SafeguardingPlanAgreed():
                return self._follow_up(recorded_at, "a new plan", AgreedDateKind.PLAN_ACTION)
            case CaseClosed():
                return self._follow_up(recorded_at, "the case was closed", *AgreedDateKind)
            case _:
                return self

    def _follow_up(
        self,
        at: datetime,
        by: str,
        *kinds: AgreedDateKind,
        plan_action_id: str | None = None,
    ) -> CaseWorkItems:
        items = tuple(
            item.model_copy(update={"followed_up_at": at, "followed_up_by": by})
            if item.open
            and item.kind in kinds
            and (plan_action_id is None or item.plan_action_id == plan_action_id)
            else item
            for item in self.items
        )
        return self.model_copy(update={"items": items})


def item_id(kind: AgreedDateKind, agreed_date: date, plan_action_id: str | None) -> str:
    return f"{kind.value}:{agreed_date.isoformat()}" + (
        f":{plan_action_id}" if plan_action_id else ""
    )
