"""The formal-action rule, in one place.

People have been distressed when police, disciplinary, regulator or legal action happened without
their knowledge or consent (Making Safeguarding Personal). So the person's own wish decides, and a
formal action can be recorded as taken on exactly one of these:

1. **Consent.** The person's own latest wish about that action is that they want it, and they
   have capacity for that decision (no assessment of it found otherwise). A representative's,
   advocate's or family member's view is recorded as theirs and never stands in for the person's.
   Consent is not self-certified: the member of staff who recorded the person's wish cannot be the
   one who records the action taken on it, so a second person has heard it from the person.
2. **A best-interests decision.** The latest capacity assessment *for that action* found the
   person lacks capacity to decide about it, and a best-interests decision about it was recorded
   after that assessment (Mental Capacity Act 2005 s4), with the person's own wishes and the
   views of those consulted, including their representative or advocate when they have one.
3. **A manager's override** on a statutory ground (others at risk, crime, public interest,
   coercion or control, high risk to life or limb, a regulated provider or person in a position
   of trust), made after the person last said what they want: a newer wish has to be looked at
   again. Lack of capacity is not an override ground: route 2 covers it.

An override or a best-interests decision names the one action it allows: once an action has been
taken on it, another action needs another decision.

Positions are the order in which events happened in the case, so "after" means exactly that,
whatever the clocks on the events say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.outcomes.domain.refusals import CaseRefused, FormalActionRefused, NotPermitted
from shared.events.envelope import Actor, Role
from shared.events.outcomes import (
    AdvocateAppointed,
    BestInterestsDecisionMade,
    ConsultedView,
    ExpressedBy,
    FormalActionBasis,
    FormalActionKind,
    FormalActionTaken,
    FormalActionWishesRecorded,
    MentalCapacityAssessed,
    ParticipantRole,
    StatutoryGround,
    Wish,
    WishesOverridden,
)

_DESCRIBED = {
    FormalActionKind.POLICE: "a police referral",
    FormalActionKind.DISCIPLINARY: "a disciplinary referral",
    FormalActionKind.REGULATOR: "a referral to the regulator",
    FormalActionKind.LEGAL: "legal action",
}

_WISH_SAID = {
    Wish.WANTS: "want",
    Wish.DOES_NOT_WANT: "do not want",
    Wish.UNDECIDED: "are undecided about",
}

OVERRIDE_GROUNDS = frozenset(StatutoryGround) - {StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS}
"""The grounds a new override may give."""

_SPEAKS_AS = {
    ExpressedBy.REPRESENTATIVE: ParticipantRole.REPRESENTATIVE,
    ExpressedBy.ADVOCATE: ParticipantRole.ADVOCATE,
}


def describe(action: FormalActionKind) -> str:
    return _DESCRIBED[action]


def wish_said(wish: Wish) -> str:
    """How a wish reads after "they": "want", "do not want", "are undecided about"."""
    return _WISH_SAID[wish]


@dataclass
class _Wish:
    position: int
    wish: Wish
    recorded_by: str | None


@dataclass
class _Assessment:
    position: int
    assessment_id: str
    lacks_capacity: bool


@dataclass
class _Authority:
    """An override or a best-interests decision in favour of one action."""

    position: int
    authority_id: str
    basis: FormalActionBasis
    after_assessment: str | None = None
    used: bool = False


class FormalActionRule:
    """What decides whether a formal action may be taken in one case: the person's own wishes,
    others' views, capacity assessments tied to an action, best-interests decisions, overrides,
    and the actions already taken on them. Fed the case's events in order."""

    def __init__(self) -> None:
        self._persons_wish: dict[FormalActionKind, _Wish] = {}
        self._others_views: dict[FormalActionKind, dict[ExpressedBy, Wish]] = {}
        self._assessments: dict[str, MentalCapacityAssessed] = {}
        self._latest_assessment: dict[FormalActionKind, _Assessment] = {}
        self._authorities: dict[FormalActionKind, list[_Authority]] = {}
        self._speakers_for_the_person: set[ParticipantRole] = set()

    # -- what happened --------------------------------------------------------------------

    def wish_recorded(self, event: FormalActionWishesRecorded, position: int) -> None:
        if event.expressed_by is ExpressedBy.PERSON:
            self._persons_wish[event.action] = _Wish(position, event.wish, event.recorded_by)
        else:
            self._others_views.setdefault(event.action, {})[event.expressed_by] = event.wish
            self._speakers_for_the_person.add(_SPEAKS_AS[event.expressed_by])

    def capacity_assessed(self, event: MentalCapacityAssessed, position: int) -> None:
        self._assessments[event.assessment_id] = event
        if event.formal_action is not None:
            self._latest_assessment[event.formal_action] = _Assessment(
                position, event.assessment_id, event.lacks_capacity
            )

    def advocate_appointed(self, event: AdvocateAppointed) -> None:
        self._speakers_for_the_person.add(ParticipantRole.ADVOCATE)

    def best_interests_decided(self, event: BestInterestsDecisionMade, position: int) -> None:
        if event.in_best_interests:
            self._authorities.setdefault(event.action, []).append(
                _Authority(
                    position,
                    event.decision_id,
                    FormalActionBasis.BEST_INTERESTS_DECISION,
                    after_assessment=event.capacity_assessment_id,
                )
            )

    def overridden(self, event: WishesOverridden, position: int) -> None:
        self._authorities.setdefault(event.action, []).append(
            _Authority(
                position,
                event.override_id or f"override-at-{position}",
                FormalActionBasis.WISHES_OVERRIDDEN,
            )
        )

    def action_taken(self, event: FormalActionTaken) -> None:
        if event.basis is FormalActionBasis.PERSON_WANTS_IT:
            return
        for authority in self._authorities.get(event.action, []):
            # Actions recorded before they named their authority used the oldest unused one.
            named = event.authority_id is None or authority.authority_id == event.authority_id
            if named and authority.basis is event.basis and not authority.used:
                authority.used = True
                return

    # -- questions ------------------------------------------------------------------------

    def persons_wish(self, action: FormalActionKind) -> Wish | None:
        recorded = self._persons_wish.get(action)
        return recorded.wish if recorded else None

    def lacks_capacity_for(self, action: FormalActionKind) -> bool:
        latest = self._latest_assessment.get(action)
        return latest is not None and latest.lacks_capacity

    def authority_for(
        self, action: FormalActionKind, taker: Actor
    ) -> tuple[FormalActionBasis, str | None]:
        """Why `action` may be taken by `taker` now (and the override or best-interests decision
        it uses); raises FormalActionRefused saying why not and what would allow it."""
        wish = self._persons_wish.get(action)
        latest = self._latest_assessment.get(action)
        lacks_capacity = latest is not None and latest.lacks_capacity
        if (
            not lacks_capacity
            and wish is not None
            and wish.wish is Wish.WANTS
            and wish.recorded_by not in (None, taker.id)
        ):
            return FormalActionBasis.PERSON_WANTS_IT, None
        if lacks_capacity and latest is not None:
            for authority in self._unused(action, FormalActionBasis.BEST_INTERESTS_DECISION):
                if authority.after_assessment == latest.assessment_id:
                    return authority.basis, authority.authority_id
        wished_at = wish.position if wish else 0
        for authority in self._unused(action, FormalActionBasis.WISHES_OVERRIDDEN):
            if authority.position > wished_at:
                return authority.basis, authority.authority_id
        raise FormalActionRefused(self._why_not(action, taker, wish, lacks_capacity))

    def check_override(
        self,
        actor: Actor,
        action: FormalActionKind,
        grounds: Sequence[StatutoryGround],
        capacity_assessment_id: str | None,
    ) -> None:
        """Refuse an override that is not a manager's, has no ground, or rests on capacity."""
        if actor.role is not Role.MANAGER:
            raise NotPermitted(
                f"Only a Safeguarding Adults Manager may override the person's wishes about "
                f"{describe(action)}; this was attempted in the role {actor.role.value!r}"
            )
        if not grounds:
            raise CaseRefused(
                "An override needs at least one statutory ground: one of "
                + ", ".join(g.value for g in StatutoryGround if g in OVERRIDE_GROUNDS)
            )
        if StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS in grounds:
            # Mental Capacity Act 2005: capacity is assumed unless an assessment of this very
            # decision finds otherwise, and then a best-interests decision is made, consulting
            # those who know the person; a manager's override does not stand in for that.
            raise CaseRefused(
                "Lack of capacity is not an override ground: record a mental capacity "
                "assessment for this action (formal_action), then a best-interests decision"
            )
        if capacity_assessment_id is not None:
            raise CaseRefused(
                "capacity_assessment_id belongs to a best-interests decision, not an override"
            )

    def check_best_interests(
        self,
        action: FormalActionKind,
        capacity_assessment_id: str,
        consulted: Sequence[ConsultedView],
    ) -> None:
        """Refuse a best-interests decision not founded on the latest assessment of this very
        action finding a lack of capacity, or one made without the person's representative or
        advocate when they have one."""
        assessment = self._assessments.get(capacity_assessment_id)
        if assessment is None:
            raise CaseRefused(f"No capacity assessment {capacity_assessment_id!r} in this case")
        if assessment.formal_action is not action:
            raise CaseRefused(
                f"A best-interests decision about {describe(action)} needs a capacity assessment "
                f"of that decision; {capacity_assessment_id!r} was about "
                f"{assessment.decision!r}"
            )
        latest = self._latest_assessment[action]
        if latest.assessment_id != capacity_assessment_id:
            raise CaseRefused(
                f"A later capacity assessment about {describe(action)} was recorded "
                f"({latest.assessment_id!r}); the decision must rest on the latest one"
            )
        if not assessment.lacks_capacity:
            raise CaseRefused(
                f"Assessment {capacity_assessment_id!r} found the person can decide about "
                f"{describe(action)} themselves, so their own wish decides"
            )
        roles = {view.role for view in consulted}
        missing = sorted(r.value for r in self._speakers_for_the_person - roles)
        if missing:
            raise CaseRefused(
                "Consult the person's "
                + " and ".join(missing)
                + " and record their view: they speak for the person in this case"
            )

    # -- internals ------------------------------------------------------------------------

    def _unused(self, action: FormalActionKind, basis: FormalActionBasis) -> list[_Authority]:
        return [a for a in self._authorities.get(action, []) if a.basis is basis and not a.used]

    def _why_not(
        self, action: FormalActionKind, taker: Actor, wish: _Wish | None, lacks_capacity: bool
    ) -> str:
        what = describe(action)
        if lacks_capacity:
            detail = (
                f"an assessment found they cannot decide about {what} themselves, and no "
                f"best-interests decision in favour of it rests on that assessment"
            )
        elif wish is None:
            detail = "they have not said what they want about it"
        elif wish.wish is not Wish.WANTS:
            detail = f"they said they {wish_said(wish.wish)} it"
        elif wish.recorded_by is None:
            detail = "who heard their consent was not recorded; record their wish again"
        else:
            detail = (
                "their consent was recorded by the same member of staff now recording the "
                "action; a colleague who has heard it from them must record it"
            )
        others = self._others_views.get(action, {})
        if wish is None or wish.wish is not Wish.WANTS:
            for speaker, view in sorted(others.items()):
                if view is Wish.WANTS:
                    detail += (
                        f"; their {speaker.value} wants it, but that view is theirs and does "
                        f"not stand in for the person's"
                    )
        used = [a for a in self._authorities.get(action, []) if a.used]
        if used:
            detail += (
                "; each earlier override or best-interests decision has allowed its one action"
            )
        return (
            f"The person has not consented to {what} and no manager has overridden their "
            f"wishes with a statutory ground ({detail}). Record the person's own wish, a "
            f"best-interests decision if they lack capacity for it, or ask a Safeguarding "
            f"Adults Manager to record an override with a ground."
        )
