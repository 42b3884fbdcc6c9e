"""Timeliness for the person: dates agreed with them, and noticing when one passes.

Making Safeguarding Personal asks for timeliness for the individual rather than rigid timescales,
so nothing here is a global deadline: a contact or review date is missed only when the date the
person agreed passes (in England) without a conversation with them (for a contact date) or a
review (for a review date) between the agreement and the end of that day. A date agreed again
before the old one passed replaces it. Each missed date is noticed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.outcomes.domain.england import day_in_england
from services.outcomes.domain.refusals import CaseRefused
from shared.events.outcomes import AgreedDateKind


@dataclass(frozen=True)
class AgreedDate:
    kind: AgreedDateKind
    agreed_date: date
    agreed_at: datetime


class AgreedDates:
    def __init__(self) -> None:
        self._agreed: list[AgreedDate] = []
        self._kept_at: dict[AgreedDateKind, list[datetime]] = {kind: [] for kind in AgreedDateKind}
        self._noticed: set[tuple[AgreedDateKind, date]] = set()

    @staticmethod
    def check(agreed_date: date, agreed_at: datetime) -> None:
        if agreed_date < day_in_england(agreed_at):
            raise CaseRefused(
                f"An agreed date cannot be before the day it was agreed: {agreed_date} is before "
                f"{day_in_england(agreed_at)}"
            )

    def agreed(self, kind: AgreedDateKind, agreed_date: date, agreed_at: datetime) -> None:
        self._agreed.append(AgreedDate(kind, agreed_date, agreed_at))

    def contact_made(self, at: datetime) -> None:
        self._kept_at[AgreedDateKind.NEXT_CONTACT].append(at)

    def review_held(self, at: datetime) -> None:
        self._kept_at[AgreedDateKind.REVIEW].append(at)

    def noticed(self, kind: AgreedDateKind, agreed_date: date) -> None:
        self._noticed.add((kind, agreed_date))

    def missed(self, now: datetime) -> list[AgreedDate]:
        """Agreed dates that have passed unkept and not yet been noticed, oldest first."""
        today = day_in_england(now)
        missed: list[AgreedDate] = []
        for agreement in self._agreed:
            key = (agreement.kind, agreement.agreed_date)
            if (
                agreement.agreed_date < today
                and key not in self._noticed
                and key not in {(m.kind, m.agreed_date) for m in missed}
                and not self._kept(agreement)
                and not self._replaced(agreement)
            ):
                missed.append(agreement)
        return sorted(missed, key=lambda m: (m.agreed_date, m.kind.value))

    def _kept(self, agreement: AgreedDate) -> bool:
        return any(
            agreement.agreed_at <= at and day_in_england(at) <= agreement.agreed_date
            for at in self._kept_at[agreement.kind]
        )

    def _replaced(self, agreement: AgreedDate) -> bool:
        return any(
            later.kind is agreement.kind
            and later.agreed_at > agreement.agreed_at
            and day_in_england(later.agreed_at) <= agreement.agreed_date
            for later in self._agreed
        )
