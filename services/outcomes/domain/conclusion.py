"""How an enquiry ends: what a conclusion, or a record that it ceased, may say (SAC tables SG2c
and SG4a).

Success is measured the Making Safeguarding Personal way: were they asked, did they say, and was
it achieved in their view. So achievement is recorded only for outcomes the person actually
expressed (and has not withdrawn); the MSP answer has to agree with what the case holds (outcomes
in their words mean they were asked: "No", "Don't know" and "Not recorded" would contradict
them); and when they expressed outcomes, each one gets their view of whether it was achieved.

"Enquiry ceased at individual's request and no action taken" describes an enquiry that stopped at
the person's request, so a conclusion cannot claim it and a cessation for any other reason cannot
either; one that stopped at their request after action was taken reports the action.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.outcomes.domain.desired_outcome import DesiredOutcome
from services.outcomes.domain.refusals import CaseRefused, UnknownOutcome
from shared.events.outcomes import CeasedReason, OutcomeAchievement
from shared.sac import ActionTakenAndResult, MspAsked

_ACTION_TAKEN = frozenset(
    {
        ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
        ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN,
        ActionTakenAndResult.NO_RISK_ACTION_TAKEN,
    }
)
_CEASED = ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST


def check_result(result: ActionTakenAndResult, ceased: CeasedReason | None) -> None:
    """`ceased` is why the enquiry stopped, or None for a conclusion."""
    if ceased is None and result is _CEASED:
        raise CaseRefused(
            f"{result.label!r} is for an enquiry that stopped at the person's request: record "
            f"that the enquiry ceased (reason {CeasedReason.PERSONS_REQUEST.value!r}) instead"
        )
    if (
        ceased is CeasedReason.PERSONS_REQUEST
        and result is not _CEASED
        and result not in _ACTION_TAKEN
    ):
        raise CaseRefused(
            f"An enquiry that ceased at the person's request is reported as {_CEASED.label!r}, "
            f"or, if action was taken before they asked, as the action taken"
        )
    if ceased is not None and ceased is not CeasedReason.PERSONS_REQUEST and result is _CEASED:
        raise CaseRefused(
            f"{result.label!r} applies only when the person asked for the enquiry to stop, "
            f"not when it ceased because {ceased.value}"
        )


def check_achievements(
    msp_asked: MspAsked,
    achievements: Sequence[OutcomeAchievement],
    desired_outcomes: Mapping[str, DesiredOutcome],
) -> None:
    ids = [a.desired_outcome_id for a in achievements]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise CaseRefused(f"Each outcome takes one achievement; repeated: {', '.join(repeated)}")
    for outcome_id in ids:
        outcome = desired_outcomes.get(outcome_id)
        if outcome is None:
            raise UnknownOutcome(
                f"Achievement can be recorded only for outcomes the person expressed; "
                f"{outcome_id!r} is not a desired outcome in this case"
            )
        if outcome.withdrawn:
            raise UnknownOutcome(
                f"Achievement can be recorded only for outcomes the person still wants; "
                f"{outcome_id!r} was withdrawn"
            )
    expressed = sorted(i for i, o in desired_outcomes.items() if not o.withdrawn)
    if msp_asked is MspAsked.ASKED_AND_EXPRESSED:
        if not expressed:
            raise CaseRefused(
                f"msp_asked {msp_asked.label!r} needs at least one desired outcome recorded "
                f"in the person's words; none is"
            )
        missing = [i for i in expressed if i not in ids]
        if missing:
            raise CaseRefused(
                f"Record the person's view of whether each expressed outcome was achieved; "
                f"missing: {', '.join(missing)}"
            )
        return
    if desired_outcomes and msp_asked is not MspAsked.ASKED_NONE_EXPRESSED:
        raise CaseRefused(
            f"msp_asked {msp_asked.label!r} contradicts the {len(desired_outcomes)} desired "
            f"outcome(s) recorded in the person's words: they were asked; use "
            f"{MspAsked.ASKED_AND_EXPRESSED.value!r}"
        )
    if msp_asked is MspAsked.ASKED_NONE_EXPRESSED and expressed:
        raise CaseRefused(
            f"msp_asked {msp_asked.label!r} contradicts the {len(expressed)} desired outcome(s) "
            f"the person expressed; use {MspAsked.ASKED_AND_EXPRESSED.value!r}"
        )
    if achievements:
        raise CaseRefused(
            f"Achievement is recorded only when msp_asked is "
            f"{MspAsked.ASKED_AND_EXPRESSED.value!r}, not {msp_asked.value!r}"
        )
