"""The delivery worker: sends the pending deliveries (`read_models.deliveries`).

The informing reaction writes one pending delivery per recipient of a step (`_id` = the delivery
reference, `<step event id>.<role>`), in the same transaction as its decision. The worker claims
due deliveries, checks once more that the message may go (the concern still about this person,
nothing withheld since, the route still confirmed and safe under the preferences and everything
known about the alleged sources of risk as they are now), sends it, and then, in ONE transaction
for the claimed batch, records PersonInformed (or NotificationFailed, InformingWithheld,
PractitionerContactRequired) and marks each delivery finished. The check before each message reads
what is on record just before that message goes, never what the batch read at its start: the
messages that start together are checked together, with one read of each kind, and a person's next
message only once the one before it went.

PersonInformed's id is derived from the delivery reference, so however often a delivery is
attempted (Kafka redelivery, two workers, a crash between sending and recording), the person is
recorded as informed once. As soon as a provider accepts a message, that is written on the
delivery (with the acceptances of other messages that ended while the write before it was under
way: `Acceptances`), so a failure to record it (or a crash after that write) only records it
later, and never sends it again. What cannot be prevented is the provider receiving the message
a second time when a worker dies between the provider's answer and that write: the message then
carries the same reference (Notify's `reference`, the SMTP Message-ID, the print queue's key), so
the provider, mail systems and the print room can recognise it as the same message.

A worker claims deliveries for a short lease and renews it while it works on them, so the claims
of a worker that died pass to another (or to it, restarted) within `lease_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pymongo import UpdateOne
from pymongo.errors import PyMongoError

from services.notification.adapters.delivery import (
    Delivered,
    DeliveryFailed,
    RetryPolicy,
    Sender,
    deliver,
)
from services.notification.application.informing_stream import in_informing_transaction
from services.notification.application.metrics import DELIVERIES_PENDING
from services.notification.domain.informing_record import (
    InformingRecord,
    derived_event_id,
    informed_event_id,
    practitioner_contact_required,
)
from services.notification.domain.safety import PractitionerContact, Route
from services.notification.domain.steps import ConcernFacts, uk_today
from services.notification.read_models.case_index import CaseIndex
from services.notification.read_models.decisions import Decisions, recipient_done, step_done
from services.notification.read_models.deliveries import (
    Deliveries,
    Delivery,
    DeliveryStatus,
    acceptance,
    finished,
    to_try_again,
)
from shared.events import DomainEvent, Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.notification import (
    Channel,
    InformingWithheld,
    PersonInformed,
    informing_stream,
)
from shared.eventstore import EventStore, StreamAppend
from shared.mongo import Client, Session
from shared.progress import WorkerProgress
from shared.wakeup import InsertSignal

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class WithheldNow:
    """A withholding recorded after the step was decided now covers it."""

    withholding: InformingWithheld
    event: InformingWithheld | None


@dataclass(frozen=True)
class NoLongerChosen:
    """The recipient is no longer chosen to be told (the person changed their preferences)."""


@dataclass(frozen=True)
class AlreadyTold:
    """A practitioner recorded telling them meanwhile."""


@dataclass(frozen=True)
class Moved:
    """The concern was moved to another person: this one must hear nothing more about it."""


@dataclass(frozen=True)
class SentBefore:
    """A provider accepted this message on an earlier attempt that could not record it."""

    provider_reference: str
    channel: Channel


NotSent = SentBefore | WithheldNow | PractitionerContact | NoLongerChosen | AlreadyTold | Moved
"""Why a delivery ends without a message going now."""

Check = NotSent | Route
"""A delivery checked just before it goes: why it ends without sending, or the route it takes."""

Attempt = Delivered | DeliveryFailed | NotSent


@dataclass
class DeliveryWorker:
    client: Client
    store: EventStore
    deliveries: Deliveries
    decisions: Decisions
    index: CaseIndex
    senders: Mapping[Channel, Sender]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = field(default=lambda: datetime.now(UTC))
    interval_seconds: float = 1.0
    lease_seconds: float = 30.0
    """How long a claim lasts unless renewed; renewed every third of it while the worker works."""
    batch_size: int = 100
    """Deliveries claimed at a time (with three statements)."""
    concurrency: int = 16
    """Deliveries worked on at once (provider calls in flight): a bound, so a large batch
    neither floods a provider nor holds a connection each."""
    max_rounds: int = 8
    """Rounds of passing failures before a delivery is given up (each round retries itself)."""
    progress: WorkerProgress = field(
        default_factory=lambda: WorkerProgress("notification:delivery-worker", 60.0)
    )
    worker_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    acceptances: Acceptances = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.acceptances = Acceptances(self.deliveries)

    async def run(self) -> None:
        """Deliver until cancelled; an unreachable database is waited out. Wakes as soon as a
        delivery is written (the person should hear promptly), and polls for retries that
        come due."""
        inserted = InsertSignal(self.deliveries.collection, self.interval_seconds)
        watcher = asyncio.create_task(inserted.watch())
        try:
            while True:
                try:
                    self.progress.working()
                    while await self.deliver_due():
                        self.progress.advanced()
                    DELIVERIES_PENDING.set(await self.deliveries.pending())
                    self.progress.idle()
                except (PyMongoError, OSError) as error:
                    log.warning("delivery worker will retry", extra={"error": error})
                await inserted.wait()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def deliver_due(self) -> int:
        """Deliver one batch of due deliveries; return how many were handled."""
        now = self.clock()
        due = await self.deliveries.claim_due(
            now, now + timedelta(seconds=self.lease_seconds), self.batch_size, self.worker_id
        )
        working = {delivery.reference for delivery in due}
        renewing = asyncio.create_task(self._keep_claims(working))
        try:
            await self._record_batch(await self._attempt_all(due, working))
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        return len(due)

    async def _attempt_all(
        self, due: Sequence[Delivery], working: set[str]
    ) -> list[tuple[Delivery, Attempt]]:
        """Attempt every delivery, at most `concurrency` at once. One person's messages go one
        at a time, in the order of the steps they are about; different people's go side by side,
        so one slow provider call holds nobody else up. Whenever deliveries can start, what may
        still be sent is read for all of them together, just before they go."""
        waiting: dict[str, deque[Delivery]] = {}
        for delivery in due:
            waiting.setdefault(delivery.person_id, deque()).append(delivery)
        running: dict[asyncio.Task[Attempt], Delivery] = {}
        attempts: list[tuple[Delivery, Attempt]] = []
        try:
            while waiting or running:
                starting = _next_to_start(waiting, running.values(), self.concurrency)
                if starting:
                    attempts_now = await self._attempts(starting)
                    for delivery, attempt in zip(starting, attempts_now, strict=True):
                        running[asyncio.create_task(attempt)] = delivery
                if not running:
                    continue
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    delivery = running.pop(task)
                    try:
                        attempts.append((delivery, task.result()))
                    except Exception as error:
                        working.discard(delivery.reference)
                        self._failed_unexpectedly(delivery, error)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        return attempts

    async def _attempts(self, starting: list[Delivery]) -> list[Coroutine[None, None, Attempt]]:
        """Each delivery's attempt, checked together. When they cannot be checked together (one
        of them unreadable, or the database unavailable), each is checked alone in its own
        attempt, so one that cannot be sent holds up no other."""
        try:
            checks = await self.checks(starting)
        except Exception as error:
            log.info(
                "deliveries are checked one by one",
                extra={"deliveries": len(starting), "error": error},
            )
            return [self.attempt_and_keep(delivery) for delivery in starting]
        return [
            self._send_and_keep(delivery, check)
            for delivery, check in zip(starting, checks, strict=True)
        ]

    async def _keep_claims(self, working: set[str]) -> None:
        """Renew this worker's claims on the deliveries it is still working on."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not working:
                continue
            try:
                await self.deliveries.extend_claims(
                    sorted(working),
                    self.worker_id,
                    self.clock() + timedelta(seconds=self.lease_seconds),
                )
            except PyMongoError as error:
                log.warning("delivery claims not renewed", extra={"error": error})

    async def _record_batch(self, attempts: list[tuple[Delivery, Attempt]]) -> None:
        """Record the batch's attempts together; when that fails, each alone, so one that
        cannot be recorded (its person erased meanwhile) holds up no other."""
        if len(attempts) > 1:
            try:
                await self.record_all(attempts)
                return
            except Exception as error:
                log.info(
                    "a batch of deliveries is recorded one by one",
                    extra={"deliveries": len(attempts), "error": error},
                )
        for delivery, attempt in attempts:
            try:
                await self.record(delivery, attempt)
            except Exception as error:
                self._failed_unexpectedly(delivery, error)

    @staticmethod
    def _failed_unexpectedly(delivery: Delivery, error: Exception) -> None:
        log.error(
            "delivery failed unexpectedly; it is tried again when its lease ends",
            extra={"reference": delivery.reference, "error": error},
        )

    async def attempt_and_keep(self, delivery: Delivery) -> Attempt:
        """`attempt`, and once a provider accepted the message, write that at once, outside
        the recording transaction: if recording fails, the next attempt records this send
        instead of sending again."""
        return await self._send_and_keep(delivery, (await self.checks([delivery]))[0])

    async def attempt(self, delivery: Delivery) -> Attempt:
        """Decide again whether and how the message may go, and send it. Records nothing."""
        return await self._send(delivery, (await self.checks([delivery]))[0])

    async def _send_and_keep(self, delivery: Delivery, check: Check) -> Attempt:
        attempt = await self._send(delivery, check)
        if isinstance(attempt, Delivered):
            await self.acceptances.keep(
                acceptance(
                    delivery, attempt.provider_reference, attempt.route.channel, self.clock()
                )
            )
        return attempt

    async def _send(self, delivery: Delivery, check: Check) -> Attempt:
        if isinstance(check, Route):
            return await deliver(delivery.message, check, self.senders, policy=self.retry)
        return check

    async def checks(self, deliveries: Sequence[Delivery]) -> list[Check]:
        """For each delivery, checked against what is on record now: why it must not go, or
        the route it goes along. One look-up each of the deliveries' concerns and of their
        people's informing streams (with the keys that open them), whatever their number."""
        to_check = [d for d in deliveries if d.provider_reference is None or d.channel_used is None]
        concern_ids = [d.concern_id for d in to_check if d.concern_id is not None]
        concerns = await self.index.concerns_among(concern_ids) if concern_ids else {}
        histories = (
            await self.store.load_streams(sorted({informing_stream(d.person_id) for d in to_check}))
            if to_check
            else {}
        )
        today = uk_today(self.clock())
        return [
            self._check(
                delivery,
                concerns.get(delivery.concern_id) if delivery.concern_id is not None else None,
                histories.get(informing_stream(delivery.person_id), []),
                today,
            )
            for delivery in deliveries
        ]

    @staticmethod
    def _check(
        delivery: Delivery, concern: ConcernFacts | None, history: list[Envelope], today: date
    ) -> Check:
        if delivery.provider_reference is not None and delivery.channel_used is not None:
            return SentBefore(delivery.provider_reference, delivery.channel_used)
        if concern is not None and concern.person_id != delivery.person_id:
            return Moved()
        record = InformingRecord.from_history(delivery.person_id, history)
        withholding = record.withholding_for(delivery.source_event_id, today)
        if withholding is not None:
            return WithheldNow(withholding, record.withheld_step(delivery.step, withholding))
        if (delivery.source_event_id, delivery.role) in record.informed:
            return AlreadyTold()
        # The preferences as they are now: a contact point marked unsafe, or a source of risk
        # named, since the step was decided must not be used.
        route = record.route_now(delivery.role, delivery.concern_id)
        if route is None:
            return NoLongerChosen()
        return route

    async def record(self, delivery: Delivery, attempt: Attempt) -> None:
        """Record what happened and finish the delivery, in one transaction."""
        await self.record_all([(delivery, attempt)])

    async def record_all(self, attempts: Sequence[tuple[Delivery, Attempt]]) -> None:
        """Record what happened to each delivery and finish it, all in one transaction: one
        look-up of the events' ids and one of the streams' versions, one `append_streams`, one
        write of deliveries and one of decisions. An event already recorded (a retry after a
        crash) is not recorded again; a stream that moved on meanwhile makes the whole
        transaction start again."""

        async def work(session: Session) -> None:
            now = self.clock()
            recordings = [self.recording(delivery, attempt, now) for delivery, attempt in attempts]
            events = [r for r in recordings if r.event is not None]
            recorded = await self.store.recorded_among([r.event_id for r in events], session)
            fresh: list[Recording] = []
            for r in events:
                if r.event_id not in recorded:
                    recorded.add(r.event_id)
                    fresh.append(r)
            if fresh:
                versions = await self.store.versions(
                    sorted({informing_stream(r.person_id) for r in fresh}), session
                )
                appends: list[StreamAppend] = []
                for r in fresh:
                    assert r.event is not None
                    stream = informing_stream(r.person_id)
                    appends.append(
                        StreamAppend(stream, versions[stream], [r.event], r.metadata, [r.event_id])
                    )
                    versions[stream] += 1
                await self.store.append_streams(appends, session=session, read_in_session=True)
            await self.deliveries.write_all([r.delivery for r in recordings], session)
            await self.decisions.write_all(
                [r.decision for r in recordings if r.decision is not None], session
            )

        await in_informing_transaction(self.client, work)

    def recording(self, delivery: Delivery, attempt: Attempt, now: datetime) -> Recording:
        """What recording this attempt writes: the event on the person's informing stream,
        and how the delivery and its step's decision change."""
        metadata = Metadata(
            actor=SYSTEM_ACTOR,
            correlation_id=delivery.correlation_id,
            causation_id=delivery.source_event_id,
        )
        reference = delivery.reference
        told = recipient_done(delivery.source_event_id, delivery.role)

        def record_as(
            event: DomainEvent | None, event_id: str, change: UpdateOne, decision: UpdateOne | None
        ) -> Recording:
            return Recording(delivery.person_id, event, event_id, metadata, change, decision)

        if isinstance(attempt, Delivered | SentBefore):
            channel = attempt.route.channel if isinstance(attempt, Delivered) else attempt.channel
            informed = PersonInformed(
                person_id=delivery.person_id,
                source_event_id=delivery.source_event_id,
                source_event_type=delivery.source_event_type,
                case_id=delivery.case_id,
                concern_id=delivery.concern_id,
                recipient_role=delivery.role,
                channel=channel,
                format=delivery.format,
                informed_at=now,
                provider_reference=attempt.provider_reference[:200],
                message_summary=delivery.told_about[:500],
            )
            return record_as(
                informed,
                informed_event_id(delivery.source_event_id, delivery.role),
                finished(
                    reference,
                    DeliveryStatus.DELIVERED,
                    now,
                    provider_reference=attempt.provider_reference,
                    channel_used=channel,
                ),
                told,
            )
        if isinstance(attempt, DeliveryFailed):
            # The person has not been told: the step stays pending, so it becomes overdue for a
            # practitioner to act on if nothing else gets through.
            rounds = delivery.rounds + 1
            failed = attempt.as_event(
                person_id=delivery.person_id,
                source_event_id=delivery.source_event_id,
                source_event_type=delivery.source_event_type,
                case_id=delivery.case_id,
                concern_id=delivery.concern_id,
            )
            if attempt.permanent:
                return record_as(
                    failed,
                    derived_event_id("failed", reference),
                    finished(reference, DeliveryStatus.FAILED, now),
                    None,
                )
            wait = timedelta(minutes=min(2**rounds, 60))
            return record_as(
                failed,
                derived_event_id("failed", reference, str(rounds)),
                finished(reference, DeliveryStatus.FAILED, now)
                if rounds >= self.max_rounds
                else to_try_again(reference, rounds, now + wait),
                None,
            )
        if isinstance(attempt, WithheldNow):
            return record_as(
                attempt.event,
                derived_event_id("withheld", delivery.source_event_id),
                finished(reference, DeliveryStatus.WITHHELD, now),
                step_done(delivery.source_event_id),
            )
        if isinstance(attempt, PractitionerContact):
            return record_as(
                practitioner_contact_required(
                    delivery.step, delivery.person_id, attempt, delivery.told_about
                ),
                derived_event_id(
                    "practitioner-contact", delivery.source_event_id, delivery.role.value
                ),
                finished(reference, DeliveryStatus.PRACTITIONER_CONTACT, now),
                told,
            )
        status = {
            AlreadyTold: DeliveryStatus.ALREADY_TOLD,
            Moved: DeliveryStatus.MOVED,
            NoLongerChosen: DeliveryStatus.NO_LONGER_CHOSEN,
        }[type(attempt)]
        return record_as(None, "", finished(reference, status, now), told)


@dataclass(frozen=True)
class Recording:
    """What recording one delivery's attempt writes."""

    person_id: str
    event: DomainEvent | None
    """On the person's informing stream, under `event_id`; None when nothing is recorded."""
    event_id: str
    metadata: Metadata
    delivery: UpdateOne
    decision: UpdateOne | None


class AcceptanceNotKept(Exception):
    """The write that was to keep a provider's acceptance failed or was interrupted."""


@dataclass
class Acceptances:
    """Providers' acceptances, each written as soon as it can be. One that comes while a write
    is under way goes in the next write, with every other that came meanwhile, which starts as
    soon as that one ends: messages sent together cost one write, and none waits longer for its
    own to start than the one write under way."""

    deliveries: Deliveries
    _waiting: list[tuple[UpdateOne, asyncio.Future[None]]] = field(default_factory=list)
    _writing: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def keep(self, change: UpdateOne) -> None:
        """Return once `change` (an `acceptance`) is written; raise if its write failed."""
        kept: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((change, kept))
        async with self._writing:
            if not kept.done():  # no write since it came took it: this one takes all waiting
                taken, self._waiting = self._waiting, []
                try:
                    await self.deliveries.accepted([change for change, _ in taken])
                except BaseException as error:
                    for _, waiter in taken:
                        if waiter is kept or waiter.done():
                            waiter.cancel()  # its own error is raised here instead
                        else:
                            waiter.set_exception(AcceptanceNotKept(type(error).__name__))
                    raise
                for _, waiter in taken:
                    if not waiter.done():
                        waiter.set_result(None)
        await kept


def _next_to_start(
    waiting: dict[str, deque[Delivery]], running: Iterable[Delivery], concurrency: int
) -> list[Delivery]:
    """The deliveries to start now, taken from `waiting`: the next of each person with none
    under way, in the order their people came, as many as there is room for."""
    busy = {delivery.person_id for delivery in running}
    room = concurrency - len(busy)  # one under way per person at most
    starting: list[Delivery] = []
    for person_id, queue in list(waiting.items()):
        if len(starting) >= room:
            break
        if person_id in busy:
            continue
        starting.append(queue.popleft())
        if not queue:
            del waiting[person_id]
    return starting
