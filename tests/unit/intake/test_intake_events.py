"""Intake's events as they travel: every one survives the wire exactly, and is registered."""

from __future__ import annotations

import pytest

from services.intake.domain.concern import Concern
from services.intake.domain.submission import ConcernSubmission
from shared.events import Actor, DomainEvent, Envelope, Metadata, Role, decode, encode
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernSubmissionRejected,
    ConcernUnlinkedFromPerson,
    InformationGathered,
    MatchedBy,
    NoFurtherActionRoute,
    ReferrerFeedbackGiven,
    RepeatConcernLinked,
    S42Criterion,
    S42Decision,
    S42DecisionMade,
    SubmissionChannel,
    SubmissionProblem,
)
from shared.events.registry import registered_events
from shared.sac import RiskType

CONCERN_ID = "concern-0b7c3a52-5d0e-4f0e-9c55-3f3c1f1c2a10"
POLICE = Actor(id="west-mercia-police", role=Role.PARTNER, agency="West Mercia Police")
INTAKE_EVENTS = (
    ConcernRaised,
    ConcernSubmissionRejected,
    ConcernLinkedToPerson,
    ConcernUnlinkedFromPerson,
    RepeatConcernLinked,
    InformationGathered,
    S42DecisionMade,
    ReferrerFeedbackGiven,
)


def on_the_wire(payload: DomainEvent) -> Envelope:
    envelope = Envelope.record(
        payload, stream_id=CONCERN_ID, stream_version=1, metadata=Metadata(actor=POLICE)
    )
    return decode(encode(envelope))


def concern_raised(submission: ConcernSubmission) -> ConcernRaised:
    [raised] = Concern(CONCERN_ID).raise_concern(
        submission,
        agency="West Mercia Police",
        person_id="person-1",
        person_matched_by=None,
        open_concerns=(),
        submitted_via=SubmissionChannel.KAFKA,
        raised_on=submission.what_happened.incident_date,
    )
    assert isinstance(raised, ConcernRaised)
    return raised


def test_every_intake_event_is_registered_under_its_own_name() -> None:
    registered = registered_events()
    for event_type in INTAKE_EVENTS:
        assert registered[event_type.__name__] is event_type


def test_every_intake_event_says_what_happened_and_who_may_cause_it() -> None:
    assert all(event_type.__doc__ for event_type in INTAKE_EVENTS)


def test_concern_raised_survives_encode_and_decode_exactly(
    submission: ConcernSubmission,
) -> None:
    raised = concern_raised(submission)
    assert on_the_wire(raised).payload == raised


def test_the_persons_own_words_cross_the_wire_untouched(submission: ConcernSubmission) -> None:
    raised = on_the_wire(concern_raised(submission)).payload
    assert isinstance(raised, ConcernRaised)
    assert raised.involvement.person_own_words == (
        "I want the abuse to stop – but I still want to see my son."
    )


@pytest.mark.parametrize(
    "payload",
    [
        ConcernSubmissionRejected(
            agency=None,
            partner_reference="WMP-1",
            reasons=[
                SubmissionProblem(
                    field="person.nhs_number",
                    problem="fails the NHS number Modulus 11 check digit",
                    allowed="10 digits",
                )
            ],
            submitted_via=SubmissionChannel.KAFKA,
        ),
        ConcernLinkedToPerson(
            concern_id=CONCERN_ID,
            person_id="person-2",
            previous_person_id="person-1",
            matched_by=MatchedBy.MANUAL,
            linked_by="Jo",
            reason="Known to us.",
        ),
        ConcernUnlinkedFromPerson(
            concern_id=CONCERN_ID,
            person_id="person-2",
            new_person_id="person-3",
            unlinked_by="Jo",
            reason="Not her.",
        ),
        RepeatConcernLinked(
            concern_id=CONCERN_ID,
            reference="SG-2026-4F7K2Q",
            person_id="person-1",
            repeat_of_concern_id="concern-x",
            repeat_of_reference="SG-2026-0RIG1N",
            days_apart=2,
            shared_risk_types=[RiskType.FINANCIAL_OR_MATERIAL],
        ),
        InformationGathered(
            concern_id=CONCERN_ID, note="Spoke to her GP.", source="GP", gathered_by="Jo"
        ),
        S42DecisionMade(
            concern_id=CONCERN_ID,
            reference="SG-2026-4F7K2Q",
            person_id="person-1",
            decision=S42Decision.NO_FURTHER_ACTION,
            route=NoFurtherActionRoute.SIGNPOSTED_EXTERNALLY,
            failed_criterion=S42Criterion.CARE_AND_SUPPORT_NEEDS,
            rationale="No care and support needs.",
            decided_by="Alex Morgan",
        ),
        ReferrerFeedbackGiven(
            concern_id=CONCERN_ID,
            reference="SG-2026-4F7K2Q",
            agency="West Mercia Police",
            partner_reference="WMP-1",
            feedback="We are working with her.",
            given_by="Jo",
        ),
    ],
    ids=lambda payload: type(payload).__name__,
)
def test_each_intake_event_survives_encode_and_decode_exactly(payload: DomainEvent) -> None:
    assert on_the_wire(payload).payload == payload
