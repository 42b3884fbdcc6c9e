"""Intake's command side: load a concern, ask it, append what it decided.

The look-ups a decision needs are kept on the write side, in the same MongoDB transaction as the
events they are derived from, so they can never disagree with the event store:

- `person_index`: match key (its keyed hash, `person_index.py`) -> person id. Its unique `_id` turns two concurrent first concerns
  about one new person into a write conflict, so the loser retries and finds the winner's person
  rather than creating a second record for the same adult;
- `people`: every person record; touched by every change that can open or close a concern about
  them, so concurrent changes about one person are serialised (a repeat report cannot miss an
  open concern that is being raised at the same moment);
- `open_concerns`: mirrors `Concern.as_open_concern()` for every concern;
- `submissions_received`: agency + idempotency key -> what the submission was and what we
  answered, so a retried or republished submission never raises a second concern.

Every command runs through `_transaction`: a concurrency conflict reloads and decides again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pymongo import ASCENDING, DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from services.intake.application.person_index import MatchingKeys, rekey_person_index
from services.intake.domain.concern import Concern, new_concern_id, new_person_id
from services.intake.domain.matching import OpenConcern, matched_by
from services.intake.domain.submission import ConcernSubmission, uk_today
from shared.events import Actor, DomainEvent, Envelope, Metadata
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    ErasureReason,
    LegalHoldLifted,
    LegalHoldPlaced,
    MatchedBy,
    PersonErased,
    S42Decision,
    SubmissionChannel,
)
from shared.eventstore import ConcurrencyError, EventStore, StreamAppend
from shared.keyring import Keyring
from shared.mongo import (
    DUPLICATE_KEY,
    Client,
    Collection,
    Database,
    Document,
    Session,
    in_transaction,
    is_transient,
)
from shared.sac import RiskType

T = TypeVar("T")

PERSON_INDEX: Final = "person_index"
PEOPLE: Final = "people"
OPEN_CONCERNS: Final = "open_concerns"
SUBMISSIONS_RECEIVED: Final = "submissions_received"
RETENTION_WATCHED: Final = "retention_watched"
"""The people the retention job looks at again at every pass (`application/retention.py`)."""
CONCERN_MOVED: Final = "a concern moved"

ATTEMPTS: Final = 6
NAMING_A_PERSON: Final = ("payload.person_id", "payload.new_person_id")
"""Where an intake event names the person a concern is (or is now) about."""
IN_LIST: Final = 100
RECEIVED: Final = "received"
_RISK_TYPES: Final = {risk.value: risk for risk in RiskType}


# --- answers and refusals -------------------------------------------------------------------------


class ConcernReceived(BaseModel):
    """What a partner is told when their concern is accepted."""

    model_config = ConfigDict(frozen=True)

    concern_id: str = Field(description="The concern's id.")
    reference: str = Field(description="Quote this reference when you contact the council.")
    status: str = Field(description="Where the concern is: `received` at first.")
    what_happens_next: str = Field(description="What the council does next, in plain English.")


@dataclass(frozen=True)
class Received:
    answer: ConcernReceived
    replayed: bool
    """True when this is the answer given before to the same submission."""


class ConcernChanged(BaseModel):
    """What a practitioner or manager is told when their change to a concern is recorded."""

    model_config = ConfigDict(frozen=True)

    concern_id: str
    reference: str
    person_id: str = Field(description="The person record the concern is now about.")
    recorded: list[str] = Field(description="The events recorded, in order.")
    version: int = Field(description="The concern's version after the change.")


class SubmissionConflict(Exception):
    """The idempotency key was already used by this agency for a different submission."""


class OneAtATime(Exception):
    """A batch of submissions must be raised one by one to be decided right (nothing was
    written)."""


@dataclass(frozen=True)
class Submitted:
    """A partner's submission to raise, with who sent it and how (one of a batch)."""

    submission: ConcernSubmission
    actor: Actor
    via: SubmissionChannel
    idempotency_key: str
    correlation_id: str

    @property
    def agency(self) -> str:
        if not self.actor.agency:
            raise ValueError("a concern is raised by a partner agency")
        return self.actor.agency


class UnknownPerson(Exception):
    """There is no person record with this id."""


class UnderLegalHold(Exception):
    """A legal hold is on the person's records: nothing of hers is erased until it is lifted."""


class LegalHoldUnchanged(Exception):
    """The hold is already as asked (placed twice, or lifted when there is none)."""


class LegalHold(BaseModel):
    """Whether the person's records are under a legal hold."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    on_legal_hold: bool


class PersonWasErased(Exception):
    """The concern's person was erased: nothing more is recorded about her."""


class PersonErasure(BaseModel):
    """What an erasure did (the same answer however often it is asked for)."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    concern_ids: list[str] = Field(description="The concerns about her, now erased.")
    subjects_destroyed: list[str] = Field(description="Whose data keys were destroyed.")
    reason_kind: ErasureReason
    erased_at: AwareDatetime
    erased_by_role: str


def informing_subject(person_id: str) -> str:
    """The data subject of notification's informing stream for the person (its stream id)."""
    return f"informing-{person_id}"


class StillBusy(Exception):
    """The database stayed unavailable or contended through every retry."""


class RecordedConcurrently(ConcurrencyError):
    """A concurrent transaction recorded the same person or submission first: decide again."""

    def __init__(self, what: str) -> None:
        super().__init__(what, 0, 1)
        self.args = (f"{what} was recorded by a concurrent transaction",)


def what_happens_next(reference: str) -> str:
    return (
        f"Thank you. We have received your safeguarding concern; its reference is {reference}. "
        "A council safeguarding practitioner will look at it, find out more (including, where it "
        "is safe, from the person themselves) and make sure the person is safe now. A "
        "Safeguarding Adults Manager will then decide whether the council will make "
        "safeguarding enquiries. You can see the status of your concern, and any feedback for "
        f"you, at GET /partner/concerns/{reference}. Please quote {reference} if you contact us."
    )


def submission_fingerprint(submission: ConcernSubmission) -> str:
    """Equal for equal submissions, however the JSON was laid out."""
    return hashlib.sha256(submission.model_dump_json().encode()).hexdigest()


def _received_id(agency: str, key: str) -> str:
    return hashlib.sha256(json.dumps([agency, key]).encode()).hexdigest()


# --- the concern's record, for staff --------------------------------------------------------------


class RecordedEvent(BaseModel):
    event_type: str
    stream_version: int
    occurred_at: AwareDatetime
    actor_role: str
    actor_id: str


class ConcernRecord(BaseModel):
    """One concern as council staff see it: everything that was raised, and what happened since."""

    concern_id: str
    reference: str
    version: int
    person_id: str
    linked_to_existing_person: bool
    repeat_of_concern_id: str | None
    repeat_of_reference: str | None
    decision: S42Decision | None
    raised: ConcernRaised
    history: list[RecordedEvent]


# --- the command side -----------------------------------------------------------------------------


class IntakeCommands:
    def __init__(
        self,
        client: Client,
        database: Database,
        store: EventStore,
        matching_keys: MatchingKeys,
        keyring: Keyring | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.matching_keys = matching_keys
        self.keyring = keyring
        self.person_index = database[PERSON_INDEX]
        self.people = database[PEOPLE]
        self.open_concerns = database[OPEN_CONCERNS]
        self.received = database[SUBMISSIONS_RECEIVED]
        self.retention_watched = database[RETENTION_WATCHED]

    async def ensure_indexes(self) -> None:
        await self.open_concerns.create_index([("person_id", ASCENDING)])
        # A person's match keys, forgotten on her erasure.
        await self.person_index.create_index([("person_id", ASCENDING)])
        # The events naming a person, for the concerns ever about her (`concerns_of`), each
        # field indexed only where an event has it.
        for field in NAMING_A_PERSON:
            await self.store.events.create_index([(field, ASCENDING)], sparse=True)

    async def rekey_person_index(self) -> None:
        """Hash any clear matching key left by an earlier version (at start, before serving)."""
        await rekey_person_index(self.person_index, self.matching_keys)

    # --- raising ----------------------------------------------------------------------------------

    async def raise_concern(
        self,
        submission: ConcernSubmission,
        *,
        actor: Actor,
        via: SubmissionChannel,
        idempotency_key: str | None,
        correlation_id: str,
        session: Session | None = None,
    ) -> Received:
        """Raise a concern from a partner's submission (HTTP and Kafka both come here).

        With `session` the work joins the caller's transaction (a Kafka batch) and conflicts are
        left to the caller to retry; otherwise it runs in a transaction of its own.
        """
        agency = actor.agency
        if not agency:
            raise ValueError("a concern is raised by a partner agency")
        fingerprint = submission_fingerprint(submission)
        metadata = Metadata(actor=actor, correlation_id=correlation_id)

        received_id = _received_id(agency, idempotency_key) if idempotency_key is not None else None

        async def work(tx: Session) -> Received:
            if received_id is not None and session is not None:
                # In a Kafka batch's transaction a refused insert would fail the whole batch:
                # read first there.
                earlier = await self.received.find_one({"_id": received_id}, session=tx)
                if earlier is not None:
                    return _answered_before(earlier, fingerprint, agency, idempotency_key)
            person_id, person_matched_by = await self._recognise(submission, tx)
            concern = Concern(new_concern_id())
            changes = concern.raise_concern(
                submission,
                agency=agency,
                person_id=person_id,
                person_matched_by=person_matched_by,
                # A person recognised just now for the first time has no concerns yet.
                open_concerns=await self._open_concerns_of(person_id, tx)
                if person_matched_by is not None
                else [],
                submitted_via=via,
                raised_on=uk_today(),
            )
            answer = _answer(concern)
            # Before the events: a submission received before is refused here, before a data
            # key is made for a concern that will not be.
            if received_id is not None:
                document = _received_document(
                    received_id,
                    agency,
                    str(idempotency_key),
                    fingerprint,
                    answer,
                    datetime.now(UTC),
                )
                if session is not None:
                    await self._insert(self.received, document, f"a submission of {agency}", tx)
                else:
                    try:
                        await self.received.insert_one(document, session=tx)
                    except DuplicateKeyError as error:
                        # Recorded before (committed): this transaction writes nothing.
                        raise _ReceivedBefore from error
            # A new stream (a fresh concern id): nothing to read; its unique key still refuses
            # a second first event.
            await self.store.append(
                concern.concern_id, 0, changes, metadata, session=tx, read_in_session=True
            )
            if person_matched_by is None:
                # Her record is made here, already counting this change (one write, not two).
                await self.people.insert_one(
                    {"_id": person_id, "recorded_at": datetime.now(UTC), "changes": 1},
                    session=tx,
                )
                await self.open_concerns.bulk_write([_open_concern_write(concern)], session=tx)
            else:
                await self._keep_look_ups(concern, changes, [], tx)
            return Received(answer, replayed=False)

        if session is not None:
            return await work(session)
        # The unique `_id` alone refuses a second record of the submission, so it is not read
        # first: only when the insert is refused is what was recorded read, and answered.
        for _ in range(ATTEMPTS):
            try:
                return await self._transaction(work)
            except _ReceivedBefore:
                earlier = await self.received.find_one({"_id": received_id})
                if earlier is not None:
                    return _answered_before(earlier, fingerprint, agency, idempotency_key)
        raise StillBusy("the submission's record kept changing")

    async def earlier_submission_differs(
        self, agency: str, idempotency_key: str, submission: ConcernSubmission, session: Session
    ) -> bool:
        """True when the key was used before by the agency for a different submission."""
        earlier = await self.received.find_one(
            {"_id": _received_id(agency, idempotency_key)}, session=session
        )
        return earlier is not None and earlier["fingerprint"] != submission_fingerprint(submission)

    def kept_apart(self, submitted: Submitted) -> set[str]:
        """What two submissions raised in one batch must not share: the record of the
        submission, and the keys that recognise its person (`raise_concerns` refuses a batch
        where two do, and one formed without such pairs is seldom refused)."""
        return {
            _received_id(submitted.agency, submitted.idempotency_key),
            *self.matching_keys.of(submitted.submission.person),
        }

    async def raise_concerns(self, batch: Sequence[Submitted], tx: Session) -> list[Received]:
        """Raise a batch of partners' concerns in the caller's transaction (a Kafka batch, or
        concerns posted together) with a few statements for the whole batch: one `$in`
        look-up per kind of key, one write per collection. The outcome is `raise_concern`'s for
        each in turn, and so are the answers, in the batch's order; when the batch holds
        what only deciding one at a time gets right (the same submission twice, two concerns
        about one person, a key used for a different submission) it raises OneAtATime before
        writing anything, and the caller raises them one by one instead."""
        received_ids = [_received_id(s.agency, s.idempotency_key) for s in batch]
        if len(set(received_ids)) != len(received_ids):
            raise OneAtATime("the same submission twice in one batch")
        earlier = {d["_id"]: d for d in await _find_in(self.received, received_ids, tx)}
        fresh: list[tuple[Submitted, str, str]] = []
        answers: dict[str, Received] = {}
        for submitted, received_id in zip(batch, received_ids, strict=True):
            fingerprint = submission_fingerprint(submitted.submission)
            if received_id not in earlier:
                fresh.append((submitted, received_id, fingerprint))
            elif earlier[received_id]["fingerprint"] != fingerprint:
                raise OneAtATime("a key already used for a different submission")
            else:
                # The same submission again: answered as before, nothing written.
                answers[received_id] = _answered_before(
                    earlier[received_id], fingerprint, submitted.agency, submitted.idempotency_key
                )
        keys = [self.matching_keys.of(s.submission.person) for s, _, _ in fresh]
        every_key = [key for of_one in keys for key in of_one]
        if len(set(every_key)) != len(every_key):
            raise OneAtATime("two concerns about one person in one batch")
        known = {
            d["_id"]: str(d["person_id"]) for d in await _find_in(self.person_index, every_key, tx)
        }
        recognised: list[tuple[str, MatchedBy | None]] = []
        for of_one in keys:
            found = next((key for key in of_one if key in known), None)
            recognised.append(
                (known[found], matched_by(found)) if found else (new_person_id(), None)
            )
        existing = [person for person, how in recognised if how is not None]
        if len(set(existing)) != len(existing):
            raise OneAtATime("two concerns about one person in one batch")
        open_now: dict[str, list[OpenConcern]] = {}
        for doc in await _find_in(self.open_concerns, existing, tx, field="person_id"):
            open_now.setdefault(doc["person_id"], []).append(_open_concern(doc))

        now = datetime.now(UTC)
        appends: list[StreamAppend] = []
        concerns: list[Concern] = []
        received: list[Document] = []
        for (submitted, received_id, fingerprint), (person_id, how) in zip(
            fresh, recognised, strict=True
        ):
            concern = Concern(new_concern_id())
            changes = concern.raise_concern(
                submitted.submission,
                agency=submitted.agency,
                person_id=person_id,
                person_matched_by=how,
                open_concerns=open_now.get(person_id, []),
                submitted_via=submitted.via,
                raised_on=uk_today(),
            )
            appends.append(
                StreamAppend(
                    concern.concern_id,
                    0,
                    changes,
                    Metadata(actor=submitted.actor, correlation_id=submitted.correlation_id),
                )
            )
            concerns.append(concern)
            answer = _answer(concern)
            answers[received_id] = Received(answer, replayed=False)
            received.append(
                _received_document(
                    received_id,
                    submitted.agency,
                    submitted.idempotency_key,
                    fingerprint,
                    answer,
                    now,
                )
            )
        if not fresh:
            return [answers[received_id] for received_id in received_ids]
        new_people = [p for p, how in recognised if how is None]
        await self._insert_all(
            self.person_index,
            [
                {"_id": key, "person_id": person_id}
                for of_one, (person_id, how) in zip(keys, recognised, strict=True)
                if how is None
                for key in of_one
            ],
            "a person",
            tx,
        )
        await self.store.append_streams(appends, session=tx)
        # As `_keep_look_ups` after raising: each person touched once, each concern's entry.
        await self.people.bulk_write(
            [
                InsertOne({"_id": person_id, "recorded_at": now, "changes": 1})
                for person_id in new_people
            ]
            + [
                UpdateOne({"_id": person_id}, {"$inc": {"changes": 1}}, upsert=True)
                for person_id in existing
            ],
            session=tx,
        )
        # Concerns just raised: their entries are new.
        await self._insert_all(
            self.open_concerns,
            [entry for concern in concerns if (entry := _open_concern_entry(concern)) is not None],
            "a concern",
            tx,
        )
        await self._insert_all(self.received, received, "a submission", tx)
        return [answers[received_id] for received_id in received_ids]

    async def _recognise(
        self, submission: ConcernSubmission, tx: Session
    ) -> tuple[str, MatchedBy | None]:
        """The person the submission is about, by its first key on record (one look-up for
        all its keys); a new person id, indexed under every key, when none is."""
        keys = self.matching_keys.of(submission.person)
        known = {d["_id"]: str(d["person_id"]) for d in await _find_in(self.person_index, keys, tx)}
        for key in keys:
            if key in known:
                return known[key], matched_by(key)
        person_id = new_person_id()
        # Never the key itself in the error: it is an NHS number or a name, birth date and
        # postcode.
        await self._insert_all(
            self.person_index,
            [{"_id": key, "person_id": person_id} for key in keys],
            "a person",
            tx,
        )
        return person_id, None

    async def _open_concerns_of(self, person_id: str, tx: Session) -> list[OpenConcern]:
        return [
            _open_concern(doc)
            async for doc in self.open_concerns.find({"person_id": person_id}, session=tx)
        ]

    # --- changing a raised concern ----------------------------------------------------------------

    async def change(
        self,
        concern_id: str,
        actor: Actor,
        ask: Callable[[Concern], Sequence[DomainEvent]],
        *,
        correlation_id: str,
    ) -> ConcernChanged:
        """Load the concern, let `ask` decide (it raises ConcernRefused to refuse), append."""
        metadata = Metadata(actor=actor, correlation_id=correlation_id)

        async def work(tx: Session) -> ConcernChanged:
            history = await self.store.load(concern_id, tx)
            concern = Concern.rebuild(concern_id, (e.payload for e in history))
            was_about = concern.person_id
            if was_about and await self.people.find_one(
                {"_id": was_about, "erased_at": {"$exists": True}}, session=tx
            ):
                raise PersonWasErased(f"the person of {concern_id} was erased")
            changes = list(ask(concern))
            recorded = await self.store.append(
                concern_id, len(history), changes, metadata, session=tx
            )
            await self._keep_look_ups(concern, changes, history, tx, was_about=was_about)
            return ConcernChanged(
                concern_id=concern_id,
                reference=concern.reference,
                person_id=concern.person_id,
                recorded=[e.event_type for e in recorded],
                version=concern.version,
            )

        return await self._transaction(work)

    async def person_of(self, kind: str, subject_id: str) -> str | None:
        """Whom a concern or person record is about now (after any relink), for the audit of
        access."""
        if kind == "person":
            return subject_id
        if kind != "concern":
            return None
        history = await self.store.load(subject_id)
        if not history or not isinstance(history[0].payload, ConcernRaised):
            return None
        return Concern.rebuild(subject_id, (e.payload for e in history)).person_id or None

    async def concerns_of(self, person_id: str) -> list[str]:
        """The concerns about the person now: every one ever linked to her, less those moved
        to someone else."""
        # One query a field: the test server answers a query with `$or` by reading every event.
        named: set[str] = set()
        for field in NAMING_A_PERSON:
            async for document in self.store.events.find(
                {field: person_id}, projection={"stream_id": 1}
            ):
                named.add(str(document["stream_id"]))
        return [c for c in sorted(named) if await self.person_of("concern", c) == person_id]

    # --- erasing a person -------------------------------------------------------------------------

    async def erase(
        self,
        person_id: str,
        *,
        reason_kind: ErasureReason,
        reason: str,
        actor: Actor,
        correlation_id: str,
    ) -> PersonErasure:
        """Erase the person: destroy the data keys of every concern about her and of her
        informing stream, forget her match keys, and record `PersonErased` on her stream.

        Each step is safe to repeat, so a crash part way is finished by asking again; once
        recorded, asking again answers the same erasure and records nothing.
        """
        if self.keyring is None:
            raise RuntimeError("erasure needs the keyring")
        earlier = await self.erasure_of(person_id)
        if earlier is not None:
            return earlier

        async def forget_her(tx: Session) -> None:
            # Touching her record serialises this with any concern being raised or linked to
            # her right now (they touch it too), so none joins her after the keys are listed.
            her = await self.people.find_one({"_id": person_id}, session=tx)
            if her is None:
                raise UnknownPerson(f"there is no person {person_id}")
            # Read and written in one transaction: a hold placed meanwhile conflicts with this
            # write, so either the hold or the erasure comes first, never both.
            if her.get("legal_hold"):
                raise UnderLegalHold(f"person {person_id} is under a legal hold")
            await self.people.update_one(
                {"_id": person_id},
                {"$set": {"erased_at": datetime.now(UTC)}, "$inc": {"changes": 1}},
                session=tx,
            )
            # By person id, never by the form of a key: whatever the keys are (clear or hashed),
            # a later concern about her starts a new person rather than joining an erased one.
            await self.person_index.delete_many({"person_id": person_id}, session=tx)

        await self._transaction(forget_her)
        concern_ids = await self.concerns_of(person_id)
        subjects = [*concern_ids, informing_subject(person_id)]
        # Keys first, the record after: a crash between them leaves keys destroyed and no
        # record, and asking again records it; never a record of keys that still open.
        await self.keyring.destroy(subjects)
        erased = PersonErased(
            person_id=person_id,
            concern_ids=concern_ids,
            subjects_destroyed=subjects,
            reason_kind=reason_kind,
            reason=reason,
            erased_by_role=actor.role,
        )
        # Recorded meanwhile by another request: answer that one.
        with contextlib.suppress(ConcurrencyError):
            await self.store.append(
                person_id,
                await self.store.version(person_id),
                [erased],
                Metadata(actor=actor, correlation_id=correlation_id),
            )
        recorded = await self.erasure_of(person_id)
        if recorded is None:
            raise StillBusy("the erasure could not be recorded")
        return recorded

    async def erasure_of(self, person_id: str) -> PersonErasure | None:
        """The person's erasure as recorded, or None when she was not erased."""
        for envelope in await self.store.load(person_id):
            if isinstance(envelope.payload, PersonErased):
                erased = envelope.payload
                return PersonErasure(
                    person_id=person_id,
                    concern_ids=erased.concern_ids,
                    subjects_destroyed=erased.subjects_destroyed,
                    reason_kind=erased.reason_kind,
                    erased_at=envelope.occurred_at,
                    erased_by_role=erased.erased_by_role.value,
                )
        return None

    async def change_legal_hold(
        self,
        person_id: str,
        *,
        hold: bool,
        reason: str,
        actor: Actor,
        correlation_id: str,
    ) -> LegalHold:
        """Place (`hold`) or lift the legal hold on the person's records, recording
        `LegalHoldPlaced` / `LegalHoldLifted` on her stream with the mark the erasure reads."""

        async def work(tx: Session) -> LegalHold:
            her = await self.people.find_one({"_id": person_id}, session=tx)
            if her is None:
                raise UnknownPerson(f"there is no person {person_id}")
            if her.get("erased_at") is not None:
                raise PersonWasErased(f"person {person_id} was erased")
            if bool(her.get("legal_hold")) == hold:
                raise LegalHoldUnchanged(f"person {person_id}'s hold is already {hold}")
            await self.people.update_one(
                {"_id": person_id},
                {"$set": {"legal_hold": hold}, "$inc": {"changes": 1}},
                session=tx,
            )
            event: DomainEvent = (
                LegalHoldPlaced(person_id=person_id, reason=reason)
                if hold
                else LegalHoldLifted(person_id=person_id, reason=reason)
            )
            await self.store.append(
                person_id,
                await self.store.version(person_id, tx),
                [event],
                Metadata(actor=actor, correlation_id=correlation_id),
                session=tx,
            )
            return LegalHold(person_id=person_id, on_legal_hold=hold)

        return await self._transaction(work)

    async def record(self, concern_id: str) -> ConcernRecord | None:
        history = await self.store.load(concern_id)
        if not history or not isinstance(history[0].payload, ConcernRaised):
            return None
        concern = Concern.rebuild(concern_id, (e.payload for e in history))
        return ConcernRecord(
            concern_id=concern_id,
            reference=concern.reference,
            version=concern.version,
            person_id=concern.person_id,
            linked_to_existing_person=concern.linked_to_existing_person,
            repeat_of_concern_id=concern.repeat_of,
            repeat_of_reference=concern.repeat_of_reference,
            decision=concern.decision,
            raised=history[0].payload,
            history=[
                RecordedEvent(
                    event_type=e.event_type,
                    stream_version=e.stream_version,
                    occurred_at=e.occurred_at,
                    actor_role=e.actor.role.value,
                    actor_id=e.actor.id,
                )
                for e in history
            ],
        )

    # --- the write-side look-ups ------------------------------------------------------------------

    async def _keep_look_ups(
        self,
        concern: Concern,
        changes: Sequence[DomainEvent],
        history: Sequence[Envelope],
        tx: Session,
        *,
        was_about: str | None = None,
    ) -> None:
        for change in changes:
            if isinstance(change, ConcernLinkedToPerson) and change.matched_by is MatchedBy.MANUAL:
                # An erased person is gone: nothing new is joined to her.
                if (
                    await self.people.find_one(
                        {"_id": change.person_id, "erased_at": {"$exists": False}}, session=tx
                    )
                    is None
                ):
                    raise UnknownPerson(f"there is no person {change.person_id}")
                raised = next(e.payload for e in history if isinstance(e.payload, ConcernRaised))
                # The practitioner found these details belong to this person: later concerns
                # with the same details should find them too.
                await self.person_index.update_many(
                    {"_id": {"$in": self.matching_keys.of(raised.person)}},
                    {"$set": {"person_id": change.person_id}},
                    session=tx,
                )
            elif isinstance(change, ConcernUnlinkedFromPerson):
                await self.people.insert_one(
                    {"_id": change.new_person_id, "recorded_at": datetime.now(UTC), "changes": 0},
                    session=tx,
                )
        touched = [p for p in dict.fromkeys((concern.person_id, was_about)) if p]
        for person_id in touched:
            await self.people.update_one(
                {"_id": person_id}, {"$inc": {"changes": 1}}, upsert=True, session=tx
            )
        if len(touched) > 1:
            # Each now holds another set of concerns, with no closure of theirs: a closed
            # concern moved may leave either past her retention period.
            await self.retention_watched.bulk_write(
                [
                    UpdateOne({"_id": p}, {"$set": {"why": CONCERN_MOVED}}, upsert=True)
                    for p in touched
                ],
                session=tx,
            )
        await self.open_concerns.bulk_write([_open_concern_write(concern)], session=tx)

    async def _insert_all(
        self, collection: Collection, documents: Sequence[Document], what: str, tx: Session
    ) -> None:
        if not documents:
            return
        try:
            await collection.insert_many(documents, session=tx)
        except DuplicateKeyError as error:
            raise RecordedConcurrently(what) from error
        except BulkWriteError as error:
            if any(e.get("code") == DUPLICATE_KEY for e in error.details.get("writeErrors", ())):
                raise RecordedConcurrently(what) from error
            raise

    async def _insert(
        self, collection: Collection, document: Document, what: str, tx: Session
    ) -> None:
        try:
            await collection.insert_one(document, session=tx)
        except DuplicateKeyError as error:
            raise RecordedConcurrently(what) from error

    async def _transaction(self, work: Callable[[Session], Awaitable[T]]) -> T:
        backoff = 0.02
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await in_transaction(self.client, work)
            except ConcurrencyError:
                pass
            except PyMongoError as error:
                if not is_transient(error):
                    raise
            if attempt < ATTEMPTS:
                await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
                backoff *= 2
        raise StillBusy("the concern kept changing, or the database was unavailable")


# --- how the look-ups are stored ------------------------------------------------------------------


def _answer(concern: Concern) -> ConcernReceived:
    return ConcernReceived(
        concern_id=concern.concern_id,
        reference=concern.reference,
        status=RECEIVED,
        what_happens_next=what_happens_next(concern.reference),
    )


class _ReceivedBefore(Exception):
    """The submission's record was already there: it was received (and answered) before."""


def _answered_before(
    earlier: Document, fingerprint: str, agency: str, idempotency_key: str | None
) -> Received:
    """The answer given before to the same submission; a different one under the same key is
    refused."""
    if earlier["fingerprint"] != fingerprint:
        raise SubmissionConflict(
            f"the key {idempotency_key!r} was already used by {agency} for a different submission"
        )
    return Received(ConcernReceived.model_validate(earlier["answer"]), replayed=True)


def _received_document(
    received_id: str,
    agency: str,
    key: str,
    fingerprint: str,
    answer: ConcernReceived,
    now: datetime,
) -> Document:
    return {
        "_id": received_id,
        "agency": agency,
        "key": key,
        "fingerprint": fingerprint,
        "answer": answer.model_dump(mode="json"),
        "received_at": now,
    }


def _open_concern(doc: Document) -> OpenConcern:
    return OpenConcern(
        concern_id=doc["_id"],
        reference=doc["reference"],
        person_id=doc["person_id"],
        incident_date=date.fromisoformat(doc["incident_date"]),
        risk_types=frozenset(_RISK_TYPES[r] for r in doc["risk_types"]),
    )


def _open_concern_entry(concern: Concern) -> Document | None:
    """The concern's entry in `open_concerns` as it is now: there while it is open."""
    still_open = concern.as_open_concern()
    if still_open is None:
        return None
    return {
        "_id": concern.concern_id,
        "person_id": still_open.person_id,
        "reference": still_open.reference,
        "incident_date": still_open.incident_date.isoformat(),
        "risk_types": sorted(r.value for r in still_open.risk_types),
    }


def _open_concern_write(concern: Concern) -> ReplaceOne[Document] | DeleteOne:
    entry = _open_concern_entry(concern)
    if entry is None:
        return DeleteOne({"_id": concern.concern_id})
    return ReplaceOne({"_id": concern.concern_id}, entry, upsert=True)


async def _find_in(
    collection: Collection, values: Sequence[str], tx: Session, *, field: str = "_id"
) -> list[Document]:
    """The documents whose `field` is one of `values`, in small `$in` lists (the test server's
    cost grows with the square of a list's length)."""
    found: list[Document] = []
    for start in range(0, len(values), IN_LIST):
        part = list(values[start : start + IN_LIST])
        found.extend(await collection.find({field: {"$in": part}}, session=tx).to_list())
    return found
