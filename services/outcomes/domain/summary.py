"""What the MSP and SAC report needs from one case, folded from the case's events."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.events.envelope import Envelope
from shared.events.outcomes import (
    AdvocateAppointed,
    CaseClosed,
    CaseMovedToPerson,
    CaseOpened,
    EnquiryConcluded,
    EnquiryKind,
    EnquiryStarted,
    FormalActionTaken,
    LeadWorkerAssigned,
    MeetingArranged,
    OutcomesReviewed,
    SacCaseDetails,
    SafeguardingPlanAgreed,
    WishesOverridden,
)
from shared.sac import Achievement, MspAsked

DECISIONS_THE_PERSON_IS_TOLD_ABOUT: frozenset[str] = frozenset(
    cls.event_type
    for cls in (
        EnquiryStarted,
        LeadWorkerAssigned,
        AdvocateAppointed,
        MeetingArranged,
        SafeguardingPlanAgreed,
        WishesOverridden,
        FormalActionTaken,
        OutcomesReviewed,
        EnquiryConcluded,
        CaseClosed,
    )
)
"""Event types in a case that the person (or whoever they chose) should be told about. A meeting
counts only when the person is invited to it. The concern itself is told about from intake's
ConcernRaised, so it is not among these."""


def is_a_decision_the_person_is_told_about(envelope: Envelope) -> bool:
    """Whether the person should be told about this event of their case (a meeting only when
    they are invited to it)."""
    payload = envelope.payload
    if isinstance(payload, MeetingArranged):
        return payload.person_invited
    return envelope.event_type in DECISIONS_THE_PERSON_IS_TOLD_ABOUT


class CaseSummary(BaseModel):
    """One case as the report sees it. Storable as a read model and rebuilt by replay."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    person_id: str
    concern_raised_at: AwareDatetime
    enquiry_kind: EnquiryKind | None = None
    enquiry_started_at: AwareDatetime | None = None
    concluded_at: AwareDatetime | None = None
    case_details: SacCaseDetails | None = None
    msp_asked: MspAsked | None = None
    achievements: tuple[Achievement, ...] = ()
    """The person's view of each desired outcome they expressed, one per outcome."""
    informed_of_every_decision: bool = False

    @property
    def overall_achievement(self) -> Achievement | None:
        """The person's overall view across their outcomes: fully if every outcome was fully
        achieved, not achieved if none was achieved at all, otherwise partially."""
        if not self.achievements:
            return None
        if all(a is Achievement.FULLY for a in self.achievements):
            return Achievement.FULLY
        if all(a is Achievement.NOT_ACHIEVED for a in self.achievements):
            return Achievement.NOT_ACHIEVED
        return Achievement.PARTIALLY


def summarise(events: Iterable[Envelope], informed_of: Collection[str] = ()) -> CaseSummary:
    """Fold one case's events (in stream order) into its summary.

    `informed_of` holds the ids of this case's events the person was informed about (the
    `source_event_id` of each PersonInformed); a decision without one means the person was not
    shown to have been told."""
    opened: CaseOpened | None = None
    person_id: str | None = None
    started: EnquiryStarted | None = None
    concluded: EnquiryConcluded | None = None
    decisions: list[str] = []
    for envelope in events:
        payload = envelope.payload
        if isinstance(payload, CaseOpened):
            opened, person_id = payload, payload.person_id
        elif isinstance(payload, CaseMovedToPerson):
            person_id = payload.person_id
        elif isinstance(payload, EnquiryStarted):
            started = payload
        elif isinstance(payload, EnquiryConcluded):
            concluded = payload
        if is_a_decision_the_person_is_told_about(envelope):
            decisions.append(envelope.event_id)
    if opened is None:
        raise ValueError("a case's events start with CaseOpened")
    return CaseSummary(
        case_id=opened.case_id,
        person_id=person_id or opened.person_id,
        concern_raised_at=opened.concern_raised_at,
        enquiry_kind=started.kind if started else None,
        enquiry_started_at=started.started_at if started else None,
        concluded_at=concluded.concluded_at if concluded else None,
        case_details=concluded.case_details if concluded else None,
        msp_asked=concluded.msp_asked if concluded else None,
        achievements=tuple(a.achievement for a in concluded.achievements) if concluded else (),
        informed_of_every_decision=all(d in informed_of for d in decisions),
    )
