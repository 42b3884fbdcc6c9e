"""Subject access: everything held about one person, gathered from the three services into one
bundle (JSON, and a readable HTML page), with other people's data marked for a practitioner's
redaction review before it is released.

Each service answers `GET /people/{person_id}/subject-access` (managers) with its part: every
event of the streams about her (her concerns at intake, her cases at outcomes, her informing
stream at notification) and every read-model document that names her, her streams or what they
name in turn (so the deliveries of her messages bring the letters printed for them). What is
about someone else is marked by the rules in `shared.events.third_party`.

    python -m shared.subject_access PERSON_ID --token T --intake URL --outcomes URL \\
        --notification URL --json bundle.json --html bundle.html
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import jinja2
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shared.access import AUDIT_COLLECTION
from shared.events import Role
from shared.events.third_party import THIRD_PARTY_EVENTS, third_party_reason
from shared.eventstore import envelope_from_document
from shared.http import IdInPath
from shared.identity import StaffTokens
from shared.keyring import Keyring
from shared.mongo import Database
from shared.personal_data import sealed_subjects

SERVICES = ("intake", "outcomes", "notification")
NOT_ABOUT_ANYONE = frozenset(
    {"events", "outbox", "leases", "tracking", "held_events", "instances", AUDIT_COLLECTION}
)
"""The plumbing: the event store (read by stream instead), relay, projection and instance state,
and the audit of staff access (about staff, and answerable separately)."""
LINKS = ("person_id", "case_id", "concern_id")
RECORD_TITLES = {
    "deliveries": "Every message prepared for her, or for those she chose, and what became of it",
    "print_queue": "Letters printed",
    "informing_decisions": "Decisions about telling her",
    "case_files": "Her case file",
    "timelines": "Her timeline",
}

StreamsAbout = Callable[[str], Awaitable[list[str]]]
"""The event streams of a service that are about the person now (not those moved to another)."""


class Mark(BaseModel):
    where: str = Field(description="Where in the bundle, e.g. intake.events[0].payload.referrer")
    why: str = Field(description="Whose data it is")


class ServicePart(BaseModel):
    service: str
    person_id: str
    events: list[dict[str, Any]] = Field(description="Every event of her streams, in order.")
    records: dict[str, list[dict[str, Any]]] = Field(
        description="Each read model's documents about her, by collection."
    )
    for_redaction_review: list[Mark]


class Bundle(BaseModel):
    person_id: str
    produced_at: datetime
    parts: list[ServicePart]

    @property
    def marks(self) -> dict[str, str]:
        return {m.where: m.why for part in self.parts for m in part.for_redaction_review}


def _plain(value: Any) -> Any:
    """A stored value as JSON would hold it."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _marks(value: Any, where: str, found: list[Mark]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            why = third_party_reason(key, inner)
            if why is not None:
                found.append(Mark(where=f"{where}.{key}", why=why))
            else:
                _marks(inner, f"{where}.{key}", found)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            why = third_party_reason(None, inner)
            if why is not None:
                found.append(Mark(where=f"{where}[{i}]", why=why))
            else:
                _marks(inner, f"{where}[{i}]", found)


async def service_part(
    service: str,
    database: Database,
    person_id: str,
    streams: list[str],
    keyring: Keyring | None = None,
) -> ServicePart:
    cursor = (
        database["events"]
        .find({"stream_id": {"$in": streams}})
        .sort([("stream_id", 1), ("stream_version", 1)])
    )
    documents = [document async for document in cursor]
    # Her data is opened with its keys; once erased, the bundle shows the erased placeholders.
    subjects = set().union(*(sealed_subjects(d.get("payload")) for d in documents))
    keys = await keyring.opening_keys(subjects) if keyring is not None and subjects else {}
    events = [envelope_from_document(d, keys).model_dump(mode="json") for d in documents]
    records = await _records(database, {person_id, *streams})
    marks: list[Mark] = []
    for i, event in enumerate(events):
        where = f"{service}.events[{i}].payload"
        if event["event_type"] in THIRD_PARTY_EVENTS:
            marks.append(Mark(where=where, why=THIRD_PARTY_EVENTS[event["event_type"]]))
        else:
            _marks(event["payload"], where, marks)
    for collection, documents in records.items():
        for i, document in enumerate(documents):
            where = f"{service}.records.{collection}[{i}]"
            why = third_party_reason(None, document)
            if why is not None:
                marks.append(Mark(where=where, why=why))
            else:
                _marks(document, where, marks)
    return ServicePart(
        service=service,
        person_id=person_id,
        events=events,
        records=records,
        for_redaction_review=marks,
    )


async def _records(database: Database, ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Every document naming one of `ids`, or (a second round) one of the documents found."""
    collections = sorted(set(await database.list_collection_names()) - NOT_ABOUT_ANYONE)
    found: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in collections}
    for _ in range(2):
        wanted = sorted(ids)
        query = {"$or": [{"_id": {"$in": wanted}}, *({k: {"$in": wanted}} for k in LINKS)]}
        for name in collections:
            async for document in database[name].find(query):
                found[name][str(document["_id"])] = _plain(document)
        ids |= {
            str(v)
            for documents in found.values()
            for document in documents.values()
            for k, v in document.items()
            if k in ("_id", *LINKS) and isinstance(v, str)
        }
    return {name: list(documents.values()) for name, documents in found.items() if documents}


def subject_access_router(
    service: str,
    database: Database,
    staff: StaffTokens,
    streams_about: StreamsAbout,
    keyring: Keyring | None = None,
) -> APIRouter:
    router = APIRouter(tags=["subject access"])

    @router.get(
        "/people/{person_id}/subject-access",
        response_model=ServicePart,
        summary="Everything this service holds about the person, for a subject access request",
        description="Every event of the streams about her and every read-model document naming "
        "her or them; other people's data is listed in `for_redaction_review` for a "
        "practitioner to review before release. `python -m shared.subject_access` gathers the "
        "three services' parts into one bundle (JSON and HTML).",
    )
    async def subject_access(person_id: IdInPath, request: Request) -> ServicePart:
        await staff.admit(request, (Role.MANAGER,))
        streams = await streams_about(person_id)
        return await service_part(service, database, person_id, streams, keyring)

    return router


async def gather(
    person_id: str, urls: Mapping[str, str], headers: Mapping[str, str], http: httpx.AsyncClient
) -> Bundle:
    parts = []
    for service in SERVICES:
        response = await http.get(
            f"{urls[service].rstrip('/')}/people/{person_id}/subject-access",
            headers=dict(headers),
        )
        response.raise_for_status()
        parts.append(ServicePart.model_validate(response.json()))
    bundle = Bundle(person_id=person_id, produced_at=datetime.now(UTC), parts=parts)
    mark_the_sources_contact_points(bundle)
    return bundle


def leaves(part: ServicePart) -> Iterator[tuple[str, object]]:
    """Every value in a part with where it is (the paths marks use)."""

    def walk(value: object, where: str) -> Iterator[tuple[str, object]]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from walk(inner, f"{where}.{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                yield from walk(inner, f"{where}[{i}]")
        else:
            yield where, value

    yield from walk({"events": part.events, "records": part.records}, part.service)


def under(where: str, marked: Iterable[str]) -> bool:
    return any(where == m or where.startswith((f"{m}.", f"{m}[")) for m in marked)


def _contact_key(value: object) -> str | None:
    """An email or phone as compared: an inbox in lower case, a phone by its last nine digits
    (`07700 900456` and `+44 7700 900456` are one phone)."""
    if not isinstance(value, str):
        return None
    if "@" in value:
        return value.strip().lower()
    digits = re.sub(r"\D", "", value)
    return digits[-9:] if len(digits) >= 9 else None


def mark_the_sources_contact_points(bundle: Bundle) -> None:
    """A contact point of the alleged source of risk written anywhere else (a referral giving
    his phone as hers) is his data too."""
    sources = [where for where, why in bundle.marks.items() if "source of risk" in why]
    keys = {
        key
        for part in bundle.parts
        for where, value in leaves(part)
        if under(where, sources) and (key := _contact_key(value)) is not None
    }
    for part in bundle.parts:
        marked = [m.where for m in part.for_redaction_review]
        part.for_redaction_review.extend(
            Mark(where=where, why=SAME_AS_SOURCE)
            for where, value in leaves(part)
            if _contact_key(value) in keys and not under(where, marked)
        )


SAME_AS_SOURCE = "the same email or phone as the alleged source of risk's"


PAGE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Subject access: {{ bundle.person_id }}</title>
<style>
body { font-family: Arial, sans-serif; max-width: 60em; margin: 2em auto; line-height: 1.4 }
dl { margin: 0 0 0 1.5em } dt { font-weight: bold } dd { margin: 0 0 .3em 1em }
.for-review { border-left: .4em solid #d4351c; background: #fdf2f0; padding: .3em .6em }
.why { color: #d4351c; font-weight: bold; margin: 0 }
section.event { border-top: 1px solid #b1b4b6; margin-top: 1em }
</style></head><body>
<h1>Everything held about person {{ bundle.person_id }}</h1>
<p>Produced {{ bundle.produced_at.strftime("%d %B %Y %H:%M UTC") }}. Parts marked
<span class="why">for redaction review</span> are about other people ({{ marks|length }} places):
a practitioner reviews each before this is released.</p>
{% macro show(value, where) -%}
{%- if where in marks %}<div class="for-review"><p class="why">For redaction review:
{{ marks[where] }}</p>{{ plain(value, where) }}</div>
{%- else %}{{ plain(value, where) }}{% endif -%}
{%- endmacro %}
{% macro plain(value, where) -%}
{%- if value is mapping %}<dl>{% for k, v in value.items() %}<dt>{{ k|replace("_", " ") }}</dt>
<dd>{{ show(v, where ~ "." ~ k) }}</dd>{% endfor %}</dl>
{%- elif value is iterable and value is not string %}<ol>{% for v in value %}
<li>{{ show(v, where ~ "[" ~ loop.index0 ~ "]") }}</li>{% endfor %}</ol>
{%- else %}{{ value }}{% endif -%}
{%- endmacro %}
{% for part in bundle.parts %}
<h2>{{ titles[part.service] }}</h2>
<h3>What was recorded, step by step</h3>
{% for event in part.events %}{% set at = part.service ~ ".events[" ~ loop.index0 ~ "]" %}
<section class="event"><h4>{{ event.event_type }}, {{ event.occurred_at[:16]|replace("T", " ") }}
({{ event.actor.role }})</h4>{{ show(event.payload, at ~ ".payload") }}</section>
{% endfor %}
{% for collection, documents in part.records.items() %}
<h3>{{ record_titles.get(collection, collection|replace("_", " ")|capitalize) }}</h3>
{% for document in documents %}{{ show(document, part.service ~ ".records." ~ collection ~ "["
~ loop.index0 ~ "]") }}{% endfor %}
{% endfor %}
{% endfor %}
</body></html>
"""
)


def render_html(bundle: Bundle) -> str:
    return PAGE.render(
        bundle=bundle,
        marks=bundle.marks,
        record_titles=RECORD_TITLES,
        titles={
            "intake": "Intake: the concerns raised about her",
            "outcomes": "Outcomes: her case",
            "notification": "Notification: keeping her informed",
        },
    )


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m shared.subject_access",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("person_id")
    parser.add_argument("--token", default=os.environ.get("OPS_TOKEN", ""), help="a manager's")
    for service, port in zip(SERVICES, (8001, 8002, 8003), strict=True):
        parser.add_argument(f"--{service}", default=f"http://127.0.0.1:{port}")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--html", type=Path, required=True)
    args = parser.parse_args(argv)

    async def fetch() -> Bundle:
        async with httpx.AsyncClient(timeout=60) as http:
            return await gather(
                args.person_id,
                {s: getattr(args, s) for s in SERVICES},
                {"Authorization": f"Bearer {args.token}"},
                http,
            )

    bundle = asyncio.run(fetch())
    args.json.write_text(bundle.model_dump_json(indent=2))
    args.html.write_text(render_html(bundle))
    print(
        f"{len(bundle.marks)} places marked for redaction review; written {args.json}, {args.html}"
    )


if __name__ == "__main__":
    run()
