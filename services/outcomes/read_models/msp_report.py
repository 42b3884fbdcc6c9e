"""What the MSP report needs from each case (a CaseSummary), kept up to date from the case's
events and from PersonInformed, and the report over a period built from them.

A summary is folded incrementally, so that a replay of every event ever recorded costs one pass;
`summarise` in the domain is the same fold done at once, and the tests hold the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from pymongo import ASCENDING

from services.outcomes.domain import (
    MspReport,
    case_id_for,
    is_a_decision_the_person_is_told_about,
    msp_report,
)
from services.outcomes.domain.summary import CaseSummary, SummaryFold
from services.outcomes.read_models.per_case import PerCaseProjection
from shared.events import Envelope
from shared.events.notification import PersonInformed
from shared.events.outcomes import CaseEvent
from shared.mongo import Database, Document
from shared.topics import NOTIFICATION_EVENTS, OUTCOMES_EVENTS

COLLECTION = "case_summaries"
_DATES = ("concern_raised_at", "enquiry_started_at", "ended_at")
_REPEATS = "repeats_raised_at"


def fold_summary(case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
    """The summary document after `events`: the case's facts so far, the decisions the person
    should have been told about, and the ones they were told about."""
    fold = SummaryFold(document["state"] if document else {"case_id": case_id})
    decisions: list[str] = list(document["decisions"]) if document else []
    informed: list[str] = list(document["informed"]) if document else []
    for envelope in events:
        payload = envelope.payload
        if isinstance(payload, PersonInformed):
            if payload.source_event_id not in informed:
                informed.append(payload.source_event_id)
            continue
        if not isinstance(payload, CaseEvent):
            continue
        fold.apply(payload)
        if is_a_decision_the_person_is_told_about(envelope):
            decisions.append(envelope.event_id)
    summary = fold.summary(all(d in informed for d in decisions))
    return {
        "state": fold.state,
        "decisions": decisions,
        "informed": informed,
        "summary": summary.model_dump(mode="json") if summary else None,
        # Real dates, so that a period is one indexed query.
        **{field: getattr(summary, field) if summary else None for field in _DATES},
        _REPEATS: list(summary.repeats_raised_at) if summary else [],
    }


class CaseSummaries(PerCaseProjection):
    name = "case-summaries"
    topics: Sequence[str] = (OUTCOMES_EVENTS, NOTIFICATION_EVENTS)
    collection_name = COLLECTION

    def case_of(self, event: Envelope) -> str | None:
        payload = event.payload
        if isinstance(payload, CaseEvent):
            return event.stream_id
        if isinstance(payload, PersonInformed):
            if payload.case_id is not None:
                return payload.case_id
            if payload.concern_id is not None:
                return case_id_for(payload.concern_id)
        return None

    def fold(self, case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
        return fold_summary(case_id, document, events)

    async def ensure_indexes(self) -> None:
        for field in (*_DATES, _REPEATS):
            await self.collection.create_index([(field, ASCENDING)])

    async def reset(self) -> None:
        await super().reset()
        await self.ensure_indexes()

    def fold_again(self, case_id: str, document: Document, own: Sequence[Envelope]) -> Document:
        """Whether she was told of each decision stays (notification's events, no personal
        data); the case's facts are folded again."""
        start = {"state": {"case_id": case_id}, "decisions": [], "informed": document["informed"]}
        return fold_summary(case_id, start, own)


async def report_for(database: Database, period_start: date, period_end: date) -> MspReport:
    """The MSP report over a period (inclusive days in England)."""
    # A day in England starts up to an hour before or after midnight UTC: fetch a day either
    # side and let the report decide exactly what falls in the period.
    low = datetime.combine(period_start - timedelta(days=1), time(), tzinfo=UTC)
    high = datetime.combine(period_end + timedelta(days=2), time(), tzinfo=UTC)
    # A query for each date the report counts by, each served by that date's index (the test
    # server reads every summary for a query with `$or` or `$elemMatch`), a case found by
    # several once. On the repeats' dates the range may match a case by two dates either side
    # of the period; the report counts only the dates in it.
    found: dict[str, Document] = {}
    for field in (*_DATES, _REPEATS):
        query = {field: {"$gte": low, "$lt": high}}
        async for document in database[COLLECTION].find(query, projection={"summary": 1}):
            if document.get("summary") is not None:
                found.setdefault(str(document["_id"]), document["summary"])
    summaries = [CaseSummary.model_validate(summary) for summary in found.values()]
    return msp_report(summaries, period_start, period_end)
