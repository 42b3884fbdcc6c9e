"""Notification's HTTP API, for council staff (practitioners and managers, bearer token):
how a person wants to be told, withholding information for a recorded reason, recording that a
practitioner told someone themselves, and the person's communications log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.notification.application.commands import InformingCommands, UnknownStep
from services.notification.application.informing_stream import InformingBusy
from services.notification.domain.informing_record import (
    AlreadyDone,
    InformingRefused,
    NoPreferencesRecorded,
    PreferencesWanted,
)
from services.notification.domain.preferences import ContactPreferences
from services.notification.read_models.case_index import CaseIndex, PersonOfCase
from services.notification.read_models.communications_log import (
    CommunicationsLog,
    communications_log,
)
from services.notification.read_models.decisions import Decisions
from services.notification.read_models.deliveries import Deliveries
from shared.auth import staff_from_bearer
from shared.events import Metadata
from shared.events.notification import (
    Channel,
    InformingWithheld,
    MessageFormat,
    PersonInformed,
    RecipientRole,
    WithholdingReason,
)
from shared.events.values import Day, Moment
from shared.eventstore import EventStore
from shared.http import (
    IdInPath,
    ProblemError,
    current_correlation_id,
    field_problems_from_validation,
)


class WithholdingRequest(BaseModel):
    """Withhold or delay telling the person, for a recorded reason, until a review date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: WithholdingReason
    reason_text: str = Field(min_length=1, max_length=4000, description="Why, in your words.")
    review_date: Day = Field(
        description="When the decision must be looked at again: today or later.",
        json_schema_extra={"format": "date-from-today"},
    )
    source_event_id: str | None = Field(
        default=None,
        max_length=100,
        description="One step to withhold (its id from the communications log); leave out "
        "to withhold everything until the review date.",
    )


class ToldByPractitioner(BaseModel):
    """A practitioner told a recipient about a step themselves (by phone or in person)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_event_id: str = Field(min_length=1, max_length=100)
    recipient_role: RecipientRole
    channel: Channel = Channel.PRACTITIONER_CALL
    format: MessageFormat = MessageFormat.STANDARD
    informed_at: Moment | None = Field(default=None, description="When; default now.")


def informing_router(
    commands: InformingCommands,
    store: EventStore,
    decisions: Decisions,
    deliveries: Deliveries,
    index: CaseIndex,
    staff_token_secret: str,
) -> APIRouter:
    router = APIRouter(prefix="/people", tags=["informing"])

    def staff(request: Request) -> Metadata:
        actor = staff_from_bearer(request, staff_token_secret)
        return Metadata(actor=actor, correlation_id=current_correlation_id())

    @router.get(
        "/{person_id}/contact-preferences",
        response_model=ContactPreferences,
        summary="How the person wants to be kept informed",
    )
    async def get_preferences(person_id: IdInPath, request: Request) -> ContactPreferences:
        staff(request)
        try:
            return await commands.preferences(person_id)
        except NoPreferencesRecorded as error:
            raise _no_preferences(person_id) from error

    @router.put(
        "/{person_id}/contact-preferences",
        response_model=ContactPreferences,
        summary="Record how the person (or their representative) asked to be kept informed",
        description="Replaces the recipients, channels, language, format and unsafe contact "
        "points. The alleged sources of risk named in concerns are kept and never contacted, "
        "whatever is recorded here.",
    )
    async def put_preferences(
        person_id: IdInPath, wanted: PreferencesWanted, request: Request
    ) -> ContactPreferences:
        metadata = staff(request)
        _check_person_id(person_id)
        try:
            return await commands.set_preferences(person_id, wanted, metadata)
        except ValidationError as error:
            problems = field_problems_from_validation(list(error.errors()))
            raise ProblemError(
                422,
                "The contact preferences are not valid",
                "; ".join(f"{p.field}: {p.problem}" for p in problems),
                errors=problems,
            ) from error
        except InformingBusy as error:
            raise _busy() from error

    @router.post(
        "/{person_id}/withholdings",
        response_model=InformingWithheld,
        status_code=201,
        summary="Withhold or delay telling the person, for a recorded reason",
    )
    async def withhold(
        person_id: IdInPath, body: WithholdingRequest, request: Request
    ) -> InformingWithheld:
        metadata = staff(request)
        _check_person_id(person_id)
        try:
            return await commands.withhold(
                person_id,
                reason=body.reason,
                reason_text=body.reason_text,
                review_date=body.review_date,
                source_event_id=body.source_event_id,
                metadata=metadata,
            )
        except UnknownStep as error:
            raise _unknown_step(body.source_event_id) from error
        except InformingRefused as error:
            raise ProblemError(422, "Cannot withhold this", str(error)) from error
        except AlreadyDone as error:
            raise ProblemError(409, "Already told", str(error)) from error
        except InformingBusy as error:
            raise _busy() from error

    @router.post(
        "/{person_id}/informed",
        response_model=PersonInformed,
        status_code=201,
        summary="Record that a practitioner told a recipient about a step themselves",
    )
    async def told(
        person_id: IdInPath, body: ToldByPractitioner, request: Request
    ) -> PersonInformed:
        metadata = staff(request)
        try:
            return await commands.told_by_practitioner(
                person_id,
                source_event_id=body.source_event_id,
                role=body.recipient_role,
                channel=body.channel,
                format=body.format,
                informed_at=body.informed_at,
                metadata=metadata,
            )
        except UnknownStep as error:
            raise _unknown_step(body.source_event_id) from error
        except AlreadyDone as error:
            raise ProblemError(409, "Already recorded", str(error)) from error
        except InformingBusy as error:
            raise _busy() from error

    @router.get(
        "/{person_id}/communications",
        response_model=CommunicationsLog,
        summary="The person's communications log: every informing decision and what came of it",
    )
    async def communications(person_id: IdInPath, request: Request) -> CommunicationsLog:
        staff(request)
        log = await communications_log(person_id, store, decisions, deliveries)
        if log is None:
            raise ProblemError(
                404, "Nothing recorded", f"Nothing is recorded about informing {person_id}."
            )
        return log

    @router.get(
        "/by-case/{case_id}",
        response_model=PersonOfCase,
        summary="Whose case this is (to find their communications log)",
    )
    async def by_case(case_id: IdInPath, request: Request) -> PersonOfCase:
        staff(request)
        person = await index.person_of_case(case_id)
        if person is None:
            raise ProblemError(404, "Unknown case", f"No case {case_id} has reached notification.")
        return person

    @router.get(
        "/by-concern/{concern_id}",
        response_model=PersonOfCase,
        summary="Whom this concern is about (to find their communications log)",
    )
    async def by_concern(concern_id: IdInPath, request: Request) -> PersonOfCase:
        staff(request)
        person = await index.person_of_concern(concern_id)
        if person is None:
            raise ProblemError(
                404, "Unknown concern", f"No concern {concern_id} has reached notification."
            )
        return person

    return router


def _check_person_id(person_id: str) -> None:
    if not 1 <= len(person_id) <= 100:
        raise ProblemError(422, "The person id is not valid", "Give 1 to 100 characters.")


def _no_preferences(person_id: str) -> ProblemError:
    return ProblemError(
        404,
        "No contact preferences",
        f"Nothing is recorded about how {person_id} wants to be told; record it with PUT.",
    )


def _unknown_step(source_event_id: str | None) -> ProblemError:
    return ProblemError(
        404,
        "Unknown step",
        f"No step {source_event_id} was decided for this person; take the id from their "
        "communications log.",
    )


def _busy() -> ProblemError:
    return ProblemError(
        409, "Changed meanwhile", "The person's record kept changing; please try again."
    )
