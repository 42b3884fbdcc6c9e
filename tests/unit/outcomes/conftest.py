"""A case as the outcomes tests meet it: opened for a concern, in the hands of a practitioner,
with a manager to sign things off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.outcomes.domain import Case
from shared.events.envelope import Actor, Role
from shared.events.outcomes import CaseOpened, EnquiryKind

RAISED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
"""When the tests' cases decide, by the server's clock: after everything they say happened."""


@pytest.fixture
def practitioner() -> Actor:
    return Actor(id="practitioner-asha", role=Role.PRACTITIONER)


@pytest.fixture
def manager() -> Actor:
    return Actor(id="manager-owen", role=Role.MANAGER)


@pytest.fixture
def colleague() -> Actor:
    """Another practitioner: the one who records an action on the person's consent."""
    return Actor(id="practitioner-ben", role=Role.PRACTITIONER)


@pytest.fixture
def opened() -> CaseOpened:
    """The first event of the case's stream."""
    [event] = Case.open(
        concern_id="concern-6f1c0a52-8d3e-4b8f-9a57-2b8d7f0e1c11",
        person_id="person-1b2c3d4e-0000-4000-8000-000000000001",
        reference="SG-2026-4F7K2Q",
        concern_raised_at=RAISED_AT,
        opened_at=RAISED_AT,
    ).pending_events
    assert isinstance(event, CaseOpened)
    return event


@pytest.fixture
def case(opened: CaseOpened) -> Case:
    """A case just opened for a concern, loaded from its stream; nothing else has happened.
    Its history is `[opened, *case.pending_events]`."""
    return Case.from_history([opened], now=NOW)


@pytest.fixture
def enquiry(case: Case) -> Case:
    """The same case once a manager decided on a section 42 enquiry."""
    case.start_enquiry(EnquiryKind.S42_ENQUIRY, started_at=datetime(2026, 3, 3, 9, tzinfo=UTC))
    return case
