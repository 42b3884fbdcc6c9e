"""What the person wants, in their own words, and what was agreed with them."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.events.outcomes import ExpressedBy, OutcomeCategory


@dataclass
class DesiredOutcome:
    """One outcome the person wants. Its words are theirs, exactly as said; earlier wordings
    are kept so a revision never erases what they first asked for."""

    desired_outcome_id: str
    text: str
    expressed_by: ExpressedBy
    category: OutcomeCategory | None
    earlier_texts: list[str] = field(default_factory=list)
    withdrawn_because: str | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_because is not None


@dataclass(frozen=True)
class AgreedOutcome:
    """An outcome negotiated with the person, and the desired outcomes it serves."""

    agreed_outcome_id: str
    wording: str
    serves: tuple[str, ...]
