"""The person's timeline: everything that happened in their case, what was said, and what they
were told, in order and in plain language, addressed to one reader: the person ("you").

`said` entries are words exactly as recorded, with nothing added; each says who spoke (`said_by`:
the person, their representative or their advocate, so a representative's words are never shown
as the person's) and what it was about (`about`: e.g. "a police referral", so a wish reads with
the action it concerns). `told` entries come from the notification service's PersonInformed: who
was told, how, and about what. `note` entries are case notes of contacts between professionals:
for staff reading the case, never part of a message to the person. Entries are ordered by when
things happened; ties keep the case's own order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.outcomes.domain import case_id_for
from services.outcomes.domain.england import ENGLAND
from services.outcomes.domain.formal_action import describe, wish_said
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
    BestInterestsDecisionMade,
    CaseClosed,
    CaseEvent,
    CaseMovedToPerson,
    CaseNoteRecorded,
    CaseOpened,
    CeasedReason,
    ContactMode,
    ConversationHeld,
    ConversationMode,
    DesiredOutcomeExpressed,
    DesiredOutcomeRevised,
    DesiredOutcomeWithdrawn,
    EnquiryCeased,
    EnquiryConcluded,
    EnquiryKind,
    EnquiryStarted,
    ExpressedBy,
    FormalActionBasis,
    FormalActionTaken,
    FormalActionWishesRecorded,
    LeadWorkerAssigned,
    MeetingArranged,
    MentalCapacityAssessed,
    NextContactAgreed,
    OutcomeAgreed,
    OutcomesReviewed,
    Participant,
    PlanActionCompleted,
    Professional,
    RepeatConcernJoined,
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
    NOTE = "note"
    """A case note between professionals: for staff only."""


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    at: AwareDatetime
    kind: EntryKind
    text: str
    said_by: ExpressedBy | None = None
    """For a `said` entry: whose words these are."""
    about: str | None = None
    """For a `said` entry: what the words were about."""
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
        """The timeline addressed to the person: nothing they were not told, and no case note
        between professionals, is shown to them."""
        return self.model_copy(
            update={
                "entries": [
                    e
                    for e in self.entries
                    if not e.withheld_from_person and e.kind is not EntryKind.NOTE
                ]
            }
        )


_MODE = {
    ConversationMode.IN_PERSON: "in person",
    ConversationMode.PHONE: "by phone",
    ConversationMode.VIDEO: "by video call",
}
_CONTACT = {
    ContactMode.IN_PERSON: "Meeting in person",
    ContactMode.PHONE: "Phone call",
    ContactMode.VIDEO: "Video call",
    ContactMode.EMAIL: "Email",
    ContactMode.LETTER: "Letter",
    ContactMode.MEETING: "Meeting",
}
_ENQUIRY = {
    EnquiryKind.S42_ENQUIRY: "a safeguarding enquiry (under section 42 of the Care Act)",
    EnquiryKind.OTHER_ENQUIRY: "a safeguarding enquiry",
}
_DATE_KIND = {
    AgreedDateKind.NEXT_CONTACT: "contact",
    AgreedDateKind.REVIEW: "review of your outcomes",
    AgreedDateKind.PLAN_ACTION: "plan action",
}
_SPEAKER = {
    ExpressedBy.PERSON: "You",
    ExpressedBy.REPRESENTATIVE: "Your representative",
    ExpressedBy.ADVOCATE: "Your advocate",
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
_ON_WHAT_BASIS = {
    FormalActionBasis.PERSON_WANTS_IT: "you agreed to it",
    FormalActionBasis.BEST_INTERESTS_DECISION: "it was decided in your best interests",
    FormalActionBasis.WISHES_OVERRIDDEN: "a safeguarding manager decided it against your wishes",
}
_CEASED = {
    CeasedReason.PERSONS_REQUEST: "as you asked",
    CeasedReason.NO_LONGER_AT_RISK: "because you are no longer at risk",
    CeasedReason.PERSON_DIED: "following your death",
}
_THE_OUTCOME = "the outcome wanted"


def _people(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _participants(participants: Sequence[Participant]) -> str:
    return _people([p.name for p in participants])


def _professionals(professionals: Sequence[Professional]) -> str:
    return _people([f"{p.name} ({p.role}, {p.organisation})" for p in professionals])


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _moment(at: datetime) -> str:
    local = at.astimezone(ENGLAND)
    return f"{_day(local.date())} at {local:%H:%M}"


class _Entry(BaseModel):
    at: datetime
    kind: EntryKind
    text: str
    said_by: ExpressedBy | None = None
    about: str | None = None


def _happened(at: datetime, text: str) -> _Entry:
    return _Entry(at=at, kind=EntryKind.HAPPENED, text=text)


def _said(at: datetime, words: str, said_by: ExpressedBy, about: str) -> _Entry:
    return _Entry(at=at, kind=EntryKind.SAID, text=words, said_by=said_by, about=about)


def _concern(raised: CaseOpened | RepeatConcernJoined, text: str) -> list[_Entry]:
    entries = [_happened(raised.concern_raised_at, text)]
    if raised.persons_own_words is not None:
        entries.append(
            _said(
                raised.concern_raised_at,
                raised.persons_own_words,
                ExpressedBy.PERSON,
                "the concern",
            )
        )
    return entries


def _entries_for(
    payload: CaseEvent, occurred_at: datetime, remembered: dict[str, str]
) -> list[_Entry]:
    """The timeline entries one case event makes: what happened, and anything said.
    `remembered` holds the wording of outcomes and plan actions by id, for later entries."""
    person = ExpressedBy.PERSON
    match payload:
        case CaseOpened():
            return _concern(
                payload,
                f"A safeguarding concern was raised about you (reference {payload.reference}).",
            )
        case RepeatConcernJoined():
            return _concern(
                payload,
                f"Another concern about the same incident was raised (reference "
                f"{payload.reference}); it is dealt with in this case.",
            )
        case EnquiryStarted():
            return [_happened(payload.started_at, f"The council started {_ENQUIRY[payload.kind]}.")]
        case LeadWorkerAssigned():
            return [
                _happened(
                    payload.assigned_at,
                    f"{payload.name} became your lead worker.",
                )
            ]
        case ConversationHeld():
            return [
                _happened(
                    payload.held_at,
                    f"You had a conversation {_MODE[payload.mode]} with "
                    f"{_participants(payload.participants)}. {payload.summary}",
                )
            ]
        case CaseNoteRecorded():
            agreed = f" Agreed: {payload.what_was_agreed}" if payload.what_was_agreed else ""
            return [
                _Entry(
                    at=payload.happened_at,
                    kind=EntryKind.NOTE,
                    text=f"Case note, for staff only. {_CONTACT[payload.mode]} with "
                    f"{_professionals(payload.contact_with)}, recorded by {payload.recorded_by}. "
                    f"Said: {payload.what_was_said}{agreed}",
                )
            ]
        case DesiredOutcomeExpressed():
            remembered[payload.desired_outcome_id] = payload.text
            return [_said(payload.expressed_at, payload.text, payload.expressed_by, _THE_OUTCOME)]
        case DesiredOutcomeRevised():
            remembered[payload.desired_outcome_id] = payload.text
            return [
                _said(
                    payload.revised_at,
                    payload.text,
                    payload.expressed_by,
                    f"{_THE_OUTCOME}, changed",
                )
            ]
        case DesiredOutcomeWithdrawn():
            earlier = remembered.get(payload.desired_outcome_id)
            what = f": {earlier}" if earlier is not None else "."
            return [
                _happened(payload.withdrawn_at, f"You said you no longer want an outcome{what}"),
                _said(payload.withdrawn_at, payload.reason, person, "an outcome no longer wanted"),
            ]
        case OutcomeAgreed():
            return [
                _happened(payload.agreed_at, f"An outcome was agreed with you: {payload.wording}")
            ]
        case FormalActionWishesRecorded():
            action = describe(payload.action)
            speaker = _SPEAKER[payload.expressed_by]
            if payload.expressed_by is person:
                text = f"You said you {wish_said(payload.wish)} {action}."
            else:
                text = (
                    f"{speaker} said they {wish_said(payload.wish)} {action}. This is their "
                    f"view, recorded as theirs; only you can give your own."
                )
            return [
                _happened(payload.recorded_at, text),
                _said(payload.recorded_at, payload.in_their_words, payload.expressed_by, action),
            ]
        case MentalCapacityAssessed():
            found = "could not" if payload.lacks_capacity else "could"
            return [
                _happened(
                    payload.assessed_at,
                    f"Your ability to make a decision ({payload.decision}) was assessed: it was "
                    f"found that you {found} make this decision yourself.",
                )
            ]
        case BestInterestsDecisionMade():
            action = describe(payload.action)
            goes = "would go ahead" if payload.in_best_interests else "would not go ahead"
            asked = _people([f"{v.name} ({v.role.value})" for v in payload.consulted])
            return [
                _happened(
                    payload.decided_at,
                    f"Because you could not decide about {action} yourself, a decision was made "
                    f"in your best interests by {payload.decided_by}: it {goes}. Asked for their "
                    f"views: {asked}. Why: {payload.reasons}",
                ),
                _said(payload.decided_at, payload.persons_wishes, person, action),
            ]
        case AdvocateAppointed():
            return [
                _happened(
                    payload.appointed_at,
                    f"{payload.name} from {payload.organisation} became your independent advocate.",
                )
            ]
        case RiskDiscussionHeld():
            options = "; ".join(o.option for o in payload.options)
            return [
                _happened(
                    payload.held_at,
                    f"The risks and choices were talked through with you ({options}).",
                ),
                _said(
                    payload.held_at,
                    payload.persons_decision,
                    payload.decided_by,
                    "the risks and choices",
                ),
            ]
        case MeetingArranged():
            invited = "You are invited." if payload.person_invited else "You are not invited."
            return [
                _happened(
                    occurred_at,
                    f"A meeting was arranged for {_moment(payload.meets_at)} "
                    f"({payload.where_or_how}) about: {payload.purpose}. {invited}",
                )
            ]
        case SafeguardingPlanAgreed():
            for step in payload.actions:
                remembered[step.action_id] = step.description
            actions = "; ".join(a.description for a in payload.actions)
            return [_happened(payload.agreed_at, f"Your safeguarding plan was agreed: {actions}")]
        case PlanActionCompleted():
            done = remembered.get(payload.action_id, "an action")
            return [_happened(payload.completed_at, f"Part of your plan was done: {done}")]
        case WishesOverridden():
            return [
                _happened(
                    payload.overridden_at,
                    f"A safeguarding manager decided that {describe(payload.action)} would go "
                    f"ahead against your wishes, because: {payload.reason}",
                )
            ]
        case FormalActionTaken():
            return [
                _happened(
                    payload.taken_at,
                    f"{describe(payload.action).capitalize()} was made "
                    f"({_ON_WHAT_BASIS[payload.basis]}): {payload.description}",
                )
            ]
        case NextContactAgreed():
            return [
                _happened(
                    payload.agreed_at,
                    f"You agreed that you will next be contacted on {_day(payload.contact_on)}.",
                )
            ]
        case ReviewDateAgreed():
            return [
                _happened(
                    payload.agreed_at,
                    f"You agreed that your outcomes will be reviewed on {_day(payload.review_on)}.",
                )
            ]
        case AgreedDateMissed():
            what = f": {payload.plan_action}" if payload.plan_action else "."
            return [
                _happened(
                    payload.noticed_at,
                    f"The {_DATE_KIND[payload.kind]} agreed with you for "
                    f"{_day(payload.agreed_date)} did not happen{what}",
                )
            ]
        case OutcomesReviewed():
            about = "the review of your outcomes"
            entries = [_happened(payload.reviewed_at, "Your outcomes were reviewed with you.")]
            entries += [
                _said(payload.reviewed_at, rating.in_their_words, person, about)
                for rating in payload.ratings
                if rating.in_their_words is not None
            ]
            if payload.person_view is not None:
                entries.append(_said(payload.reviewed_at, payload.person_view, person, about))
            return entries
        case EnquiryConcluded():
            return [_happened(payload.concluded_at, "The safeguarding enquiry was concluded.")]
        case EnquiryCeased():
            entries = [
                _happened(
                    payload.ceased_at,
                    f"The safeguarding enquiry stopped before its conclusion, "
                    f"{_CEASED[payload.reason]}.",
                )
            ]
            if payload.persons_view is not None:
                entries.append(
                    _said(payload.ceased_at, payload.persons_view, person, "the enquiry stopping")
                )
            return entries
        case CaseClosed():
            entries = [_happened(payload.closed_at, f"Your case was closed: {payload.reason}")]
            if payload.person_view is not None:
                entries.append(
                    _said(payload.closed_at, payload.person_view, person, "closing the case")
                )
            return entries
        case _:
            return []


def told_text(informed: PersonInformed) -> str:
    """Who was told, how, and about what, written to the person. The message's own summary is
    left out: it is written to whoever received it, not to the person reading their timeline."""
    about = _TOLD_ABOUT.get(informed.source_event_type, "a step in your case")
    how = _HOW[informed.channel]
    if informed.format is MessageFormat.EASY_READ:
        how += ", in easy read,"
    return f"{_WHO_WAS_TOLD[informed.recipient_role]} {how} about {about}."


def _sort_key(at: datetime, group: int, position: str) -> str:
    # Fixed-width UTC timestamps sort as text, so the stored order is the time order and is
    # the same after every rebuild, whichever topic's events arrive first.
    return f"{at.astimezone(UTC).isoformat(timespec='microseconds')}|{group}|{position}"


def _stored(entry: _Entry, key: str, event_id: str, withheld: bool) -> Document:
    return {
        "at": entry.at.astimezone(UTC).isoformat(),
        "kind": entry.kind.value,
        "text": entry.text,
        "said_by": entry.said_by.value if entry.said_by else None,
        "about": entry.about,
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
    remembered: dict[str, str] = dict(timeline["outcomes"])
    # Withholdings can arrive before the step they withhold (they travel on another topic).
    withheld: set[str] = set(timeline.get("withheld", []))
    added: list[Document] = []
    for envelope in events:
        payload = envelope.payload
        if isinstance(payload, PersonInformed):
            told = _Entry(at=payload.informed_at, kind=EntryKind.TOLD, text=told_text(payload))
            added.append(
                _stored(
                    told,
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
            for n, entry in enumerate(_entries_for(payload, envelope.occurred_at, remembered)):
                key = _sort_key(entry.at, 0, f"{envelope.stream_version:09d}.{n}")
                added.append(
                    _stored(entry, key, envelope.event_id, withheld=_not_for_the_person(payload))
                )
    entries = sorted([*timeline["entries"], *added], key=lambda e: str(e["key"]))
    timeline["entries"] = [
        e | {"withheld_from_person": True} if e.get("event_id") in withheld else e for e in entries
    ]
    timeline["outcomes"] = remembered
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

    def fold_again(self, case_id: str, document: Document, own: Sequence[Envelope]) -> Document:
        """What notification's events added stays: when and how she was told, and which steps
        were withheld, in fixed words without personal data, as a rebuild gives them."""
        own_ids = {e.event_id for e in own}
        again = fold_timeline(case_id, None, own)
        withheld = set(document.get("withheld", []))
        entries = sorted(
            [
                *(e for e in document["entries"] if e.get("event_id") not in own_ids),
                *again["entries"],
            ],
            key=lambda e: str(e["key"]),
        )
        return {
            **again,
            "withheld": sorted(withheld),
            "entries": [
                e | {"withheld_from_person": True} if e.get("event_id") in withheld else e
                for e in entries
            ],
        }


async def read_timeline(database: Database, case_id: str) -> Timeline | None:
    document = await database[COLLECTION].find_one({"_id": case_id})
    if document is None:
        return None
    return Timeline.model_validate(document)
