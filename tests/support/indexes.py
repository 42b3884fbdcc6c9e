"""Which indexes the server reads for a query: from its explained plan, and for every query a
piece of work sent, from the server's profiler."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from shared.mongo import Database, Document

PROFILER = "system.profile"
BOUNDED: dict[str, str] = {
    "access_audit_head": "one document, the audit chain's checkpoint",
    "leases": "one document for each task only one instance may run",
    "instances": "one document for each running instance",
    "held_events": "only the events held back until their stream's earlier ones arrive, each "
    "removed once applied",
    "retention_watched": "only the people past their retention period under a legal hold or "
    "with a concern still open, and those a concern has just moved to or from, each removed "
    "once the retention job has looked at her and nothing may change without a closure",
}
"""Collections that do not grow with the work, which a query may read whole: why each."""


def named_in(plan: Any, field: str) -> Iterator[str]:
    """Every value of `field` in an explained query's plan (its stages nest)."""
    if isinstance(plan, dict):
        for key, value in plan.items():
            if key == field and isinstance(value, str):
                yield value
            else:
                yield from named_in(value, field)
    elif isinstance(plan, list):
        for item in plan:
            yield from named_in(item, field)


def indexes_read(explained: Document) -> set[str]:
    """The indexes the winning plan of an explained `find` reads."""
    return set(named_in(explained["queryPlanner"]["winningPlan"], "indexName"))


@dataclass(frozen=True)
class QueryShape:
    """A kind of query some work sent: its collection, command and filter with every value
    replaced by its type, so that queries differing only in values are one shape."""

    collection: str
    command: str
    shape: str


@dataclass(frozen=True)
class Query:
    shape: QueryShape
    filter: Document
    sort: Document | None


def shape_of(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: shape_of(item) for key, item in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return [shape_of(item) for item in value]
        return "[...]"
    return type(value).__name__


def queries_in(command: Document) -> Iterator[tuple[str, str, Document, Document | None]]:
    """(collection, command, filter, sort) of each query a profiled command made."""
    name = next(iter(command))
    collection = command[name]
    if name == "find":
        yield collection, name, command.get("filter", {}), command.get("sort")
    elif name == "update":
        for update in command.get("updates", []):
            yield collection, name, update["q"], None
    elif name == "delete":
        for delete in command.get("deletes", []):
            yield collection, name, delete["q"], None
    elif name == "findAndModify":
        yield collection, name, command.get("query", {}), command.get("sort")
    elif name == "count":
        yield collection, name, command.get("query", {}), None
    elif name == "aggregate":
        pipeline = command.get("pipeline", [])
        if pipeline and "$match" in pipeline[0]:
            yield collection, name, pipeline[0]["$match"], None


@contextlib.asynccontextmanager
async def profiled(database: Database) -> AsyncIterator[None]:
    """The server records every command sent to `database` meanwhile (in `PROFILER`)."""
    await database.command("profile", 2)
    try:
        yield
    finally:
        await database.command("profile", 0)


async def queries_profiled(database: Database) -> list[Query]:
    """One query of each shape the profiler recorded in `database`."""
    found: dict[QueryShape, Query] = {}
    async for entry in database[PROFILER].find({}):
        for collection, name, filter, sort in queries_in(entry["command"]):
            shape = QueryShape(collection, name, json.dumps(shape_of(filter), sort_keys=True))
            found.setdefault(shape, Query(shape, filter, sort))
    return list(found.values())


async def scanning(database: Database) -> list[QueryShape]:
    """The shapes of the queries profiled in `database` that read a growing collection whole."""
    return [
        query.shape
        for query in await queries_profiled(database)
        if query.shape.collection not in BOUNDED and await scans_a_whole_collection(database, query)
    ]


async def scans_a_whole_collection(database: Database, query: Query) -> bool:
    """Whether the server reads every document of the collection for this query (an update or
    delete finds its documents as a `find` with its filter would)."""
    explain: Document = {"find": query.shape.collection, "filter": query.filter}
    if query.sort:
        explain["sort"] = query.sort
    explained = await database.command({"explain": explain})
    return "COLLSCAN" in named_in(explained["queryPlanner"]["winningPlan"], "stage")
