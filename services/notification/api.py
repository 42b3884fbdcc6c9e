"""Notification's HTTP API, for council staff (practitioners and managers, bearer token):
how a person wants to be told, the safe-contact decision that must come before anything about a
concern is sent (and the work queue of concerns waiting for one), withholding information for a
recorded reason, recording that a practitioner told someone themselves, and the person's
communications log."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from services.notification.adapters.print_queue import MongoPrintQueue
from services.notification.application.commands import (
    InformingCommands,
    UnknownConcern,
    UnknownStep,
)
from services.notification.application.informing_stream import InformingBusy
from services.notification.domain.informing_record import (
    AlreadyDone,
    CapacityAssessmentNotOnRecord,
    InformingRefused,
    NoPreferencesRecorded,
    PreferencesWanted,
)
from services.notification.domain.preferences import ContactPreferences, may_be_told
from services.notification.domain.safety import RoutesRefused, RouteWanted, route_flags
from services.notification.read_models.case_index import CaseIndex, PersonOfCase
from services.notification.read_models.communications_log import (
    CommunicationsLog,
    communications_log,
)
from services.notification.read_models.decisions import Decisions, InformingDecision
from services.notification.read_models.deliveries import Deliveries
from shared.events import Metadata, Role
from shared.events.notification import (
    Channel,
    Clash,
    ClashKind,
    ConfirmedRoute,
    ContactPoints,
    InformingWithheld,
    MessageFormat,
    PersonInformed,
    RecipientChoice,
    RecipientRole,
    SafeContactDecided,
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
from shared.identity import StaffTokens
from shared.problems import FieldProblem


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


class RouteJudged(BaseModel):
    """One route a practitioner judged safe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: RecipientRole
    channel: Channel
    contact: ContactPoints | None = Field(
        default=None,
        description="The contact point you checked (from GET .../safe-contact); it must still be "
        "the one on record. Leave out to confirm the one on record now.",
    )
    despite: tuple[ClashKind, ...] = Field(
        default=(),
        max_length=len(ClashKind),
        description="Flags shown for this route that you checked and judged not to apply.",
    )


class SafeContactRequest(BaseModel):
    """A practitioner's judgement that contacting these recipients about this concern is safe,
    and how. Nothing about the concern is sent before it (or a withholding) is recorded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    concern_id: str = Field(min_length=1, max_length=100)
    routes: tuple[RouteJudged, ...] = Field(min_length=1, max_length=12)


class RouteView(BaseModel):
    channel: Channel
    clashes: tuple[Clash, ...] = Field(description="What may reach an alleged source of risk.")
    never_usable: bool = Field(description="True when no judgement can make this route safe.")


class RecipientView(BaseModel):
    role: RecipientRole
    name: str
    relationship: str | None
    inform: bool
    chosen: RecipientChoice | None
    may_be_told: bool = Field(description="Chosen by the person (or a best-interests decision).")
    routes: tuple[RouteView, ...]


class WaitingStep(BaseModel):
    source_event_id: str
    source_event_type: str
    concern_id: str | None
    case_id: str | None
    told_about: str
    deadline: AwareDatetime | None


class SafeContactPicture(BaseModel):
    """What a practitioner needs to judge first contact: every route to every recipient with
    its flags, the routes already confirmed per concern, and the steps still waiting."""

    person_id: str
    recipients: tuple[RecipientView, ...]
    confirmed: dict[str, tuple[ConfirmedRoute, ...]] = Field(
        description="Concern id -> the routes confirmed safe for it."
    )
    waiting: tuple[WaitingStep, ...]


class ToTell(BaseModel):
    """One step a practitioner must tell someone about themselves (nothing was sent)."""

    person_id: str
    source_event_id: str
    source_event_type: str
    case_id: str | None
    concern_id: str | None
    told_about: str
    recipients: tuple[RecipientRole, ...]
    deadline: AwareDatetime | None
    overdue: bool


class AwaitingConcern(BaseModel):
    """One concern in the work queue: nothing about it is sent until a practitioner decides."""

    person_id: str
    concern_id: str | None
    waiting_since: AwareDatetime
    deadline: AwareDatetime | None
    steps_waiting: int


def informing_router(
    commands: InformingCommands,
    store: EventStore,
    decisions: Decisions,
    deliveries: Deliveries,
    index: CaseIndex,
    staff_tokens: StaffTokens,
) -> APIRouter:
    router = APIRouter(prefix="/people", tags=["informing"])

    async def staff(request: Request) -> Metadata:
        actor = await staff_tokens.admit(request)
        return Metadata(actor=actor, correlation_id=current_correlation_id())

    @router.get(
        "/{person_id}/contact-preferences",
        response_model=ContactPreferences,
        summary="How the person wants to be kept informed",
    )
    async def get_preferences(person_id: IdInPath, request: Request) -> ContactPreferences:
        await staff(request)
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
        metadata = await staff(request)
        _check_person_id(person_id)
        try:
            return await commands.set_preferences(person_id, wanted, metadata)
        except CapacityAssessmentNotOnRecord as error:
            raise ProblemError(409, "No such capacity assessment on record", str(error)) from error
        except InformingRefused as error:
            raise ProblemError(422, "Someone marked to be told may not be", str(error)) from error
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

    @router.get(
        "/{person_id}/safe-contact",
        response_model=SafeContactPicture,
        summary="What to judge before first contact: every route, its flags, what is waiting",
    )
    async def safe_contact_picture(person_id: IdInPath, request: Request) -> SafeContactPicture:
        await staff(request)
        record = await commands.record_of(person_id)
        if record.preferences is None:
            raise _no_preferences(person_id)
        flags = route_flags(record.preferences)
        waiting = await decisions.awaiting(person_id, None)
        return SafeContactPicture(
            person_id=person_id,
            recipients=tuple(
                RecipientView(
                    role=r.role,
                    name=r.name,
                    relationship=r.relationship,
                    inform=r.inform,
                    chosen=r.chosen,
                    may_be_told=may_be_told(r),
                    routes=tuple(
                        RouteView(channel=f.channel, clashes=f.clashes, never_usable=f.never_usable)
                        for f in flags
                        if f.role is r.role
                    ),
                )
                for r in record.preferences.recipients
            ),
            confirmed={
                concern: tuple(routes.values()) for concern, routes in record.safe_contact.items()
            },
            waiting=tuple(
                WaitingStep(
                    source_event_id=d.source_event_id,
                    source_event_type=d.source_event_type,
                    concern_id=d.concern_id,
                    case_id=d.case_id,
                    told_about=d.told_about,
                    deadline=d.deadline,
                )
                for d in waiting
            ),
        )

    @router.post(
        "/{person_id}/safe-contact",
        response_model=SafeContactDecided,
        status_code=201,
        summary="Record that contacting these recipients about a concern is safe, and how",
        description="Nothing about a concern is sent until this (or a withholding) is recorded. "
        "Every step that waited is then told along these routes, and every later step of the "
        "case too, each checked again against the alleged sources of risk at every send. A "
        "route that is a source's own contact point, or marked unsafe, is refused; a flagged "
        "route needs the flag listed in `despite`.",
    )
    async def decide_safe_contact(
        person_id: IdInPath, body: SafeContactRequest, request: Request
    ) -> SafeContactDecided:
        metadata = await staff(request)
        _check_person_id(person_id)
        try:
            return await commands.decide_safe_contact(
                person_id,
                concern_id=body.concern_id,
                routes=tuple(
                    RouteWanted(
                        role=r.role, channel=r.channel, contact=r.contact, despite=r.despite
                    )
                    for r in body.routes
                ),
                metadata=metadata,
            )
        except UnknownConcern as error:
            raise ProblemError(
                404,
                "Unknown concern",
                f"No concern {body.concern_id} about {person_id} has reached notification.",
            ) from error
        except NoPreferencesRecorded as error:
            raise _no_preferences(person_id) from error
        except RoutesRefused as error:
            raise ProblemError(
                422,
                "A route cannot be confirmed",
                str(error),
                errors=[
                    FieldProblem(field=p.field, problem=p.problem, allowed=p.allowed)
                    for p in error.problems
                ],
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
        metadata = await staff(request)
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
        metadata = await staff(request)
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
        await staff(request)
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
        await staff(request)
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
        await staff(request)
        person = await index.person_of_concern(concern_id)
        if person is None:
            raise ProblemError(
                404, "Unknown concern", f"No concern {concern_id} has reached notification."
            )
        return person

    return router


def work_queue_router(
    decisions: Decisions, index: CaseIndex, staff_tokens: StaffTokens
) -> APIRouter:
    """The work queues show a practitioner the work of their own team's cases (a case nobody
    allocated yet is the unallocated-case team's), and a manager all of it, by the rule that
    decides a single read (`shared.access`)."""
    router = APIRouter(tags=["informing"])

    async def of_my_team(
        request: Request, work: list[InformingDecision]
    ) -> list[InformingDecision]:
        staff = await staff_tokens.admit_member(request)
        teams = await index.allocated_teams((d.case_id, d.concern_id) for d in work)
        return [d for d in work if staff_tokens.sees(staff, teams[(d.case_id, d.concern_id)])]

    @router.get(
        "/safe-contact/awaiting",
        response_model=list[AwaitingConcern],
        summary="Concerns waiting for a practitioner's safe-contact decision, oldest deadline "
        "first",
    )
    async def awaiting(request: Request) -> list[AwaitingConcern]:
        queue: dict[tuple[str, str | None], AwaitingConcern] = {}
        for decision in await of_my_team(request, await decisions.awaiting_anyone()):
            key = (decision.person_id, decision.concern_id)
            seen = queue.get(key)
            if seen is None:
                queue[key] = AwaitingConcern(
                    person_id=decision.person_id,
                    concern_id=decision.concern_id,
                    waiting_since=decision.occurred_at,
                    deadline=decision.deadline,
                    steps_waiting=1,
                )
            else:
                queue[key] = seen.model_copy(update={"steps_waiting": seen.steps_waiting + 1})
        return list(queue.values())

    @router.get(
        "/practitioner-contact/awaiting",
        response_model=list[ToTell],
        summary="Steps a practitioner must tell someone about themselves, oldest deadline first",
        description="Nothing was sent to these recipients (every route was unsafe or "
        "unconfirmed, no reviewed message in their language, or they asked for a call). Each "
        "stays here until a practitioner records that they told them.",
    )
    async def to_tell(request: Request) -> list[ToTell]:
        work = await of_my_team(request, await decisions.practitioner_to_tell())
        now = datetime.now(UTC)
        return [
            ToTell(
                person_id=d.person_id,
                source_event_id=d.source_event_id,
                source_event_type=d.source_event_type,
                case_id=d.case_id,
                concern_id=d.concern_id,
                told_about=d.told_about,
                recipients=d.practitioner_to_tell,
                deadline=d.deadline,
                overdue=d.deadline is not None and d.deadline < now,
            )
            for d in work
        ]

    return router


class LetterPrinted(BaseModel):
    reference: str
    printed_at: AwareDatetime


def print_room_router(print_queue: MongoPrintQueue, staff_tokens: StaffTokens) -> APIRouter:
    """The print room records each letter it printed. Managers only: recording one takes it out
    of the queue for good and keeps only its reference and hash, so a mistaken record would
    leave the person without the letter and nobody prompted to send it; there is no print-room
    role at the provider yet. Who recorded which letter (and whose it is) is in the audit."""
    router = APIRouter(prefix="/print-queue", tags=["print room"])

    @router.post(
        "/{letter_reference}/printed",
        response_model=LetterPrinted,
        summary="Manager only: record that the print room printed a letter",
        description="The letter leaves the print queue; the queue keeps its reference, when it "
        "was queued and printed, and the SHA-256 of its text, not the letter. 404 when no "
        "letter has this reference; 409 when it was recorded printed already.",
    )
    async def printed(letter_reference: IdInPath, request: Request) -> LetterPrinted:
        await staff_tokens.admit(request, (Role.MANAGER,))
        now = datetime.now(UTC)
        if await print_queue.printed(letter_reference, now):
            return LetterPrinted(reference=letter_reference, printed_at=now)
        if await print_queue.is_printed(letter_reference):
            raise ProblemError(
                409,
                "Already recorded printed",
                f"Letter {letter_reference!r} was recorded printed before; nothing changed.",
            )
        raise ProblemError(
            404, "No such letter", f"No letter waits in the print queue as {letter_reference!r}."
        )

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
