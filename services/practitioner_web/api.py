"""The pages: sign in and out, my work and the team's, search, the person, the concern, the case
and every step recorded in it, the safe-contact decision, the chronology, the printable record
and the MSP report. Server-rendered HTML on the GOV.UK Design System; every form works without
JavaScript, carries a CSRF token, and shows a service's refusal as an error on the form."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.practitioner_web.adapters.services import Refused, Services, reading_with_reason
from services.practitioner_web.adapters.sign_in import OAuthError, SignIn
from services.practitioner_web.application import pages
from services.practitioner_web.application.pages import User
from services.practitioner_web.domain import chronology, forms, safe_contact, steps, work
from services.practitioner_web.domain.charts import CHARTED_TABLES, chart_of_table
from services.practitioner_web.domain.forms import Form, FormError
from shared.access import REASON_MAX, REASON_MIN, reason_problem
from shared.events import Role

RECENT_PEOPLE = 5
AUDIT_CRITERIA = {"person_id": "Person's id", "staff_id": "Staff member's id"}
RENEW_BEFORE_EXPIRY_S = 30


class SignInNeeded(Exception):
    """The page needs a signed-in member of staff; the browser is sent to sign in."""


class NotAllowed(Exception):
    """The user's role may not see this page (a practitioner asking for a manager's form)."""


class NotFound(Exception):
    def __init__(self, what: str) -> None:
        self.what = what


def user_of(request: Request) -> User:
    signed_in = request.session.get("user")
    if not signed_in:
        raise SignInNeeded
    if signed_in.get("role") is None:
        raise NotAllowed
    if float(signed_in.get("expires_at", 0)) - RENEW_BEFORE_EXPIRY_S < time.time():
        # The provider's own session is usually still on: signing in again comes straight back.
        raise SignInNeeded
    given = request.session.get("access_reason") or {}
    reading_with_reason(
        given.get("reason") if given.get("record") == record_of(request.url.path) else None
    )
    return User(
        subject=signed_in["sub"],
        name=signed_in["name"],
        role=Role(signed_in["role"]),
        token=request.session["access_token"],
        teams=tuple(signed_in.get("teams", ())),
    )


def record_of(path: str) -> str:
    """The record a page belongs to (`/cases/<id>`, `/people/<id>`): a reason given to read it
    outside one's team covers that record's pages, and no other."""
    return "/".join(path.split("/")[:3])


def local_path(back: str) -> str:
    """`back` when it is a path of this web app, otherwise the user's work (never another site)."""
    return back if back.startswith("/") and not back.startswith(("//", "/\\")) else "/work"


def reason_error(reason: str) -> FormError | None:
    """What the break-the-glass form says is wrong with a reason, by the services' own rule."""
    if not reason:
        return FormError("reason", "Enter why you need to see this record")
    problem = reason_problem(reason)
    if problem is None:
        return None
    if problem.startswith("is "):
        return FormError(
            "reason", f"Reason must be between {REASON_MIN} and {REASON_MAX} characters"
        )
    return FormError("reason", "Reason must be written with letters, numbers and punctuation only")


def check_csrf(request: Request, posted: Mapping[str, Sequence[str]]) -> None:
    expected = request.session.get("csrf")
    given = (posted.get("csrf_token") or [""])[0]
    if not expected or not secrets.compare_digest(str(expected), given):
        raise NotAllowed


async def posted_form(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    posted = {key: [str(v) for v in form.getlist(key)] for key in form}
    check_csrf(request, posted)
    return posted


def remember(request: Request, person_id: str, name: str) -> None:
    recent = [p for p in request.session.get("recent", []) if p["id"] != person_id]
    request.session["recent"] = [{"id": person_id, "name": name}, *recent][:RECENT_PEOPLE]


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def build_router(
    templates: Jinja2Templates, services: Services, sign_in: SignIn, *, council: str
) -> APIRouter:
    router = APIRouter()

    def render(
        request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        signed_in = request.session.get("user")
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return templates.TemplateResponse(
            request,
            template,
            {
                "user": signed_in,
                "is_manager": bool(signed_in and signed_in.get("role") == Role.MANAGER.value),
                "csrf_token": request.session["csrf"],
                "flash": request.session.pop("flash", None),
                "council": council,
                "path": request.url.path,
                **context,
            },
            status_code=status_code,
        )

    # --- signing in and out -------------------------------------------------------------------

    @router.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        return RedirectResponse("/work" if request.session.get("user") else "/sign-in", 303)

    @router.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_page(request: Request) -> HTMLResponse:
        return render(request, "sign_in.html", title="Sign in")

    @router.get("/sign-in/start")
    async def start_sign_in(request: Request) -> Response:
        return await sign_in.redirect(request)

    @router.get("/sign-in/callback")
    async def signed_in(request: Request) -> Response:
        try:
            who = await sign_in.complete(request)
        except OAuthError:
            return render(request, "sign_in.html", 400, title="Sign in", failed=True)
        back = request.session.pop("after_sign_in", "/work")
        request.session.clear()
        request.session.update(
            user={
                "sub": who.subject,
                "name": who.name,
                "role": who.role.value if who.role else None,
                "expires_at": who.expires_at,
                "teams": list(who.teams),
            },
            access_token=who.access_token,
            id_token=who.id_token,
            csrf=secrets.token_urlsafe(32),
        )
        if who.role is None:
            return render(request, "no_access.html", 403, title="You do not have access")
        return RedirectResponse(back if back.startswith("/") else "/work", 303)

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        await posted_form(request)
        id_token = request.session.get("id_token")
        request.session.clear()
        return RedirectResponse(await sign_in.sign_out_url(id_token), 303)

    @router.get("/signed-out", response_class=HTMLResponse)
    async def signed_out(request: Request) -> HTMLResponse:
        request.session.clear()
        return render(request, "signed_out.html", title="You have signed out")

    # --- reading outside one's team ("break the glass") -------------------------------------

    @router.post("/access-reason", response_class=HTMLResponse)
    async def give_access_reason(request: Request) -> Response:
        user_of(request)
        posted = await posted_form(request)
        back = local_path((posted.get("back") or ["/work"])[0])
        # A reason typed over several lines is one reason: the header carries it on one line.
        reason = " ".join((posted.get("reason") or [""])[0].split())
        error = reason_error(reason)
        if error is not None:
            return render(
                request,
                "access_reason.html",
                400,
                title="Why do you need to see this record?",
                back=back,
                reason=reason,
                errors=[error],
            )
        # One record's reason at a time: the session is one cookie, which the tokens mostly fill.
        request.session["access_reason"] = {"record": record_of(back), "reason": reason}
        return RedirectResponse(back, 303)

    # --- work ---------------------------------------------------------------------------------

    @router.get("/work", response_class=HTMLResponse)
    async def my_work(request: Request, view: str = "mine") -> HTMLResponse:
        user = user_of(request)
        kinds = request.query_params.getlist("kind")
        mine, team = await pages.my_and_team_work(services, user)
        shown = {"mine": mine, "team": team}.get(view, [])
        return render(
            request,
            "work.html",
            title={"mine": "My work", "team": "Team work", "recent": "Recently viewed"}.get(
                view, "My work"
            ),
            view=view,
            items=work.filtered(shown, kinds),
            counts={"mine": len(mine), "team": len(team)},
            kinds=kinds,
            kind_words=work.KIND_WORDS,
            priority_words=work.PRIORITY_WORDS,
            recent=request.session.get("recent", []),
        )

    # --- search -------------------------------------------------------------------------------

    @router.get("/search", response_class=HTMLResponse)
    async def search(request: Request) -> HTMLResponse:
        user = user_of(request)
        criteria = {
            key: request.query_params.get(key, "").strip()
            for key in ("name", "date_of_birth", "postcode", "nhs_number", "reference")
        }
        given = {k: v for k, v in criteria.items() if v}
        errors: list[FormError] = []
        people: list[Any] | None = None
        if given:
            try:
                people = await services.get("intake", "/people", user.token, params=given)
            except Refused as refused:
                errors = [
                    FormError(e.field if e.field in criteria else None, _search_problem(e.field))
                    for e in refused.errors
                ] or [FormError(None, refused.detail)]
        return render(
            request,
            "search.html",
            title="Find a person",
            criteria=criteria,
            people=people,
            errors=errors,
        )

    # --- the person ---------------------------------------------------------------------------

    async def person_or_404(user: User, person_id: str) -> pages.PersonPage:
        found = await pages.person_page(services, user, person_id)
        if found is None:
            raise NotFound("person")
        return found

    @router.get("/people/{person_id}", response_class=HTMLResponse)
    async def person(request: Request, person_id: str) -> HTMLResponse:
        user = user_of(request)
        page = await person_or_404(user, person_id)
        remember(request, person_id, page.person["name"])
        return render(request, "person.html", title=page.person["name"], page=page, tab="overview")

    @router.api_route("/people/{person_id}/safe-contact", methods=["GET", "POST"])
    async def decide_safe_contact(request: Request, person_id: str) -> Response:
        user = user_of(request)
        page = await person_or_404(user, person_id)
        picture = await services.find(
            "notification", f"/people/{person_id}/safe-contact", user.token
        )
        if picture is None:
            raise NotFound("record of how this person is told")
        options = safe_contact.route_options(picture)
        concern_id = request.query_params.get("concern") or (
            page.awaiting_safe_contact[0] if page.awaiting_safe_contact else ""
        )
        posted: dict[str, list[str]] = {}
        errors: list[FormError] = []
        stage = "question"
        judgement = None
        if request.method == "POST":
            posted = await posted_form(request)
            concern_id = (posted.get("concern_id") or [concern_id])[0]
            judgement = safe_contact.judge(
                options, posted.get("routes", []), posted.get("checked", [])
            )
            errors = list(judgement.errors)
            action = (posted.get("next_step") or ["check"])[0]
            if not errors and action == "check":
                stage = "check"
            elif not errors and action == "confirm":
                try:
                    await pages.record(
                        services,
                        user,
                        "notification",
                        f"/people/{person_id}/safe-contact",
                        {"concern_id": concern_id, "routes": list(judgement.routes)},
                    )
                except Refused as refused:
                    errors = [
                        FormError("routes", _sentence(e.problem)) for e in refused.errors
                    ] or [FormError("routes", refused.detail or refused.title)]
                else:
                    flash(request, "Safe contact recorded: waiting messages are being sent")
                    return RedirectResponse(f"/people/{person_id}", 303)
        return render(
            request,
            "safe_contact.html" if stage == "question" else "safe_contact_check.html",
            400 if errors else 200,
            title="Check it is safe to contact them"
            if stage == "question"
            else "Check your answers",
            page=page,
            tab="safe-contact",
            options=options,
            concern_id=concern_id,
            chosen=posted.get("routes", []),
            checked=posted.get("checked", []),
            errors=errors,
            routes=judgement.routes if judgement else (),
            by_value={o.value: o for o in options},
        )

    @router.api_route("/people/{person_id}/withholding", methods=["GET", "POST"])
    async def withhold(request: Request, person_id: str) -> Response:
        user = user_of(request)
        page = await person_or_404(user, person_id)
        form = steps.withholding(date.today())
        return await question_page(
            request,
            user,
            form,
            service="notification",
            path=f"/people/{person_id}/withholdings",
            back=f"/people/{person_id}",
            context={"page": page, "tab": "overview"},
        )

    @router.api_route("/people/{person_id}/told/{source_event_id}", methods=["GET", "POST"])
    async def told_them(request: Request, person_id: str, source_event_id: str) -> Response:
        user = user_of(request)
        page = await person_or_404(user, person_id)
        step = await pages.step_to_tell(services, user, person_id, source_event_id)
        if step is None:
            raise NotFound("step to tell them about")
        form = steps.told_by_practitioner(
            step["told_about"], tuple(step["recipients"]), source_event_id
        )
        return await question_page(
            request,
            user,
            form,
            service="notification",
            path=f"/people/{person_id}/informed",
            back=f"/people/{person_id}",
            context={"page": page, "tab": "overview", "caption": page.person["name"]},
        )

    # --- concerns -----------------------------------------------------------------------------

    @router.get("/concerns/{concern_id}", response_class=HTMLResponse)
    async def concern(request: Request, concern_id: str) -> HTMLResponse:
        user = user_of(request)
        record = await services.find("intake", f"/concerns/{concern_id}", user.token)
        if record is None:
            raise NotFound("concern")
        case = await services.find("outcomes", f"/concerns/{concern_id}/case", user.token)
        return render(
            request,
            "concern.html",
            title=f"Concern {record['reference']}",
            concern=record,
            case=case,
            decision_words=steps.DECISION_WORDS,
        )

    concern_forms = {"information": steps.information, "decision": steps.s42_decision}

    @router.api_route("/concerns/{concern_id}/record/{key}", methods=["GET", "POST"])
    async def record_concern_step(request: Request, concern_id: str, key: str) -> Response:
        user = user_of(request)
        if key not in concern_forms:
            raise NotFound("form")
        record = await services.find("intake", f"/concerns/{concern_id}", user.token)
        if record is None:
            raise NotFound("concern")
        return await question_page(
            request,
            user,
            concern_forms[key](),
            service="intake",
            path=f"/concerns/{concern_id}/{key}",
            back=f"/concerns/{concern_id}",
            context={
                "caption": f"Concern {record['reference']} · {record['raised']['person']['name']}"
            },
        )

    # --- cases --------------------------------------------------------------------------------

    async def file_or_404(user: User, case_id: str) -> Any:
        file = await pages.case_file(services, user, case_id)
        if file is None:
            raise NotFound("case")
        return file

    @router.get("/cases/{case_id}", response_class=HTMLResponse)
    async def case(request: Request, case_id: str) -> HTMLResponse:
        user = user_of(request)
        file = await file_or_404(user, case_id)
        page = await person_or_404(user, file["person_id"])
        return render(
            request,
            "case.html",
            title=f"Case {file['reference']}",
            file=file,
            page=page,
            tab="case",
            action_words=steps.ACTION_WORDS,
            wish_words=steps.WISH_WORDS,
        )

    @router.api_route("/cases/{case_id}/record/{key}", methods=["GET", "POST"])
    async def record_case_step(request: Request, case_id: str, key: str) -> Response:
        user = user_of(request)
        if key not in steps.CASE_FORMS:
            raise NotFound("form")
        file = await file_or_404(user, case_id)
        form = steps.CASE_FORMS[key](pages.case_context(file, user))
        return await question_page(
            request,
            user,
            form,
            service="outcomes",
            path=f"/cases/{case_id}/{steps.CASE_PATHS[key]}",
            back=f"/cases/{case_id}",
            context={"caption": _case_caption(file)},
        )

    @router.api_route("/cases/{case_id}/outcomes/{outcome_id}/{key}", methods=["GET", "POST"])
    async def record_outcome_step(
        request: Request, case_id: str, outcome_id: str, key: str
    ) -> Response:
        user = user_of(request)
        if key not in steps.OUTCOME_FORMS:
            raise NotFound("form")
        file = await file_or_404(user, case_id)
        outcome = next(
            (
                o
                for o in file["desired_outcomes"]
                if o["desired_outcome_id"] == outcome_id and not o.get("withdrawn")
            ),
            None,
        )
        if outcome is None:
            raise NotFound("desired outcome")
        form = steps.OUTCOME_FORMS[key](pages.case_context(file, user), outcome["text"])
        return await question_page(
            request,
            user,
            form,
            service="outcomes",
            path=f"/cases/{case_id}/desired-outcomes/{outcome_id}{steps.OUTCOME_PATHS[key]}",
            back=f"/cases/{case_id}",
            context={"caption": _case_caption(file)},
        )

    @router.get("/cases/{case_id}/chronology", response_class=HTMLResponse)
    async def case_chronology(
        request: Request, case_id: str, view: str = "timeline"
    ) -> HTMLResponse:
        user = user_of(request)
        file = await file_or_404(user, case_id)
        page = await person_or_404(user, file["person_id"])
        timeline, log = await pages.chronology(services, user, file)
        kinds = request.query_params.getlist("kind")
        return render(
            request,
            "chronology.html",
            title=f"Chronology of case {file['reference']}",
            file=file,
            page=page,
            tab="chronology",
            view=view,
            kinds=kinds,
            kind_words=chronology.KIND_WORDS,
            said_by_words=chronology.SAID_BY_WORDS,
            entries=chronology.entries_of_kinds(timeline["entries"], kinds),
            log=(log or {}).get("entries", []),
        )

    @router.get("/cases/{case_id}/print", response_class=HTMLResponse)
    async def printable(request: Request, case_id: str) -> HTMLResponse:
        user = user_of(request)
        file = await file_or_404(user, case_id)
        page = await person_or_404(user, file["person_id"])
        timeline, log = await pages.chronology(services, user, file)
        return render(
            request,
            "print.html",
            title=f"Record of case {file['reference']}",
            file=file,
            page=page,
            entries=timeline["entries"],
            log=(log or {}).get("entries", []),
            kind_words=chronology.KIND_WORDS,
            action_words=steps.ACTION_WORDS,
            wish_words=steps.WISH_WORDS,
        )

    # --- the audit of access (managers) -------------------------------------------------------

    @router.get("/audit", response_class=HTMLResponse)
    async def access_audit(request: Request) -> HTMLResponse:
        user = user_of(request)
        if not user.is_manager:
            raise NotAllowed
        criteria = {
            key: request.query_params.get(key, "").strip() for key in ("person_id", "staff_id")
        }
        given = {k: v for k, v in criteria.items() if v}
        errors: list[FormError] = []
        entries: list[Any] | None = None
        if given:
            try:
                entries = await pages.access_audit(services, user, given)
            except Refused as refused:
                # The services' own limits, said as the form's.
                errors = [
                    FormError(e.field, f"{AUDIT_CRITERIA[e.field]} {e.problem}")
                    for e in refused.errors
                    if e.field in AUDIT_CRITERIA
                ] or [FormError(None, refused.detail or refused.title)]
        return render(
            request,
            "audit.html",
            title="Who has seen a record",
            criteria=criteria,
            entries=entries,
            errors=errors,
        )

    # --- the report ---------------------------------------------------------------------------

    def period(request: Request) -> tuple[str, str]:
        today = date.today()
        return (
            request.query_params.get("from") or (today - timedelta(days=364)).isoformat(),
            request.query_params.get("to") or today.isoformat(),
        )

    @router.get("/reports/msp", response_class=HTMLResponse)
    async def report(request: Request) -> HTMLResponse:
        user = user_of(request)
        start, end = period(request)
        errors: list[FormError] = []
        body: Any = None
        try:
            body = await services.get(
                "outcomes", "/reports/msp", user.token, params={"from": start, "to": end}
            )
        except Refused as refused:
            errors = [FormError(e.field, _sentence(e.problem)) for e in refused.errors] or [
                FormError(None, refused.detail)
            ]
        tables = body["tables"] if body else []
        charts = [chart_of_table(table) for table in tables if table["reference"] in CHARTED_TABLES]
        return render(
            request,
            "report.html",
            title="Making Safeguarding Personal report",
            start=start,
            end=end,
            tables=tables,
            charts=charts,
            errors=errors,
        )

    @router.get("/reports/msp.csv")
    async def report_csv(request: Request) -> Response:
        user = user_of(request)
        start, end = period(request)
        answer = await services.call(
            "GET",
            "outcomes",
            "/reports/msp",
            user.token,
            params={"from": start, "to": end, "format": "csv"},
        )
        return Response(
            answer.content,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="msp-{start}-{end}.csv"'},
        )

    # --- question pages -----------------------------------------------------------------------

    async def question_page(
        request: Request,
        user: User,
        form: Form,
        *,
        service: str,
        path: str,
        back: str,
        context: dict[str, Any],
    ) -> Response:
        if form.managers_only and not user.is_manager:
            raise NotAllowed
        answers: forms.Answers = {}
        errors: list[FormError] = []
        stage = "question"
        if request.method == "POST":
            posted = await posted_form(request)
            answers = forms.answers_from(form, posted)
            action = (posted.get("next_step") or ["check"])[0]
            checked = forms.check(form, answers)
            errors = checked.errors
            if action == "check" and checked.ok:
                stage = "check"
            elif action == "confirm" and checked.ok:
                try:
                    await pages.record(
                        services, user, service, path, form.body(answers), method=form.method
                    )
                except Refused as refused:
                    errors = forms.refusal_errors(
                        form,
                        refused.title,
                        refused.detail,
                        [(e.field, e.problem) for e in refused.errors],
                    )
                else:
                    flash(request, form.done)
                    return RedirectResponse(back, 303)
            elif action == "change":
                errors = []
        return render(
            request,
            "question.html" if stage == "question" else "check.html",
            400 if errors else 200,
            title=form.title if stage == "question" else "Check your answers",
            form=form,
            answers=answers,
            errors=errors,
            rows=forms.summary(form, answers) if stage == "check" else [],
            hidden=forms.hidden_fields(form, answers),
            back=back,
            **context,
        )

    return router


def _case_caption(file: Any) -> str:
    return f"Case {file['reference']} · {file.get('person_name') or ''}"


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:]


def _search_problem(field: str) -> str:
    return {
        "name": "Enter at least 2 letters of the name",
        "date_of_birth": "Date of birth must be a real date, like 1941-06-14",
        "postcode": "Enter at least the first 2 characters of the postcode",
        "nhs_number": "NHS number must be 10 digits",
        "reference": "Enter the whole reference, like SG-2026-4F7K2Q",
    }.get(field, "Check what you entered")
