"""The outcomes service put together: its event store, the reaction to intake's decisions, the
read models, the missed-dates scheduler and the HTTP API."""

from __future__ import annotations

import functools

from fastapi import FastAPI

from services.outcomes.api import cases_router
from services.outcomes.application.commands import CaseCommands
from services.outcomes.application.reactions import CaseOpening
from services.outcomes.application.scheduler import MissedDatesWatch
from services.outcomes.application.subjects import CaseSubjects
from services.outcomes.domain import case_id_for
from services.outcomes.read_models.case_file import (
    CaseFiles,
    cases_of,
    person_of_subject,
    team_of_subject,
)
from services.outcomes.read_models.due_dates import DueDates
from services.outcomes.read_models.msp_report import CaseSummaries
from services.outcomes.read_models.timeline import Timelines
from services.outcomes.read_models.work_items import WorkItems
from services.outcomes.settings import OutcomesSettings
from shared.erasure import ErasureReaction, projected_again
from shared.events.intake import PersonErased
from shared.http import create_app
from shared.mongo import Database, Session
from shared.runtime import ServiceRuntime
from shared.subject_access import subject_access_router
from shared.topics import OUTCOMES_EVENTS

DESCRIPTION = """\
The person's case, from what they want to whether they got it (Making Safeguarding Personal).

A case opens when intake raises a concern and its enquiry starts when a manager decides on one.
A repeat report of the same incident joins the open case. Practitioners record conversations,
case notes of contacts between professionals, desired outcomes in the person's own words, agreed
outcomes, wishes about formal action (each as the words of whoever said them), capacity,
best-interests decisions, advocacy, risk discussions, the plan and its actions done, agreed dates
and reviews; managers override wishes (on statutory grounds only, one action each) and sign off
how an enquiry ends (concluded, or ceased with its reason).
Managers allocate a case to a team, and to a worker in it.
Read: the case file, the person's timeline, the lead workers' work items (agreed dates missed),
the cases allocated to a team or a worker,
and the MSP / national return (SAC) report.
"""


class Outcomes:
    """The parts of the service tests and operators reach for besides the HTTP API."""

    def __init__(self, runtime: ServiceRuntime, settings: OutcomesSettings) -> None:
        self.due_dates = DueDates(runtime.database)
        self.commands = CaseCommands(runtime.client, runtime.store, self.due_dates)
        self.summaries = CaseSummaries(runtime.database)
        self.work_items = WorkItems(runtime.database)
        self.case_files = CaseFiles(runtime.database)
        self.missed_dates = MissedDatesWatch(
            self.commands, self.due_dates, settings.scheduler_interval_seconds
        )

    async def ensure_indexes(self) -> None:
        await self.due_dates.ensure_indexes()
        await self.summaries.ensure_indexes()
        await self.work_items.ensure_indexes()
        await self.case_files.ensure_indexes()


async def her_cases(database: Database, erased: PersonErased, session: Session) -> list[str]:
    """Her cases: those about her now, and those her concerns opened."""
    about_her = await cases_of(database, erased.person_id)
    return sorted({*about_her, *(case_id_for(c) for c in erased.concern_ids)})


def build(settings: OutcomesSettings) -> tuple[FastAPI, ServiceRuntime]:
    app, runtime, _ = assemble(settings)
    return app, runtime


def assemble(settings: OutcomesSettings) -> tuple[FastAPI, ServiceRuntime, Outcomes]:
    """`build`, also handing back the service's parts (the scheduler's pass, the commands)."""
    runtime = ServiceRuntime.create("outcomes", settings, OUTCOMES_EVENTS)
    runtime.store.subject_of = CaseSubjects(runtime.store.events)
    outcomes = Outcomes(runtime, settings)
    runtime.access.person_of = functools.partial(person_of_subject, runtime.database)
    runtime.access.team_of = functools.partial(team_of_subject, runtime.database)
    runtime.consume(CaseOpening(runtime.store, runtime.database))
    runtime.consume(outcomes.case_files)
    timelines = Timelines(runtime.database)
    runtime.consume(timelines)
    runtime.consume(outcomes.summaries)
    runtime.consume(outcomes.work_items)
    runtime.consume(
        ErasureReaction(
            runtime.store.keyring,
            # Every read model folded from her cases' events: her words, her date of birth.
            [
                projected_again(
                    runtime.store,
                    functools.partial(her_cases, runtime.database),
                    outcomes.case_files,
                    timelines,
                    outcomes.summaries,
                    outcomes.work_items,
                )
            ],
        )
    )
    runtime.prepare(outcomes.ensure_indexes)
    runtime.run_in_background(outcomes.missed_dates.run)
    app = create_app(runtime, title="Safeguarding outcomes", description=DESCRIPTION)
    app.include_router(cases_router(outcomes.commands, runtime.database, runtime.staff))
    app.include_router(
        subject_access_router(
            "outcomes",
            runtime.database,
            runtime.staff,
            functools.partial(cases_of, runtime.database),
            runtime.store.keyring,
        )
    )
    return app, runtime, outcomes
