"""Driving the three service processes through their public APIs, as partners and council staff
do, and reading what reached people: the mail server's log and the print queue."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from email import message_from_string, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx

from demo.story import concern, nhs_number
from infra.stack import Stack
from services.intake.settings import DEV_PARTNER_KEY
from shared.events import Role
from shared.mongo import Client
from tests.support.polling import eventually
from tests.support.staff import TestUser, shared_sign_in

Json = dict[str, Any]
T = TypeVar("T")

_STAFF = {Role.PRACTITIONER: TestUser.PRACTITIONER, Role.MANAGER: TestUser.MANAGER}
_MESSAGE_FOLLOWS = "---------- MESSAGE FOLLOWS ----------"


def a_concern(**changes: Any) -> Json:
    """The seed's referral about Mrs Hill, for a new person each time, with `changes` applied
    (dotted keys reach into it: `{"person.contact": {...}}`)."""
    run = uuid.uuid4().hex[:8]
    body = copy.deepcopy(concern(run))
    body["person"]["nhs_number"] = nhs_number()
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return body


def sent_mail(state: Path) -> list[EmailMessage]:
    """Every email the council's mail server received, parsed."""
    log = state / "mail.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    messages = []
    for block in text.split(_MESSAGE_FOLLOWS)[1:]:
        raw = block.split("------------ END MESSAGE ------------")[0].lstrip("\n")
        parsed = message_from_string(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


def mail_to(state: Path, address: str) -> list[EmailMessage]:
    return [m for m in sent_mail(state) if address.casefold() in str(m["To"]).casefold()]


@dataclass
class Council:
    """Partners and staff using the running services."""

    stack: Stack
    http: httpx.AsyncClient
    mongo: Client

    def url(self, service: str, path: str) -> str:
        return f"{self.stack.endpoints.url(service)}{path}"

    @staticmethod
    async def staff(role: Role = Role.PRACTITIONER) -> dict[str, str]:
        """A test user's sign-in at the real identity provider, in this role."""
        return await shared_sign_in().headers(_STAFF[role])

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        body: Json | None = None,
        *,
        role: Role | None = Role.PRACTITIONER,
    ) -> httpx.Response:
        headers = await self.staff(role) if role is not None else {"X-API-Key": DEV_PARTNER_KEY}
        return await self.http.request(method, self.url(service, path), json=body, headers=headers)

    async def ok(
        self,
        method: str,
        service: str,
        path: str,
        body: Json | None = None,
        *,
        role: Role | None = Role.PRACTITIONER,
    ) -> Json:
        response = await self.call(method, service, path, body, role=role)
        assert response.status_code in (200, 201, 202), (path, response.text)
        answer: Json = response.json()
        return answer

    async def until(
        self, probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 60
    ) -> T:
        async def attempt() -> T | None:
            return await probe()

        found = await eventually(
            attempt, until=lambda value: value is not None, timeout=timeout, what=what
        )
        assert found is not None
        return found

    # -- intake --------------------------------------------------------------------------

    async def raise_concern(self, body: Json) -> Raised:
        received = await self.ok("POST", "intake", "/concerns", body, role=None)
        concern_id = str(received["concern_id"])

        async def opened() -> Json | None:
            response = await self.call("GET", "outcomes", f"/concerns/{concern_id}/case")
            return response.json() if response.status_code == 200 else None

        case = await self.until(opened, "the case to open")
        return Raised(self, concern_id, str(case["case_id"]), str(case["person_id"]))

    # -- notification --------------------------------------------------------------------

    async def picture(self, person_id: str) -> Json | None:
        response = await self.call("GET", "notification", f"/people/{person_id}/safe-contact")
        return response.json() if response.status_code == 200 else None

    async def log(self, person_id: str) -> list[Json]:
        response = await self.call("GET", "notification", f"/people/{person_id}/communications")
        if response.status_code != 200:
            return []
        entries: list[Json] = response.json()["entries"]
        return entries

    async def letters(self) -> list[Json]:
        queue = self.mongo[f"{self.stack.database_prefix}notification"]["print_queue"]
        return [letter async for letter in queue.find()]


@dataclass
class Raised:
    """One raised concern: its case and whom it is about."""

    council: Council
    concern_id: str
    case_id: str
    person_id: str

    async def waiting(self, steps: int = 1, person_id: str | None = None) -> Json:
        """The safe-contact picture once `steps` of this person's steps wait for a decision."""
        who = person_id or self.person_id

        async def enough() -> Json | None:
            picture = await self.council.picture(who)
            return picture if picture and len(picture["waiting"]) >= steps else None

        return await self.council.until(enough, f"{steps} step(s) waiting for a decision")

    async def decide(self, *routes: Json, person_id: str | None = None) -> httpx.Response:
        return await self.council.call(
            "POST",
            "notification",
            f"/people/{person_id or self.person_id}/safe-contact",
            {"concern_id": self.concern_id, "routes": list(routes)},
        )

    async def confirm(self, *routes: Json, person_id: str | None = None) -> None:
        response = await self.decide(*routes, person_id=person_id)
        assert response.status_code == 201, response.text

    async def step(self, path: str, body: Json, role: Role = Role.PRACTITIONER) -> Json:
        return await self.council.ok(
            "POST", "outcomes", f"/cases/{self.case_id}/{path}", body, role=role
        )

    async def log_entry(
        self, kind: str, source_event_type: str | None = None, person_id: str | None = None
    ) -> Json:
        who = person_id or self.person_id

        async def found() -> Json | None:
            for entry in await self.council.log(who):
                if entry["kind"] == kind and (
                    source_event_type is None or entry["source_event_type"] == source_event_type
                ):
                    return entry
            return None

        return await self.council.until(found, f"{kind} about {source_event_type}")


def route(role: str, channel: str, *despite: str) -> Json:
    return {"role": role, "channel": channel, "despite": list(despite)}


def flags(picture: Json) -> dict[str, set[str]]:
    """'<role> <channel>' -> the kinds of clash shown for that route."""
    return {
        f"{recipient['role']} {r['channel']}": {c["kind"] for c in r["clashes"]}
        for recipient in picture["recipients"]
        for r in recipient["routes"]
    }


def texts(messages: list[EmailMessage]) -> Iterator[str]:
    for message in messages:
        yield str(message["Subject"])
        body = message.get_body(preferencelist=("plain",))
        yield body.get_content() if body is not None else ""
