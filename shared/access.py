"""Who read or changed what about a person, and who may: the audit of staff access and the
per-team rule with its "break the glass" read. One home for every service: every staff route goes
through `AccessGate.admit` (via `StaffTokens.admit`, which `StaffTokens.requires` uses), so a new
route is audited without code of its own.

The audit is append-only by construction rather than by database privileges: each entry carries
the SHA-256 of the one before it (a hash chain), so changing, deleting or reordering any stored
entry is found by `AccessAudit.verify` (`GET /admin/access-audit/verification`). We chose this
over an insert-only MongoDB role because the MongoDB-wire server the tests run on does not
enforce roles, so a privilege could not be proved here; the chain is proved on the real server
by tampering with a raw document, and it also holds against someone with full database access.
Only removing the newest entries leaves no gap behind it: the head's `seq` and `hash` (given by
the verification) are what an operator anchors outside the database to catch that.

Appending costs one command per batch of concurrent requests, not four per request (see
`AccessAudit.record`): an instance remembers the newest entry it knows, and the requests that
arrive while it writes are chained and inserted together with one ordered `insert_many`. The
chain stays one chain per service database, so verification is unchanged; another instance
appending first shows itself as a refused key, and is read (one query) and chained onto. We
kept one chain rather than one per instance because a chain per instance would let a whole
instance's chain be removed without a gap anywhere, and verification and the anchoring of the
head would need a list of instances that is itself unprotected.

An entry says who (the staff member's id, name, role and teams), what (the route, whether it
read or changed, the kind and id of the subject and the person it is about), when, from where
(the client address) and any break-the-glass reason. Never the content: no bodies, no query
values, no answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from shared.events import Actor, Role
from shared.events.values import VISIBLE
from shared.mongo import DUPLICATE_KEY, Collection, Database
from shared.problems import FieldProblem, ProblemError

AUDIT_COLLECTION = "access_audit"
REASON_HEADER = "X-Access-Reason"
REASON_MIN, REASON_MAX = 10, 500
REASON_PATTERN = f"^{VISIBLE}+(?: +{VISIBLE}+)*$"
"""Visible characters and spaces, starting and ending with a visible one: exactly what the
OpenAPI documents state for the header (`REASON_PARAMETER`), so the rule and its documentation
cannot drift apart."""
REASON_ALLOWED = (
    f"{REASON_MIN} to {REASON_MAX} characters: visible characters and spaces, starting and "
    "ending with a visible one"
)
REASON_PARAMETER: dict[str, Any] = {
    "name": REASON_HEADER,
    "in": "header",
    "required": False,
    "description": "Why you need to read a case, person or communications log outside your "
    'team ("break the glass"). Without it such a read is refused (403); with it, it is '
    "served and the reason is recorded with the reading in the audit of access. "
    f"Only such reads need it; wherever it is sent it must be {REASON_ALLOWED} (otherwise "
    "400).",
    "schema": {
        "type": "string",
        "minLength": REASON_MIN,
        "maxLength": REASON_MAX,
        "pattern": REASON_PATTERN,
    },
}
"""The header as every route that checks access declares it in its OpenAPI document."""
_REASON = re.compile(REASON_PATTERN)
OUTSIDE_TEAM = "https://safeguarding.example/problems/outside-team"
"""The problem type of a read refused outside the staff member's team (a client may then offer
to give a reason)."""
GENESIS = "0" * 64
HEAD = "head"
RESTRICTED_KINDS = frozenset({"case", "timeline", "communications log", "person"})
"""What belongs to a team. Concerns at intake are not: every practitioner triages the front door."""

PersonOf = Callable[[str, str], Awaitable[str | None]]
"""The person a subject (kind, id) is about, as far as this service knows; None when unknown."""
TeamOf = Callable[[str, str], Awaitable[str | None]]
"""The team a subject is allocated to, None when nobody allocated it."""


def team_responsible(allocated: str | None, unallocated_case_team: str | None) -> str | None:
    """The team whose staff may read a case: the team it is allocated to, or, until cases are
    allocated, the configured team for unallocated cases (UNALLOCATED_CASE_TEAM). The one rule;
    when outcomes records allocation, its `TeamOf` passes the allocated team here."""
    return allocated or unallocated_case_team


def may_read(staff: StaffMember, team: str | None) -> bool:
    """Managers read every case; other staff, their own team's (named exactly as the token
    names it: a near spelling is another team)."""
    return staff.actor.role is Role.MANAGER or (team is not None and team in staff.teams)


@dataclass(frozen=True)
class StaffMember:
    """A signed-in member of staff: who they are and the teams their token names."""

    actor: Actor
    teams: frozenset[str]


class AccessEntry(BaseModel):
    """One staff access, as stored (and hashed)."""

    seq: int = Field(description="Position in the chain, from 1, without gaps.")
    at: str = Field(description="When, UTC, ISO 8601 to the millisecond.")
    staff_id: str
    staff_name: str | None
    role: str
    teams: list[str]
    action: str = Field(description="read or change")
    method: str
    route: str = Field(description="The route's template, e.g. /cases/{case_id}/timeline.")
    subject_kind: str | None = Field(
        description="case, timeline, communications log, person, concern, letter"
    )
    subject_id: str | None
    person_id: str | None = Field(description="The person the subject is about, when known.")
    reason: str | None = Field(description="The reason given to read outside the staff's team.")
    outside_team: bool = Field(description="A read outside the staff member's team.")
    refused: bool = Field(description="Refused: outside their team, and no reason given.")
    from_address: str | None = Field(description="The client's address as the service saw it.")
    prev_hash: str
    hash: str


class ChainCheck(BaseModel):
    """The result of checking the audit's hash chain from its first entry."""

    entries: int
    intact: bool
    first_broken_seq: int | None = Field(
        description="The first entry that is missing, altered or out of order."
    )
    problem: str | None
    head_seq: int | None = Field(description="The newest entry: anchor it elsewhere.")
    head_hash: str | None


def _digest(fields: Mapping[str, Any], prev_hash: str) -> str:
    canonical = json.dumps(
        {k: v for k, v in fields.items() if k not in ("_id", "hash", "prev_hash")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def chained(fields: dict[str, Any], prev_hash: str) -> AccessEntry:
    """The entry with these fields after the one whose hash is `prev_hash`."""
    return AccessEntry(**fields, prev_hash=prev_hash, hash=_digest(fields, prev_hash))


def _now_to_the_millisecond(clock: Callable[[], datetime]) -> str:
    return clock().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AccessAudit:
    """The append-only store of staff accesses, one hash chain per service database."""

    CHECKPOINT_EVERY = 64
    """Entries between moves of the head document, which only says where a fresh instance
    starts reading the newest entries (the chain itself never depends on it)."""

    def __init__(
        self, collection: Collection, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.collection = collection
        self.head = collection.database[f"{collection.name}_head"]
        self.clock = clock
        self._newest: tuple[int, str] | None = None
        """The newest entry this instance knows of (seq, hash): where its next append goes."""
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[AccessEntry]]] = []
        self._writing = asyncio.Lock()

    @classmethod
    def of(cls, database: Database) -> AccessAudit:
        return cls(database[AUDIT_COLLECTION])

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("person_id", ASCENDING), ("seq", ASCENDING)])
        await self.collection.create_index([("staff_id", ASCENDING), ("seq", ASCENDING)])

    async def record(self, **fields: Any) -> AccessEntry:
        """Append an entry after the newest one, and return it once it is stored.

        Group commit: requests wait their turn to write; whoever writes takes every entry
        waiting by then, chains them onto the newest entry this instance knows of and inserts
        them with one ordered `insert_many`. Each entry's `_id` is its `seq`, so an instance
        that got a place first refuses ours by the key: the entries before the refused one are
        stored, the newer entries are read (`_after`) and the rest chained onto them. An
        instance with no memory of the chain starts from the head document and reads what came
        after it, so a head left behind (it moves every `CHECKPOINT_EVERY` entries, or an
        instance died before moving it) costs a query for every `CHECKPOINT_EVERY` entries
        after it. A failed write fails every request in it: no access is served without its
        record."""
        fields["at"] = _now_to_the_millisecond(self.clock)
        stored: asyncio.Future[AccessEntry] = asyncio.get_running_loop().create_future()
        self._waiting.append((fields, stored))
        async with self._writing:
            if not stored.done():
                batch, self._waiting = self._waiting, []
                try:
                    await self._append(batch)
                finally:
                    for _, unstored in batch:
                        if not unstored.done():
                            unstored.set_exception(
                                PyMongoError("the audit entry could not be stored")
                            )
        return stored.result()

    async def _append(
        self, batch: list[tuple[dict[str, Any], asyncio.Future[AccessEntry]]]
    ) -> None:
        newest = self._newest or await self._after(await self._checkpoint())
        first = newest[0]
        while batch:
            seq, prev_hash = newest
            entries: list[AccessEntry] = []
            for fields, _ in batch:
                entry = chained({**fields, "seq": seq + 1}, prev_hash)
                entries.append(entry)
                seq, prev_hash = entry.seq, entry.hash
            try:
                await self.collection.insert_many(
                    [{"_id": e.seq, **e.model_dump()} for e in entries], ordered=True
                )
                stored = len(entries)
            except BulkWriteError as error:
                refused = error.details.get("writeErrors", [])
                if not refused or any(e.get("code") != DUPLICATE_KEY for e in refused):
                    raise
                # Ordered: everything before the first refused entry is stored.
                stored = min(int(e["index"]) for e in refused)
            for entry, (_, waiting) in zip(entries[:stored], batch[:stored], strict=True):
                waiting.set_result(entry)
            if stored:
                newest = (entries[stored - 1].seq, entries[stored - 1].hash)
                self._newest = newest
            batch = batch[stored:]
            if batch:
                newest = await self._after(newest)
        self._newest = newest
        if newest[0] // self.CHECKPOINT_EVERY > first // self.CHECKPOINT_EVERY:
            with contextlib.suppress(DuplicateKeyError):
                # Only forwards: an instance that appended later may have moved it on already.
                await self.head.update_one(
                    {"_id": HEAD, "seq": {"$lt": newest[0]}},
                    {"$set": {"seq": newest[0], "hash": newest[1]}},
                    upsert=True,
                )

    async def _checkpoint(self) -> int:
        head = await self.head.find_one({"_id": HEAD})
        return int(head["seq"]) if head else 0

    async def _after(self, known: int | tuple[int, str]) -> tuple[int, str]:
        """The newest entry (seq, hash), read forwards from a known place. From the head's
        place the hashes are the entries' own, read with them, never the head's. Read by `_id`,
        `CHECKPOINT_EVERY` at a time, to the first one missing: the MongoDB-wire test server
        reads the whole collection for a range of `_id`s, not for a list of them."""
        if isinstance(known, tuple):
            seq, prev_hash = known
        else:
            seq, prev_hash = (known - 1, "") if known else (0, GENESIS)
        read_on = True
        while read_on:
            wanted = range(seq + 1, seq + 1 + self.CHECKPOINT_EVERY)
            hashes = {
                int(later["_id"]): str(later["hash"])
                async for later in self.collection.find(
                    {"_id": {"$in": list(wanted)}}, projection={"hash": 1}
                )
            }
            for number in wanted:
                if number not in hashes:
                    read_on = False
                    break
                seq, prev_hash = number, hashes[number]
        if not prev_hash:
            # The head names an entry that is not there: chain onto the newest there is.
            newest = await self.collection.find_one(
                {}, projection={"hash": 1}, sort=[("_id", DESCENDING)]
            )
            seq, prev_hash = (int(newest["_id"]), str(newest["hash"])) if newest else (0, GENESIS)
        return seq, prev_hash

    async def entries(
        self, *, person_id: str | None = None, staff_id: str | None = None, limit: int = 1000
    ) -> list[AccessEntry]:
        """Newest first, for one person, one member of staff, or both."""
        query: dict[str, str] = {}
        if person_id is not None:
            query["person_id"] = person_id
        if staff_id is not None:
            query["staff_id"] = staff_id
        cursor = self.collection.find(query, sort=[("seq", DESCENDING)], limit=limit)
        return [AccessEntry.model_validate(doc) async for doc in cursor]

    async def verify(self) -> ChainCheck:
        """Check the whole chain as stored (see `check_chain`)."""
        return await check_chain(self.collection.find({}, sort=[("seq", ASCENDING)]))


async def check_chain(entries: AsyncIterable[Mapping[str, Any]]) -> ChainCheck:
    """Walk a chain from its first entry, in `seq` order: every `seq` present once and in
    order, every entry's hash over its own fields and the hash before it."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    async for doc in entries:
        count += 1
        seq = doc.get("seq")
        if seq != expected_seq:
            return _broken(count, expected_seq, f"entry {expected_seq} is missing or moved")
        if doc.get("prev_hash") != prev_hash:
            return _broken(count, seq, f"entry {seq} does not follow the one before it")
        if _digest(doc, prev_hash) != doc.get("hash"):
            return _broken(count, seq, f"entry {seq} was changed after it was recorded")
        expected_seq, prev_hash = seq + 1, str(doc["hash"])
    return ChainCheck(
        entries=count,
        intact=True,
        first_broken_seq=None,
        problem=None,
        head_seq=expected_seq - 1 if count else None,
        head_hash=prev_hash if count else None,
    )


def _broken(count: int, seq: int, problem: str) -> ChainCheck:
    return ChainCheck(
        entries=count,
        intact=False,
        first_broken_seq=seq,
        problem=problem,
        head_seq=None,
        head_hash=None,
    )


def subject_of(route: str, path_params: dict[str, Any]) -> tuple[str | None, str | None]:
    """What a route is about, from its template and path parameters."""
    if "case_id" in path_params:
        kind = "timeline" if route.endswith("/timeline") else "case"
        return kind, str(path_params["case_id"])
    if "person_id" in path_params:
        kind = "communications log" if route.endswith("/communications") else "person"
        return kind, str(path_params["person_id"])
    if "concern_id" in path_params:
        return "concern", str(path_params["concern_id"])
    if "letter_reference" in path_params:
        return "letter", str(path_params["letter_reference"])
    return None, None


async def _nobody_allocated(kind: str, subject_id: str) -> str | None:
    return None


async def _person_named(kind: str, subject_id: str) -> str | None:
    return subject_id if kind in ("person", "communications log") else None


class AccessGate:
    """Records every staff access and applies the per-team rule before a route runs."""

    def __init__(
        self,
        audit: AccessAudit,
        unallocated_case_team: str | None,
        person_of: PersonOf = _person_named,
        team_of: TeamOf = _nobody_allocated,
    ) -> None:
        self.audit = audit
        self.unallocated_case_team = unallocated_case_team
        self.person_of = person_of
        self.team_of = team_of

    def team_responsible(self, allocated: str | None) -> str | None:
        """The team whose staff may read a case allocated to `allocated` (or to nobody yet)."""
        return team_responsible(allocated, self.unallocated_case_team)

    def sees(self, staff: StaffMember, allocated: str | None) -> bool:
        """Whether a list shows `staff` a case allocated to `allocated`: the rule a single read
        is admitted by, so a list never offers what a read would refuse."""
        return may_read(staff, self.team_responsible(allocated))

    async def admit(self, request: Request, staff: StaffMember) -> None:
        route_object = request.scope.get("route")
        route = str(getattr(route_object, "path", request.url.path))
        kind, subject_id = subject_of(route, dict(request.path_params))
        reads = request.method in ("GET", "HEAD")
        reason = _reason(request)
        outside_team = refused = False
        team: str | None = None
        if reads and kind in RESTRICTED_KINDS and subject_id is not None:
            team = self.team_responsible(await self.team_of(kind, subject_id))
            if not may_read(staff, team):
                outside_team, refused = True, reason is None
        try:
            person_id = await self.person_of(kind, subject_id) if kind and subject_id else None
            await self.audit.record(
                staff_id=staff.actor.id,
                staff_name=staff.actor.agency,
                role=staff.actor.role.value,
                teams=sorted(staff.teams),
                action="read" if reads else "change",
                method=request.method,
                route=route,
                subject_kind=kind,
                subject_id=subject_id,
                person_id=person_id,
                outside_team=outside_team,
                reason=reason if outside_team else None,
                refused=refused,
                from_address=request.client.host if request.client else None,
            )
        except PyMongoError as error:
            # No access without its record: a read we could not write down is not served.
            raise ProblemError(
                503,
                "Access could not be recorded",
                "The audit of access could not be written; try again shortly.",
                headers={"Retry-After": "5"},
            ) from error
        if refused:
            assert kind is not None
            raise _outside_team(kind, team)


def reason_problem(reason: str) -> str | None:
    """What is wrong with a reason to read outside one's team, or None when it is acceptable
    (the web app's form asks by the same rule)."""
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        return f"is {len(reason)} characters long"
    if not _REASON.fullmatch(reason):
        return "has an invisible character, a line break, or a space at its start or end"
    return None


def _reason(request: Request) -> str | None:
    reason = request.headers.get(REASON_HEADER)
    if reason is None:
        return None
    problem = reason_problem(reason)
    if problem is None:
        return reason
    raise ProblemError(
        400,
        "The reason for access is not acceptable",
        f"Give the reason in the {REASON_HEADER} header.",
        errors=[FieldProblem(field=REASON_HEADER, problem=problem, allowed=REASON_ALLOWED)],
    )


def _outside_team(kind: str, team: str | None) -> ProblemError:
    whose = f"the {team} team" if team else "no team yet"
    return ProblemError(
        403,
        "Outside your team",
        f"This {kind} belongs to {whose}, and only its staff and managers may read it. If you "
        f"need to read it, say why in the {REASON_HEADER} header ({REASON_MIN}-{REASON_MAX} "
        "characters): the reading and your reason are recorded in the audit of access.",
        type_=OUTSIDE_TEAM,
    )
