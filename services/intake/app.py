"""Intake, put together: its event store and outbox, the Kafka submissions consumer, the partner
view and triage queue, and the HTTP API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.intake.adapters.partners import PartnerRegistry
from services.intake.api import (
    install_submission_problems,
    partner_router,
    staff_router,
)
from services.intake.application.commands import IntakeCommands
from services.intake.application.person_index import MatchingKeys
from services.intake.application.raising import RaisingTogether
from services.intake.application.retention import RetentionWatch
from services.intake.application.submissions import ConcernSubmissions
from services.intake.read_models.partner_view import PartnerConcerns, PartnerView
from services.intake.read_models.people import People, PeopleDirectory
from services.intake.read_models.triage import Triage, TriageQueue
from services.intake.settings import IntakeSettings
from shared.erasure import ErasureReaction, projected_again
from shared.events.intake import PersonErased
from shared.http import create_app
from shared.mongo import Session
from shared.runtime import ServiceRuntime
from shared.subject_access import subject_access_router
from shared.topics import INTAKE_EVENTS

DESCRIPTION = """\
Partner agencies raise safeguarding concerns about adults here (or on the Kafka topic
`safeguarding.concerns.submitted`, see the AsyncAPI document), and follow the status of their own
concerns and the feedback for them. Council practitioners triage open concerns, record what they
find, and link concerns to the right person; a Safeguarding Adults Manager decides whether the
Care Act 2014 s42 duty applies.

Partners send their agency's API key in `X-API-Key`; staff send a bearer token from the council's
identity provider (OpenID Connect). Every error is
an RFC 9457 problem (`application/problem+json`) naming each bad field and what is allowed.
"""


async def her_concerns(erased: PersonErased, session: Session) -> list[str]:
    return erased.concern_ids


def build(settings: IntakeSettings) -> tuple[FastAPI, ServiceRuntime]:
    runtime = ServiceRuntime.create("intake", settings, INTAKE_EVENTS)
    commands = IntakeCommands(
        runtime.client,
        runtime.database,
        runtime.store,
        MatchingKeys(settings.matching_secret),
        runtime.store.keyring,
    )
    runtime.access.person_of = commands.person_of
    partner_view = PartnerView(runtime.database)
    triage_queue = TriageQueue(runtime.database)
    partners = PartnerRegistry.from_settings(settings)
    runtime.consume(ConcernSubmissions(commands, runtime.store, partners))
    runtime.consume(partner_view)
    runtime.consume(triage_queue)
    people_directory = PeopleDirectory(runtime.database)
    runtime.consume(people_directory)
    runtime.consume(
        ErasureReaction(
            runtime.store.keyring,
            # The read models holding her details; the partner view holds none.
            [projected_again(runtime.store, her_concerns, people_directory, triage_queue)],
        )
    )

    retention = RetentionWatch(
        commands,
        runtime.database,
        timedelta(days=settings.retention_after_closure_days),
        settings.retention_check_seconds,
    )
    runtime.run_in_background(retention.run)

    app = create_app(runtime, title="Safeguarding intake", description=DESCRIPTION)
    install_submission_problems(app)
    app.include_router(
        partner_router(partners, RaisingTogether(commands), PartnerConcerns(runtime.database))
    )
    app.include_router(
        staff_router(runtime.staff, commands, Triage(runtime.database), People(runtime.database))
    )
    app.include_router(
        subject_access_router(
            "intake", runtime.database, runtime.staff, commands.concerns_of, runtime.store.keyring
        )
    )

    runtime.prepare(commands.ensure_indexes)
    runtime.prepare(commands.rekey_person_index)
    runtime.prepare(partner_view.ensure_indexes)
    runtime.prepare(retention.mark_closures_from_before)
    runtime.prepare(triage_queue.ensure_indexes)
    runtime.prepare(people_directory.ensure_indexes)
    return app, runtime
