"""The notification service put together: the informing reaction over intake's and outcomes'
events, the delivery worker, the overdue pass and the HTTP API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from services.notification.api import informing_router
from services.notification.case_index import CaseIndex
from services.notification.commands import InformingCommands
from services.notification.decisions import Decisions
from services.notification.deliveries import Deliveries, DeliveryWorker, Senders, senders_for
from services.notification.delivery import RetryPolicy
from services.notification.informing import InformingReaction
from services.notification.letter_queue import MongoPrintQueue
from services.notification.overdue import OverdueInforming
from services.notification.settings import NotificationSettings
from services.notification.steps import Council
from shared.http import create_app
from shared.runtime import ServiceRuntime
from shared.topics import NOTIFICATION_EVENTS


@dataclass
class Notification:
    """The parts of a running notification service, for tests and operations."""

    runtime: ServiceRuntime
    reaction: InformingReaction
    worker: DeliveryWorker
    overdue: OverdueInforming
    decisions: Decisions
    deliveries: Deliveries
    print_queue: MongoPrintQueue
    senders: Senders

    async def ensure_indexes(self) -> None:
        await self.decisions.ensure_indexes()
        await self.deliveries.ensure_indexes()
        await self.print_queue.ensure_indexes()


def assemble(
    settings: NotificationSettings,
    *,
    retry: RetryPolicy | None = None,
    notify_client: httpx.AsyncClient | None = None,
) -> Notification:
    runtime = ServiceRuntime.create("notification", settings, NOTIFICATION_EVENTS)
    database = runtime.database
    decisions = Decisions(database)
    deliveries = Deliveries(database)
    print_queue = MongoPrintQueue(database)
    senders = senders_for(settings, print_queue, notify_client=notify_client)
    reaction = InformingReaction(
        store=runtime.store,
        index=CaseIndex(database),
        decisions=decisions,
        deliveries=deliveries,
        council=Council(
            name=settings.council_name,
            contact_team=settings.council_contact_team,
            contact_details=settings.council_contact_details,
        ),
        default_channel=settings.default_channel,
    )
    worker = DeliveryWorker(
        client=runtime.client,
        store=runtime.store,
        deliveries=deliveries,
        decisions=decisions,
        senders=senders.by_channel,
        retry=retry or RetryPolicy(),
        interval_seconds=settings.delivery_interval_seconds,
    )
    overdue = OverdueInforming(
        client=runtime.client,
        store=runtime.store,
        decisions=decisions,
        interval_seconds=settings.overdue_interval_seconds,
    )
    notification = Notification(
        runtime, reaction, worker, overdue, decisions, deliveries, print_queue, senders
    )

    async def deliver() -> None:
        await notification.ensure_indexes()
        try:
            await worker.run()
        except asyncio.CancelledError:
            # Only on shutdown: a worker restarted after a crash keeps its senders.
            await senders.aclose()
            raise

    runtime.consume(reaction)
    runtime.run_in_background(deliver)
    runtime.run_in_background(overdue.run)
    return notification


def build(settings: NotificationSettings) -> tuple[FastAPI, ServiceRuntime]:
    app, notification = build_service(settings)
    return app, notification.runtime


def build_service(
    settings: NotificationSettings,
    *,
    retry: RetryPolicy | None = None,
    notify_client: httpx.AsyncClient | None = None,
) -> tuple[FastAPI, Notification]:
    """The app and the service's parts (tests drive the parts directly)."""
    notification = assemble(settings, retry=retry, notify_client=notify_client)
    runtime = notification.runtime
    app = create_app(
        runtime,
        title="Safeguarding notification",
        description="Keeps each person informed about their safeguarding, in the way that suits "
        "them and never through the alleged source of risk; proves whether they were told, "
        "when, how and by whom, or why not.",
    )
    app.include_router(
        informing_router(
            InformingCommands(runtime.client, runtime.store, notification.decisions),
            runtime.store,
            notification.decisions,
            notification.deliveries,
            CaseIndex(runtime.database),
            settings.staff_token_secret,
        )
    )
    return app, notification
