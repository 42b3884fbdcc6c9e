"""What outcomes does when intake decides something: a raised concern opens the person's case,
or, when intake found it reports the same incident as an open concern, joins that concern's case
(so every concern reaches a decision, and the person does not get a second case); a manager's
decision on an s42 or other enquiry starts the enquiry in it; a practitioner moving the concern to
another person (relink or unlink) moves the case with it, so that later case events are about the
right person and the wrong one hears nothing more.

All are idempotent, because Kafka delivers at least once: the case id comes from the concern id
(a redelivered ConcernRaised finds the case already open), a case records a repeat joining it
once, and the events recorded in reaction get ids derived from the event that caused them
(recording them twice is refused by the store). A repeat can arrive before the concern it repeats
(another partition): it waits in `concern_cases` and joins when that case opens.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from services.outcomes.application.commands import case_from
from services.outcomes.domain import Case, CaseRefused, case_id_for
from services.outcomes.domain.england import day_in_england
from services.outcomes.read_models.concern_cases import ConcernCases
from shared.events import DecodeError, Envelope, Metadata, decode
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    S42Decision,
    S42DecisionMade,
)
from shared.events.outcomes import CaseEvent, Demographics, EnquiryKind
from shared.eventstore import EventAlreadyRecorded, EventStore, envelope_from_document
from shared.keyring import KeyDestroyed
from shared.mongo import Database, Session
from shared.personal_data import NO_KEYS, DataKeys
from shared.projection import Record, event_type_of
from shared.topics import INTAKE_EVENTS

log = logging.getLogger(__name__)

REACTS_TO = frozenset(
    {
        ConcernRaised.event_type,
        S42DecisionMade.event_type,
        ConcernLinkedToPerson.event_type,
        ConcernUnlinkedFromPerson.event_type,
    }
)

_ENQUIRIES = {
    S42Decision.S42_ENQUIRY: EnquiryKind.S42_ENQUIRY,
    S42Decision.OTHER_ENQUIRY: EnquiryKind.OTHER_ENQUIRY,
}


class CaseNotOpenYet(Exception):
    """A decision arrived for a concern whose case is not open: its ConcernRaised was never
    accepted. Retried, then dead-lettered with this reason for an operator to look at."""


def _concern_of(raised: Envelope) -> ConcernRaised:
    concern = raised.payload
    if not isinstance(concern, ConcernRaised):
        raise TypeError(f"a case is opened by ConcernRaised, not {raised.event_type}")
    return concern


def demographics_of(raised: Envelope) -> Demographics:
    """What the concern said about the person that the national return counts."""
    person = _concern_of(raised).person
    return Demographics(
        date_of_birth=person.date_of_birth,
        approximate_age=person.approximate_age,
        approximate_age_on=day_in_england(raised.occurred_at)
        if person.approximate_age is not None
        else None,
        gender=person.gender,
        ethnicity=person.ethnicity,
        primary_support_reason=person.primary_support_reason,
    )


def opening_for(raised: Envelope) -> Case:
    """The case a raised concern opens, carrying what the concern said about the person."""
    concern = _concern_of(raised)
    return Case.open(
        concern_id=concern.concern_id,
        person_id=concern.person_id,
        reference=concern.reference,
        concern_raised_at=raised.occurred_at,
        opened_at=datetime.now(UTC),
        person_name=concern.person.name,
        risk_types=concern.what_happened.risk_types,
        risk_location=concern.what_happened.location,
        risk_source=concern.what_happened.source,
        persons_own_words=concern.involvement.person_own_words,
        demographics=demographics_of(raised),
    )


def join(case: Case, repeat: Envelope) -> None:
    """Let a repeat report of the incident join `case` (nothing if it already has)."""
    concern = _concern_of(repeat)
    case.join_repeat_concern(
        concern_id=concern.concern_id,
        reference=concern.reference,
        concern_raised_at=repeat.occurred_at,
        risk_types=concern.what_happened.risk_types,
        risk_location=concern.what_happened.location,
        risk_source=concern.what_happened.source,
        persons_own_words=concern.involvement.person_own_words,
        demographics=demographics_of(repeat),
    )


def enquiry_kind_for(decision: S42DecisionMade) -> EnquiryKind | None:
    """The enquiry a manager's decision starts; None for no further action."""
    return _ENQUIRIES.get(decision.decision)


def event_ids_caused_by(cause: Envelope, count: int) -> list[str]:
    """Ids for the events recorded in reaction to `cause`: the same every time it is handled."""
    return [
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"safeguarding:outcomes:{cause.event_id}:{n}"))
        for n in range(count)
    ]


class CaseOpening:
    """Consumes intake's events (a MessageHandler); other intake events are none of its
    business and are passed over without being decoded."""

    name = "case-opening"
    topics: Sequence[str] = (INTAKE_EVENTS,)

    def __init__(self, store: EventStore, database: Database) -> None:
        self.store = store
        self.concern_cases = ConcernCases(database)

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> Envelope | None:
        event_type = event_type_of(record)
        if event_type is not None and event_type not in REACTS_TO:
            return None
        if record.value is None:
            raise DecodeError("empty message")
        return decode(record.value, keys=keys)

    async def apply(self, messages: Sequence[Envelope | None], session: Session) -> None:
        for envelope in messages:
            if envelope is None:
                continue
            if isinstance(envelope.payload, ConcernRaised):
                await self._open_case(envelope, envelope.payload, session)
            elif isinstance(envelope.payload, S42DecisionMade):
                await self._start_enquiry(envelope, envelope.payload, session)
            elif isinstance(envelope.payload, ConcernLinkedToPerson):
                await self._move_case(envelope, envelope.payload.person_id, session)
            elif isinstance(envelope.payload, ConcernUnlinkedFromPerson):
                await self._move_case(envelope, envelope.payload.new_person_id, session)

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        return None

    async def _erased(self, concern_id: str) -> None:
        """A case its concern's erasure kept from opening never will: the event is skipped as
        erased (KeyDestroyed), not dead-lettered for an operator."""
        keyring = self.store.keyring
        if keyring is not None and await keyring.was_destroyed(concern_id):
            raise KeyDestroyed(concern_id)

    async def _open_case(self, raised: Envelope, concern: ConcernRaised, session: Session) -> None:
        original = concern.repeat_of_concern_id
        if original is not None and await self._join_open_case(raised, original, session):
            return
        case_id = case_id_for(concern.concern_id)
        if await self.store.version(case_id, session):
            return
        case = opening_for(raised)
        await self._record(case_id, 0, case.pending_events, raised, session)
        waiting = await self.concern_cases.belongs_to(concern.concern_id, case_id, session)
        keys = await self.store.opening_keys(waiting)
        for repeat in waiting:
            await self._join(case_id, envelope_from_document(repeat, keys), session)

    async def _join_open_case(self, repeat: Envelope, original: str, session: Session) -> bool:
        """Join the repeat to the case of the concern it repeats; False if that case is closed
        (then the repeat opens a case of its own, so it still reaches a decision)."""
        case_id = await self.concern_cases.case_of(original, session) or case_id_for(original)
        if not await self.store.version(case_id, session):
            await self.concern_cases.wait_for_case(original, repeat, session)
            return True
        return await self._join(case_id, repeat, session)

    async def _join(self, case_id: str, repeat: Envelope, session: Session) -> bool:
        case = case_from(await self.store.load(case_id, session), datetime.now(UTC))
        if _concern_of(repeat).concern_id in case.joined_concerns:
            return True
        if case.closed is not None:
            log.warning(
                "repeat concern opens its own case: the case it repeats is closed",
                extra={"case_id": case_id, "event_id": repeat.event_id},
            )
            return False
        join(case, repeat)
        await self._record(case_id, case.stored_version, case.pending_events, repeat, session)
        await self.concern_cases.belongs_to(_concern_of(repeat).concern_id, case_id, session)
        return True

    async def _start_enquiry(
        self, decided: Envelope, decision: S42DecisionMade, session: Session
    ) -> None:
        kind = enquiry_kind_for(decision)
        if kind is None:
            return
        case_id = case_id_for(decision.concern_id)
        history = await self.store.load(case_id, session)
        if not history:
            await self._erased(decision.concern_id)
            raise CaseNotOpenYet(
                f"{decision.decision.value} decided for concern {decision.concern_id}, "
                f"but no case is open for it"
            )
        case = case_from(history, datetime.now(UTC))
        if case.enquiry_kind is not None:
            return
        try:
            case.start_enquiry(kind, started_at=decided.occurred_at)
        except CaseRefused as refusal:
            log.warning(
                "enquiry not started",
                extra={
                    "case_id": case_id,
                    "decision_event_id": decided.event_id,
                    "reason": str(refusal),
                },
            )
            return
        await self._record(case_id, case.stored_version, case.pending_events, decided, session)

    async def _move_case(self, moved: Envelope, person_id: str, session: Session) -> None:
        concern_id = getattr(moved.payload, "concern_id", "")
        case_id = case_id_for(concern_id)
        history = await self.store.load(case_id, session)
        if not history:
            await self._erased(concern_id)
            raise CaseNotOpenYet(f"concern {concern_id} was moved, but no case is open for it")
        case = case_from(history, datetime.now(UTC))
        if case.move_to_person(person_id) is None:
            return
        await self._record(case_id, case.stored_version, case.pending_events, moved, session)

    async def _record(
        self,
        case_id: str,
        expected_version: int,
        events: Sequence[CaseEvent],
        cause: Envelope,
        session: Session,
    ) -> None:
        if not events:
            return
        try:
            await self.store.append(
                case_id,
                expected_version,
                events,
                Metadata(actor=SYSTEM_ACTOR).caused_by(cause),
                session=session,
                event_ids=event_ids_caused_by(cause, len(events)),
            )
        except EventAlreadyRecorded:
            return
