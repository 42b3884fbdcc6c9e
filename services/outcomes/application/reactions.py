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

A consumer batch is handled as a whole, in a fixed handful of statements whatever its size: the
batch's concerns' documents and cases are read with one `$in` read each, every event is decided
in memory in order against what the batch decided before it (so a repeat joins a case opened
earlier in the batch, and a redelivery in the same batch finds its work done), and what was
decided is written with one `append_streams` and one bulk write of `concern_cases`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from services.outcomes.application.commands import case_from
from services.outcomes.domain import Case, CaseRefused, case_id_for
from services.outcomes.domain.england import day_in_england
from services.outcomes.read_models.concern_cases import ConcernCase, ConcernCases
from shared.events import DecodeError, Envelope, Metadata, decode
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    S42Decision,
    S42DecisionMade,
)
from shared.events.outcomes import Demographics, EnquiryKind
from shared.eventstore import EventStore, StreamAppend, envelope_from_document
from shared.keyring import KeyDestroyed
from shared.mongo import Database, Document, Session
from shared.personal_data import NO_KEYS, DataKeys, sealed_subjects
from shared.projection import Record, passed_over
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


class _Batch:
    """What one consumer batch knows of the cases and concern documents it touches, and what it
    decided: read before its events are handled (one `$in` read each), changed in memory in the
    order of its events, written when they all are. Anything not read up front (the document of
    a repeat that was waiting, the case a repeat of a closed case opens) is read when needed."""

    def __init__(self, store: EventStore, concern_cases: ConcernCases, session: Session) -> None:
        self.store = store
        self.concern_cases = concern_cases
        self.session = session
        self.now = datetime.now(UTC)
        self.cases: dict[str, Case | None] = {}
        self.concerns: dict[str, ConcernCase] = {}
        self.changed: set[str] = set()
        self.keys: dict[str, bytes | None] = {}
        self.recorded: set[str] = set()
        """Ids of the events in the cases read, and of those decided since."""
        self.appends: list[StreamAppend] = []

    async def read(self, messages: Sequence[Envelope]) -> None:
        """Read up front what the batch's events will need: the documents of the concerns
        raised and of those they repeat, then the cases of all of them."""
        raised = [m.payload for m in messages if isinstance(m.payload, ConcernRaised)]
        repeated = [c.repeat_of_concern_id for c in raised if c.repeat_of_concern_id]
        self.concerns.update(
            await self.concern_cases.read([c.concern_id for c in raised] + repeated, self.session)
        )
        case_ids = {case_id_for(getattr(m.payload, "concern_id", "")) for m in messages}
        case_ids.update(self.concerns[r].case_id or case_id_for(r) for r in repeated)
        waiting = [w for c in self.concerns.values() for w in c.waiting]
        await self._read_cases(sorted(case_ids), [w for w in waiting if isinstance(w, dict)])

    async def case(self, case_id: str) -> Case | None:
        """The case as the batch has it now; None if it is not open."""
        if case_id not in self.cases:
            await self._read_cases([case_id])
        return self.cases[case_id]

    async def concern(self, concern_id: str) -> ConcernCase:
        if concern_id not in self.concerns:
            self.concerns.update(await self.concern_cases.read([concern_id], self.session))
        return self.concerns[concern_id]

    def open(self, case: Case, cause: Envelope) -> None:
        self.cases[case.case_id] = case
        self._decided(case, 0, cause)

    def decide(self, case: Case, cause: Envelope, decision: Callable[[Case], object]) -> None:
        """Let the case decide in reaction to `cause`, unless it did before (a redelivery: the
        events it caused are recorded already, e.g. a move that was undone since)."""
        if event_ids_caused_by(cause, 1)[0] in self.recorded:
            return
        before = len(case.pending_events)
        decision(case)
        self._decided(case, before, cause)

    async def belongs_to(self, concern_id: str, case_id: str) -> list[Envelope]:
        """Record that the concern's case is `case_id`; returns the repeat reports that were
        waiting for it, and forgets them."""
        concern = await self.concern(concern_id)
        waiting, concern.case_id, concern.waiting = concern.waiting, case_id, []
        self.changed.add(concern_id)
        recorded = [w for w in waiting if isinstance(w, dict)]
        subjects = set().union(*(sealed_subjects(w.get("payload")) for w in recorded))
        if not subjects <= self.keys.keys():
            self.keys.update(await self.store.opening_keys(recorded, self.session))
        return [
            w if isinstance(w, Envelope) else envelope_from_document(w, self.keys) for w in waiting
        ]

    async def wait_for_case(self, concern_id: str, repeat: Envelope) -> None:
        """Park a repeat report until the case of the concern it repeats is open."""
        (await self.concern(concern_id)).waiting.append(repeat)
        self.changed.add(concern_id)

    async def write(self) -> None:
        """Record every case's new events and write the concerns' documents changed."""
        if self.appends:
            await self.store.append_streams(
                self.appends, session=self.session, read_in_session=True
            )
        await self.concern_cases.write({c: self.concerns[c] for c in self.changed}, self.session)

    def _decided(self, case: Case, before: int, cause: Envelope) -> None:
        events = case.pending_events[before:]
        if not events:
            return
        ids = event_ids_caused_by(cause, len(events))
        self.appends.append(
            StreamAppend(
                case.case_id,
                case.stored_version + before,
                events,
                Metadata(actor=SYSTEM_ACTOR).caused_by(cause),
                event_ids=ids,
                # Whose key seals a case's events: the concern that opened it (`CaseSubjects`).
                subject=case.concern_id,
            )
        )
        self.recorded.update(ids)

    async def _read_cases(self, case_ids: Sequence[str], waiting: Sequence[Document] = ()) -> None:
        stored = await self.store.stored(case_ids, self.session)
        self.keys.update(
            await self.store.opening_keys(
                [*(d for h in stored.values() for d in h), *waiting], self.session
            )
        )
        for case_id in case_ids:
            history = [envelope_from_document(d, self.keys) for d in stored.get(case_id, [])]
            self.cases[case_id] = case_from(history, self.now) if history else None
            self.recorded.update(e.event_id for e in history)


class CaseOpening:
    """Consumes intake's events (a MessageHandler); other intake events are none of its
    business and are passed over without being decoded."""

    name = "case-opening"
    topics: Sequence[str] = (INTAKE_EVENTS,)
    reacts_to = REACTS_TO

    def __init__(self, store: EventStore, database: Database) -> None:
        self.store = store
        self.concern_cases = ConcernCases(database)

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> Envelope | None:
        if passed_over(record, REACTS_TO):
            return None
        if record.value is None:
            raise DecodeError("empty message")
        return decode(record.value, keys=keys)

    async def apply(self, messages: Sequence[Envelope | None], session: Session) -> None:
        envelopes = [m for m in messages if m is not None]
        if not envelopes:
            return
        batch = _Batch(self.store, self.concern_cases, session)
        await batch.read(envelopes)
        for envelope in envelopes:
            if isinstance(envelope.payload, ConcernRaised):
                await self._open_case(batch, envelope, envelope.payload)
            elif isinstance(envelope.payload, S42DecisionMade):
                await self._start_enquiry(batch, envelope, envelope.payload)
            elif isinstance(envelope.payload, ConcernLinkedToPerson):
                await self._move_case(batch, envelope, envelope.payload.person_id)
            elif isinstance(envelope.payload, ConcernUnlinkedFromPerson):
                await self._move_case(batch, envelope, envelope.payload.new_person_id)
        await batch.write()

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        return None

    async def _erased(self, concern_id: str) -> None:
        """A case its concern's erasure kept from opening never will: the event is skipped as
        erased (KeyDestroyed), not dead-lettered for an operator."""
        keyring = self.store.keyring
        if keyring is not None and await keyring.was_destroyed(concern_id):
            raise KeyDestroyed(concern_id)

    async def _open_case(self, batch: _Batch, raised: Envelope, concern: ConcernRaised) -> None:
        original = concern.repeat_of_concern_id
        if original is not None and await self._join_open_case(batch, raised, original):
            return
        case_id = case_id_for(concern.concern_id)
        if await batch.case(case_id) is not None:
            return
        batch.open(opening_for(raised), raised)
        await self._belongs_to(batch, concern.concern_id, case_id)

    async def _join_open_case(self, batch: _Batch, repeat: Envelope, original: str) -> bool:
        """Join the repeat to the case of the concern it repeats; False if that case is closed
        (then the repeat opens a case of its own, so it still reaches a decision)."""
        case_id = (await batch.concern(original)).case_id or case_id_for(original)
        if await batch.case(case_id) is None:
            await batch.wait_for_case(original, repeat)
            return True
        return await self._join(batch, case_id, repeat)

    async def _join(self, batch: _Batch, case_id: str, repeat: Envelope) -> bool:
        case = await batch.case(case_id)
        if case is None:
            raise CaseNotOpenYet(f"a repeat was to join case {case_id}, which is not open")
        concern_id = _concern_of(repeat).concern_id
        if concern_id in case.joined_concerns:
            return True
        if case.closed is not None:
            log.warning(
                "repeat concern opens its own case: the case it repeats is closed",
                extra={"case_id": case_id, "event_id": repeat.event_id},
            )
            return False
        batch.decide(case, repeat, lambda c: join(c, repeat))
        await self._belongs_to(batch, concern_id, case_id)
        return True

    async def _belongs_to(self, batch: _Batch, concern_id: str, case_id: str) -> None:
        """The concern's case is `case_id`: the repeats waiting for its case join it too."""
        for repeat in await batch.belongs_to(concern_id, case_id):
            await self._join(batch, case_id, repeat)

    async def _start_enquiry(
        self, batch: _Batch, decided: Envelope, decision: S42DecisionMade
    ) -> None:
        kind = enquiry_kind_for(decision)
        if kind is None:
            return
        case_id = case_id_for(decision.concern_id)
        case = await batch.case(case_id)
        if case is None:
            await self._erased(decision.concern_id)
            raise CaseNotOpenYet(
                f"{decision.decision.value} decided for concern {decision.concern_id}, "
                f"but no case is open for it"
            )
        if case.enquiry_kind is not None:
            return
        try:
            batch.decide(
                case, decided, lambda c: c.start_enquiry(kind, started_at=decided.occurred_at)
            )
        except CaseRefused as refusal:
            log.warning(
                "enquiry not started",
                extra={
                    "case_id": case_id,
                    "decision_event_id": decided.event_id,
                    "reason": str(refusal),
                },
            )

    async def _move_case(self, batch: _Batch, moved: Envelope, person_id: str) -> None:
        concern_id = getattr(moved.payload, "concern_id", "")
        case = await batch.case(case_id_for(concern_id))
        if case is None:
            await self._erased(concern_id)
            raise CaseNotOpenYet(f"concern {concern_id} was moved, but no case is open for it")
        batch.decide(case, moved, lambda c: c.move_to_person(person_id))
