"""The notification service put together: the informing reaction over intake's and outcomes'
events, the delivery worker, the overdue pass and the HTTP API."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from services.notification.adapters.delivery import (
    GovUkNotify,
    LetterQueue,
    NotifyTemplates,
    PrintQueue,
    RetryPolicy,
    Sender,
    SmtpSender,
)
from services.notification.adapters.print_queue import MongoPrintQueue
from services.notification.api import informing_router, print_room_router, work_queue_router
from services.notification.application.commands import InformingCommands
from services.notification.application.delivery_worker import DeliveryWorker
from services.notification.application.erasure import erasing_in_notification
from services.notification.application.informing import InformingReaction
from services.notification.application.overdue import OverdueInforming
from services.notification.application.telling import Telling
from services.notification.domain.messages import Council
from services.notification.read_models.case_index import CaseIndex, person_of_subject
from services.notification.read_models.decisions import Decisions
from services.notification.read_models.deliveries import Deliveries
from services.notification.settings import NotificationSettings
from shared.erasure import ErasureReaction
from shared.events.notification import Channel, informing_stream
from shared.http import create_app
from shared.runtime import ServiceRuntime
from shared.subject_access import subject_access_router
from shared.topics import NOTIFICATION_EVENTS


@dataclass
class Senders:
    """The senders built from the settings, by channel, and what must be closed with them."""

    by_channel: dict[Channel, Sender]
    _notify: GovUkNotify | None = None

    async def aclose(self) -> None:
        if self._notify is not None:
            await self._notify.aclose()


def senders_for(
    settings: NotificationSettings,
    print_queue: PrintQueue,
    *,
    notify_client: httpx.AsyncClient | None = None,
) -> Senders:
    """GOV.UK Notify for each kind whose template is set up; otherwise SMTP for email and the
    council's print queue for letters. Text messages need Notify: without it an SMS fails as
    permanent and the person's fallback channel is tried."""
    templates = {channel: settings.notify_template_for(channel) for channel in Channel}
    notify: GovUkNotify | None = None
    if settings.notify_api_key is not None and any(templates.values()):
        notify = GovUkNotify(
            api_key=settings.notify_api_key,
            templates=NotifyTemplates(
                email=templates[Channel.EMAIL] or "",
                sms=templates[Channel.SMS] or "",
                letter=templates[Channel.LETTER] or "",
            ),
            base_url=settings.notify_base_url,
            client=notify_client,
        )
    by_channel: dict[Channel, Sender] = {
        Channel.EMAIL: SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            from_address=settings.smtp_from,
            from_name=settings.council_name,
            security=settings.smtp_security,
            ca_file=settings.smtp_ca_file,
            username=settings.smtp_username,
            password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
        ),
        Channel.LETTER: LetterQueue(print_queue),
    }
    if notify is not None:
        for channel, template in templates.items():
            if template:
                by_channel[channel] = notify
    return Senders(by_channel=by_channel, _notify=notify)


@dataclass
class Notification:
    """The parts of a running notification service, for tests and operations."""

    runtime: ServiceRuntime
    reaction: InformingReaction
    erasure: ErasureReaction
    worker: DeliveryWorker
    overdue: OverdueInforming
    decisions: Decisions
    deliveries: Deliveries
    print_queue: MongoPrintQueue
    senders: Senders
    telling: Telling

    async def ensure_indexes(self) -> None:
        await self.decisions.ensure_indexes()
        await self.deliveries.ensure_indexes()
        await self.print_queue.ensure_indexes()
        await self.telling.index.ensure_indexes()


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
    index = CaseIndex(database)
    telling = Telling(
        store=runtime.store,
        decisions=decisions,
        deliveries=deliveries,
        index=index,
        council=Council(
            name=settings.council_name,
            contact_team=settings.council_contact_team,
            contact_details=settings.council_contact_details,
        ),
    )
    reaction = InformingReaction(
        store=runtime.store,
        index=index,
        decisions=decisions,
        deliveries=deliveries,
        telling=telling,
        default_channel=settings.default_channel,
    )
    worker = DeliveryWorker(
        client=runtime.client,
        store=runtime.store,
        deliveries=deliveries,
        decisions=decisions,
        index=index,
        senders=senders.by_channel,
        retry=retry or RetryPolicy(),
        interval_seconds=settings.delivery_interval_seconds,
        concurrency=settings.delivery_concurrency,
        progress=runtime.worker_progress("delivery-worker"),
    )
    overdue = OverdueInforming(
        client=runtime.client,
        store=runtime.store,
        decisions=decisions,
        interval_seconds=settings.overdue_interval_seconds,
    )
    erasure = ErasureReaction(
        runtime.store.keyring,
        [
            erasing_in_notification(
                deliveries, print_queue, decisions, index, lambda: datetime.now(UTC)
            )
        ],
    )
    notification = Notification(
        runtime,
        reaction,
        erasure,
        worker,
        overdue,
        decisions,
        deliveries,
        print_queue,
        senders,
        telling,
    )

    async def deliver() -> None:
        try:
            await worker.run()
        except asyncio.CancelledError:
            # Only on shutdown: a worker restarted after a crash keeps its senders.
            await senders.aclose()
            raise

    runtime.prepare(notification.ensure_indexes)
    runtime.consume(reaction)
    runtime.consume(erasure)
    runtime.run_in_background(deliver)
    runtime.run_in_background(overdue.run)
    return notification


async def informing_streams_of(person_id: str) -> list[str]:
    """Everything notification records about a person is on her informing stream."""
    return [informing_stream(person_id)]


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
    runtime.access.person_of = functools.partial(
        person_of_subject, notification.reaction.index, notification.deliveries
    )
    app = create_app(
        runtime,
        title="Safeguarding notification",
        description="Keeps each person informed about their safeguarding, in the way that suits "
        "them and never through the alleged source of risk; proves whether they were told, "
        "when, how and by whom, or why not.",
    )
    app.include_router(
        informing_router(
            InformingCommands(
                runtime.client,
                runtime.store,
                notification.decisions,
                notification.reaction.index,
                notification.telling,
            ),
            runtime.store,
            notification.decisions,
            notification.deliveries,
            notification.reaction.index,
            runtime.staff,
        )
    )
    app.include_router(
        work_queue_router(notification.decisions, notification.reaction.index, runtime.staff)
    )
    app.include_router(print_room_router(notification.print_queue, runtime.staff))
    app.include_router(
        subject_access_router(
            "notification",
            runtime.database,
            runtime.staff,
            informing_streams_of,
            runtime.store.keyring,
        )
    )
    return app, notification
