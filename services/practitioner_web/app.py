"""The web app, put together: its settings, the session cookie, sign-in at the provider, the
services' client, the templates (GOV.UK Frontend Jinja macros and this app's own pages), the
GOV.UK and MOJ assets npm installed, and the pages."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)

from services.practitioner_web.adapters.services import (
    Refused,
    Services,
    ServiceUnavailable,
    SignInAgain,
)
from services.practitioner_web.adapters.sessions import EncryptedSessionMiddleware
from services.practitioner_web.adapters.sign_in import SignIn
from services.practitioner_web.api import NotAllowed, NotFound, SignInNeeded, build_router
from services.practitioner_web.domain.forms import Choice, Form, FormError, Kind
from services.practitioner_web.settings import WebSettings
from shared.http import BoundedRequests

ENGLAND = ZoneInfo("Europe/London")
TEMPLATES = Path(__file__).parent / "templates"


def templates() -> Jinja2Templates:
    environment = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["words"] = lambda value: str(value or "").replace("_", " ")
    environment.filters["day"] = _day
    environment.filters["moment"] = _moment
    environment.globals["error_for"] = error_for
    environment.globals["error_list"] = error_list
    environment.globals["choice_items"] = choice_items
    return Jinja2Templates(env=environment)


def _day(value: str | None) -> str:
    if not value:
        return ""
    try:
        return f"{date.fromisoformat(str(value)[:10]):%-d %B %Y}"
    except ValueError:
        return str(value)


def _moment(value: str | None) -> str:
    """A time of record in England's local time, as GOV.UK writes times: 3 March 2027 at 2:05pm."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value)).astimezone(ENGLAND)
    except ValueError:
        return str(value)
    return f"{moment:%-d %B %Y at %-I:%M}{moment:%p}".replace("AM", "am").replace("PM", "pm")


def error_for(errors: Sequence[FormError], name: str) -> str | None:
    return next((e.message for e in errors if e.question == name), None)


def error_list(errors: Sequence[FormError], form: Form | None = None) -> list[dict[str, str]]:
    """The error summary's links: each to its question's first input."""
    items = []
    for error in errors:
        target = error.question
        question = form.question(target) if isinstance(form, Form) and target else None
        if question is not None and question.kind is Kind.DATE:
            target = f"{target}-day"
        items.append({"text": error.message, "href": f"#{target}" if target else "#main-content"})
    return items


def choice_items(choices: Sequence[Choice]) -> list[dict[str, object]]:
    return [
        {"value": c.value, "text": c.text, **({"hint": {"text": c.hint}} if c.hint else {})}
        for c in choices
    ]


def build(settings: WebSettings) -> FastAPI:
    services = Services(
        {
            "intake": settings.intake_url,
            "outcomes": settings.outcomes_url,
            "notification": settings.notification_url,
        },
        httpx.AsyncClient(timeout=30.0),
    )
    sign_in = SignIn(settings)
    pages = templates()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await services.aclose()

    app = FastAPI(
        title="Safeguarding, made personal: the practitioner web app",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(
        EncryptedSessionMiddleware,
        secret=settings.cookie_secret,
        max_age_seconds=settings.session_max_age_seconds,
        secure=settings.secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path.startswith(("/people", "/cases", "/concerns", "/search", "/work")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    govuk = settings.assets_dir / "govuk-frontend" / "dist" / "govuk"
    moj = settings.assets_dir / "@ministryofjustice" / "frontend" / "moj"
    app.mount("/assets", StaticFiles(directory=govuk / "assets", check_dir=False), name="assets")
    app.mount("/static/govuk", StaticFiles(directory=govuk, check_dir=False), name="govuk")
    app.mount("/static/moj", StaticFiles(directory=moj, check_dir=False), name="moj")
    app.mount(
        "/static/app",
        StaticFiles(directory=TEMPLATES / "static", check_dir=False),
        name="app-static",
    )

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ready"})

    def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
        return pages.TemplateResponse(
            request,
            "error.html",
            {
                "title": title,
                "detail": detail,
                "user": request.session.get("user"),
                "csrf_token": request.session.get("csrf", ""),
                "council": settings.council_name,
                "path": request.url.path,
            },
            status_code=status,
        )

    async def to_sign_in(request: Request, exc: Exception) -> Response:
        if request.method == "GET":
            request.session["after_sign_in"] = str(request.url.path) + (
                f"?{request.url.query}" if request.url.query else ""
            )
        signed_in = request.session.get("user")
        return RedirectResponse("/sign-in/start" if signed_in else "/sign-in", 303)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        if request.session.get("user", {}).get("role") is None and request.session.get("user"):
            return pages.TemplateResponse(
                request,
                "no_access.html",
                {
                    "title": "You do not have access",
                    "user": None,
                    "csrf_token": request.session.get("csrf", ""),
                    "council": settings.council_name,
                    "path": request.url.path,
                },
                status_code=403,
            )
        return error_page(
            request,
            403,
            "You cannot do this",
            "Your role does not allow this, or the form expired: go back and try again.",
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        what = exc.what if isinstance(exc, NotFound) else "page"
        return error_page(
            request, 404, "Page not found", f"There is no such {what}, or it is not ready yet."
        )

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        if not exc.outside_team:
            return error_page(request, exc.status, "You cannot see this", exc.detail or exc.title)
        # Another team's record: offer to give a reason, and read it again with it.
        return pages.TemplateResponse(
            request,
            "access_reason.html",
            {
                "title": "Why do you need to see this record?",
                "detail": exc.detail,
                "back": str(request.url.path)
                + (f"?{request.url.query}" if request.url.query else ""),
                "reason": "",
                "errors": [],
                "user": request.session.get("user"),
                "csrf_token": request.session.get("csrf", ""),
                "council": settings.council_name,
                "path": request.url.path,
            },
            status_code=403,
        )

    async def unavailable(request: Request, exc: Exception) -> Response:
        return error_page(
            request,
            503,
            "Sorry, there is a problem with the service",
            "Nothing was recorded. Try again in a few minutes.",
        )

    app.add_exception_handler(SignInNeeded, to_sign_in)
    app.add_exception_handler(SignInAgain, to_sign_in)
    app.add_exception_handler(NotAllowed, not_allowed)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(ServiceUnavailable, unavailable)
    app.add_exception_handler(Refused, refused)
    app.include_router(build_router(pages, services, sign_in, council=settings.council_name))
    # Outermost (added last), so an oversized request is refused before the session is read.
    app.add_middleware(BoundedRequests)
    return app
