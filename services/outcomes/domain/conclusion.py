"""What a conclusion may say about the person's outcomes (SAC table SG4a).

Success is measured the Making Safeguarding Personal way: were they asked, did they say, and was
it achieved in their view. So achievement is recorded only for outcomes the person actually
expressed (and has not withdrawn), the MSP answer has to agree with what they expressed, and when
they expressed outcomes, each one gets their view of whether it was achieved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.outcomes.domain.desired_outcome import DesiredOutcome
from services.outcomes.domain.refusals import CaseRefused, UnknownOutcome
from shared.events.outcomes import OutcomeAchievement
from shared.sac import MspAsked


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
