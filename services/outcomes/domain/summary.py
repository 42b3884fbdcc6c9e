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
    CeasedReason,
    Demographics,
    DemographicsRecorded,
    EnquiryCeased,
    EnquiryConcluded,
    EnquiryKind,
    EnquiryStarted,
    Experience,
    FormalActionTaken,
    LeadWorkerAssigned,
    MeetingArranged,
    OutcomesReviewed,
    RepeatConcernJoined,
    ReviewStage,
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


_UNKNOWN = {name: field.default for name, field in Demographics.model_fields.items()}


def known_demographics(known: Demographics | None, reported: Demographics | None) -> Demographics:
    """What is known after another concern `reported` something: a concern fills in what was
    not known before but does not overwrite what was (a practitioner's DemographicsRecorded
    does that)."""
    if known is None:
        return reported or Demographics()
    if reported is None:
        return known
    fields: dict[str, object] = {}
    for name, value in known:
        newer = getattr(reported, name)
        fields[name] = value if value is not None and value != _UNKNOWN.get(name) else newer
    if known.date_of_birth is not None or known.approximate_age is not None:
        fields.update(
            date_of_birth=known.date_of_birth,
            approximate_age=known.approximate_age,
            approximate_age_on=known.approximate_age_on,
        )
    else:
        fields.update(
            date_of_birth=reported.date_of_birth,
            approximate_age=reported.approximate_age,
            approximate_age_on=reported.approximate_age_on,
        )
    return Demographics.model_validate(fields)


class CaseSummary(BaseModel):
    """One case as the report sees it. Storable as a read model and rebuilt by replay."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    person_id: str
    concern_raised_at: AwareDatetime
    demographics: Demographics = Demographics()
    repeats_raised_at: tuple[AwareDatetime, ...] = ()
    """When each repeat report of the same incident that joined the case was raised."""
    enquiry_kind: EnquiryKind | None = None
    enquiry_started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    """When the enquiry was concluded or recorded as ceased."""
    ceased_reason: CeasedReason | None = None
    case_details: SacCaseDetails | None = None
    msp_asked: MspAsked | None = None
    achievements: tuple[Achievement, ...] = ()
    """The person's view of each desired outcome they expressed, one per outcome."""
    experience: Experience | None = None
    """How the process felt, from the latest review (the closure review when there is one)."""
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


class SummaryFold:
    """The summary built one event at a time, in stream order; `state` is JSON-compatible so
    the read model can store it between batches."""

    def __init__(self, state: dict[str, object] | None = None) -> None:
        self.state: dict[str, object] = dict(state or {})

    def apply(self, payload: object) -> None:
        state = self.state
        match payload:
            case CaseOpened():
                state.update(
                    case_id=payload.case_id,
                    person_id=payload.person_id,
                    concern_raised_at=payload.concern_raised_at.isoformat(),
                    demographics=self._merged(payload.demographics),
                )
            case CaseMovedToPerson():
                state["person_id"] = payload.person_id
            case RepeatConcernJoined():
                state["repeats_raised_at"] = [
                    *self._list("repeats_raised_at"),
                    payload.concern_raised_at.isoformat(),
                ]
                state["demographics"] = self._merged(payload.demographics)
            case DemographicsRecorded():
                state["demographics"] = payload.demographics.model_dump(mode="json")
            case EnquiryStarted():
                state.update(
                    enquiry_kind=payload.kind.value,
                    enquiry_started_at=payload.started_at.isoformat(),
                )
            case EnquiryConcluded() | EnquiryCeased():
                ended = payload.model_dump(mode="json")
                state.update(
                    ended_at=ended.get("concluded_at") or ended.get("ceased_at"),
                    ceased_reason=ended.get("reason"),
                    case_details=ended["case_details"],
                    msp_asked=ended["msp_asked"],
                    achievements=[a["achievement"] for a in ended["achievements"]],
                )
            case OutcomesReviewed():
                if payload.stage is ReviewStage.CLOSURE or not state.get("closure_reviewed"):
                    state["experience"] = payload.experience.model_dump(mode="json")
                if payload.stage is ReviewStage.CLOSURE:
                    state["closure_reviewed"] = True
            case _:
                pass

    def summary(self, informed_of_every_decision: bool) -> CaseSummary | None:
        if "concern_raised_at" not in self.state:
            return None
        fields = {k: v for k, v in self.state.items() if k != "closure_reviewed"}
        return CaseSummary.model_validate(
            {**fields, "informed_of_every_decision": informed_of_every_decision}
        )

    def _merged(self, reported: Demographics | None) -> dict[str, object]:
        stored = self.state.get("demographics")
        known = Demographics.model_validate(stored) if stored is not None else None
        return known_demographics(known, reported).model_dump(mode="json")

    def _list(self, key: str) -> list[object]:
        value = self.state.get(key)
        return list(value) if isinstance(value, list) else []


def summarise(events: Iterable[Envelope], informed_of: Collection[str] = ()) -> CaseSummary:
    """Fold one case's events (in stream order) into its summary.

    `informed_of` holds the ids of this case's events the person was informed about (the
    `source_event_id` of each PersonInformed); a decision without one means the person was not
    shown to have been told."""
    fold = SummaryFold()
    decisions: list[str] = []
    for envelope in events:
        fold.apply(envelope.payload)
        if is_a_decision_the_person_is_told_about(envelope):
            decisions.append(envelope.event_id)
    summary = fold.summary(all(d in informed_of for d in decisions))
    if summary is None:
        raise ValueError("a case's events start with CaseOpened")
    return summary
