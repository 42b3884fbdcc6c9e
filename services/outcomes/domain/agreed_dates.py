"""Timeliness for the person: dates agreed with them, and noticing when one passes.

Making Safeguarding Personal asks for timeliness for the individual rather than rigid timescales,
so nothing here is a global deadline. Three kinds of date are agreed with the person: when they
will next be contacted, when their outcomes will be reviewed, and when each action of their plan
will be done. One is missed when its day passes (in England) without, between the agreement and
the end of that day, a conversation with them (a contact date), a review (a review date) or the
action being done (a plan action). A date agreed again before the old one passed replaces it, and
a new plan replaces the dates of the one before. Each missed date is noticed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.outcomes.domain.england import day_in_england
from services.outcomes.domain.refusals import CaseRefused
from shared.events.outcomes import AgreedDateKind, PlanAction

Subject = tuple[AgreedDateKind, str | None]
"""What a date is for: the kind, and for a plan action, which action."""


@dataclass(frozen=True)
class AgreedDate:
    kind: AgreedDateKind
    agreed_date: date
    agreed_at: datetime
    plan_action_id: str | None = None
    plan_action: str | None = None

    @property
    def subject(self) -> Subject:
        return (self.kind, self.plan_action_id)


class AgreedDates:
    def __init__(self) -> None:
        self._agreed: list[AgreedDate] = []
        self._kept_at: dict[Subject, list[datetime]] = {}
        self._noticed: set[tuple[Subject, date]] = set()

    @staticmethod
    def check(agreed_date: date, agreed_at: datetime) -> None:
        if agreed_date < day_in_england(agreed_at):
            raise CaseRefused(
                f"An agreed date cannot be before the day it was agreed: {agreed_date} is before "
                f"{day_in_england(agreed_at)}"
            )

    def agreed(self, kind: AgreedDateKind, agreed_date: date, agreed_at: datetime) -> None:
        self._agreed.append(AgreedDate(kind, agreed_date, agreed_at))

    def plan_agreed(self, actions: tuple[PlanAction, ...], agreed_at: datetime) -> None:
        for action in actions:
            self._agreed.append(
                AgreedDate(
                    AgreedDateKind.PLAN_ACTION,
                    action.agreed_date,
                    agreed_at,
                    plan_action_id=action.action_id,
                    plan_action=action.description,
                )
            )

    def contact_made(self, at: datetime) -> None:
        self._kept_at.setdefault((AgreedDateKind.NEXT_CONTACT, None), []).append(at)

    def review_held(self, at: datetime) -> None:
        self._kept_at.setdefault((AgreedDateKind.REVIEW, None), []).append(at)

    def plan_action_done(self, action_id: str, at: datetime) -> None:
        self._kept_at.setdefault((AgreedDateKind.PLAN_ACTION, action_id), []).append(at)

    def noticed(
        self, kind: AgreedDateKind, agreed_date: date, plan_action_id: str | None = None
    ) -> None:
        self._noticed.add(((kind, plan_action_id), agreed_date))

    def missed(self, now: datetime) -> list[AgreedDate]:
        """Agreed dates that have passed unkept and not yet been noticed, oldest first."""
        today = day_in_england(now)
        missed: dict[tuple[Subject, date], AgreedDate] = {}
        for agreement in self._agreed:
            key = (agreement.subject, agreement.agreed_date)
            if (
                agreement.agreed_date < today
                and key not in self._noticed
                and key not in missed
                and not self._kept(agreement)
                and not self._replaced(agreement)
            ):
                missed[key] = agreement
        return sorted(
            missed.values(),
            key=lambda m: (m.agreed_date, m.kind.value, m.plan_action_id or ""),
        )

    def _kept(self, agreement: AgreedDate) -> bool:
        return any(
            agreement.agreed_at <= at and day_in_england(at) <= agreement.agreed_date
            for at in self._kept_at.get(agreement.subject, [])
        )

    def _replaced(self, agreement: AgreedDate) -> bool:
        return any(
            later.kind is agreement.kind
            and later.agreed_at > agreement.agreed_at
            and day_in_england(later.agreed_at) <= agreement.agreed_date
            for later in self._agreed
        )
