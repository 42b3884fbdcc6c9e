"""Staff credentials for tests that call the services as council staff: the one place that says
how a test gets a staff token (today HS256 tokens signed with the development secret the
services use when run by `make run`, `make test` and the end-to-end tests)."""

from __future__ import annotations

from shared.auth import issue_staff_token
from shared.config import ServiceSettings
from shared.events import Role

DEVELOPMENT_SECRET = ServiceSettings.model_fields["staff_token_secret"].default


def staff_token(role: Role = Role.MANAGER, name: str = "Test Manager") -> str:
    return issue_staff_token(
        DEVELOPMENT_SECRET,
        sub=f"{role.value}-{name.lower().replace(' ', '-')}",
        role=role,
        name=name,
    )


def staff_headers(role: Role = Role.MANAGER, name: str = "Test Manager") -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token(role, name)}"}
