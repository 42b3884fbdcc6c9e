"""First contact is a practitioner's judgement: nothing about a concern is sent until a
practitioner records that contacting each recipient is safe and how; later steps go only along
those routes, each checked again at every send."""

from __future__ import annotations

from datetime import date

import pytest

from services.notification.domain.informing_record import (
    AwaitingSafeContact,
    InformingRecord,
    NoPreferencesRecorded,
    PreferencesWanted,
    Tell,
    Withheld,
)
from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import (
    PractitionerContact,
    Route,
    RouteDecision,
    RoutesRefused,
    RouteWanted,
)
from services.notification.domain.steps import step_for
from shared.events.intake import ContactPoints as IntakeContactPoints
from shared.events.notification import (
    Channel,
    ConfirmedRoute,
    ContactPoints,
    InformingWithheld,
    PractitionerContactReason,
    PreferencesSource,
    Recipient,
    RecipientChoice,
    RecipientRole,
    SafeContactDecided,
    WithholdingReason,
)
from shared.events.outcomes import FormalActionBasis
from tests.unit.notification.records import (
    case_facts,
    history_after_concern,
    intake_preferences,
    record_of,
    safe_contact_decided,
    step_of,
)
from tests.unit.notification.story import WORKER, Story

TODAY = date(2026, 3, 3)
PERSON = RecipientRole.PERSON
REPRESENTATIVE = RecipientRole.REPRESENTATIVE


def routes_of(decision: object) -> tuple[RouteDecision, ...]:
    assert isinstance(decision, Tell)
    return decision.routes


def with_ruth_chosen(story: Story) -> PreferencesWanted:
    """The person chose her daughter Ruth to be told too, by email."""
    return PreferencesWanted(
        recipients=(
            Recipient(
                role=PERSON,
                name="Mary Smith",
                contact=ContactPoints(email=story.mary_email),
                inform=True,
            ),
            Recipient(
                role=REPRESENTATIVE,
                name="Ruth Smith",
                relationship="daughter",
                contact=ContactPoints(email="ruth@example.org"),
                inform=True,
                chosen=RecipientChoice.PERSON_CHOSE,
            ),
        ),
        channel=Channel.EMAIL,
    )


def test_nothing_about_a_concern_is_sent_before_a_safe_contact_decision() -> None:
    story = Story()
    record = record_of(story.person_id, *history_after_concern(story, decided=False))
    for step in (story.concern_raised(), story.s42_decision_made()):
        assert record.decide(step_of(step, story), TODAY) == AwaitingSafeContact()


def test_once_a_practitioner_decides_contact_is_safe_the_steps_are_told_by_that_route() -> None:
    story = Story()
    record = record_of(story.person_id, *history_after_concern(story))
    [route] = routes_of(record.decide(step_of(story.concern_raised(), story), TODAY))
    assert isinstance(route, Route)
    assert (route.role, route.channel) == (PERSON, Channel.EMAIL)


def test_a_decision_for_another_concern_does_not_release_this_one() -> None:
    story, earlier = Story(), Story()
    first = intake_preferences(story.concern_raised())
    record = record_of(
        story.person_id,
        first.recorded(PreferencesSource.INTAKE),
        safe_contact_decided(first, earlier.concern_id, (PERSON, Channel.EMAIL)),
    )
    decision = record.decide(step_of(story.s42_decision_made(), story), TODAY)
    assert decision == AwaitingSafeContact()


def test_a_case_step_whose_concern_is_not_known_waits() -> None:
    story = Story()
    record = record_of(story.person_id, *history_after_concern(story))
    taken = story.formal_action_taken(FormalActionBasis.PERSON_WANTS_IT)
    assert record.decide(step_of(taken, story, case=None), TODAY) == AwaitingSafeContact()
    told = record.decide(step_of(taken, story, case=case_facts(story)), TODAY)
    assert isinstance(told, Tell)


def test_a_withholding_settles_a_step_without_a_safe_contact_decision() -> None:
    story = Story()
    everything = InformingWithheld(
        person_id=story.person_id,
        reason=WithholdingReason.POLICE_INVESTIGATION,
        reason_text="The police are interviewing her son first.",
        review_date=date(2026, 4, 1),
        decided_by=WORKER,
    )
    record = record_of(story.person_id, *history_after_concern(story, decided=False), everything)
    decision = record.decide(step_of(story.concern_raised(), story), TODAY)
    assert isinstance(decision, Withheld)


def test_a_later_decision_replaces_only_the_routes_of_the_recipients_it_names() -> None:
    story = Story()
    first = intake_preferences(story.concern_raised())
    asked = record_of(story.person_id, first.recorded(PreferencesSource.INTAKE))
    chosen = asked.preferences_set_by_practitioner(with_ruth_chosen(story))
    everyone = safe_contact_decided(
        ContactPreferences.from_recorded(chosen),
        story.concern_id,
        (PERSON, Channel.EMAIL),
        (REPRESENTATIVE, Channel.EMAIL),
    )
    ruth_by_phone = SafeContactDecided(
        person_id=story.person_id,
        concern_id=story.concern_id,
        routes=(ConfirmedRoute(role=REPRESENTATIVE, channel=Channel.PRACTITIONER_CALL),),
        decided_by=WORKER,
    )
    record = record_of(story.person_id, chosen, everyone, ruth_by_phone)
    person, ruth = routes_of(record.decide(step_of(story.s42_decision_made(), story), TODAY))
    assert isinstance(person, Route)
    assert person.channel is Channel.EMAIL
    assert isinstance(ruth, PractitionerContact)
    assert ruth.reason is PractitionerContactReason.PRACTITIONER_TO_TELL


def test_a_later_decision_naming_the_person_replaces_their_earlier_route() -> None:
    story = Story()
    in_person = SafeContactDecided(
        person_id=story.person_id,
        concern_id=story.concern_id,
        routes=(ConfirmedRoute(role=PERSON, channel=Channel.PRACTITIONER_CALL),),
        decided_by=WORKER,
    )
    record = record_of(story.person_id, *history_after_concern(story), in_person)
    [person] = routes_of(record.decide(step_of(story.s42_decision_made(), story), TODAY))
    assert isinstance(person, PractitionerContact)
    assert person.reason is PractitionerContactReason.PRACTITIONER_TO_TELL


def test_a_route_whose_contact_point_changed_after_the_decision_is_not_used() -> None:
    story = Story()
    history = history_after_concern(story)
    record = record_of(story.person_id, *history)
    new_inbox = PreferencesWanted(
        recipients=(
            Recipient(
                role=PERSON,
                name="Mary Smith",
                contact=ContactPoints(email=f"new.{story.mary_email}"),
                inform=True,
            ),
        ),
        channel=Channel.EMAIL,
    )
    changed = record_of(
        story.person_id, *history, record.preferences_set_by_practitioner(new_inbox)
    )
    [person] = routes_of(changed.decide(step_of(story.s42_decision_made(), story), TODAY))
    assert isinstance(person, PractitionerContact)
    assert person.reason is PractitionerContactReason.ROUTE_NOT_CONFIRMED


def test_a_route_confirmed_before_a_later_concern_named_it_as_the_sources_is_not_used() -> None:
    story = Story()
    history = history_after_concern(story)
    record = record_of(story.person_id, *history)
    later = story.concern_raised(source_contact=IntakeContactPoints(email=story.mary_email))
    added = record.preferences_from_intake(intake_preferences(later))
    assert added is not None
    now = record_of(story.person_id, *history, added)
    [person] = routes_of(now.decide(step_of(story.s42_decision_made(), story), TODAY))
    assert isinstance(person, PractitionerContact)
    assert person.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE


def test_the_route_for_a_later_send_is_decided_again_under_todays_decision() -> None:
    story = Story()
    undecided = record_of(story.person_id, *history_after_concern(story, decided=False))
    decided = record_of(story.person_id, *history_after_concern(story))
    waiting = undecided.route_now(PERSON, story.concern_id)
    assert isinstance(waiting, PractitionerContact)
    assert waiting.reason is PractitionerContactReason.ROUTE_NOT_CONFIRMED
    assert isinstance(decided.route_now(PERSON, story.concern_id), Route)
    assert isinstance(decided.route_now(PERSON, None), PractitionerContact)


def test_a_safe_contact_decision_records_what_the_practitioner_confirmed() -> None:
    story = Story()
    record = record_of(story.person_id, *history_after_concern(story, decided=False))
    decided = record.decide_safe_contact(
        story.concern_id, (RouteWanted(PERSON, Channel.EMAIL),), WORKER
    )
    assert decided == SafeContactDecided(
        person_id=story.person_id,
        concern_id=story.concern_id,
        routes=(
            ConfirmedRoute(
                role=PERSON, channel=Channel.EMAIL, contact=ContactPoints(email=story.mary_email)
            ),
        ),
        decided_by=WORKER,
    )


def test_a_safe_contact_decision_needs_someone_on_record_to_contact() -> None:
    story = Story()
    with pytest.raises(NoPreferencesRecorded):
        InformingRecord(person_id=story.person_id).decide_safe_contact(
            story.concern_id, (RouteWanted(PERSON, Channel.EMAIL),), WORKER
        )


def test_a_safe_contact_decision_needs_at_least_one_route() -> None:
    story = Story()
    record = record_of(story.person_id, *history_after_concern(story, decided=False))
    with pytest.raises(RoutesRefused):
        record.decide_safe_contact(story.concern_id, (), WORKER)


def test_a_safe_contact_decision_refuses_the_source_of_risks_own_route() -> None:
    story = Story()
    raised = story.concern_raised(
        contact=IntakeContactPoints(email=story.mary_email, phone=story.john_phone)
    )
    first = intake_preferences(raised)
    record = record_of(story.person_id, first.recorded(PreferencesSource.INTAKE))
    with pytest.raises(RoutesRefused, match="can never be used"):
        record.decide_safe_contact(story.concern_id, (RouteWanted(PERSON, Channel.SMS),), WORKER)


def test_a_safe_contact_decision_confirms_each_recipients_channel_once() -> None:
    story = Story()
    record = record_of(story.person_id, *history_after_concern(story, decided=False))
    with pytest.raises(ValueError, match="each recipient's channel once"):
        record.decide_safe_contact(
            story.concern_id,
            (RouteWanted(PERSON, Channel.EMAIL), RouteWanted(PERSON, Channel.EMAIL)),
            WORKER,
        )


def test_a_fallback_confirmed_with_the_channel_travels_with_the_route() -> None:
    story = Story()
    first = intake_preferences(story.concern_raised())
    assert (first.channel, first.fallback_channel) == (Channel.EMAIL, Channel.LETTER)
    both = safe_contact_decided(
        first, story.concern_id, (PERSON, Channel.EMAIL), (PERSON, Channel.LETTER)
    )
    email_only = safe_contact_decided(first, story.concern_id, (PERSON, Channel.EMAIL))
    recorded = first.recorded(PreferencesSource.INTAKE)
    step = step_of(story.s42_decision_made(), story)
    [with_fallback] = routes_of(record_of(story.person_id, recorded, both).decide(step, TODAY))
    [without] = routes_of(record_of(story.person_id, recorded, email_only).decide(step, TODAY))
    assert isinstance(with_fallback, Route)
    assert with_fallback.fallback is not None
    assert with_fallback.fallback.channel is Channel.LETTER
    assert isinstance(without, Route)
    assert without.fallback is None


def test_the_right_persons_first_contact_after_a_move_waits_for_their_own_decision() -> None:
    story = Story()
    needs = intake_preferences(story.concern_raised())
    right = needs.model_copy(update={"person_id": "person-right"})
    unlinked = story.unlinked(new_person_id="person-right")
    step = step_for(unlinked, person_id="person-right", case=None, concern=None)
    assert step is not None
    # The wrongly linked person's decision for the concern is on their own record, not hers.
    wrong = record_of(story.person_id, *history_after_concern(story))
    assert isinstance(wrong.decide(step_of(story.s42_decision_made(), story), TODAY), Tell)
    hers = record_of("person-right", right.recorded(PreferencesSource.INTAKE))
    assert hers.decide(step, TODAY) == AwaitingSafeContact()
    decided = safe_contact_decided(right, story.concern_id, (PERSON, Channel.EMAIL))
    released = record_of("person-right", right.recorded(PreferencesSource.INTAKE), decided)
    [route] = routes_of(released.decide(step, TODAY))
    assert isinstance(route, Route)
