"""How intake recognises a person already on record, and a repeat report of the same incident.

Plain Python, no I/O. Each rule lives here once:

- how a person is recognised (`person_match_keys`);
- when a concern repeats an open one (`is_same_incident`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from shared.events.intake import MatchedBy, Person
from shared.sac import RiskType

# --- recognising a person -------------------------------------------------------------------------


def normalised_name(name: str) -> str:
    """A name as matching sees it: accents, case and punctuation dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    letters = "".join(c for c in plain if c.isalnum() or c.isspace())
    return " ".join(letters.split())


def normalised_postcode(postcode: str) -> str:
    return re.sub(r"\s", "", postcode).upper()


def person_match_keys(person: Person) -> list[str]:
    """The keys that recognise a person already on record (at present one key, or none).

    The NHS number when there is one (`nhs_number:<10 digits>`); otherwise name, date of birth and
    postcode together (`name_dob_postcode:<name>|<yyyy-mm-dd>|<postcode>`). A person with no NHS
    number and any of the other three missing gets no key: they are recorded as a new person, and
    a practitioner can link them by hand. The prefix before the first ':' is the `MatchedBy` value.
    """
    if person.nhs_number is not None:
        return [f"{MatchedBy.NHS_NUMBER}:{person.nhs_number}"]
    address = person.contact.address
    name = normalised_name(person.name)
    if not name or person.date_of_birth is None or address is None:
        return []
    postcode = normalised_postcode(address.postcode)
    return [f"{MatchedBy.NAME_DOB_POSTCODE}:{name}|{person.date_of_birth}|{postcode}"]


def matched_by(key: str) -> MatchedBy:
    """How a person was matched, from the key that found them."""
    return MatchedBy(key.partition(":")[0])


# --- recognising a repeat report ------------------------------------------------------------------

SAME_INCIDENT_WINDOW: Final = timedelta(days=7)


@dataclass(frozen=True)
class OpenConcern:
    """A concern about a person that is raised, not a repeat, and not yet decided."""

    concern_id: str
    reference: str
    person_id: str
    incident_date: date
    risk_types: frozenset[RiskType]


def is_same_incident(
    open_concern: OpenConcern,
    *,
    person_id: str,
    incident_date: date,
    risk_types: Iterable[RiskType],
) -> bool:
    """The same-incident rule: a new concern reports the same incident as an open concern when it
    is about the same person, the incident dates are at most 7 days apart (either way), and they
    share at least one type of risk. It is then linked to the open concern, not decided again, so
    the person is not put through the process twice for one incident."""
    return (
        open_concern.person_id == person_id
        and abs(open_concern.incident_date - incident_date) <= SAME_INCIDENT_WINDOW
        and not open_concern.risk_types.isdisjoint(risk_types)
    )


def find_repeated_concern(
    open_concerns: Iterable[OpenConcern],
    *,
    person_id: str,
    incident_date: date,
    risk_types: Iterable[RiskType],
) -> OpenConcern | None:
    """The open concern a new one repeats, if any: the nearest in incident date, then the oldest
    reference, so the choice does not depend on the order concerns are listed in."""
    wanted = frozenset(risk_types)
    same = [
        c
        for c in open_concerns
        if is_same_incident(c, person_id=person_id, incident_date=incident_date, risk_types=wanted)
    ]
    return min(
        same, key=lambda c: (abs(c.incident_date - incident_date), c.reference), default=None
    )
