"""Days as the person and the council count them: in England's local time."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

ENGLAND = ZoneInfo("Europe/London")


def day_in_england(moment: datetime) -> date:
    """The calendar day `moment` falls on in England (so 00:30 BST on 1 April is 1 April,
    although it is still 31 March in UTC)."""
    return moment.astimezone(ENGLAND).date()
