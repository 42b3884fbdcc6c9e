"""Wires one service together: MongoDB, its event store and outbox relay, its consumers,
and its lifecycle inside the FastAPI app (the `bootstrap` of the service)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from shared.access import AccessAudit, AccessGate
from shared.config import ServiceSettings
from shared.deadletter import DeadLetters
from shared.events import Envelope
from shared.eventstore import EventStore
from shared.identity import StaffTokens
from shared.instances import Instances
from shared.kafka import producer
from shared.keyring import Keyring, LocalKeyWrapper
from shared.mongo import Client, ServiceDatabase, connect, create_collections
from shared.outbox import OutboxRelay, PublishedOutboxPurge
from shared.progress import WorkerProgress
from shared.projection import HeldStream, MessageHandler, Projection, ProjectionRunner, rebuild

log = logging.getLogger(__name__)


class RebuildRunning(Exception):
    """A rebuild of this projection is already under way."""


@dataclass(frozen=True)
class Health:
    checks: dict[str, bool]
    """database, broker, workers (all running, none stuck)."""
    workers: dict[str, dict[str, float | bool | None]]
    """Each worker's progress: stuck, seconds on its current work, since its last progress."""

    @property
    def ready(self) -> bool:
        return all(self.checks.values())


@dataclass
class ServiceRuntime:
    """Everything a service needs at run time. Build with `ServiceRuntime.create`, then
    `start()`/`stop()` (or use `lifespan` with FastAPI)."""

    name: str
    settings: ServiceSettings
    client: Client
    database: ServiceDatabase
    store: EventStore
    producer: AIOKafkaProducer
    staff: StaffTokens
    access: AccessGate
    handlers: list[MessageHandler[Any]] = field(default_factory=list)
    background: list[Callable[[], object]] = field(default_factory=list)
    preparations: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    runners: dict[str, ProjectionRunner[Any]] = field(default_factory=dict)
    progress: dict[str, WorkerProgress] = field(default_factory=dict)
    instances: Instances = field(init=False)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _started: bool = False

    @classmethod
    def create(cls, name: str, settings: ServiceSettings, events_topic: str) -> ServiceRuntime:
        client = connect(settings.mongodb_uri, counted=True)
        database = ServiceDatabase(client, settings.mongodb_database)
        access = AccessGate(AccessAudit.of(database), settings.unallocated_case_team)
        keyring = Keyring(
            client[settings.keyring_database], LocalKeyWrapper(settings.key_encryption_secret)
        )
        return cls(
            name=name,
            settings=settings,
            client=client,
            database=database,
            store=EventStore(client, database, events_topic, keyring=keyring),
            producer=producer(settings.kafka, client_id=name),
            staff=StaffTokens(settings, gate=access),
            access=access,
        )

    def __post_init__(self) -> None:
        self.instances = Instances(self.client, self.database["instances"], self.name)

    def consume(self, handler: MessageHandler[Any]) -> None:
        """Run `handler` as its own consumer group once the service starts."""
        self.handlers.append(handler)

    def run_in_background(self, job: Callable[[], object]) -> None:
        """Run a long-lived coroutine function (e.g. a scheduler) while the service runs."""
        self.background.append(job)

    def worker_progress(self, name: str) -> WorkerProgress:
        """The progress of a worker, watched by `/health` (a stuck worker makes it 503)."""
        if name not in self.progress:
            self.progress[name] = WorkerProgress(name, self.settings.worker_stuck_after_seconds)
        return self.progress[name]

    def prepare(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run `step` (e.g. making a read model's indexes) when the service starts, after its
        collections exist and before anything of it consumes, publishes or answers."""
        self.preparations.append(step)

    async def start(self) -> None:
        workers: dict[str, Callable[[], Awaitable[None]]] = {}
        for handler in self.handlers:
            group = self.settings.consumer_group(handler.name)
            runner: ProjectionRunner[Any] = ProjectionRunner(
                handler,
                client=self.client,
                kafka=self.settings.kafka,
                group_id=group,
                dead_letters=DeadLetters(self.producer, group),
                # A handler whose per-message work is heavy asks for smaller batches, so that one
                # batch stays well inside MongoDB's transaction time limit.
                batch_size=getattr(handler, "batch_size", 500),
                stuck_after_seconds=self.settings.worker_stuck_after_seconds,
                keyring=self.store.keyring,
            )
            self.runners[handler.name] = runner
            self.progress[handler.name] = runner.progress
            workers[handler.name] = runner.run
        workers["instances"] = self.instances.run
        relay = OutboxRelay(
            self.store.outbox,
            self.settings.kafka,
            service=self.name,
            transactional_id=self.settings.consumer_group("outbox-relay"),
            progress=self.worker_progress("outbox-relay"),
        )
        workers["outbox-relay"] = relay.run
        purge = PublishedOutboxPurge(
            self.store.outbox,
            keep_published=timedelta(seconds=self.settings.outbox_keep_published_seconds),
            progress=self.worker_progress("outbox-purge"),
        )
        workers["outbox-purge"] = purge.run
        # Every part is built, so every collection is named: make them, then the indexes, while
        # nothing of this service writes.
        read_models = [
            name
            for handler in self.handlers
            if isinstance(handler, Projection)
            for name in handler.read_models
        ]
        await create_collections(self.database, {*self.database.named, *read_models})
        if self.store.keyring is not None:
            await self.store.keyring.ensure_collection()
        await self.store.ensure_indexes()
        await self.access.audit.ensure_indexes()
        for step in self.preparations:
            await step()
        await self.producer.start()
        for name, work in workers.items():
            self._spawn(name, work)
        for i, job in enumerate(self.background):
            self._spawn(f"background-{i}", job)
        self._started = True

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            await _until_finished(task)
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.instances.leave()
        with contextlib.suppress(Exception):
            await self.producer.stop()
        await self.client.close()
        await self.staff.aclose()
        self._started = False

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def rebuild(self, name: str) -> int:
        """Pause the projection's consumer, drop and replay its read model, then resume."""
        runner = self.runners[name]
        projection = runner.handler
        if not isinstance(projection, Projection):
            raise ValueError(f"{name} is not a projection")
        if name not in self._tasks:
            raise RebuildRunning(f"{name} is being rebuilt already")
        task = self._tasks.pop(name)
        task.cancel()
        await _until_finished(task)
        try:
            replay_runner: ProjectionRunner[Envelope] = ProjectionRunner(
                projection,
                client=self.client,
                kafka=self.settings.kafka,
                group_id=runner.group_id,
                dead_letters=runner.dead_letters,
                # A replay holds two batches (one written while the next is decoded): 1,000 each
                # keeps its memory where one batch of 2,000 had it. Two of 2,000 were a little
                # faster, and took 10-13 MiB more.
                batch_size=1000,
                keyring=self.store.keyring,
            )
            return await rebuild(replay_runner, projection)
        finally:
            self._spawn(name, runner.run)

    def projections(self) -> Sequence[str]:
        return [n for n, r in self.runners.items() if isinstance(r.handler, Projection)]

    async def held_streams(self) -> list[HeldStream]:
        """Every stream a projection of this service holds back across a gap."""
        held: list[HeldStream] = []
        for runner in self.runners.values():
            if isinstance(runner.handler, Projection):
                held.extend(await runner.handler.held_streams())
        return held

    async def health(self) -> Health:
        """Ready only when the broker and the database answer and no worker is dead or stuck."""

        async def mongo() -> bool:
            try:
                await asyncio.wait_for(self.client.admin.command("ping"), 2.0)
                return True
            except Exception:
                return False

        async def kafka() -> bool:
            try:
                await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 2.0)
                return True
            except Exception:
                return False

        database_ok, broker_ok = await asyncio.gather(mongo(), kafka())
        workers = {name: progress.report() for name, progress in sorted(self.progress.items())}
        tasks_ok = (
            self._started
            and all(not t.done() for t in self._tasks.values())
            and not any(report["stuck"] for report in workers.values())
        )
        return Health(
            checks={"database": database_ok, "broker": broker_ok, "workers": tasks_ok},
            workers=workers,
        )

    def _spawn(self, name: str, job: Callable[[], object]) -> None:
        async def supervised() -> None:
            # A worker that dies is restarted: a bug in one handler must not silently stop the
            # service consuming (health reports it while it is down).
            while True:
                try:
                    result = job()
                    if asyncio.iscoroutine(result):
                        await result
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("worker crashed; restarting", extra={"worker": name})
                    await asyncio.sleep(1.0)

        self._tasks[name] = asyncio.create_task(supervised(), name=f"{self.name}:{name}")


async def _until_finished(task: asyncio.Task[None]) -> None:
    """Wait for a cancelled worker to end, cancelling it again if it carries on: client
    libraries can swallow a cancellation that lands just as an awaited call completes (Python
    3.11's wait_for, async_timeout), and the service would then never stop."""
    while not task.done():
        await asyncio.wait([task], timeout=1.0)
        if not task.done():
            task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
