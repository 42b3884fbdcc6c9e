"""The answers to a caller who is not signed in (401), not allowed (403), or whose credentials
cannot be checked just now (503)."""

from __future__ import annotations

from shared.problems import ProblemError


def unauthorised(detail: str, scheme: str = "Bearer") -> ProblemError:
    return ProblemError(401, "Not authenticated", detail, headers={"WWW-Authenticate": scheme})


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "Not permitted", detail)


def sign_in_unavailable(detail: str) -> ProblemError:
    return ProblemError(
        503, "Sign-in cannot be checked just now", detail, headers={"Retry-After": "5"}
    )
