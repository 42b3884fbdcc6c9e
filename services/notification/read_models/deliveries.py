"""Pending deliveries: one message to one recipient about one step, rendered when the step was
decided, and what became of it.

The informing reaction writes one pending delivery per recipient of a step (`_id` = the delivery
reference, `<step event id>.<role>`), in the same transaction as its decision; the delivery worker
claims and finishes them; the communications log shows the ones still waiting.

Once a provider accepted a message, the delivery keeps a reference to it, not the message: the
rendered text (`MESSAGE_FIELDS`) is removed, and what the council keeps is the provider's
reference, the channel, when, and the SHA-256 of the text sent (`sent_sha256`), which proves what
was sent against a copy produced later. What the person was told stays in `PersonInformed`
(`message_summary`) and her timeline. A delivery not yet accepted keeps its message for retries.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pymongo import ASCENDING, UpdateOne

from services.notification.adapters.delivery import OutgoingMessage
from services.notification.domain.informing_record import StepSeen
from shared.events.notification import Channel, MessageFormat, RecipientRole
from shared.mongo import Database, Document, Session, drop_replaced_indexes, in_transaction
from shared.wakeup import inserted_into


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    WITHHELD = "withheld"
    PRACTITIONER_CONTACT = "practitioner_contact"
    NO_LONGER_CHOSEN = "no_longer_chosen"
    ALREADY_TOLD = "already_told"
    MOVED = "moved"
    """The concern was moved to another person before this was sent: it never goes."""
    ERASED = "erased"
    """The person was erased before this was sent: it never goes."""


MESSAGE_FIELDS = ("subject", "body", "email_subject", "sms")
"""What a delivery holds of the message itself, removed once a provider accepted it."""


class MessageNotKept(Exception):
    """The message was accepted by a provider and is no longer kept: it is never sent again."""


class Delivery(BaseModel):
    """One message to one recipient about one step, rendered when the step was decided."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str
    person_id: str
    source_event_id: str
    source_event_type: str
    case_id: str | None
    concern_id: str | None
    role: RecipientRole
    format: MessageFormat
    template: str
    subject: str | None = None
    body: str | None = None
    """The rendered message (with `subject`, `email_subject`, `sms`) until a provider accepts it;
    then removed."""
    email_subject: str | None = None
    sms: str | None = None
    told_about: str
    channel: Channel
    """The channel chosen when the step was decided; the route is chosen again when sending."""
    correlation_id: str
    created_at: AwareDatetime
    step_occurred_at: AwareDatetime | None = None
    """When the step it is about happened: orders one person's messages made at the same moment
    (steps that waited for one safe-contact decision are settled together), so she hears of the
    concern before the decision about it."""
    status: DeliveryStatus = DeliveryStatus.PENDING
    rounds: int = 0
    next_attempt_at: AwareDatetime
    claimed_until: AwareDatetime | None = None
    claimed_by: str | None = None
    claim: str | None = None
    """Which of its worker's claims took it (one claim is one batch)."""
    provider_reference: str | None = None
    """Set as soon as a provider accepted the message (before PersonInformed is recorded)."""
    channel_used: Channel | None = None
    accepted_at: AwareDatetime | None = None
    sent_sha256: str | None = None
    """The SHA-256 of the text sent (`OutgoingMessage.sha256_sent_by`), kept instead of it."""
    finished_at: AwareDatetime | None = None

    @property
    def message(self) -> OutgoingMessage:
        if self.subject is None or self.body is None:
            raise MessageNotKept(self.reference)
        return OutgoingMessage(
            reference=self.reference,
            subject=self.subject,
            body=self.body,
            email_subject=self.email_subject,
            sms=self.sms,
        )

    @property
    def step(self) -> StepSeen:
        return StepSeen(self.source_event_id, self.source_event_type, self.case_id, self.concern_id)

    def as_document(self) -> Document:
        document: Document = self.model_dump(mode="json")
        document["_id"] = document.pop("reference")
        for name in (
            "created_at",
            "step_occurred_at",
            "next_attempt_at",
            "claimed_until",
            "accepted_at",
            "finished_at",
        ):
            document[name] = getattr(self, name)
        return document

    @classmethod
    def from_document(cls, document: Document) -> Delivery:
        fields = {k: v for k, v in document.items() if k != "_id"}
        return cls.model_validate(fields | {"reference": document["_id"]})


IN_ORDER: Final = [("created_at", ASCENDING), ("step_occurred_at", ASCENDING)]
"""One person's messages in the order of the steps they are about."""
PENDING: Final[Document] = {"status": DeliveryStatus.PENDING.value}
PENDING_INDEX: Final = "pending_by_next_attempt_at"
REPLACED_DELIVERY_INDEXES: Final = ("status_1_next_attempt_at_1",)
"""The index before `PENDING_INDEX`, dropped where found."""


class Deliveries:
    def __init__(self, database: Database) -> None:
        self.collection = database["deliveries"]

    async def ensure_indexes(self) -> None:
        # Only the pending deliveries, which the worker claims from, are indexed by when they
        # are due: finishing one takes it out, where an index led by `status` was rewritten
        # (as the outbox's pending entries are indexed, `shared.eventstore`).
        await self.collection.create_index(
            [("next_attempt_at", ASCENDING)], name=PENDING_INDEX, partialFilterExpression=PENDING
        )
        await self.collection.create_index([("person_id", ASCENDING), *IN_ORDER])
        await drop_replaced_indexes(self.collection, REPLACED_DELIVERY_INDEXES)

    async def add(self, delivery: Delivery, session: Session) -> None:
        """Idempotent: a delivery with this reference already stored is left as it is."""
        await self.collection.update_one(
            {"_id": delivery.reference},
            {"$setOnInsert": delivery.as_document()},
            upsert=True,
            session=session,
        )
        inserted_into(self.collection, session)

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, worker: str
    ) -> list[Delivery]:
        """Claim up to `limit` due deliveries for `worker` until `lease_until`; a worker that
        dies holding one lets it go when the lease ends."""
        while True:
            candidates = []
            # Closed on leaving, so a cursor left with more due deliveries is not kept open on
            # the server until it is collected.
            async with self.collection.find(
                due_at(now), projection={"_id": 1, "claimed_until": 1}
            ).sort(IN_ORDER) as due:
                async for document in due:
                    if unclaimed_at(document, now):
                        candidates.append(document["_id"])
                        if len(candidates) == limit:
                            break
            if not candidates:
                return []
            claim: Document = {
                "claimed_until": lease_until,
                "claimed_by": worker,
                "claim": f"{worker}/{uuid.uuid4()}",
            }
            claimed = await self._change_where(candidates, lambda d: claimable_at(d, now), claim)
            if claimed:
                return [Delivery.from_document(document) for document in claimed]
            # Another worker claimed all of them first: look again for any it left.

    async def extend_claims(self, references: list[str], worker: str, until: datetime) -> None:
        """Renew `worker`'s claims on these deliveries (the ones it still works on)."""
        await self._change_where(
            references,
            lambda d: d.get("claimed_by") == worker and d["status"] == DeliveryStatus.PENDING,
            {"claimed_until": until},
        )

    async def _change_where(
        self, references: list[str], condition: Callable[[Document], bool], change: Document
    ) -> list[Document]:
        """Set `change` on those of these deliveries that meet `condition`, and return them as
        changed, in order. Read by reference and written in a transaction of the worker's own:
        a delivery another transaction changed after this one read it fails the write (a write
        conflict, tried again at once), so the condition holds for what is written. Nothing
        else is asked of the server, which on the MongoDB-wire test server would scan the whole
        collection for a query by `_id` and another field. A conflict with a transaction
        recording a delivery fails at once too, where outside a transaction the test server
        retries it without end while holding the collection (seen under a steady 20
        concerns/s)."""

        async def work(session: Session) -> list[Document]:
            meeting = [
                document
                async for document in self.collection.find(
                    {"_id": {"$in": references}}, session=session
                ).sort(IN_ORDER)
                if condition(document)
            ]
            if meeting:
                await self.collection.update_many(
                    {"_id": {"$in": [document["_id"] for document in meeting]}},
                    {"$set": change},
                    session=session,
                )
            return [document | change for document in meeting]

        return await in_transaction(self.collection.database.client, work)

    async def accepted(self, acceptances: Sequence[UpdateOne]) -> None:
        """Providers accepted these messages (`acceptance`), with one write: never send them
        again, whatever happens next, and keep a reference to each instead of the message."""
        if acceptances:
            await self.collection.bulk_write(list(acceptances), ordered=False)

    async def finish(
        self,
        reference: str,
        status: DeliveryStatus,
        now: datetime,
        session: Session,
        *,
        provider_reference: str | None = None,
        channel_used: Channel | None = None,
    ) -> None:
        await self.write_all(
            [finished(reference, status, now, provider_reference, channel_used)], session
        )

    async def write_all(self, changes: Sequence[UpdateOne], session: Session) -> None:
        """Changes to deliveries (`finished`, `to_try_again`), in order, with one write."""
        if changes:
            await self.collection.bulk_write(list(changes), session=session)

    async def get(self, reference: str) -> Delivery | None:
        document = await self.collection.find_one({"_id": reference})
        return Delivery.from_document(document) if document else None

    async def pending(self) -> int:
        return await self.collection.count_documents(PENDING)

    async def stop_about(
        self, person_id: str, concern_id: str, now: datetime, session: Session
    ) -> int:
        """Stop every message still waiting to go to this person about this concern (it was
        moved to someone else); return how many."""
        stopped = [
            document["_id"]
            for document in await self._of_person(person_id, session)
            if document.get("concern_id") == concern_id
            and document["status"] == DeliveryStatus.PENDING
        ]
        await self._set(
            stopped, {"status": DeliveryStatus.MOVED.value, "finished_at": now}, session
        )
        return len(stopped)

    async def erase_person(self, person_id: str, now: datetime, session: Session) -> list[str]:
        """The person was erased: nothing still waiting goes to her (or those she chose), and
        no message to her is kept, only its reference, channel, times and hash. Returns every
        delivery's reference (their letters leave the print queue too)."""
        hers = await self._of_person(person_id, session)
        await self._set(
            [d["_id"] for d in hers if d["status"] == DeliveryStatus.PENDING],
            {"status": DeliveryStatus.ERASED.value, "finished_at": now},
            session,
        )
        await self.collection.update_many(
            {"person_id": person_id},
            {"$unset": dict.fromkeys(MESSAGE_FIELDS, "")},
            session=session,
        )
        return [str(document["_id"]) for document in hers]

    async def _of_person(self, person_id: str, session: Session) -> list[Document]:
        """The reference, concern and status of each delivery to this person (or those she
        chose), read by person: which to change is chosen from these, as the test server would
        read every delivery for a query on fields besides the person."""
        cursor = self.collection.find(
            {"person_id": person_id}, {"concern_id": 1, "status": 1}, session=session
        )
        return await cursor.to_list()

    async def _set(self, references: list[str], change: Document, session: Session) -> None:
        if references:
            await self.collection.update_many(
                {"_id": {"$in": references}}, {"$set": change}, session=session
            )

    async def for_person(self, person_id: str) -> list[Delivery]:
        cursor = self.collection.find({"person_id": person_id}).sort(IN_ORDER)
        return [Delivery.from_document(d) async for d in cursor]


def due_at(now: datetime) -> Document:
    """The pending deliveries due at `now`, claimed or not: a query the index of pending
    deliveries serves alone."""
    return {**PENDING, "next_attempt_at": {"$lte": now}}


def unclaimed_at(document: Document, now: datetime) -> bool:
    """Claimed by no worker at `now`: never, or by one whose lease has ended."""
    claimed_until = document.get("claimed_until")
    return claimed_until is None or claimed_until <= now


def claimable_at(document: Document, now: datetime) -> bool:
    """A delivery a worker may claim at `now`: pending, due and unclaimed."""
    return (
        document["status"] == DeliveryStatus.PENDING
        and document["next_attempt_at"] <= now
        and unclaimed_at(document, now)
    )


def finished(
    reference: str,
    status: DeliveryStatus,
    now: datetime,
    provider_reference: str | None = None,
    channel_used: Channel | None = None,
) -> UpdateOne:
    """The change that finishes a delivery."""
    change: Document = {
        "$set": {
            "status": status.value,
            "finished_at": now,
            "claimed_until": None,
            "provider_reference": provider_reference,
            "channel_used": channel_used.value if channel_used else None,
        }
    }
    if status is DeliveryStatus.DELIVERED:
        # Already removed when the provider accepted it; this covers deliveries accepted
        # before that was so.
        change["$unset"] = dict.fromkeys(MESSAGE_FIELDS, "")
    return UpdateOne({"_id": reference}, change)


def acceptance(
    delivery: Delivery, provider_reference: str, channel: Channel, now: datetime
) -> UpdateOne:
    """The change that records a provider's acceptance of a delivery's message."""
    return UpdateOne(
        {"_id": delivery.reference},
        {
            "$set": {
                "provider_reference": provider_reference,
                "channel_used": channel.value,
                "accepted_at": now,
                "sent_sha256": delivery.message.sha256_sent_by(channel),
            },
            "$unset": dict.fromkeys(MESSAGE_FIELDS, ""),
        },
    )


def to_try_again(reference: str, rounds: int, next_attempt_at: datetime) -> UpdateOne:
    """The change that leaves a delivery to be tried again at `next_attempt_at`."""
    return UpdateOne(
        {"_id": reference},
        {"$set": {"rounds": rounds, "next_attempt_at": next_attempt_at, "claimed_until": None}},
    )
