"""The HTTP API for practitioners and managers: one route per thing that can happen in a case,
the case file, the person's timeline, the lead workers' work items, and the MSP / national
return report.

Every route needs a staff bearer token; overriding the person's wishes, and signing off the end
of an enquiry (its conclusion, or that it ceased), need a manager's. A refusal by the case comes
back as problem details (RFC 9457) naming the rule and what would be accepted: 403 for a role,
409 for a closed case, 422 for a rule.
"""

# No `from __future__ import annotations`: FastAPI must see the route annotations as objects,
# because the staff and manager dependencies are local to the router (they hold the verifier).

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, JsonValue, ValidationError

from services.outcomes.application import requests as body
from services.outcomes.application.commands import CaseBusy, CaseCommands, CaseNotFound
from services.outcomes.domain import (
    Case,
    CaseIsClosed,
    CaseRefused,
    FormalActionRefused,
    NotPermitted,
    TimeOutOfBounds,
    UnknownOutcome,
    case_id_for,
    report_as_csv,
    report_as_dict,
)
from services.outcomes.read_models.case_file import (
    AllocatedCase,
    CaseFile,
    allocated_cases,
    allocated_teams,
    read_case_file,
)
from services.outcomes.read_models.concern_cases import ConcernCases
from services.outcomes.read_models.msp_report import report_for
from services.outcomes.read_models.timeline import Timeline, read_timeline
from services.outcomes.read_models.work_items import (
    OpenWorkItem,
    case_work_items,
    open_work_items,
)
from shared.access import StaffMember
from shared.events import Actor, Envelope, Role
from shared.events.outcomes import CaseOpened
from shared.eventstore import envelope_from_document
from shared.http import FieldProblem, IdInPath, ProblemError, current_correlation_id
from shared.identity import StaffTokens
from shared.mongo import Database

CASE = "/cases/{case_id}"


class RecordedEvent(BaseModel):
    event_id: str
    event_type: str
    stream_version: int
    occurred_at: AwareDatetime
    payload: dict[str, JsonValue]


class Recorded(BaseModel):
    """What was recorded: the case's new events (with any new ids in their payloads)."""

    case_id: str
    version: int
    """The case's version after recording; the case file shows it once it has caught up."""
    events: list[RecordedEvent]


class CaseLocator(BaseModel):
    """Where a concern's case is: its own, or the open case it joined as a repeat report."""

    case_id: str
    concern_id: str
    """The concern the case was opened for."""
    person_id: str
    reference: str
    opened_at: AwareDatetime
    joined_as_repeat: bool = False
    """True when the concern asked about is a repeat report that joined this case."""


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class ReportCell(BaseModel):
    enquiry_type: str
    category: str
    subcategory: str
    value: int


class ReportTable(BaseModel):
    reference: str
    """The national return's table reference (SG1a ... SG4a), or LOCAL-MSPn for a local measure."""
    title: str
    counts: str
    official: bool
    cells: list[ReportCell]


class ReportPeriod(BaseModel):
    start: date
    end: date


class MspReportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: ReportPeriod
    tables: list[ReportTable]


_REFUSALS: tuple[tuple[type[CaseRefused], int, str, str | None], ...] = (
    (NotPermitted, 403, "Not permitted", None),
    (CaseIsClosed, 409, "The case is closed", None),
    (
        FormalActionRefused,
        422,
        "Formal action refused: no consent from the person and no manager's override",
        "action",
    ),
    (UnknownOutcome, 422, "No such outcome in this case", None),
    (CaseRefused, 422, "The case refused the change", None),
)


def refusal_problem(refusal: CaseRefused) -> ProblemError:
    """The problem details for a refusal by the case; the message is the rule's own."""
    if isinstance(refusal, TimeOutOfBounds):
        return ProblemError(
            422,
            "The time given is not allowed",
            str(refusal),
            errors=[
                FieldProblem(field=refusal.field, problem=refusal.problem, allowed=refusal.allowed)
            ],
        )
    for kind, status, title, field in _REFUSALS:
        if isinstance(refusal, kind):
            errors = [FieldProblem(field=field, problem=str(refusal))] if field else None
            return ProblemError(status, title, str(refusal), errors=errors)
    raise AssertionError("CaseRefused is the last entry")


def invalid_event_problem(error: ValidationError) -> ProblemError:
    """A change the case's events cannot hold (e.g. an override not told to the person with no
    reason why): 422 naming the field and the rule."""
    problems = [
        FieldProblem(
            field=".".join(str(p) for p in item["loc"]) or "(body)",
            problem=item["msg"].removeprefix("Value error, "),
        )
        for item in error.errors(include_url=False)
    ]
    return ProblemError(
        422,
        f"The case refused the change: {error.title} would not be valid",
        "; ".join(f"{p.field}: {p.problem}" for p in problems),
        errors=problems,
    )


def _recorded(case_id: str, envelopes: list[Envelope]) -> Recorded:
    return Recorded(
        case_id=case_id,
        version=envelopes[-1].stream_version if envelopes else 0,
        events=[
            RecordedEvent(
                event_id=e.event_id,
                event_type=e.event_type,
                stream_version=e.stream_version,
                occurred_at=e.occurred_at,
                payload=e.payload.model_dump(mode="json"),
            )
            for e in envelopes
        ],
    )


def _name_of(actor: Actor) -> str:
    # Staff tokens carry the display name in the actor's `agency` slot (shared.identity).
    return actor.agency or actor.id


def cases_router(commands: CaseCommands, database: Database, staff: StaffTokens) -> APIRouter:
    router = APIRouter(tags=["cases"])
    concern_cases = ConcernCases(database)

    Staff = Annotated[Actor, Depends(staff.requires())]
    Manager = Annotated[Actor, Depends(staff.requires(Role.MANAGER))]
    Member = Annotated[StaffMember, Depends(staff.requires_member())]

    sees = staff.sees

    async def record(case_id: str, actor: Actor, decide: Callable[[Case], object]) -> Recorded:
        try:
            envelopes = await commands.execute(
                case_id, actor, decide, correlation_id=current_correlation_id()
            )
        except CaseNotFound as error:
            raise ProblemError(404, "No such case", f"No case has the id {case_id!r}") from error
        except CaseRefused as refusal:
            raise refusal_problem(refusal) from refusal
        except ValidationError as error:
            raise invalid_event_problem(error) from error
        except CaseBusy as error:
            raise ProblemError(
                409, "The case is busy", "The case kept changing while recording; try again"
            ) from error
        return _recorded(case_id, envelopes)

    def existing_outcome(case: Case, desired_outcome_id: str) -> None:
        if desired_outcome_id not in case.desired_outcomes:
            raise ProblemError(
                404,
                "No such desired outcome",
                f"No desired outcome {desired_outcome_id!r} in case {case.case_id}",
            )

    # -- reading ---------------------------------------------------------------------------

    async def locate(concern_id: str) -> CaseLocator | None:
        case_id = await concern_cases.case_of(concern_id) or case_id_for(concern_id)
        first = await commands.store.events.find_one({"stream_id": case_id, "stream_version": 1})
        if first is None:
            return None
        opened = envelope_from_document(first, await commands.store.opening_keys([first])).payload
        assert isinstance(opened, CaseOpened)
        return CaseLocator(
            case_id=opened.case_id,
            concern_id=opened.concern_id,
            person_id=opened.person_id,
            reference=opened.reference,
            opened_at=opened.opened_at,
            joined_as_repeat=opened.concern_id != concern_id,
        )

    @router.get(
        "/concerns/{concern_id}/case",
        response_model=CaseLocator,
        summary="The case opened for a concern",
    )
    async def case_for_concern(concern_id: IdInPath, actor: Staff) -> CaseLocator:
        found = await locate(concern_id)
        if found is None:
            raise ProblemError(
                404, "No case for this concern", f"No case is open for concern {concern_id!r} yet"
            )
        return found

    @router.get(
        "/cases", response_model=list[CaseLocator], summary="Find the case opened for a concern"
    )
    async def find_cases(
        actor: Staff, concern_id: Annotated[str, Query(min_length=1, max_length=100)]
    ) -> list[CaseLocator]:
        found = await locate(concern_id)
        return [found] if found else []

    @router.get(CASE, response_model=CaseFile, summary="The case file")
    async def case_file(case_id: IdInPath, actor: Staff) -> CaseFile:
        file = await read_case_file(database, case_id)
        if file is None:
            raise ProblemError(404, "No such case file", f"No case file for {case_id!r} (yet)")
        return file

    @router.get(
        f"{CASE}/timeline",
        response_model=Timeline,
        summary="The person's timeline: what happened, what they said, what they were told",
        description="For staff: everything, with steps the person was not told about (withheld, "
        "or a manager recorded telling them is unsafe) flagged `withheld_from_person`, and case "
        "notes between professionals. With `for_the_person=true`: the timeline addressed to "
        "the person, which leaves both out.",
    )
    async def timeline(case_id: IdInPath, actor: Staff, for_the_person: bool = False) -> Timeline:
        found = await read_timeline(database, case_id)
        if found is None:
            raise ProblemError(404, "No such timeline", f"No timeline for {case_id!r} (yet)")
        return found.as_the_person_may_see_it() if for_the_person else found

    @router.get(
        f"{CASE}/work-items",
        response_model=list[OpenWorkItem],
        summary="The case's open work items: dates agreed with the person that passed unkept",
    )
    async def work_items_of_case(case_id: IdInPath, actor: Staff) -> list[OpenWorkItem]:
        found = await case_work_items(database, case_id)
        if found is None:
            raise ProblemError(404, "No such case", f"No work items for {case_id!r} (yet)")
        return found

    @router.get(
        "/work-items",
        response_model=list[OpenWorkItem],
        tags=["work items"],
        summary="Open work items, oldest agreed date first: a lead worker's, or everyone's",
        description="Only those of cases the caller may read: their teams' (a case not yet "
        "allocated is the team for unallocated cases'); a manager's, every case's.",
    )
    async def work_items(
        member: Member,
        lead_worker: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=200,
                description="The lead worker's name, as named on their cases",
            ),
        ] = None,
    ) -> list[OpenWorkItem]:
        items = await open_work_items(database, lead_worker)
        teams = await allocated_teams(database, {item.case_id for item in items})
        return [item for item in items if sees(member, teams.get(item.case_id))]

    @router.get(
        "/allocations",
        response_model=list[AllocatedCase],
        tags=["work items"],
        summary="Open cases allocated to a team or a worker (both, when both are given), the "
        "longest allocated first",
        description="Only cases the caller may read: their teams' cases; a manager's, every case.",
    )
    async def allocations(
        member: Member,
        team: Annotated[
            str | None,
            Query(min_length=1, max_length=200, description="The team, as the directory names it"),
        ] = None,
        worker: Annotated[
            str | None,
            Query(min_length=1, max_length=200, description="The worker, as named on their cases"),
        ] = None,
    ) -> list[AllocatedCase]:
        found = await allocated_cases(database, team=team, worker=worker)
        return [case for case in found if sees(member, case.team)]

    @router.get(
        "/reports/msp",
        response_model=MspReportBody,
        summary="The MSP and national return (SAC) report over a period",
        responses={200: {"content": {"text/csv": {}}}},
    )
    async def msp(
        actor: Staff,
        period_start: Annotated[date, Query(alias="from", description="First day, YYYY-MM-DD")],
        period_end: Annotated[date, Query(alias="to", description="Last day, YYYY-MM-DD")],
        report_format: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
    ) -> Response | MspReportBody:
        if period_end < period_start:
            raise ProblemError(
                422,
                "The period is not valid",
                f"to ({period_end}) is before from ({period_start})",
                errors=[
                    FieldProblem(field="to", problem="is before from", allowed=f">= {period_start}")
                ],
            )
        report = await report_for(database, period_start, period_end)
        if report_format is ReportFormat.CSV:
            return Response(
                report_as_csv(report),
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="msp-{period_start}-{period_end}.csv"'
                },
            )
        return MspReportBody.model_validate(report_as_dict(report))

    # -- the enquiry -----------------------------------------------------------------------

    @router.post(
        f"{CASE}/lead-worker",
        status_code=201,
        response_model=Recorded,
        summary="Name the lead worker",
    )
    async def lead_worker(
        case_id: IdInPath, request: body.AssignLeadWorker, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.assign_lead_worker(
                name=request.name,
                contact=request.contact,
                assigned_at=request.assigned_at,
            ),
        )

    @router.post(
        f"{CASE}/allocation",
        status_code=201,
        response_model=Recorded,
        summary="Manager only: allocate the case to a team, and to a worker in it",
    )
    async def allocate(case_id: IdInPath, request: body.AllocateCase, actor: Manager) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.allocate(
                team=request.team, worker=request.worker, allocated_by=_name_of(actor)
            ),
        )

    @router.post(
        f"{CASE}/conversations",
        status_code=201,
        response_model=Recorded,
        summary="Record a conversation with the person",
    )
    async def conversation(
        case_id: IdInPath, request: body.HoldConversation, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.hold_conversation(
                participants=request.participants,
                held_at=request.held_at,
                mode=request.mode,
                summary=request.summary,
            ),
        )

    @router.post(
        f"{CASE}/case-notes",
        status_code=201,
        response_model=Recorded,
        summary="Record a contact between professionals (for staff; never sent to the person)",
    )
    async def case_note(case_id: IdInPath, request: body.RecordCaseNote, actor: Staff) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.record_case_note(
                contact_with=request.contact_with,
                mode=request.mode,
                what_was_said=request.what_was_said,
                what_was_agreed=request.what_was_agreed,
                recorded_by=_name_of(actor),
                happened_at=request.happened_at,
            ),
        )

    @router.put(
        f"{CASE}/demographics",
        response_model=Recorded,
        summary="Record what the national return counts about the person",
    )
    async def demographics(
        case_id: IdInPath, request: body.RecordDemographics, actor: Staff
    ) -> Recorded:
        return await record(
            case_id, actor, lambda case: case.record_demographics(request.demographics)
        )

    @router.post(
        f"{CASE}/meetings", status_code=201, response_model=Recorded, summary="Arrange a meeting"
    )
    async def meeting(case_id: IdInPath, request: body.ArrangeMeeting, actor: Staff) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.arrange_meeting(
                meets_at=request.meets_at,
                where_or_how=request.where_or_how,
                purpose=request.purpose,
                invited=request.invited,
                person_invited=request.person_invited,
                format=request.format,
            ),
        )

    # -- what the person wants -------------------------------------------------------------

    @router.post(
        f"{CASE}/desired-outcomes",
        status_code=201,
        response_model=Recorded,
        summary="Record what the person wants, in their own words",
    )
    async def express(
        case_id: IdInPath, request: body.ExpressDesiredOutcome, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.express_desired_outcome(
                text=request.text,
                expressed_by=request.expressed_by,
                expressed_at=request.expressed_at,
                category=request.category,
            ),
        )

    @router.put(
        f"{CASE}/desired-outcomes/{{desired_outcome_id}}",
        response_model=Recorded,
        summary="Record that the person changed what they want (earlier words are kept)",
    )
    async def revise(
        case_id: IdInPath,
        desired_outcome_id: IdInPath,
        request: body.ReviseDesiredOutcome,
        actor: Staff,
    ) -> Recorded:
        def decide(case: Case) -> None:
            existing_outcome(case, desired_outcome_id)
            case.revise_desired_outcome(
                desired_outcome_id,
                text=request.text,
                expressed_by=request.expressed_by,
                revised_at=request.revised_at,
                category=request.category,
            )

        return await record(case_id, actor, decide)

    @router.post(
        f"{CASE}/desired-outcomes/{{desired_outcome_id}}/withdraw",
        status_code=201,
        response_model=Recorded,
        summary="Record that the person no longer wants an outcome",
    )
    async def withdraw(
        case_id: IdInPath,
        desired_outcome_id: IdInPath,
        request: body.WithdrawDesiredOutcome,
        actor: Staff,
    ) -> Recorded:
        def decide(case: Case) -> None:
            existing_outcome(case, desired_outcome_id)
            case.withdraw_desired_outcome(
                desired_outcome_id,
                reason=request.reason,
                withdrawn_at=request.withdrawn_at,
            )

        return await record(case_id, actor, decide)

    @router.post(
        f"{CASE}/agreed-outcomes",
        status_code=201,
        response_model=Recorded,
        summary="Agree an outcome with the person, serving their desired outcomes",
    )
    async def agree(case_id: IdInPath, request: body.AgreeOutcome, actor: Staff) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.agree_outcome(
                wording=request.wording,
                serves=request.serves,
                agreed_at=request.agreed_at,
            ),
        )

    # -- formal action, capacity and advocacy ----------------------------------------------

    @router.post(
        f"{CASE}/formal-action-wishes",
        status_code=201,
        response_model=Recorded,
        summary="Record whether the person wants a formal action taken",
    )
    async def wishes(
        case_id: IdInPath, request: body.RecordFormalActionWishes, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.record_formal_action_wishes(
                actor,
                request.action,
                wish=request.wish,
                in_their_words=request.in_their_words,
                expressed_by=request.expressed_by,
                recorded_at=request.recorded_at,
            ),
        )

    @router.post(
        f"{CASE}/wishes-overrides",
        status_code=201,
        response_model=Recorded,
        summary="Manager only: let one formal action go ahead against the person's wishes",
    )
    async def override(case_id: IdInPath, request: body.OverrideWishes, actor: Manager) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.override_wishes(
                actor,
                request.action,
                grounds=request.grounds,
                reason=request.reason,
                person_told=request.person_told,
                why_not_told=request.why_not_told,
            ),
        )

    @router.post(
        f"{CASE}/best-interests-decisions",
        status_code=201,
        response_model=Recorded,
        summary="Record a best-interests decision about a formal action the person cannot "
        "decide about themselves",
    )
    async def best_interests(
        case_id: IdInPath, request: body.MakeBestInterestsDecision, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.make_best_interests_decision(
                request.action,
                capacity_assessment_id=request.capacity_assessment_id,
                in_best_interests=request.in_best_interests,
                persons_wishes=request.persons_wishes,
                consulted=request.consulted,
                reasons=request.reasons,
                decided_by=_name_of(actor),
                decided_at=request.decided_at,
            ),
        )

    @router.post(
        f"{CASE}/formal-actions",
        status_code=201,
        response_model=Recorded,
        summary="Record a formal action taken (needs the person's consent, recorded by someone "
        "else, a best-interests decision, or a manager's override)",
    )
    async def formal_action(
        case_id: IdInPath, request: body.TakeFormalAction, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.take_formal_action(
                actor,
                request.action,
                description=request.description,
                requested_by=request.requested_by or _name_of(actor),
                taken_at=request.taken_at,
            ),
        )

    @router.post(
        f"{CASE}/mental-capacity",
        status_code=201,
        response_model=Recorded,
        summary="Record a mental capacity assessment for one decision",
    )
    async def capacity(
        case_id: IdInPath, request: body.AssessMentalCapacity, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.assess_mental_capacity(
                decision=request.decision,
                lacks_capacity=request.lacks_capacity,
                assessed_by=request.assessed_by or _name_of(actor),
                assessed_at=request.assessed_at,
                best_interests=request.best_interests,
                formal_action=request.formal_action,
            ),
        )

    @router.post(
        f"{CASE}/advocate",
        status_code=201,
        response_model=Recorded,
        summary="Record that an independent advocate was arranged (Care Act s68)",
    )
    async def advocate(case_id: IdInPath, request: body.AppointAdvocate, actor: Staff) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.appoint_advocate(
                name=request.name,
                organisation=request.organisation,
                substantial_difficulty=request.substantial_difficulty,
                no_appropriate_person=request.no_appropriate_person,
                appointed_at=request.appointed_at,
                contact=request.contact,
            ),
        )

    # -- risk and the plan -----------------------------------------------------------------

    @router.post(
        f"{CASE}/risk-discussions",
        status_code=201,
        response_model=Recorded,
        summary="Record a risk discussion and the person's decision",
    )
    async def risk_discussion(
        case_id: IdInPath, request: body.HoldRiskDiscussion, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.hold_risk_discussion(
                present=request.present,
                options=request.options,
                persons_decision=request.persons_decision,
                decided_by=request.decided_by,
                held_at=request.held_at,
            ),
        )

    @router.post(
        f"{CASE}/plan",
        status_code=201,
        response_model=Recorded,
        summary="Agree the safeguarding plan (replaces any earlier plan)",
    )
    async def plan(case_id: IdInPath, request: body.AgreePlan, actor: Staff) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.agree_plan(actions=request.actions, agreed_at=request.agreed_at),
        )

    @router.post(
        f"{CASE}/plan/actions/{{action_id}}/completion",
        status_code=201,
        response_model=Recorded,
        summary="Record that an action of the current plan was done",
    )
    async def plan_action_done(
        case_id: IdInPath, action_id: IdInPath, request: body.CompletePlanAction, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.complete_plan_action(
                action_id, completed_at=request.completed_at, note=request.note
            ),
        )

    # -- timeliness for the person ---------------------------------------------------------

    @router.post(
        f"{CASE}/next-contact",
        status_code=201,
        response_model=Recorded,
        summary="Record the next contact date agreed with the person",
    )
    async def next_contact(
        case_id: IdInPath, request: body.AgreeNextContact, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.agree_next_contact(
                contact_on=request.contact_on, agreed_at=request.agreed_at
            ),
        )

    @router.post(
        f"{CASE}/review-date",
        status_code=201,
        response_model=Recorded,
        summary="Record the review date agreed with the person",
    )
    async def review_date(
        case_id: IdInPath, request: body.AgreeReviewDate, actor: Staff
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.agree_review_date(
                review_on=request.review_on, agreed_at=request.agreed_at
            ),
        )

    # -- review, conclusion, closure -------------------------------------------------------

    @router.post(
        f"{CASE}/reviews",
        status_code=201,
        response_model=Recorded,
        summary="Record the person's view of their outcomes and of how it felt",
    )
    async def review(case_id: IdInPath, request: body.ReviewOutcomes, actor: Staff) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.review_outcomes(
                stage=request.stage,
                ratings=request.ratings,
                experience=request.experience,
                reviewed_at=request.reviewed_at,
                person_view=request.person_view,
            ),
        )

    @router.post(
        f"{CASE}/conclusion",
        status_code=201,
        response_model=Recorded,
        summary="Manager only: sign off the enquiry's conclusion",
    )
    async def conclusion(
        case_id: IdInPath, request: body.ConcludeEnquiry, actor: Manager
    ) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.conclude_enquiry(
                actor,
                case_details=request.case_details,
                msp_asked=request.msp_asked,
                achievements=request.achievements,
            ),
        )

    @router.post(
        f"{CASE}/cessation",
        status_code=201,
        response_model=Recorded,
        summary="Manager only: record that the enquiry stopped before its conclusion, and why",
    )
    async def cessation(case_id: IdInPath, request: body.CeaseEnquiry, actor: Manager) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.cease_enquiry(
                actor,
                reason=request.reason,
                explanation=request.explanation,
                persons_view=request.persons_view,
                case_details=request.case_details,
                msp_asked=request.msp_asked,
                achievements=request.achievements,
            ),
        )

    @router.post(
        f"{CASE}/closure", status_code=201, response_model=Recorded, summary="Close the case"
    )
    async def closure(case_id: IdInPath, request: body.CloseCase, actor: Staff) -> Recorded:
        return await record(
            case_id,
            actor,
            lambda case: case.close(
                reason=request.reason,
                person_view=request.person_view,
                feedback_to_referrer=request.feedback_to_referrer,
                sar_considered=request.sar_considered,
            ),
        )

    return router
