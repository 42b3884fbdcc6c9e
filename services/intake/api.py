"""Intake's HTTP API: partners raise concerns and follow their own; council staff triage, record
information, link people, decide and give feedback.

Partners authenticate with their agency's API key (`X-API-Key`), staff with a bearer token whose
role is practitioner or manager. Missing or wrong credentials answer 401, the wrong role 403.
Every error is an RFC 9457 problem; an invalid submission names each bad field and what is
allowed, in the same words a Kafka submission's dead-letter record uses.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures, which use
# dependencies defined inside the router factories.

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue
from pydantic_core import PydanticCustomError

from services.intake.adapters.partners import PartnerRegistry
from services.intake.application.commands import (
    ConcernChanged,
    ConcernReceived,
    ConcernRecord,
    IntakeCommands,
    LegalHold,
    LegalHoldUnchanged,
    PersonErasure,
    PersonWasErased,
    StillBusy,
    SubmissionConflict,
    Submitted,
    UnderLegalHold,
    UnknownPerson,
)
from services.intake.application.raising import RaisingTogether
from services.intake.application.submissions import idempotency_key as reference_key
from services.intake.domain.concern import (
    AlreadyDecided,
    AlreadyRaised,
    Concern,
    ConcernRefused,
    DecidedWithOriginal,
    DecisionIncomplete,
    LinkUnchanged,
    NotPermitted,
    NotRaised,
    new_person_id,
)
from services.intake.domain.submission import ConcernSubmission, problems_in
from services.intake.read_models.partner_view import (
    PartnerConcern,
    PartnerConcerns,
    RejectedSubmission,
)
from services.intake.read_models.people import People, PersonFound
from services.intake.read_models.triage import Triage, TriageEntry
from shared.events import Actor, DomainEvent, Role
from shared.events.intake import (
    ErasureReason,
    LongText,
    NoFurtherActionRoute,
    S42Criterion,
    S42Decision,
    ShortText,
    SubmissionChannel,
)
from shared.events.values import given, not_given
from shared.http import (
    FieldProblem,
    Problem,
    ProblemError,
    current_correlation_id,
    field_problems_from_validation,
    problem_response,
)
from shared.identity import StaffTokens, unauthorised

CONCERN_ID_PATTERN: Final = (
    r"^concern-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
PERSON_ID_PATTERN: Final = r"^person-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

API_KEY = APIKeyHeader(
    name="X-API-Key",
    scheme_name="PartnerApiKey",
    description="Your agency's API key. The council stores only its SHA-256 hash.",
    auto_error=False,
)

_WHY: Final = {
    400: "The body could not be read as JSON text.",
    401: "Missing or unrecognised credentials.",
    403: "Your role may not do this.",
    404: "There is no such concern (or it is not yours to see).",
    409: "The concern, or your earlier request, is in a state that does not allow this.",
    422: "The request is not valid: each bad field is named with what is allowed.",
    503: "The service is busy or its database is unavailable: try again shortly.",
}


def _written_as_a_day(value: object) -> object:
    """A date in a query is text; only YYYY-MM-DD is one (pydantic would read "0" as a number
    of seconds since 1970)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError(
            "date_not_a_day", "is not a date written YYYY-MM-DD", {"allowed": "YYYY-MM-DD"}
        )
    return value


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """What the problem answers of a route mean here (every route declares them all, as
    problem details: `shared.http.declare_every_answer`)."""
    return {code: {"description": _WHY[code]} for code in codes}


# --- requests from staff --------------------------------------------------------------------------


class StaffRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InformationToRecord(StaffRequest):
    note: LongText = Field(description="What was learned, exactly as it should be kept.")
    source: ShortText = Field(description="Where it came from, e.g. the person, their GP.")


def _when_decision(decision: S42Decision) -> JsonValue:
    return {"properties": {"decision": {"const": decision.value}}}


class DecisionToRecord(StaffRequest):
    # The rule of `Concern.decide`, stated for clients: a route exactly for no further action, a
    # failed criterion exactly when it is not an s42 enquiry.
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": _when_decision(S42Decision.NO_FURTHER_ACTION),
                    "then": given("route"),
                    "else": not_given("route"),
                },
                {
                    "if": _when_decision(S42Decision.S42_ENQUIRY),
                    "then": not_given("failed_criterion"),
                    "else": given("failed_criterion"),
                },
            ]
        }
    )

    decision: S42Decision = Field(description="Whether the s42 duty applies.")
    route: NoFurtherActionRoute | None = Field(
        default=None, description="Where the concern goes instead: only for no_further_action."
    )
    failed_criterion: S42Criterion | None = Field(
        default=None, description="The s42(1) criterion not met: for any decision but s42_enquiry."
    )
    rationale: LongText = Field(description="Why, in the manager's words.")


class FeedbackToGive(StaffRequest):
    feedback: LongText = Field(description="What the referring agency is told. No case details.")


class LinkToPerson(StaffRequest):
    person_id: str = Field(
        pattern=PERSON_ID_PATTERN,
        max_length=100,
        description="The person record the concern is really about.",
    )
    reason: LongText = Field(description="Why you are sure it is the same person.")


class UnlinkFromPerson(StaffRequest):
    reason: LongText = Field(description="Why the concern is not about the linked person.")


class ErasureToRecord(StaffRequest):
    reason: LongText = Field(
        description="Why she is erased, e.g. her request and how it was checked. Kept sealed "
        "with the erasure's record."
    )


class LegalHoldToRecord(StaffRequest):
    reason: LongText = Field(
        description="Why the records must be kept (placing) or need no longer be (lifting), "
        "e.g. the Safeguarding Adults Review or claim it serves. Kept sealed with the record."
    )


# --- turning refusals into problems ---------------------------------------------------------------


def refusal(error: ConcernRefused) -> ProblemError:
    detail = str(error)
    match error:
        case NotPermitted():
            return ProblemError(403, "Not permitted", detail)
        case NotRaised():
            return ProblemError(404, "No such concern", detail)
        case AlreadyDecided() | DecidedWithOriginal() | AlreadyRaised() | LinkUnchanged():
            return ProblemError(409, "The concern does not allow this now", detail)
        case DecisionIncomplete():
            field = "route" if "route" in detail else "failed_criterion"
            allowed = NoFurtherActionRoute if field == "route" else S42Criterion
            return ProblemError(
                422,
                "The decision is incomplete",
                detail,
                errors=[
                    FieldProblem(
                        field=field,
                        problem=detail,
                        allowed="leave it out, or one of: " + ", ".join(v.value for v in allowed),
                    )
                ],
            )
    return ProblemError(422, "Refused", detail)


def busy() -> ProblemError:
    return ProblemError(
        503,
        "Try again shortly",
        "The service could not record this just now; nothing was recorded.",
        headers={"Retry-After": "1"},
    )


def erased_person(detail: str) -> ProblemError:
    return ProblemError(409, "The person was erased", f"{detail}; nothing more is recorded.")


def staff_name(actor: Actor) -> str:
    """Who staff are in the record: their name from the token, else their id."""
    name = actor.agency or actor.id
    if not name.strip():
        raise unauthorised("The bearer token names nobody.")
    return name


# --- partners -------------------------------------------------------------------------------------


def partner_router(
    partners: PartnerRegistry, raising: RaisingTogether, view: PartnerConcerns
) -> APIRouter:
    router = APIRouter(tags=["partners"])

    async def partner(
        request: Request, _key: Annotated[str | None, Security(API_KEY)] = None
    ) -> Actor:
        return partners.partner_signing_in(request)

    Partner = Annotated[Actor, Depends(partner)]

    @router.post(
        "/concerns",
        status_code=202,
        response_model=ConcernReceived,
        summary="Raise a safeguarding concern about an adult",
        description="Accepted concerns are recorded at once and then triaged by the council. "
        "Your `partner_reference` names the submission, as over Kafka: sending the same body "
        "again gets the same answer (with the header `Idempotent-Replayed: true`), and a "
        "different body with the same `partner_reference` is refused (409). An "
        "`Idempotency-Key`, if you send one, names the submission instead.",
        responses=problems(400, 401, 409, 422, 503),
    )
    async def raise_concern(
        submission: ConcernSubmission,
        response: Response,
        actor: Partner,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=200,
                description="Your unique id for this submission (1 to 200 characters).",
            ),
        ] = None,
    ) -> ConcernReceived:
        try:
            received = await raising.raise_concern(
                Submitted(
                    submission=submission,
                    actor=actor,
                    via=SubmissionChannel.HTTP,
                    idempotency_key=idempotency_key or reference_key(submission),
                    correlation_id=current_correlation_id(),
                )
            )
        except SubmissionConflict as error:
            raise ProblemError(
                409,
                "This submission's key was used for a different submission",
                f"{error}. Use a new partner_reference (or Idempotency-Key) for a new submission, "
                "or resend exactly the same body.",
            ) from error
        except StillBusy as error:
            raise busy() from error
        if received.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return received.answer

    @router.get(
        "/partner/concerns",
        response_model=list[PartnerConcern],
        summary="The concerns your agency raised: status and feedback, newest first",
        responses=problems(401, 422),
    )
    async def list_concerns(
        actor: Partner,
        partner_reference: Annotated[
            str | None,
            Query(min_length=1, max_length=100, description="Only the one with your id."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
    ) -> list[PartnerConcern]:
        return await view.all(_agency(actor), partner_reference=partner_reference, limit=limit)

    @router.get(
        "/partner/concerns/{reference}",
        response_model=PartnerConcern,
        summary="One concern your agency raised, by the council's reference",
        responses=problems(401, 404, 422),
    )
    async def one_concern(
        actor: Partner,
        reference: Annotated[
            str, Path(max_length=40, description="The council's reference, e.g. SG-2026-4F7K2Q.")
        ],
    ) -> PartnerConcern:
        found = await view.one(_agency(actor), reference)
        if found is None:
            # Another agency's concern answers exactly like one that does not exist.
            raise ProblemError(
                404,
                "No such concern",
                f"Your agency has raised no concern with the reference {reference}. (A concern "
                "you have just raised appears here within a few seconds.)",
            )
        return found

    @router.get(
        "/partner/rejected-submissions",
        response_model=list[RejectedSubmission],
        summary="Submissions your agency sent over Kafka that were refused, and why",
        responses=problems(401, 422),
    )
    async def rejected(
        actor: Partner,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
    ) -> list[RejectedSubmission]:
        return await view.rejected(_agency(actor), limit=limit)

    return router


def _agency(actor: Actor) -> str:
    assert actor.agency is not None
    return actor.agency


# --- staff ----------------------------------------------------------------------------------------


def staff_router(
    staff: StaffTokens, commands: IntakeCommands, triage: Triage, people: People
) -> APIRouter:
    router = APIRouter(tags=["council staff"])
    Staff = Annotated[Actor, Depends(staff.requires())]
    Manager = Annotated[Actor, Depends(staff.requires(Role.MANAGER))]
    PersonId = Annotated[
        str,
        Path(
            pattern=PERSON_ID_PATTERN, max_length=100, description="The person's id, person-<uuid>."
        ),
    ]
    ConcernId = Annotated[
        str,
        Path(
            pattern=CONCERN_ID_PATTERN,
            max_length=100,
            description="The concern's id, concern-<uuid>.",
        ),
    ]

    async def change(
        concern_id: str, actor: Actor, ask: Callable[[Concern], Sequence[DomainEvent]]
    ) -> ConcernChanged:
        try:
            return await commands.change(
                concern_id, actor, ask, correlation_id=current_correlation_id()
            )
        except ConcernRefused as error:
            raise refusal(error) from error
        except UnknownPerson as error:
            raise ProblemError(
                404,
                "No such person",
                str(error),
                errors=[
                    FieldProblem(
                        field="person_id",
                        problem="is not a person on record",
                        allowed="the person_id of a person on record, e.g. from GET /triage",
                    )
                ],
            ) from error
        except PersonWasErased as error:
            raise erased_person(str(error)) from error
        except StillBusy as error:
            raise busy() from error

    changed: dict[str, Any] = {
        "response_model": ConcernChanged,
        "responses": problems(400, 401, 403, 404, 409, 422, 503),
    }

    @router.get(
        "/triage",
        response_model=list[TriageEntry],
        summary="Open concerns, oldest first, with repeat reports under the concern they repeat",
        responses=problems(401, 403, 422),
    )
    async def triage_queue(
        actor: Staff,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 200,
    ) -> list[TriageEntry]:
        return await triage.open_concerns(limit=limit)

    @router.get(
        "/people",
        response_model=list[PersonFound],
        summary="Find people on record by name, date of birth, partial postcode, NHS number or "
        "a concern's reference (every criterion given must match)",
        responses=problems(401, 403, 422),
    )
    async def find_people(
        actor: Staff,
        name: Annotated[
            str | None,
            Query(min_length=2, max_length=200, description="Words starting the person's name."),
        ] = None,
        date_of_birth: Annotated[
            date | None, BeforeValidator(_written_as_a_day), Query(description="YYYY-MM-DD")
        ] = None,
        postcode: Annotated[
            str | None,
            Query(min_length=2, max_length=10, description="The postcode or its start, e.g. WR1."),
        ] = None,
        nhs_number: Annotated[
            str | None,
            Query(
                pattern=r"^[0-9 ]{10,12}$", max_length=12, description="10 digits, spaces allowed."
            ),
        ] = None,
        reference: Annotated[
            str | None, Query(min_length=4, max_length=40, description="e.g. SG-2026-4F7K2Q")
        ] = None,
    ) -> list[PersonFound]:
        return await people.search(
            name=name,
            date_of_birth=date_of_birth,
            postcode=postcode,
            nhs_number=nhs_number,
            reference=reference,
        )

    @router.get(
        "/people/{person_id}",
        response_model=PersonFound,
        summary="One person on record and every concern raised about them, newest first",
        responses=problems(401, 403, 404, 422),
    )
    async def one_person(
        actor: Staff,
        person_id: PersonId,
    ) -> PersonFound:
        found = await people.person(person_id)
        if found is None:
            raise ProblemError(404, "No such person", f"No concern is about {person_id}.")
        return found

    @router.post(
        "/people/{person_id}/erasure",
        response_model=PersonErasure,
        summary="Erase a person's personal data (Safeguarding Adults Managers only): the keys "
        "of every concern about her and of her informing are destroyed; the events stay, "
        "erased. Asking again answers the same erasure.",
        responses=problems(400, 401, 403, 404, 409, 422, 503),
    )
    async def erase_person(
        actor: Manager,
        person_id: PersonId,
        body: ErasureToRecord,
    ) -> PersonErasure:
        try:
            return await commands.erase(
                person_id,
                reason_kind=ErasureReason.SUBJECT_REQUEST,
                reason=body.reason,
                actor=actor,
                correlation_id=current_correlation_id(),
            )
        except UnknownPerson as error:
            raise ProblemError(
                404, "No such person", f"No person {person_id} is on record."
            ) from error
        except UnderLegalHold as error:
            raise ProblemError(
                409,
                "Under a legal hold",
                "Her records are under a legal hold: lift it before erasing them.",
            ) from error
        except StillBusy as error:
            raise busy() from error

    async def change_legal_hold(
        actor: Manager, person_id: str, body: LegalHoldToRecord, *, hold: bool
    ) -> LegalHold:
        try:
            return await commands.change_legal_hold(
                person_id,
                hold=hold,
                reason=body.reason,
                actor=actor,
                correlation_id=current_correlation_id(),
            )
        except UnknownPerson as error:
            raise ProblemError(
                404, "No such person", f"No person {person_id} is on record."
            ) from error
        except PersonWasErased as error:
            raise ProblemError(409, "Person erased", "Her records were erased.") from error
        except LegalHoldUnchanged as error:
            state = "under a legal hold" if hold else "not under a legal hold"
            raise ProblemError(
                409, "Hold unchanged", f"Her records are already {state}."
            ) from error
        except StillBusy as error:
            raise busy() from error

    @router.post(
        "/people/{person_id}/legal-hold",
        response_model=LegalHold,
        summary="Place a legal hold on a person's records (Safeguarding Adults Managers only): "
        "nothing of hers is erased, on request or by retention, until it is lifted.",
        responses=problems(400, 401, 403, 404, 409, 422, 503),
    )
    async def place_legal_hold(
        actor: Manager, person_id: PersonId, body: LegalHoldToRecord
    ) -> LegalHold:
        return await change_legal_hold(actor, person_id, body, hold=True)

    @router.post(
        "/people/{person_id}/legal-hold/lift",
        response_model=LegalHold,
        summary="Lift the legal hold on a person's records (Safeguarding Adults Managers only)",
        responses=problems(400, 401, 403, 404, 409, 422, 503),
    )
    async def lift_legal_hold(
        actor: Manager, person_id: PersonId, body: LegalHoldToRecord
    ) -> LegalHold:
        return await change_legal_hold(actor, person_id, body, hold=False)

    @router.get(
        "/concerns/{concern_id}",
        response_model=ConcernRecord,
        summary="Everything recorded about one concern",
        responses=problems(401, 403, 404, 422),
    )
    async def concern_record(actor: Staff, concern_id: ConcernId) -> ConcernRecord:
        found = await commands.record(concern_id)
        if found is None:
            raise ProblemError(404, "No such concern", f"there is no concern {concern_id}")
        return found

    @router.post(
        "/concerns/{concern_id}/information",
        summary="Record information gathered about the concern",
        **changed,
    )
    async def gather_information(
        actor: Staff, concern_id: ConcernId, body: InformationToRecord
    ) -> ConcernChanged:
        name = staff_name(actor)
        return await change(
            concern_id,
            actor,
            lambda c: c.gather_information(
                actor, note=body.note, source=body.source, gathered_by=name
            ),
        )

    @router.post(
        "/concerns/{concern_id}/decision",
        summary="Record the s42 decision (Safeguarding Adults Managers only)",
        **changed,
    )
    async def decide(actor: Staff, concern_id: ConcernId, body: DecisionToRecord) -> ConcernChanged:
        name = staff_name(actor)
        return await change(
            concern_id,
            actor,
            lambda c: c.decide(
                actor,
                decision=body.decision,
                route=body.route,
                failed_criterion=body.failed_criterion,
                rationale=body.rationale,
                decided_by=name,
            ),
        )

    @router.post(
        "/concerns/{concern_id}/referrer-feedback",
        summary="Give feedback to the agency that raised the concern",
        **changed,
    )
    async def give_feedback(
        actor: Staff, concern_id: ConcernId, body: FeedbackToGive
    ) -> ConcernChanged:
        name = staff_name(actor)
        return await change(
            concern_id,
            actor,
            lambda c: c.give_referrer_feedback(actor, feedback=body.feedback, given_by=name),
        )

    @router.post(
        "/concerns/{concern_id}/link",
        summary="Link the concern to a person already on record",
        **changed,
    )
    async def link(actor: Staff, concern_id: ConcernId, body: LinkToPerson) -> ConcernChanged:
        name = staff_name(actor)
        return await change(
            concern_id,
            actor,
            lambda c: c.link_to_person(
                actor, person_id=body.person_id, reason=body.reason, linked_by=name
            ),
        )

    @router.post(
        "/concerns/{concern_id}/unlink",
        summary="Undo a wrong link: the concern becomes about a new person record",
        **changed,
    )
    async def unlink(actor: Staff, concern_id: ConcernId, body: UnlinkFromPerson) -> ConcernChanged:
        name = staff_name(actor)
        new_person = new_person_id()
        return await change(
            concern_id,
            actor,
            lambda c: c.unlink_from_person(
                actor, new_person_id=new_person, reason=body.reason, unlinked_by=name
            ),
        )

    return router


# --- errors and documentation ---------------------------------------------------------------------


def install_submission_problems(app: FastAPI) -> None:
    """Explain an invalid request body with `problems_in`, so a partner reads the same words
    whether a submission came over HTTP or Kafka."""

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [dict(e) for e in exc.errors()]
        in_body = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)]
        elsewhere = [e for e in errors if e not in in_body]
        for error in in_body:
            if error.get("type") == "json_invalid":
                error["loc"] = ("body",)
        model = _body_model(request)
        found: list[FieldProblem] = []
        if in_body and model is not None:
            found += [
                FieldProblem.model_validate(p.model_dump())
                for p in problems_in(in_body, model)  # type: ignore[arg-type]
            ]
        else:
            elsewhere = errors
        found += field_problems_from_validation(elsewhere)
        title = (
            "The concern submission is not valid"
            if model is ConcernSubmission
            else "The request is not valid"
        )
        return problem_response(
            Problem(
                title=title,
                status=422,
                detail="; ".join(f"{p.field}: {p.problem}" for p in found),
                errors=found,
            ),
            request,
        )

    app.add_exception_handler(RequestValidationError, on_invalid)


def _body_model(request: Request) -> type[BaseModel] | None:
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and route.body_field is not None:
        annotation = route.body_field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
    return None
