"""A person's informing record as the tests build it: from their informing stream's events."""

from __future__ import annotations

from services.notification.domain.communication_needs import preferences_from_concern
from services.notification.domain.informing_record import InformingRecord
from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.steps import CaseFacts, ConcernFacts, Step, step_for
from shared.events import DomainEvent, Envelope, Metadata
from shared.events.intake import ConcernRaised
from shared.events.notification import (
    Channel,
    PreferencesSource,
    RecipientRole,
    SafeContactDecided,
    informing_stream,
)
from tests.unit.notification.confirming import seen_and_confirmed
from tests.unit.notification.story import WORKER, Story


def record_of(person_id: str, *history: DomainEvent) -> InformingRecord:
    return InformingRecord.from_history(
        person_id,
        [
            Envelope.record(
                payload,
                stream_id=informing_stream(person_id),
                stream_version=version,
                metadata=Metadata(actor=WORKER),
            )
            for version, payload in enumerate(history, start=1)
        ],
    )


def intake_preferences(raised: Envelope) -> ContactPreferences:
    assert isinstance(raised.payload, ConcernRaised)
    return preferences_from_concern(raised.payload, default_channel=Channel.EMAIL)


def step_of(
    envelope: Envelope,
    story: Story,
    *,
    case: CaseFacts | None = None,
    concern: ConcernFacts | None = None,
) -> Step:
    step = step_for(envelope, person_id=story.person_id, case=case, concern=concern)
    assert step is not None
    return step


def safe_contact_decided(
    preferences: ContactPreferences,
    concern_id: str,
    *routes: tuple[RecipientRole, Channel],
) -> SafeContactDecided:
    """A practitioner's decision that these routes are safe for the concern."""
    return SafeContactDecided(
        person_id=preferences.person_id,
        concern_id=concern_id,
        routes=seen_and_confirmed(preferences, *routes),
        decided_by=WORKER,
    )


def history_after_concern(
    story: Story, *, easy_read: bool = False, decided: bool = True
) -> tuple[DomainEvent, ...]:
    """The informing stream once the story's concern was raised: the first preferences, then
    (unless `decided` is False) a practitioner's decision that emailing the person is safe."""
    first = intake_preferences(story.concern_raised(easy_read=easy_read))
    recorded: tuple[DomainEvent, ...] = (first.recorded(PreferencesSource.INTAKE),)
    if decided:
        recorded += (
            safe_contact_decided(first, story.concern_id, (RecipientRole.PERSON, Channel.EMAIL)),
        )
    return recorded


def case_facts(story: Story, *events: Envelope) -> CaseFacts:
    """What notification knows of the story's case once it was opened and these happened."""
    facts = CaseFacts(case_id=story.case_id, person_id=story.person_id).after(story.case_opened())
    for event in events:
        facts = facts.after(event)
    return facts


def record_after_concern(
    story: Story, *, easy_read: bool = False, decided: bool = True
) -> InformingRecord:
    return record_of(
        story.person_id, *history_after_concern(story, easy_read=easy_read, decided=decided)
    )
