"""A step notification could not handle becomes a practitioner's work item.

When an event from intake or outcomes is valid but the informing reaction keeps failing on it
(a contract the two services read differently, a bug), the consumer parks it on the dead-letter
topic. A dead letter alone tells nobody that a person was not told about a step in their case,
so the consumer also calls `could_not_handle`, and a PractitionerContactRequired is recorded on
the person's informing stream: a practitioner must decide how to tell them, and does.
"""

from __future__ import annotations

import logging

from services.notification.application.informing_stream import append_once
from services.notification.domain import plain_words
from services.notification.domain.informing_record import derived_event_id
from services.notification.read_models.case_index import CaseIndex
from shared.events import Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import (
    PractitionerContactReason,
    PractitionerContactRequired,
    RecipientRole,
)
from shared.eventstore import EventStore
from shared.mongo import Session

log = logging.getLogger(__name__)


async def step_not_handled(
    store: EventStore, index: CaseIndex, event: Envelope, reason: str, session: Session
) -> None:
    """Record that a practitioner must tell the person about `event` themselves. `reason` says
    what kind of failure it was (no personal data)."""
    payload = event.payload
    case_id = _text(getattr(payload, "case_id", None))
    concern_id = _text(getattr(payload, "concern_id", None))
    person_id = _text(getattr(payload, "person_id", None))
    if person_id is None and concern_id is not None:
        concern = await index.concern(concern_id, session)
        person_id = concern.person_id if concern is not None else None
    if person_id is None or (case_id is None and concern_id is None):
        log.error(
            "a step could not be handled and its person is not known",
            extra={"event_id": event.event_id, "event_type": event.event_type},
        )
        return
    await append_once(
        store,
        person_id,
        PractitionerContactRequired(
            person_id=person_id,
            source_event_id=event.event_id,
            source_event_type=event.event_type,
            case_id=case_id,
            concern_id=concern_id,
            recipient_role=RecipientRole.PERSON,
            reason=PractitionerContactReason.STEP_NOT_HANDLED,
            detail=f"It is on the dead-letter topic for the council's operators ({reason}).",
            message_summary=plain_words.step_name(event.event_type),
        ),
        event_id=derived_event_id("not-handled", event.event_id),
        metadata=Metadata(
            actor=SYSTEM_ACTOR, correlation_id=event.correlation_id, causation_id=event.event_id
        ),
        session=session,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
