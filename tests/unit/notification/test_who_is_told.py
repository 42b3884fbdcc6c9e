"""Who is told: the person's own wish decides. A representative is told only when the person
chose them, or a best-interests decision did after a capacity assessment found they could not
choose; an independent advocate appointed for them is told what the policy tells advocates."""

from __future__ import annotations

from datetime import date

import pytest

from services.notification.domain.informing_record import (
    InformingRefused,
    PreferencesWanted,
    Tell,
)
from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import Route
from services.notification.domain.steps import CaseFacts
from shared.events import DomainEvent
from shared.events.notification import (
    Channel,
    ContactPoints,
    PreferencesSource,
    Recipient,
    RecipientChoice,
    RecipientRole,
)
from tests.unit.notification.records import (
    case_facts,
    history_after_concern,
    record_after_concern,
    record_of,
    safe_contact_decided,
    step_of,
)
from tests.unit.notification.story import Story

TODAY = date(2026, 3, 3)
ASHA = ContactPoints(email="asha@advocacy.example")


def mary(story: Story) -> Recipient:
    return Recipient(
        role=RecipientRole.PERSON,
        name="Mary Smith",
        contact=ContactPoints(email=story.mary_email),
        inform=True,
    )


def ruth(*, chosen: RecipientChoice | None, assessment: str | None = None) -> Recipient:
    return Recipient(
        role=RecipientRole.REPRESENTATIVE,
        name="Ruth Smith",
        relationship="daughter",
        contact=ContactPoints(email="ruth@example.org"),
        inform=True,
        chosen=chosen,
        capacity_assessment_id=assessment,
    )


def wanted(story: Story, *others: Recipient) -> PreferencesWanted:
    return PreferencesWanted(recipients=(mary(story), *others), channel=Channel.EMAIL)


def test_a_representative_marked_to_be_told_without_a_choice_is_refused() -> None:
    story = Story()
    record = record_after_concern(story)
    with pytest.raises(InformingRefused, match="a referrer naming them is not enough"):
        record.preferences_set_by_practitioner(wanted(story, ruth(chosen=None)))


def test_a_representative_the_referrer_named_is_refused_when_marked_to_be_told() -> None:
    story = Story()
    record = record_after_concern(story)
    with pytest.raises(InformingRefused, match="told only when chosen"):
        record.preferences_set_by_practitioner(
            wanted(story, ruth(chosen=RecipientChoice.NAMED_BY_REFERRER))
        )


def test_a_representative_the_person_chose_is_recorded_to_be_told() -> None:
    story = Story()
    record = record_after_concern(story)
    recorded = record.preferences_set_by_practitioner(
        wanted(story, ruth(chosen=RecipientChoice.PERSON_CHOSE))
    )
    told = ContactPreferences.from_recorded(recorded).recipients_to_inform
    assert [r.role for r in told] == [RecipientRole.PERSON, RecipientRole.REPRESENTATIVE]


def test_a_representative_not_marked_to_be_told_needs_no_choice() -> None:
    story = Story()
    record = record_after_concern(story)
    recorded = record.preferences_set_by_practitioner(
        wanted(story, ruth(chosen=None).model_copy(update={"inform": False}))
    )
    told = ContactPreferences.from_recorded(recorded).recipients_to_inform
    assert [r.role for r in told] == [RecipientRole.PERSON]


def test_a_best_interests_choice_needs_the_capacity_assessment_behind_it() -> None:
    story = Story()
    record = record_after_concern(story)
    with pytest.raises(InformingRefused, match="give capacity_assessment_id"):
        record.preferences_set_by_practitioner(
            wanted(story, ruth(chosen=RecipientChoice.BEST_INTERESTS)),
            capacity_assessments=frozenset({"mca-1"}),
        )


def test_a_best_interests_choice_must_name_an_assessment_that_found_lack_of_capacity() -> None:
    story = Story()
    record = record_after_concern(story)
    with pytest.raises(InformingRefused, match="mca-2 is not one in the person's cases"):
        record.preferences_set_by_practitioner(
            wanted(story, ruth(chosen=RecipientChoice.BEST_INTERESTS, assessment="mca-2")),
            capacity_assessments=frozenset({"mca-1"}),
        )


def test_a_best_interests_choice_naming_an_assessment_on_record_is_recorded() -> None:
    story = Story()
    record = record_after_concern(story)
    recorded = record.preferences_set_by_practitioner(
        wanted(story, ruth(chosen=RecipientChoice.BEST_INTERESTS, assessment="mca-1")),
        capacity_assessments=frozenset({"mca-1"}),
    )
    told = ContactPreferences.from_recorded(recorded).recipients_to_inform
    assert [r.role for r in told] == [RecipientRole.PERSON, RecipientRole.REPRESENTATIVE]


def test_only_assessments_that_found_the_person_lacks_capacity_are_kept_for_the_case() -> None:
    story = Story()
    facts = case_facts(
        story,
        story.capacity_assessed(assessment_id="mca-1", lacks_capacity=True),
        story.capacity_assessed(assessment_id="mca-2", lacks_capacity=False),
    )
    assert facts.lacking_capacity == ("mca-1",)
    assert CaseFacts(case_id=story.case_id, person_id=story.person_id).lacking_capacity == ()


def test_an_advocate_appointed_with_contact_details_becomes_a_recipient() -> None:
    story = Story()
    recorded = record_after_concern(story).advocate_appointed("Asha Patel", ASHA)
    assert recorded is not None
    assert recorded.source is PreferencesSource.ADVOCACY
    advocate = ContactPreferences.from_recorded(recorded).recipient(RecipientRole.ADVOCATE)
    assert advocate == Recipient(
        role=RecipientRole.ADVOCATE,
        name="Asha Patel",
        relationship="independent advocate",
        contact=ASHA,
        inform=True,
        chosen=RecipientChoice.APPOINTED_ADVOCATE,
    )
    assert [s.name for s in recorded.alleged_sources_of_risk] == ["John Smith"]


def test_an_advocate_appointed_again_with_the_same_details_records_nothing_new() -> None:
    story = Story()
    history = history_after_concern(story)
    first = record_of(story.person_id, *history).advocate_appointed("Asha Patel", ASHA)
    assert first is not None
    again = record_of(story.person_id, *history, first).advocate_appointed("Asha Patel", ASHA)
    assert again is None


def test_an_advocate_for_someone_with_nothing_recorded_waits_for_their_preferences() -> None:
    story = Story()
    assert record_of(story.person_id).advocate_appointed("Asha Patel", ASHA) is None


def advocate_history(story: Story) -> tuple[DomainEvent, ...]:
    """The story's informing stream once an advocate was appointed and a practitioner confirmed
    that emailing the person and the advocate is safe."""
    history = history_after_concern(story)
    appointed = record_of(story.person_id, *history).advocate_appointed("Asha Patel", ASHA)
    assert appointed is not None
    both = safe_contact_decided(
        ContactPreferences.from_recorded(appointed),
        story.concern_id,
        (RecipientRole.PERSON, Channel.EMAIL),
        (RecipientRole.ADVOCATE, Channel.EMAIL),
    )
    return (*history, appointed, both)


def test_an_appointed_advocate_is_told_the_steps_the_policy_tells_advocates() -> None:
    story = Story()
    record = record_of(story.person_id, *advocate_history(story))
    facts = case_facts(story)
    for step in (
        story.s42_decision_made(),
        story.lead_worker_assigned(),
        story.advocate_appointed(contact=None),
        story.meeting_arranged(person_invited=True),
    ):
        decision = record.decide(step_of(step, story, case=facts), TODAY)
        assert isinstance(decision, Tell)
        assert [r.role for r in decision.routes] == [RecipientRole.PERSON, RecipientRole.ADVOCATE]
        advocate = decision.routes[1]
        assert isinstance(advocate, Route)
        assert advocate.addressee.name == "Asha Patel"


def test_an_appointed_advocate_is_not_sent_the_concern_received_letter() -> None:
    story = Story()
    record = record_of(story.person_id, *advocate_history(story))
    decision = record.decide(step_of(story.concern_raised(), story), TODAY)
    assert isinstance(decision, Tell)
    assert [r.role for r in decision.routes] == [RecipientRole.PERSON]
