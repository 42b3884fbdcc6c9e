"""The person's timeline: everything that happened in their case, what they said, and what they
were told, in order and in plain language, addressed to them.

`said` entries are the person's (or their representative's) own words, exactly as recorded, with
nothing added. `told` entries come from the notification service's PersonInformed: who was told,
how, and about what. Entries are ordered by when things happened; ties keep the case's own order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.outcomes.domain import case_id_for
from services.outcomes.domain.england import ENGLAND
from services.outcomes.domain.formal_action import describe
from services.outcomes.read_models.per_case import PerCaseProjection
from shared.events import Envelope
from shared.events.notification import (
    Channel,
    InformingWithheld,
    MessageFormat,
    PersonInformed,
    RecipientRole,
)
from shared.events.outcomes import (
    AdvocateAppointed,
    AgreedDateKind,
    AgreedDateMissed,
    CaseClosed,
    CaseEvent,
    CaseMovedToPerson,
    CaseOpened,
    ConversationHeld,
    ConversationMode,
    DesiredOutcomeExpressed,
    DesiredOutcomeRevised,
    DesiredOutcomeWithdrawn,
    EnquiryConcluded,
    EnquiryKind,
    EnquiryStarted,
    FormalActionTaken,
    FormalActionWishesRecorded,
    LeadWorkerAssigned,
    MeetingArranged,
    MentalCapacityAssessed,
    NextContactAgreed,
    OutcomeAgreed,
    OutcomesReviewed,
    Participant,
    ReviewDateAgreed,
    RiskDiscussionHeld,
    SafeguardingPlanAgreed,
    WishesOverridden,
)
from shared.mongo import Database, Document
from shared.topics import NOTIFICATION_EVENTS, OUTCOMES_EVENTS

COLLECTION = "timelines"


class EntryKind(StrEnum):
    HAPPENED = "happened"
    SAID = "said"
    TOLD = "told"


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    at: AwareDatetime
    kind: EntryKind
    text: str
    withheld_from_person: bool = Field(
        default=False,
        description="Telling the person about this was withheld, or a manager recorded that "
        "telling them is unsafe: it is not shown in the timeline addressed to them.",
    )


class Timeline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    person_id: str | None
    entries: list[TimelineEntry]

    def as_the_person_may_see_it(self) -> Timeline:
        """The timeline addressed to the person: nothing they were not told is shown to them."""
        return self.model_copy(
            update={"entries": [e for e in self.entries if not e.withheld_from_person]}
        )


_MODE = {
    ConversationMode.IN_PERSON: "in person",
    ConversationMode.PHONE: "by phone",
    ConversationMode.VIDEO: "by video call",
}
_ENQUIRY = {
    EnquiryKind.S42_ENQUIRY: "a safeguarding enquiry (under section 42 of the Care Act)",
    EnquiryKind.OTHER_ENQUIRY: "a safeguarding enquiry",
}
_DATE_KIND = {
    AgreedDateKind.NEXT_CONTACT: "contact",
    AgreedDateKind.REVIEW: "review of your outcomes",
}
_WHO_WAS_TOLD = {
    RecipientRole.PERSON: "You were told",
    RecipientRole.REPRESENTATIVE: "Your representative was told",
    RecipientRole.ADVOCATE: "Your advocate was told",
}
_HOW = {
    Channel.EMAIL: "by email",
    Channel.SMS: "by text message",
    Channel.LETTER: "by letter",
    Channel.PRACTITIONER_CALL: "by a practitioner, in a call or visit",
}
_TOLD_ABOUT = {
    "ConcernRaised": "the concern raised about you",
    "S42DecisionMade": "the decision on what happens next",
    "EnquiryStarted": "the start of the enquiry",
    "LeadWorkerAssigned": "who your lead worker is",
    "AdvocateAppointed": "your advocate",
    "MeetingArranged": "a meeting",
    "SafeguardingPlanAgreed": "your safeguarding plan",
    "WishesOverridden": "a decision made against your wishes",
    "FormalActionTaken": "a formal action",
    "OutcomesReviewed": "the review of your outcomes",
    "EnquiryConcluded": "the end of the enquiry",
    "CaseClosed": "your case being closed",
}


def _people(participants: Sequence[Participant]) -> str:
    names = [p.name for p in participants]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _moment(at: datetime) -> str:
    local = at.astimezone(ENGLAND)
    return f"{_day(local.date())} at {local:%H:%M}"


def _entries_for(
    payload: CaseEvent, occurred_at: datetime, outcomes: dict[str, str]
) -> list[tuple[datetime, EntryKind, str]]:
    """The timeline entries one case event makes: what happened, and anything the person said."""
    happened, said = EntryKind.HAPPENED, EntryKind.SAID
    match payload:
        case CaseOpened():
            entries = [
                (
                    payload.concern_raised_at,
                    happened,
                    f"A safeguarding concern was raised about you (reference {payload.reference}).",
                )
            ]
            if payload.persons_own_words is not None:
                entries.append((payload.concern_raised_at, said, payload.persons_own_words))
            return entries
        case EnquiryStarted():
            return [
                (payload.started_at, happened, f"The council started {_ENQUIRY[payload.kind]}.")
            ]
        case LeadWorkerAssigned():
            return [
                (
                    payload.assigned_at,
                    happened,
                    f"{payload.name} became your lead worker. Contact: {payload.contact}",
                )
            ]
        case ConversationHeld():
            return [
                (
                    payload.held_at,
                    happened,
                    f"You had a conversation {_MODE[payload.mode]} with "
                    f"{_people(payload.participants)}. {payload.summary}",
                )
            ]
        case DesiredOutcomeExpressed():
            outcomes[payload.desired_outcome_id] = payload.text
            return [(payload.expressed_at, said, payload.text)]
        case DesiredOutcomeRevised():
            outcomes[payload.desired_outcome_id] = payload.text
            return [(payload.revised_at, said, payload.text)]
        case DesiredOutcomeWithdrawn():
            earlier = outcomes.get(payload.desired_outcome_id)
            what = f": {earlier}" if earlier is not None else "."
            return [
                (payload.withdrawn_at, happened, f"You said you no longer want an outcome{what}"),
                (payload.withdrawn_at, said, payload.reason),
            ]
        case OutcomeAgreed():
            return [
                (payload.agreed_at, happened, f"An outcome was agreed with you: {payload.wording}")
            ]
        case FormalActionWishesRecorded():
            return [(payload.recorded_at, said, payload.in_their_words)]
        case MentalCapacityAssessed():
            found = "could not" if payload.lacks_capacity else "could"
            return [
                (
                    payload.assessed_at,
                    happened,
                    f"Your ability to make a decision ({payload.decision}) was assessed: it was "
                    f"found that you {found} make this decision yourself.",
                )
            ]
        case AdvocateAppointed():
            return [
                (
                    payload.appointed_at,
                    happened,
                    f"{payload.name} from {payload.organisation} became your independent advocate.",
                )
            ]
        case RiskDiscussionHeld():
            options = "; ".join(o.option for o in payload.options)
            return [
                (
                    payload.held_at,
                    happened,
                    f"The risks and choices were talked through with you ({options}).",
                ),
                (payload.held_at, said, payload.persons_decision),
            ]
        case MeetingArranged():
            invited = "You are invited." if payload.person_invited else "You are not invited."
            return [
                (
                    occurred_at,
                    happened,
                    f"A meeting was arranged for {_moment(payload.meets_at)} "
                    f"({payload.where_or_how}) about: {payload.purpose}. {invited}",
                )
            ]
        case SafeguardingPlanAgreed():
            actions = "; ".join(a.description for a in payload.actions)
            return [(payload.agreed_at, happened, f"Your safeguarding plan was agreed: {actions}")]
        case WishesOverridden():
            return [
                (
                    payload.overridden_at,
                    happened,
                    f"A safeguarding manager decided that {describe(payload.action)} would go "
                    f"ahead against your wishes, because: {payload.reason}",
                )
            ]
        case FormalActionTaken():
            return [
                (
                    payload.taken_at,
                    happened,
                    f"{describe(payload.action).capitalize()} was made: {payload.description}",
                )
            ]
        case NextContactAgreed():
            return [
                (
                    payload.agreed_at,
                    happened,
                    f"You agreed that you will next be contacted on {_day(payload.contact_on)}.",
                )
            ]
        case ReviewDateAgreed():
            return [
                (
                    payload.agreed_at,
                    happened,
                    f"You agreed that your outcomes will be reviewed on {_day(payload.review_on)}.",
                )
            ]
        case AgreedDateMissed():
            return [
                (
                    payload.noticed_at,
                    happened,
                    f"The {_DATE_KIND[payload.kind]} agreed with you for "
                    f"{_day(payload.agreed_date)} did not happen.",
                )
            ]
        case OutcomesReviewed():
            entries = [(payload.reviewed_at, happened, "Your outcomes were reviewed with you.")]
            entries += [
                (payload.reviewed_at, said, rating.in_their_words)
                for rating in payload.ratings
                if rating.in_their_words is not None
            ]
            if payload.person_view is not None:
                entries.append((payload.reviewed_at, said, payload.person_view))
            return entries
        case EnquiryConcluded():
            return [(payload.concluded_at, happened, "The safeguarding enquiry was concluded.")]
        case CaseClosed():
            entries = [(payload.closed_at, happened, f"Your case was closed: {payload.reason}")]
            if payload.person_view is not None:
                entries.append((payload.closed_at, said, payload.person_view))
            return entries
        case _:
            return []


def told_text(informed: PersonInformed) -> str:
    about = _TOLD_ABOUT.get(informed.source_event_type, "a step in your case")
    how = _HOW[informed.channel]
    if informed.format is MessageFormat.EASY_READ:
        how += ", in easy read,"
    return (
        f"{_WHO_WAS_TOLD[informed.recipient_role]} {how} about {about}: {informed.message_summary}"
    )


def _sort_key(at: datetime, group: int, position: str) -> str:
    # Fixed-width UTC timestamps sort as text, so the stored order is the time order and is
    # the same after every rebuild, whichever topic's events arrive first.
    return f"{at.astimezone(UTC).isoformat(timespec='microseconds')}|{group}|{position}"


def _entry(
    at: datetime, kind: EntryKind, text: str, key: str, event_id: str, withheld: bool
) -> Document:
    return {
        "at": at.astimezone(UTC).isoformat(),
        "kind": kind.value,
        "text": text,
        "key": key,
        "event_id": event_id,
        "withheld_from_person": withheld,
    }


def _not_for_the_person(payload: CaseEvent) -> bool:
    """A step a manager recorded as unsafe to tell the person about."""
    return isinstance(payload, WishesOverridden) and not payload.person_told


def fold_timeline(case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
    timeline = (
        dict(document)
        if document is not None
        else {"case_id": case_id, "person_id": None, "entries": [], "outcomes": {}}
    )
    outcomes: dict[str, str] = dict(timeline["outcomes"])
    # Withholdings can arrive before the step they withhold (they travel on another topic).
    withheld: set[str] = set(timeline.get("withheld", []))
    added: list[Document] = []
    for envelope in events:
        payload = envelope.payload
        if isinstance(payload, PersonInformed):
            added.append(
                _entry(
                    payload.informed_at,
                    EntryKind.TOLD,
                    told_text(payload),
                    _sort_key(payload.informed_at, 1, envelope.event_id),
                    envelope.event_id,
                    withheld=False,
                )
            )
        elif isinstance(payload, InformingWithheld) and payload.source_event_id is not None:
            withheld.add(payload.source_event_id)
        elif isinstance(payload, CaseEvent):
            if isinstance(payload, CaseOpened | CaseMovedToPerson):
                timeline["person_id"] = payload.person_id
            for n, (at, kind, text) in enumerate(
                _entries_for(payload, envelope.occurred_at, outcomes)
            ):
                added.append(
                    _entry(
                        at,
                        kind,
                        text,
                        _sort_key(at, 0, f"{envelope.stream_version:09d}.{n}"),
                        envelope.event_id,
                        withheld=_not_for_the_person(payload),
                    )
                )
    entries = sorted([*timeline["entries"], *added], key=lambda e: str(e["key"]))
    timeline["entries"] = [
        e | {"withheld_from_person": True} if e.get("event_id") in withheld else e for e in entries
    ]
    timeline["outcomes"] = outcomes
    timeline["withheld"] = sorted(withheld)
    return timeline


class Timelines(PerCaseProjection):
    name = "timelines"
    topics: Sequence[str] = (OUTCOMES_EVENTS, NOTIFICATION_EVENTS)
    collection_name = COLLECTION

    def case_of(self, event: Envelope) -> str | None:
        payload = event.payload
        if isinstance(payload, CaseEvent):
            return event.stream_id
        if isinstance(payload, PersonInformed | InformingWithheld):
            if payload.case_id is not None:
                return payload.case_id
            concern_id = getattr(payload, "concern_id", None)
            if concern_id is not None:
                return case_id_for(concern_id)
        return None

    def fold(self, case_id: str, document: Document | None, events: Sequence[Envelope]) -> Document:
        return fold_timeline(case_id, document, events)


async def read_timeline(database: Database, case_id: str) -> Timeline | None:
    document = await database[COLLECTION].find_one({"_id": case_id})
    if document is None:
        return None
    return Timeline.model_validate(document)
