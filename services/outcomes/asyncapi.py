"""The outcomes service's AsyncAPI document, declared from the code: what it consumes (intake's
decisions, its own case events for its read models, PersonInformed from notification) and what
it publishes (the case events). Each message is the envelope with that event type's payload."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Union

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic import create_model

from services.outcomes.application.reactions import CaseOpening
from services.outcomes.read_models.case_file import CaseFiles
from services.outcomes.read_models.msp_report import CaseSummaries
from services.outcomes.read_models.timeline import Timelines
from services.outcomes.read_models.work_items import WorkItems
from services.outcomes.settings import OutcomesSettings
from shared.events import DomainEvent, Envelope, registered_events
from shared.events.intake import ConcernRaised, S42DecisionMade
from shared.events.notification import PersonInformed
from shared.events.outcomes import CaseEvent
from shared.topics import INTAKE_EVENTS, NOTIFICATION_EVENTS, OUTCOMES_EVENTS

VERSION = "1.0.0"


@cache
def typed_envelope(payload: type[DomainEvent]) -> type[Envelope]:
    """The envelope as it travels with one event type's payload, for the schema."""
    return create_model(
        f"{payload.event_type}Envelope",
        __base__=Envelope,
        __doc__=f"{payload.event_type}: {(payload.__doc__ or '').strip()}",
        payload=(payload, ...),
    )


def case_events() -> list[type[DomainEvent]]:
    return [cls for cls in registered_events().values() if issubclass(cls, CaseEvent)]


def _one_of(events: list[type[DomainEvent]]) -> object:
    envelopes = tuple(typed_envelope(e) for e in events)
    return envelopes[0] if len(envelopes) == 1 else Union[envelopes]  # noqa: UP007


if TYPE_CHECKING:
    IntakeDecision = Envelope
    CaseEventMessage = Envelope
    PersonInformedMessage = Envelope
else:
    IntakeDecision = _one_of([ConcernRaised, S42DecisionMade])
    CaseEventMessage = _one_of(case_events())
    PersonInformedMessage = _one_of([PersonInformed])


def document(settings: OutcomesSettings | None = None) -> dict[str, object]:
    settings = settings or OutcomesSettings()
    broker = KafkaBroker(settings.kafka_bootstrap_servers)

    @broker.subscriber(
        INTAKE_EVENTS,
        group_id=settings.consumer_group(CaseOpening.name),
        title=f"{INTAKE_EVENTS}:{CaseOpening.name}",
        description="A raised concern opens the person's case (a repeat report of the same "
        "incident joins the open case instead); a manager's s42 or other enquiry decision "
        "starts the enquiry. Other intake events are passed over.",
    )
    async def open_case_and_start_enquiry(message: IntakeDecision) -> None:
        """Handled by services.outcomes.application.reactions.CaseOpening."""

    @broker.subscriber(
        OUTCOMES_EVENTS,
        group_id=settings.consumer_group(CaseFiles.name),
        title=f"{OUTCOMES_EVENTS}:read-models",
        description="The case's own events build the case file, the person's timeline, the "
        "MSP report's case summaries and the lead workers' work items (groups "
        f"{CaseFiles.name}, {Timelines.name}, {CaseSummaries.name}, {WorkItems.name}).",
    )
    async def build_read_models(message: CaseEventMessage) -> None:
        """Handled by the projections in services.outcomes.read_models.case_file, .timeline and
        .report_projection."""

    @broker.subscriber(
        NOTIFICATION_EVENTS,
        group_id=settings.consumer_group(Timelines.name),
        title=f"{NOTIFICATION_EVENTS}:person-informed",
        description="PersonInformed adds what the person was told to their timeline, and "
        "whether they were told of every decision to the MSP report. Other notification events "
        "change nothing here.",
    )
    async def record_what_the_person_was_told(message: PersonInformedMessage) -> None:
        """Handled by services.outcomes.read_models.timeline.Timelines and .report_projection."""

    broker.publisher(
        OUTCOMES_EVENTS,
        title=f"{OUTCOMES_EVENTS}:publish",
        description="Every event recorded in a case, published from the outbox with the case id "
        "as key (so one case stays in order). Event types: "
        + ", ".join(e.event_type for e in case_events()),
        schema=CaseEventMessage,
    )
    return dict(
        AsyncAPI(
            broker,
            title="Safeguarding outcomes",
            version=VERSION,
            description="Events the outcomes service consumes and publishes.",
        )
        .to_specification()
        .to_jsonable()
    )
