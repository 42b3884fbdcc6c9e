"""The informing reaction: every intake and outcomes event that is a step in someone's case ends
in a recorded decision about telling them.

For each step, in one MongoDB transaction with the consumer's batch: keep the case and concern
facts up to date (including whom a concern is about now); from a raised concern, record the
person's first contact preferences (with everything known about the alleged source of risk, so
that nothing ever reaches them); then decide with the person's informing record. Nothing about a
concern is sent before a practitioner's safe-contact decision: until then its steps wait (and
their deadlines run). What was decided is settled by `telling`.

A concern a practitioner moves to another person stops everything still waiting for the person it
was wrongly linked to, and starts the right person's first contact, which again waits for a
safe-contact decision. A repeat report of an open concern is told with that concern, not twice.
An advocate appointed with contact details becomes a recipient.

A consumer batch reads what it needs once (its steps' decisions, case and concern facts, and the
informing streams of the people it is about) and writes what it settles together at the end
(`InformingBatch`): a handful of statements per batch instead of about ten per step. Before
anything reads what the batch has not kept itself (a concern moved to another person, a repeat,
a message to be written and sent), what the batch has so far is written first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.notification.application.informing_stream import append_once
from services.notification.application.telling import Telling, undecided
from services.notification.application.unhandled import step_not_handled
from services.notification.domain.communication_needs import (
    contact_points,
    preferences_from_concern,
)
from services.notification.domain.informing_record import (
    InformingRecord,
    Tell,
    derived_event_id,
)
from services.notification.domain.steps import (
    CaseFacts,
    ConcernFacts,
    moves_concern,
    person_of,
    step_for,
    uk_today,
)
from services.notification.read_models.case_index import CaseIndex
from services.notification.read_models.decisions import (
    DecisionOutcome,
    Decisions,
    InformingDecision,
)
from services.notification.read_models.deliveries import Deliveries
from shared.events import DecodeError, DomainEvent, Envelope, Metadata, decode
from shared.events import intake as _intake_events  # noqa: F401  (registers intake's events)
from shared.events import outcomes as _outcomes_events  # noqa: F401  (registers outcomes' events)
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    RepeatConcernLinked,
)
from shared.events.notification import Channel, informing_stream
from shared.events.outcomes import AdvocateAppointed, CaseEvent, CaseOpened
from shared.eventstore import ConcurrencyError, EventStore, StreamAppend
from shared.mongo import Session
from shared.personal_data import NO_KEYS, DataKeys
from shared.projection import Record
from shared.topics import INTAKE_EVENTS, OUTCOMES_EVENTS

log = logging.getLogger(__name__)


@dataclass
class InformingReaction:
    """A `MessageHandler` over intake's and outcomes' events."""

    store: EventStore
    index: CaseIndex
    decisions: Decisions
    deliveries: Deliveries
    telling: Telling
    default_channel: Channel
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    name: str = "informing"
    topics: Sequence[str] = (INTAKE_EVENTS, OUTCOMES_EVENTS)
    batch_size: int = 200
    """A batch costs about fifteen statements whatever its size (`InformingBatch`), in one
    transaction: after a stall, the events waiting are worked off in a few of them."""
    _batch: InformingBatch | None = field(default=None, init=False, repr=False)
    """While a batch is applied: what it read and what it has still to write."""
    _at_once: bool = field(default=False, init=False, repr=False)
    """Set when a batch met an event recorded meanwhile: its retry writes each as it goes."""

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> Envelope:
        if record.value is None:
            raise DecodeError("empty message")
        return decode(record.value, keys=keys)

    async def apply(self, messages: Sequence[Envelope], session: Session) -> None:
        self._batch = batch = await InformingBatch.read(
            self.store, self.index, self.decisions, messages, session, at_once=self._at_once
        )
        try:
            for envelope in messages:
                await self.handle(envelope, session)
            await batch.write(session)
        except RecordedMeanwhile:
            self._at_once = True
            raise
        finally:
            self._batch = None
        self._at_once = False

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        return None

    async def could_not_handle(self, event: Envelope, reason: str, session: Session) -> None:
        await step_not_handled(self.store, self.index, event, reason, session)

    async def handle(self, envelope: Envelope, session: Session) -> None:
        """Handle one event of the batch being applied."""
        batch = self._batch
        if batch is None:
            raise RuntimeError("an event is handled as part of a batch (`apply`)")
        facts, decided = batch.facts, batch.decided
        case, concern = await self._facts(envelope, facts, session)
        payload = envelope.payload
        now = self.clock()
        metadata = Metadata(
            actor=SYSTEM_ACTOR,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
        )
        if moves_concern(payload):
            await batch.write(session)  # the decisions and messages it stops are all on record
            await self._stop_telling_the_wrong_person(payload, now, session)
        elif isinstance(payload, RepeatConcernLinked):
            await batch.write(session)
            await self._told_with_the_original(payload, session)
        person_id = person_of(payload, case, concern)
        if isinstance(payload, AdvocateAppointed) and payload.contact and person_id:
            await self._advocate_is_a_recipient(person_id, payload, envelope, metadata, session)
        step = step_for(envelope, person_id=person_id, case=case, concern=concern)
        if step is None:
            return
        if step.source_event_id in decided:
            return  # a redelivered step, decided already, or a copy earlier in the batch
        decided.add(step.source_event_id)
        history = await batch.history(step.person_id, session)
        if isinstance(payload, ConcernRaised) or moves_concern(payload):
            history += await self._record_preferences(
                step.person_id, concern, envelope, metadata, facts, history, session
            )
        record = InformingRecord.from_history(step.person_id, history)
        decision = record.decide(step, uk_today(now))
        if isinstance(decision, Tell):
            # Writing the messages reads the person's name, and the worker may send them as
            # soon as the batch commits: the facts they are written from go first.
            await batch.write(session)
        await self.telling.settle(
            step,
            undecided(step, now),
            decision,
            metadata,
            now,
            session,
            stored=False,
            writes=batch,
        )

    async def _stop_telling_the_wrong_person(
        self, payload: DomainEvent, now: datetime, session: Session
    ) -> None:
        """The concern is not about this person: nothing more about it reaches them."""
        if isinstance(payload, ConcernUnlinkedFromPerson):
            concern_id, wrong = payload.concern_id, payload.person_id
        elif isinstance(payload, ConcernLinkedToPerson) and payload.previous_person_id:
            concern_id, wrong = payload.concern_id, payload.previous_person_id
        else:
            return
        for decision in await self.decisions.still_open_about(wrong, concern_id, session):
            await self.decisions.replace(
                decision.model_copy(
                    update={
                        "outcome": DecisionOutcome.MOVED,
                        "why_not": "the concern was moved to another person",
                        "pending_roles": (),
                    }
                ),
                session,
            )
        await self.deliveries.stop_about(wrong, concern_id, now, session)

    async def _told_with_the_original(self, payload: RepeatConcernLinked, session: Session) -> None:
        """A repeat report of an open concern: the person is not told of it a second time."""
        for decision in await self.decisions.awaiting(
            payload.person_id, payload.concern_id, session
        ):
            await self.decisions.replace(
                decision.model_copy(
                    update={
                        "outcome": DecisionOutcome.NOT_TOLD,
                        "why_not": f"a repeat of concern {payload.repeat_of_reference}, which "
                        "the person is told about",
                        "pending_roles": (),
                    }
                ),
                session,
            )

    async def _advocate_is_a_recipient(
        self,
        person_id: str,
        payload: AdvocateAppointed,
        envelope: Envelope,
        metadata: Metadata,
        session: Session,
    ) -> None:
        assert payload.contact is not None
        assert self._batch is not None
        history = await self._batch.history(person_id, session)
        record = InformingRecord.from_history(person_id, history)
        recorded = record.advocate_appointed(payload.name, contact_points(payload.contact))
        if recorded is not None:
            await self._batch.record(
                person_id,
                recorded,
                event_id=derived_event_id("advocate", envelope.event_id),
                metadata=metadata,
                session=session,
            )

    async def _record_preferences(
        self,
        person_id: str,
        concern: ConcernFacts | None,
        envelope: Envelope,
        metadata: Metadata,
        facts: BatchFacts,
        history: list[Envelope],
        session: Session,
    ) -> list[Envelope]:
        """The first contact preferences the concern gives, for the person it is about now
        (after a move, the right person: the concern's details are theirs), recorded after
        `history`, their informing stream as just read; what was recorded."""
        payload = envelope.payload
        if isinstance(payload, ConcernRaised):
            needs = preferences_from_concern(payload, default_channel=self.default_channel)
            if concern is not None:
                facts.save_concern(concern.model_copy(update={"needs": needs}))
        elif concern is not None and concern.needs is not None:
            needs = concern.needs.model_copy(update={"person_id": person_id})
        else:
            return []
        record = InformingRecord.from_history(person_id, history)
        recorded = record.preferences_from_intake(needs)
        if recorded is None:
            return []
        assert self._batch is not None
        return await self._batch.record(
            person_id,
            recorded,
            event_id=derived_event_id("preferences", envelope.event_id),
            metadata=metadata,
            session=session,
        )

    async def _facts(
        self, envelope: Envelope, facts: BatchFacts, session: Session
    ) -> tuple[CaseFacts | None, ConcernFacts | None]:
        """Bring the case and concern facts up to date with this event, and return them."""
        payload = envelope.payload
        case: CaseFacts | None = None
        concern: ConcernFacts | None = None
        if isinstance(payload, CaseEvent):
            case = await facts.case(payload.case_id, session) or CaseFacts(
                case_id=payload.case_id, person_id=payload.person_id
            )
            if envelope.stream_version > case.version:
                case = case.after(envelope)
                facts.save_case(case)
            concern_id = case.concern_id
            if concern_id is not None:
                concern = await facts.concern(concern_id, session)
            if isinstance(payload, CaseOpened):
                concern = (
                    concern
                    or ConcernFacts(
                        concern_id=payload.concern_id,
                        person_id=payload.person_id,
                        reference=payload.reference,
                    )
                ).model_copy(update={"case_id": payload.case_id})
                facts.save_concern(concern)
            return case, concern
        concern_id = getattr(payload, "concern_id", None)
        if not isinstance(concern_id, str):
            return None, None
        concern = await facts.concern(concern_id, session)
        if concern is None:
            person_id = getattr(payload, "person_id", None)
            if not isinstance(person_id, str):
                return None, None
            concern = ConcernFacts(concern_id=concern_id, person_id=person_id)
        if envelope.stream_version > concern.version:
            concern = concern.after(envelope)
            facts.save_concern(concern)
        if isinstance(payload, ConcernRaised):
            facts.name_person(payload.person_id, payload.person.name)
        if concern.case_id is not None:
            case = await facts.case(concern.case_id, session)
        return case, concern


@dataclass
class BatchFacts:
    """The case and concern facts of a batch of events: read with one look-up each when the
    batch starts, then kept as the batch changes them, and written with one bulk write per
    collection (`write`) before anything else can read them."""

    index: CaseIndex
    cases: dict[str, CaseFacts | None] = field(default_factory=dict)
    concerns: dict[str, ConcernFacts | None] = field(default_factory=dict)
    _new: set[str] = field(default_factory=set)
    """The ids of the cases and concerns this transaction read as not on record, and has not
    written yet: theirs are inserted (`CaseIndex.save_all`)."""
    _changed_cases: set[str] = field(default_factory=set)
    _changed_concerns: set[str] = field(default_factory=set)
    _names: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def read(
        cls, index: CaseIndex, events: Sequence[Envelope], session: Session
    ) -> BatchFacts:
        case_ids = {e.payload.case_id for e in events if isinstance(e.payload, CaseEvent)}
        concern_ids = {
            concern_id
            for e in events
            if isinstance(concern_id := getattr(e.payload, "concern_id", None), str)
        }
        cases: dict[str, CaseFacts | None] = dict.fromkeys(case_ids)
        cases.update(await index.cases_among(case_ids, session))
        concerns: dict[str, ConcernFacts | None] = dict.fromkeys(concern_ids)
        concerns.update(await index.concerns_among(concern_ids, session))
        new = {i for i, f in [*cases.items(), *concerns.items()] if f is None}
        return cls(index, cases, concerns, _new=new)

    async def case(self, case_id: str, session: Session) -> CaseFacts | None:
        if case_id not in self.cases:
            self.cases[case_id] = found = await self.index.case(case_id, session)
            if found is None:
                self._new.add(case_id)
        return self.cases[case_id]

    async def concern(self, concern_id: str, session: Session) -> ConcernFacts | None:
        if concern_id not in self.concerns:
            self.concerns[concern_id] = found = await self.index.concern(concern_id, session)
            if found is None:
                self._new.add(concern_id)
        return self.concerns[concern_id]

    def save_case(self, facts: CaseFacts) -> None:
        self.cases[facts.case_id] = facts
        self._changed_cases.add(facts.case_id)

    def save_concern(self, facts: ConcernFacts) -> None:
        self.concerns[facts.concern_id] = facts
        self._changed_concerns.add(facts.concern_id)

    def name_person(self, person_id: str, name: str) -> None:
        self._names[person_id] = name

    def people(self) -> set[str]:
        """Whom the batch's cases and concerns are about, as the batch starts."""
        return {
            facts.person_id
            for facts in [*self.cases.values(), *self.concerns.values()]
            if facts is not None
        }

    async def write(self, session: Session) -> None:
        cases = [self.cases[i] for i in sorted(self._changed_cases)]
        concerns = [self.concerns[i] for i in sorted(self._changed_concerns)]
        await self.index.save_all(
            [c for c in cases if c is not None],
            [c for c in concerns if c is not None],
            self._names,
            session,
            new=self._new,
        )
        self._new -= self._changed_cases | self._changed_concerns
        self._changed_cases.clear()
        self._changed_concerns.clear()
        self._names = {}


class RecordedMeanwhile(ConcurrencyError):
    """An event the batch was about to record is on record already (written by someone else
    under its derived id), or a stream it appends to moved on: the batch is tried again, writing
    each event as it goes, which skips what is recorded."""

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id, 0, 0)


@dataclass
class InformingBatch:
    """What one consumer batch of the informing reaction reads once and writes together: its
    facts, which of its steps are decided already, the informing streams of the people it is
    about (one look-up), and the events and decisions it settles (`write`: one
    `append_streams`, which asks the keyring once and reads nothing else, the batch having read
    every stream it appends to, and one insert of decisions). An `InformingWrites` for
    `Telling`.

    Nothing is read twice: `history` is each person's stream with what the batch recorded on it.
    Two writers never both win: a stream that moved on, or an event recorded meanwhile, fails the
    batch's transaction, which the consumer tries again from what is then on record."""

    store: EventStore
    decisions: Decisions
    facts: BatchFacts
    decided: set[str]
    at_once: bool = False
    """Write each event as it is recorded, after looking it up (the retry after
    `RecordedMeanwhile`)."""
    _streams: dict[str, list[Envelope]] = field(default_factory=dict)
    _appends: list[StreamAppend] = field(default_factory=list)
    _decisions: list[InformingDecision] = field(default_factory=list)

    @classmethod
    async def read(
        cls,
        store: EventStore,
        index: CaseIndex,
        decisions: Decisions,
        events: Sequence[Envelope],
        session: Session,
        *,
        at_once: bool = False,
    ) -> InformingBatch:
        facts = await BatchFacts.read(index, events, session)
        decided = await decisions.decided_among([e.event_id for e in events], session)
        people = facts.people() | {
            person_id
            for e in events
            if isinstance(person_id := getattr(e.payload, "person_id", None), str)
        }
        streams = await store.load_streams([informing_stream(p) for p in people], session)
        return cls(store, decisions, facts, decided, at_once, _streams=streams)

    async def history(self, person_id: str, session: Session) -> list[Envelope]:
        """The person's informing stream, with what this batch recorded on it (a copy)."""
        stream = informing_stream(person_id)
        if stream not in self._streams:
            self._streams[stream] = await self.store.load(stream, session)
        return list(self._streams[stream])

    async def record(
        self,
        person_id: str,
        event: DomainEvent,
        *,
        event_id: str,
        metadata: Metadata,
        session: Session,
    ) -> list[Envelope]:
        stream = informing_stream(person_id)
        history = await self.history(person_id, session)
        if any(e.event_id == event_id for e in history):
            return []
        if self.at_once:
            recorded = await append_once(
                self.store,
                person_id,
                event,
                event_id=event_id,
                metadata=metadata,
                session=session,
                history=history,
            )
            self._streams[stream] = history + recorded
            return recorded
        version = history[-1].stream_version if history else 0
        # As it will be recorded (its time is the write's): what later steps of the batch see.
        envelope = Envelope.record(
            event,
            stream_id=stream,
            stream_version=version + 1,
            metadata=metadata,
            event_id=event_id,
        )
        self._streams[stream] = [*history, envelope]
        self._appends.append(
            StreamAppend(
                stream_id=stream,
                expected_version=version,
                events=[event],
                metadata=metadata,
                event_ids=[event_id],
            )
        )
        return [envelope]

    async def add_decision(self, decision: InformingDecision, session: Session) -> None:
        self._decisions.append(decision)

    async def write(self, session: Session) -> None:
        """Write what the batch has so far: facts, events (with their outbox entries) and new
        decisions."""
        await self.facts.write(session)
        if self._appends:
            try:
                # Every stream was read in this session, and each event's id looked for in it
                # (`record`): neither is read again. An id on record elsewhere, or a stream
                # another writer moved on, meets the unique keys and fails the batch.
                recorded = await self.store.append_streams(
                    self._appends, session=session, read_in_session=True
                )
            except ConcurrencyError as error:
                raise RecordedMeanwhile(self._appends[0].stream_id) from error
            for envelope in recorded:
                stream = self._streams[envelope.stream_id]
                stream[envelope.stream_version - 1] = envelope
        await self.decisions.add_all(self._decisions, session)
        self._appends, self._decisions = [], []
