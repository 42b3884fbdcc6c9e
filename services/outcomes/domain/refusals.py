"""Why a case refused a change. Each message says what was wrong and what would be accepted,
so the person recording it can act on it."""


class CaseRefused(Exception):
    """The case cannot accept this change as it stands."""


class NotPermitted(CaseRefused):
    """The change is reserved to another role (e.g. only a manager may override wishes)."""


class CaseIsClosed(CaseRefused):
    """The case is closed; its record is final."""


class UnknownOutcome(CaseRefused):
    """The change refers to an outcome this case does not hold (or one the person withdrew)."""


class FormalActionRefused(CaseRefused):
    """A formal action cannot be recorded as taken: the person has not consented and no
    manager has overridden their wishes on a statutory ground."""


class TimeOutOfBounds(CaseRefused):
    """A time given for when something happened is in the future or before the concern."""

    def __init__(self, field: str, problem: str, allowed: str) -> None:
        super().__init__(f"{field} {problem}; allowed: {allowed}")
        self.field = field
        self.problem = problem
        self.allowed = allowed


class EnquiryNotEnded(CaseRefused):
    """The case cannot close while its enquiry is neither concluded nor recorded as ceased: it
    would never reach the national return."""
