"""The formal-action rule, in one place.

People have been distressed when police, disciplinary, regulator or legal action happened without
their knowledge or consent (Making Safeguarding Personal). So a formal action can be recorded as
taken only when

- the person's latest wish about that action is that they want it, or
- after that wish, a Safeguarding Adults Manager overrode their wishes for that action on a
  statutory ground (others at risk, crime, public interest, coercion or control, high risk to
  life or limb, lack of capacity with a best-interests decision, a regulated provider or person in
  a position of trust), recording whether the person was told and, if not, why not.

An override made before the person last said what they want does not count: their newer wish has
to be looked at again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.outcomes.domain.refusals import CaseRefused, FormalActionRefused, NotPermitted
from shared.events.envelope import Actor, Role
from shared.events.outcomes import FormalActionBasis, FormalActionKind, StatutoryGround, Wish

_DESCRIBED = {
    FormalActionKind.POLICE: "a police referral",
    FormalActionKind.DISCIPLINARY: "a disciplinary referral",
    FormalActionKind.REGULATOR: "a referral to the regulator",
    FormalActionKind.LEGAL: "legal action",
}

_WISH_SAID = {
    Wish.DOES_NOT_WANT: "they said they do not want it",
    Wish.UNDECIDED: "they are undecided",
}


def describe(action: FormalActionKind) -> str:
    return _DESCRIBED[action]


class FormalActionWishes:
    """What the person wants about each formal action, and the overrides of those wishes.

    Positions are the order in which events happened in the case, so "after their latest wish"
    means exactly that, whatever the clocks on the events say."""

    def __init__(self) -> None:
        self._wishes: dict[FormalActionKind, tuple[int, Wish]] = {}
        self._overrides: dict[FormalActionKind, int] = {}

    def wishes_recorded(self, action: FormalActionKind, wish: Wish, position: int) -> None:
        self._wishes[action] = (position, wish)

    def wishes_overridden(self, action: FormalActionKind, position: int) -> None:
        self._overrides[action] = position

    def latest_wish(self, action: FormalActionKind) -> Wish | None:
        recorded = self._wishes.get(action)
        return recorded[1] if recorded else None

    def basis_for(self, action: FormalActionKind) -> FormalActionBasis:
        """Why `action` may be taken; raises FormalActionRefused when it may not."""
        wished_at, wish = self._wishes.get(action, (0, None))
        if wish is Wish.WANTS:
            return FormalActionBasis.PERSON_WANTS_IT
        overridden_at = self._overrides.get(action)
        if overridden_at is not None and overridden_at > wished_at:
            return FormalActionBasis.WISHES_OVERRIDDEN
        if overridden_at is not None:
            detail = "their wishes were recorded again after the last override"
        elif wish is None:
            detail = "no wish about it has been recorded"
        else:
            detail = _WISH_SAID[wish]
        raise FormalActionRefused(
            f"The person has not consented to {describe(action)} and no manager has overridden "
            f"their wishes with a statutory ground ({detail}). Record that the person wants it, "
            f"or ask a Safeguarding Adults Manager to record WishesOverridden with a ground."
        )


def check_override(
    actor: Actor,
    action: FormalActionKind,
    grounds: Sequence[StatutoryGround],
    capacity_assessment_id: str | None,
    capacity_assessments: Mapping[str, bool],
) -> None:
    """Refuse an override that is not a manager's or whose ground is not established.

    `capacity_assessments` maps each recorded assessment id to whether it found that the person
    lacks capacity."""
    if actor.role is not Role.MANAGER:
        raise NotPermitted(
            f"Only a Safeguarding Adults Manager may override the person's wishes about "
            f"{describe(action)}; this was attempted in the role {actor.role.value!r}"
        )
    if not grounds:
        raise CaseRefused(
            "An override needs at least one statutory ground: one of "
            + ", ".join(g.value for g in StatutoryGround)
        )
    if StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS in grounds:
        # Mental Capacity Act 2005 s1(2): capacity is assumed unless an assessment of this
        # decision establishes otherwise; a best-interests override cannot come first.
        if capacity_assessment_id is None or not capacity_assessments.get(capacity_assessment_id):
            raise CaseRefused(
                "The lacks_capacity_best_interests ground needs a prior mental capacity "
                "assessment finding the person lacks capacity for this decision: give its "
                "capacity_assessment_id"
            )
    elif capacity_assessment_id is not None:
        raise CaseRefused(
            "capacity_assessment_id applies only to the lacks_capacity_best_interests ground"
        )
