"""The Concern: raised from a submission, looked into, decided once by a manager, fed back."""

from __future__ import annotations

import re
from datetime import date

import pytest

from services.intake.domain.concern import (
    AlreadyDecided,
    AlreadyRaised,
    Concern,
    DecidedWithOriginal,
    DecisionIncomplete,
    LinkUnchanged,
    NotPermitted,
    NotRaised,
    concern_reference,
)
from services.intake.domain.matching import OpenConcern
from services.intake.domain.submission import ConcernSubmission
from shared.events import Actor, DomainEvent, Role
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    InformationGathered,
    MatchedBy,
    NoFurtherActionRoute,
    Person,
    ReferrerFeedbackGiven,
    RepeatConcernLinked,
    S42Criterion,
    S42Decision,
    S42DecisionMade,
    SubmissionChannel,
    WhatHappened,
)
from shared.sac import RiskType

CONCERN_ID = "concern-0b7c3a52-5d0e-4f0e-9c55-3f3c1f1c2a10"
PERSON_ID = "person-7d1f0c7e-1111-4a3b-8c2d-000000000001"
RAISED_ON = date(2026, 1, 13)
MANAGER = Actor(id="sam-1", role=Role.MANAGER)
PRACTITIONER = Actor(id="worker-1", role=Role.PRACTITIONER)
POLICE = Actor(id="west-mercia-police", role=Role.PARTNER, agency="West Mercia Police")


def raised(
    submission: ConcernSubmission,
    *,
    matched_by: MatchedBy | None = None,
    open_concerns: tuple[OpenConcern, ...] = (),
) -> tuple[Concern, list[DomainEvent]]:
    concern = Concern(CONCERN_ID)
    changes = concern.raise_concern(
        submission,
        agency="West Mercia Police",
        person_id=PERSON_ID,
        person_matched_by=matched_by,
        open_concerns=open_concerns,
        submitted_via=SubmissionChannel.HTTP,
        raised_on=RAISED_ON,
    )
    return concern, list(changes)


@pytest.fixture
def concern(submission: ConcernSubmission) -> Concern:
    return raised(submission)[0]


def open_concern_for_the_same_incident() -> OpenConcern:
    return OpenConcern(
        concern_id="concern-11111111-2222-4333-8444-555555555555",
        reference="SG-2026-0RIG1N",
        person_id=PERSON_ID,
        incident_date=date(2026, 1, 10),
        risk_types=frozenset({RiskType.FINANCIAL_OR_MATERIAL}),
    )


def decide_no_further_action(concern: Concern) -> list[DomainEvent]:
    return list(
        concern.decide(
            MANAGER,
            decision=S42Decision.NO_FURTHER_ACTION,
            route=NoFurtherActionRoute.CARE_ACT_ASSESSMENT,
            failed_criterion=S42Criterion.UNABLE_TO_PROTECT_THEMSELVES,
            rationale="Mrs Hill has stopped the card and is protecting herself; she wants help "
            "at home.",
            decided_by="Alex Morgan",
        )
    )


# --- raising ----------------------------------------------------------------------------------


def test_raising_a_concern_records_what_the_partner_sent(submission: ConcernSubmission) -> None:
    _, changes = raised(submission)
    [event] = changes
    assert isinstance(event, ConcernRaised)
    assert event.concern_id == CONCERN_ID
    assert event.person_id == PERSON_ID
    assert event.agency == "West Mercia Police"
    assert event.partner_reference == "WMP-2026-118842"
    assert event.involvement.person_own_words == submission.involvement.person_own_words
    assert event.alleged_source_of_risk == submission.alleged_source_of_risk


def test_the_raised_concern_carries_the_contract_types_not_the_submission_types(
    submission: ConcernSubmission,
) -> None:
    _, [event, *_] = raised(submission)
    assert isinstance(event, ConcernRaised)
    assert type(event.person) is Person
    assert type(event.what_happened) is WhatHappened


def test_the_reference_is_derived_from_the_concern_so_it_never_changes() -> None:
    reference = concern_reference(CONCERN_ID, RAISED_ON)
    assert re.fullmatch(r"SG-2026-[0-9A-HJKMNP-TV-Z]{6}", reference)
    assert concern_reference(CONCERN_ID, RAISED_ON) == reference


def test_a_concern_about_a_person_on_record_is_linked_and_says_how(
    submission: ConcernSubmission,
) -> None:
    _, [_, link] = raised(submission, matched_by=MatchedBy.NHS_NUMBER)
    assert link == ConcernLinkedToPerson(
        concern_id=CONCERN_ID, person_id=PERSON_ID, matched_by=MatchedBy.NHS_NUMBER
    )


def test_a_concern_about_someone_new_is_not_linked(submission: ConcernSubmission) -> None:
    concern, changes = raised(submission)
    assert len(changes) == 1
    assert not concern.linked_to_existing_person


def test_a_second_report_of_the_same_incident_is_linked_to_the_open_concern(
    submission: ConcernSubmission,
) -> None:
    original = open_concern_for_the_same_incident()
    concern, [_, repeat] = raised(submission, open_concerns=(original,))
    assert isinstance(repeat, RepeatConcernLinked)
    assert repeat.repeat_of_reference == "SG-2026-0RIG1N"
    assert repeat.days_apart == 2
    assert repeat.shared_risk_types == [RiskType.FINANCIAL_OR_MATERIAL]
    assert not concern.is_open


def test_a_repeat_says_which_open_concern_it_repeats_as_it_is_raised(
    submission: ConcernSubmission,
) -> None:
    original = open_concern_for_the_same_incident()
    _, [repeat, _] = raised(submission, open_concerns=(original,))
    _, [first] = raised(submission)

    assert isinstance(repeat, ConcernRaised)
    assert repeat.repeat_of_concern_id == original.concern_id
    assert isinstance(first, ConcernRaised)
    assert first.repeat_of_concern_id is None


def test_a_concern_cannot_be_raised_twice(concern: Concern, submission: ConcernSubmission) -> None:
    with pytest.raises(AlreadyRaised):
        concern.raise_concern(
            submission,
            agency="West Mercia Police",
            person_id=PERSON_ID,
            person_matched_by=None,
            open_concerns=(),
            submitted_via=SubmissionChannel.KAFKA,
            raised_on=RAISED_ON,
        )


def test_a_raised_concern_is_open_until_decided(concern: Concern) -> None:
    open_concern = concern.as_open_concern()
    assert open_concern is not None
    assert open_concern.person_id == PERSON_ID
    decide_no_further_action(concern)
    assert concern.as_open_concern() is None


# --- deciding ---------------------------------------------------------------------------------


def test_a_practitioner_cannot_make_the_s42_decision(concern: Concern) -> None:
    with pytest.raises(NotPermitted, match="only a manager"):
        concern.decide(
            PRACTITIONER,
            decision=S42Decision.S42_ENQUIRY,
            rationale="All three criteria are met.",
            decided_by="Jo Practitioner",
        )


def test_a_partner_cannot_make_the_s42_decision(concern: Concern) -> None:
    with pytest.raises(NotPermitted):
        concern.decide(
            POLICE, decision=S42Decision.S42_ENQUIRY, rationale="Obvious.", decided_by="PC"
        )


def test_a_manager_makes_the_s42_decision(concern: Concern) -> None:
    [decision] = concern.decide(
        MANAGER,
        decision=S42Decision.S42_ENQUIRY,
        rationale="Care and support needs, financial and psychological abuse by her son, and "
        "she cannot stop him alone.",
        decided_by="Alex Morgan",
    )
    assert isinstance(decision, S42DecisionMade)
    assert decision.decision is S42Decision.S42_ENQUIRY
    assert decision.person_id == PERSON_ID
    assert decision.reference == concern.reference
    assert concern.decision is S42Decision.S42_ENQUIRY


def test_no_further_action_records_the_route_and_the_failed_criterion(concern: Concern) -> None:
    [decision] = decide_no_further_action(concern)
    assert isinstance(decision, S42DecisionMade)
    assert decision.route is NoFurtherActionRoute.CARE_ACT_ASSESSMENT
    assert decision.failed_criterion is S42Criterion.UNABLE_TO_PROTECT_THEMSELVES


@pytest.mark.parametrize(
    ("route", "failed_criterion"),
    [
        (None, S42Criterion.CARE_AND_SUPPORT_NEEDS),
        (NoFurtherActionRoute.NO_ACTION, None),
        (None, None),
    ],
)
def test_no_further_action_requires_a_route_and_the_failed_criterion(
    concern: Concern, route: NoFurtherActionRoute | None, failed_criterion: S42Criterion | None
) -> None:
    with pytest.raises(DecisionIncomplete):
        concern.decide(
            MANAGER,
            decision=S42Decision.NO_FURTHER_ACTION,
            route=route,
            failed_criterion=failed_criterion,
            rationale="Not met.",
            decided_by="Alex Morgan",
        )


def test_other_enquiry_requires_the_failed_criterion(concern: Concern) -> None:
    with pytest.raises(DecisionIncomplete, match="criterion"):
        concern.decide(
            MANAGER,
            decision=S42Decision.OTHER_ENQUIRY,
            rationale="Proportionate to enquire.",
            decided_by="Alex Morgan",
        )


def test_other_enquiry_has_no_route(concern: Concern) -> None:
    with pytest.raises(DecisionIncomplete, match="no route"):
        concern.decide(
            MANAGER,
            decision=S42Decision.OTHER_ENQUIRY,
            route=NoFurtherActionRoute.REVIEW,
            failed_criterion=S42Criterion.CARE_AND_SUPPORT_NEEDS,
            rationale="Proportionate to enquire.",
            decided_by="Alex Morgan",
        )


def test_an_s42_enquiry_names_no_failed_criterion(concern: Concern) -> None:
    with pytest.raises(DecisionIncomplete, match="every criterion was met"):
        concern.decide(
            MANAGER,
            decision=S42Decision.S42_ENQUIRY,
            failed_criterion=S42Criterion.CARE_AND_SUPPORT_NEEDS,
            rationale="Met.",
            decided_by="Alex Morgan",
        )


def test_a_concern_is_decided_only_once(concern: Concern) -> None:
    decide_no_further_action(concern)
    with pytest.raises(AlreadyDecided):
        decide_no_further_action(concern)


def test_a_concern_is_decided_only_once_even_when_rebuilt_from_its_events(
    submission: ConcernSubmission,
) -> None:
    concern, history = raised(submission)
    history += decide_no_further_action(concern)
    rebuilt = Concern.rebuild(CONCERN_ID, history)
    assert rebuilt.version == 2
    with pytest.raises(AlreadyDecided):
        decide_no_further_action(rebuilt)


def test_a_repeat_concern_is_decided_with_the_open_one_not_separately(
    submission: ConcernSubmission,
) -> None:
    concern, _ = raised(submission, open_concerns=(open_concern_for_the_same_incident(),))
    with pytest.raises(DecidedWithOriginal, match="SG-2026-0RIG1N"):
        decide_no_further_action(concern)


def test_a_concern_that_was_never_raised_cannot_be_decided() -> None:
    with pytest.raises(NotRaised):
        decide_no_further_action(Concern(CONCERN_ID))


# --- information, feedback, links -------------------------------------------------------------


def test_information_gathered_is_kept_as_written(concern: Concern) -> None:
    note = "Spoke to Mrs Hill by phone.  She said: 'I just want my card back.'\n"
    [gathered] = concern.gather_information(
        PRACTITIONER, note=note, source="the person", gathered_by="Jo Practitioner"
    )
    assert gathered == InformationGathered(
        concern_id=CONCERN_ID, note=note, source="the person", gathered_by="Jo Practitioner"
    )


def test_a_partner_cannot_record_information_on_the_council_s_behalf(concern: Concern) -> None:
    with pytest.raises(NotPermitted):
        concern.gather_information(POLICE, note="More.", source="police", gathered_by="PC")


def test_feedback_goes_to_the_referring_agency_under_their_reference(concern: Concern) -> None:
    [feedback] = concern.give_referrer_feedback(
        PRACTITIONER, feedback="Thank you: we are working with Mrs Hill.", given_by="Jo"
    )
    assert isinstance(feedback, ReferrerFeedbackGiven)
    assert (feedback.agency, feedback.partner_reference) == (
        "West Mercia Police",
        "WMP-2026-118842",
    )


def test_a_practitioner_links_a_concern_to_a_person_by_hand(concern: Concern) -> None:
    [link] = concern.link_to_person(
        PRACTITIONER,
        person_id="person-known",
        reason="Same person: she moved house last month.",
        linked_by="Jo Practitioner",
    )
    assert isinstance(link, ConcernLinkedToPerson)
    assert (link.matched_by, link.previous_person_id) == (MatchedBy.MANUAL, PERSON_ID)
    assert concern.person_id == "person-known"


def test_linking_a_concern_to_the_person_it_is_already_about_is_refused(concern: Concern) -> None:
    with pytest.raises(LinkUnchanged):
        concern.link_to_person(PRACTITIONER, person_id=PERSON_ID, reason="Same.", linked_by="Jo")


def test_unlinking_a_wrong_match_moves_the_concern_to_a_new_person(
    submission: ConcernSubmission,
) -> None:
    concern, _ = raised(submission, matched_by=MatchedBy.NAME_DOB_POSTCODE)
    [unlink] = concern.unlink_from_person(
        PRACTITIONER,
        new_person_id="person-new",
        reason="A different Margaret Hill: her mother, same address.",
        unlinked_by="Jo Practitioner",
    )
    assert unlink == ConcernUnlinkedFromPerson(
        concern_id=CONCERN_ID,
        person_id=PERSON_ID,
        new_person_id="person-new",
        unlinked_by="Jo Practitioner",
        reason="A different Margaret Hill: her mother, same address.",
    )
    assert concern.person_id == "person-new"


def test_a_concern_about_someone_new_cannot_be_unlinked(concern: Concern) -> None:
    with pytest.raises(LinkUnchanged):
        concern.unlink_from_person(
            PRACTITIONER, new_person_id="person-new", reason="Wrong.", unlinked_by="Jo"
        )
