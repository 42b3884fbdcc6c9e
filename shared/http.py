"""What every service's HTTP API shares: requests bounded before any work (`BoundedRequests`),
RFC 9457 problem details for every error, the correlation id on every request, /health and
/metrics, and an OpenAPI document that declares every answer a route can give
(`declare_every_answer`), so routes added later get it for free."""

from __future__ import annotations

import copy
import hmac
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.access import REASON_HEADER, REASON_PARAMETER, AccessEntry, ChainCheck
from shared.config import ServiceSettings
from shared.events import Role
from shared.eventstore import EventTooLarge
from shared.identity.tokens import BEARER
from shared.limits import (
    MAX_EVENT_BYTES,
    MAX_LISTED_PROBLEMS,
    MAX_PROBLEM_FIELD_CHARS,
    MAX_REQUEST_BODY_BYTES,
    MAX_REQUEST_HEADER_BYTES,
    MAX_REQUEST_HEADERS,
    capped,
)
from shared.observability import correlation_id
from shared.problems import FieldProblem, Problem, ProblemError
from shared.projection import HeldStream
from shared.runtime import RebuildRunning, ServiceRuntime

__all__ = [
    "BoundedRequests",
    "FieldProblem",
    "IdInPath",
    "Problem",
    "ProblemError",
    "create_app",
    "current_correlation_id",
    "field_problems_from_validation",
    "operations_router",
]

PROBLEM_JSON = "application/problem+json"

IdInPath = Annotated[str, Path(min_length=1, max_length=100, description="An id, as given.")]
"""An id in a route's path (a case, a person, a concern, a desired outcome...)."""
CORRELATION_HEADER = "X-Correlation-ID"


def problem_response(
    problem: Problem, request: Request, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = problem.model_copy(update={"instance": request.url.path})
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def field_problems_from_validation(errors: list[Any]) -> list[FieldProblem]:
    """FastAPI's request validation errors as field problems (location prefix dropped); very many
    are listed up to a limit and the rest counted."""
    problems: list[FieldProblem] = []
    for error in errors[:MAX_LISTED_PROBLEMS]:
        location = [
            str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")
        ]
        allowed = None
        context = error.get("ctx") or {}
        if "expected" in context:
            allowed = str(context["expected"])
        problems.append(
            FieldProblem(
                field=capped(".".join(location) or "(body)", MAX_PROBLEM_FIELD_CHARS),
                problem=capped(str(error.get("msg"))),
                allowed=capped(allowed) if allowed is not None else None,
            )
        )
    if len(errors) > MAX_LISTED_PROBLEMS:
        problems.append(
            FieldProblem(
                field="(body)",
                problem=f"has {len(errors) - MAX_LISTED_PROBLEMS} more problems not listed here",
            )
        )
    return problems


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.problem, request, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = field_problems_from_validation(list(exc.errors()))
        return problem_response(
            Problem(
                title="The request is not valid",
                status=422,
                detail="; ".join(f"{p.field}: {p.problem}" for p in problems),
                errors=problems,
            ),
            request,
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            # Every method the path has, not only those of the first route that matched it.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(
            Problem(title=str(exc.detail), status=exc.status_code), request, headers or None
        )

    async def on_too_large(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EventTooLarge)
        return problem_response(
            Problem(
                title="The change is too large to record",
                status=422,
                detail=f"{exc}. Nothing was recorded: shorten the longest texts or lists.",
                errors=[
                    FieldProblem(
                        field="(body)",
                        problem="makes a record too large",
                        allowed=f"at most {MAX_EVENT_BYTES} bytes once recorded",
                    )
                ],
            ),
            request,
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(EventTooLarge, on_too_large)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, APIRoute) and route.path_regex.fullmatch(request.scope["path"]):
            methods |= route.methods or set()
    return sorted(methods)


def install_correlation(app: FastAPI) -> None:
    @app.middleware("http")
    async def correlate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get(CORRELATION_HEADER, "")
        value = incoming if 0 < len(incoming) <= 100 else str(uuid.uuid4())
        token = correlation_id.set(value)
        try:
            response = await call_next(request)
        finally:
            correlation_id.reset(token)
        response.headers[CORRELATION_HEADER] = value
        return response


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` once a body passes the limit, so whatever is reading it stops
    there; `BoundedRequests` then answers 413, whatever the app made of the exception."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is too large: at most {limit} bytes")


class BoundedRequests:
    """Pure ASGI middleware, outermost, so it runs before routing, body parsing and sign-in:
    too many or too long headers are 431, a body over `max_body_bytes` is 413. A declared
    Content-Length over the limit is refused before one byte of the body is read; a body sent
    without one (chunked) is counted as it streams and refused when it passes the limit, so a
    service never holds more than the limit of any request. Works for any ASGI app (FastAPI or
    a server-rendered one)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = MAX_REQUEST_BODY_BYTES,
        max_header_bytes: int = MAX_REQUEST_HEADER_BYTES,
        max_headers: int = MAX_REQUEST_HEADERS,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        if (
            len(headers) > self.max_headers
            or sum(len(k) + len(v) for k, v in headers) > self.max_header_bytes
        ):
            await self._refuse(
                scope,
                send,
                Problem(
                    title="The request headers are too large",
                    status=431,
                    errors=[
                        FieldProblem(
                            field="(headers)",
                            problem="are too many or too long",
                            allowed=f"at most {self.max_headers} headers and "
                            f"{self.max_header_bytes} bytes of them together",
                        )
                    ],
                ),
            )
            return
        declared = _content_length(headers)
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse(scope, send, self._too_large())
            return
        received = 0
        exceeded = False
        refused = False
        started = False

        async def bounded_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    exceeded = True
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def refusing_send(message: Message) -> None:
            # However the app met the refusal (some middleware turns it into a 400 or a 500),
            # the sender is told 413 and nothing else.
            nonlocal refused, started
            if exceeded and not started:
                if not refused:
                    refused = True
                    await self._refuse(scope, send, self._too_large())
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, refusing_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not (refused or started):
            await self._refuse(scope, send, self._too_large())

    def _too_large(self) -> Problem:
        return Problem(
            title="The request body is too large",
            status=413,
            errors=[
                FieldProblem(
                    field="(body)",
                    problem="is too large",
                    allowed=f"at most {self.max_body_bytes} bytes",
                )
            ],
        )

    @staticmethod
    async def _refuse(scope: Scope, send: Send, problem: Problem) -> None:
        body = problem.model_copy(update={"instance": scope.get("path", "")})
        # Connection: close, as the unread rest of the body must not be taken for a request.
        response = JSONResponse(
            body.model_dump(exclude_none=True),
            status_code=problem.status,
            media_type=PROBLEM_JSON,
            headers={"Connection": "close"},
        )
        await response(scope, _nothing_more, send)


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for key, value in headers:
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def current_correlation_id() -> str:
    return correlation_id.get() or str(uuid.uuid4())


class HealthAnswer(BaseModel):
    status: str = Field(description="ready or unavailable")
    checks: dict[str, bool] = Field(description="database, broker, workers")
    workers: dict[str, dict[str, float | bool | None]] = Field(
        description="Each worker: stuck, seconds on its current work, since its last progress"
    )


def may_scrape(authorization: str | None, settings: ServiceSettings) -> bool:
    """Metrics name the work a service holds (how many people wait to be told, how much is
    stuck): they are for the council's monitoring, which sends METRICS_TOKEN. Without one set,
    only a development stack shows them."""
    if settings.metrics_token is None:
        return settings.development_mode
    scheme, _, given = (authorization or "").partition(" ")
    expected = settings.metrics_token.get_secret_value()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected.encode())


def operations_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    async def manager(request: Request) -> None:
        # Like every staff access, recorded in the audit (reading the audit too).
        await runtime.staff.admit(request, (Role.MANAGER,))

    @router.get(
        "/health",
        summary="Ready only when the broker and the database answer and no worker is stuck",
        response_model=HealthAnswer,
        responses={503: {"model": HealthAnswer, "description": "Not ready: see checks, workers"}},
    )
    async def health() -> JSONResponse:
        found = await runtime.health()
        return JSONResponse(
            {
                "status": "ready" if found.ready else "unavailable",
                "checks": found.checks,
                "workers": found.workers,
            },
            status_code=200 if found.ready else 503,
        )

    @router.get(
        "/metrics",
        summary="Prometheus metrics, for the bearer token METRICS_TOKEN",
        response_class=Response,
        responses={401: {"model": Problem, "description": "Send METRICS_TOKEN as a bearer token."}},
    )
    async def metrics(request: Request) -> Response:
        if not may_scrape(request.headers.get("Authorization"), runtime.settings):
            raise ProblemError(
                401,
                "Metrics are for the council's monitoring only",
                "Send the METRICS_TOKEN setting as a bearer token (Authorization: Bearer ...).",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/admin/projections", summary="The projections this service can rebuild")
    async def projections(request: Request) -> list[str]:
        await manager(request)
        return list(runtime.projections())

    @router.get(
        "/admin/held-streams",
        summary="Streams a projection holds back until an earlier event of theirs arrives",
        description="A stream is held when an event arrives before the one before it (e.g. that "
        "one was dead-lettered). Replaying the missing event from its dead-letter topic "
        "releases the stream, in order.",
    )
    async def held_streams(request: Request) -> list[HeldStream]:
        await manager(request)
        return await runtime.held_streams()

    @router.post(
        "/admin/projections/{name}/rebuild",
        summary="Drop a read model and replay it from the beginning of its topics",
    )
    async def rebuild(name: IdInPath, request: Request) -> dict[str, int | str]:
        await manager(request)
        if name not in runtime.projections():
            raise ProblemError(
                404, "No such projection", f"Known: {', '.join(runtime.projections())}"
            )
        try:
            replayed = await runtime.rebuild(name)
        except RebuildRunning as error:
            raise ProblemError(409, "A rebuild is already running", str(error)) from error
        return {"projection": name, "replayed_messages": replayed}

    @router.get(
        "/admin/access-audit",
        response_model=list[AccessEntry],
        tags=["audit of access"],
        summary="Who read or changed what in this service: by person, by member of staff",
        description="Newest first. Each entry names the staff member, their role and teams, the "
        "route, the subject and the person it is about, when, from where, and any reason given "
        "to read outside their team; never the content. Filter by `person_id`, `staff_id` or both.",
    )
    async def access_audit(
        request: Request,
        person_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
        staff_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[AccessEntry]:
        await manager(request)
        return await runtime.access.audit.entries(
            person_id=person_id, staff_id=staff_id, limit=limit
        )

    @router.get(
        "/admin/access-audit/verification",
        response_model=ChainCheck,
        tags=["audit of access"],
        summary="Check that no entry of the audit of access was changed, removed or reordered",
        description="Walks the hash chain from the first entry. `intact` false names the first "
        "broken entry. Keep `head_seq` and `head_hash` outside the database: a later check "
        "whose chain no longer reaches them shows the newest entries were removed.",
    )
    async def verify_access_audit(request: Request) -> ChainCheck:
        await manager(request)
        return await runtime.access.audit.verify()

    return router


ANSWERS: dict[int, str] = {
    400: "The body could not be read (e.g. it is not JSON).",
    401: "Missing or unrecognised credentials.",
    403: "Your role may not do this.",
    404: "There is no such thing here (or it is not yours to see).",
    409: "What you asked for conflicts with how things stand now (e.g. the case is closed, "
    "or a rebuild is already running).",
    413: "The request body is too large.",
    431: "The request headers are too many or too long.",
    422: "The request is not valid: each bad field is named, with what is allowed.",
    503: "The service or its database is busy or unavailable: nothing was recorded; try again.",
}
"""The problem answers every route may give besides its own success."""
OPEN_ROUTES = {"/health", "/metrics", "/openapi.json"}
"""Routes that answer anyone and only ever with their own documented answers."""


def checks_staff_access(operation: dict[str, Any]) -> bool:
    """Whether an operation (not an open route) is a staff route, every one of which goes
    through the access gate (`StaffTokens.admit`): all are but those a partner calls with its
    own credentials, which declare their own security scheme."""
    return all(set(required) <= {BEARER.scheme_name} for required in operation.get("security", []))


def declare_every_answer(document: dict[str, Any]) -> dict[str, Any]:
    """Declare, on every operation, each problem answer (`ANSWERS`) as application/problem+json
    with the Problem schema: what a route declares itself keeps its description. On every staff
    route, declare the `X-Access-Reason` header the access gate reads."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas["Problem"] = problem
    body = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document.get("paths", {}).items():
        if path in OPEN_ROUTES:
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, why in ANSWERS.items():
                declared = responses.setdefault(str(status), {"description": why})
                declared["content"] = body
            if checks_staff_access(operation):
                parameters = operation.setdefault("parameters", [])
                if all(p["name"] != REASON_HEADER for p in parameters):
                    parameters.append(copy.deepcopy(REASON_PARAMETER))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def create_app(
    runtime: ServiceRuntime, *, title: str, description: str, version: str = "1.0"
) -> FastAPI:
    """A FastAPI app for a service, with the shared operational routes and error handling.
    Its documentation and OpenAPI document are served only when `API_DOCS` (by default, in
    development mode only)."""
    docs = runtime.settings.serves_api_docs
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=runtime.lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_problem_handlers(app)
    install_correlation(app)
    # Added last, so it is the outermost of the app's own middleware.
    app.add_middleware(BoundedRequests)
    app.include_router(operations_router(runtime))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_every_answer(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
