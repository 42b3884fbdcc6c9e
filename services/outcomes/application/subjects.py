"""Whose data key seals a case's events: the concern that opened the case. A case is opened
for one concern (`concern-<uuid>`), which is known from the moment it was raised, so erasing a
person (every concern linked to them) erases their cases too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.events import DomainEvent
from shared.events.outcomes import CaseOpened
from shared.mongo import Collection, Session


@dataclass(frozen=True)
class CaseSubjects:
    """`shared.eventstore.SubjectOf` for the outcomes event store."""

    events: Collection

    async def __call__(
        self, stream_id: str, events: Sequence[DomainEvent], session: Session | None
    ) -> str:
        for event in events:
            if isinstance(event, CaseOpened):
                return event.concern_id
        opened = await self.events.find_one(
            {"stream_id": stream_id, "event_type": "CaseOpened"},
            projection={"payload.concern_id": 1},
            session=session,
        )
        if opened is None:
            # Only a case's own stream is ever written here, and it begins with CaseOpened.
            raise LookupError(f"stream {stream_id} has no CaseOpened to name its concern")
        concern_id: str = opened["payload"]["concern_id"]
        return concern_id
