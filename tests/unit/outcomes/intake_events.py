"""Intake's events as outcomes receives them: a concern raised about Margaret Hill, and a
manager's decision on it. Used by the unit and the integration tests of the outcomes service."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from shared.events import Actor, Envelope, Metadata, Role
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import (
    CommunicationNeeds,
    ConcernRaised,
    Consent,
    NoFurtherActionRoute,
    Person,
    PersonInvolvement,
    Referrer,
    S42Criterion,
    S42Decision,
    S42DecisionMade,
    SubmissionChannel,
    WhatHappened,
    YesNoUnknown,
)
from shared.sac import (
    Ethnicity,
    Gender,
    PrimarySupportReason,
    RiskLocation,
    RiskSource,
    RiskType,
)

HER_WORDS = "I want the abuse to stop – but I still want to see my son."


def concern_raised(
    *,
    own_words: str | None = HER_WORDS,
    person_name: str = "Margaret Hill",
    raised_at: datetime | None = None,
    person_id: str | None = None,
    repeat_of: Envelope | None = None,
    date_of_birth: date | None = date(1941, 6, 14),
    approximate_age: int | None = None,
    gender: Gender = Gender.NOT_KNOWN,
    ethnicity: Ethnicity = Ethnicity.NOT_KNOWN,
    primary_support_reason: PrimarySupportReason = PrimarySupportReason.NOT_KNOWN,
) -> Envelope:
    """A concern raised about Margaret Hill (a new person unless `person_id` is given); with
    `repeat_of`, intake found it reports the same incident as that open concern."""
    concern_id = f"concern-{uuid.uuid4()}"
    original = repeat_of.payload if repeat_of is not None else None
    assert original is None or isinstance(original, ConcernRaised)
    raised = ConcernRaised(
        concern_id=concern_id,
        reference=f"SG-2026-{uuid.uuid4().hex[:6].upper()}",
        person_id=person_id or (original.person_id if original else f"person-{uuid.uuid4()}"),
        person=Person(
            name=person_name,
            date_of_birth=date_of_birth,
            approximate_age=approximate_age,
            gender=gender,
            ethnicity=ethnicity,
            primary_support_reason=primary_support_reason,
        ),
        care_and_support_needs=YesNoUnknown.YES,
        what_happened=WhatHappened(
            description="Her son takes her bank card every week when her pension is paid.",
            risk_types=[RiskType.FINANCIAL_OR_MATERIAL, RiskType.PSYCHOLOGICAL],
            location=RiskLocation.OWN_HOME,
            source=RiskSource.KNOWN_TO_INDIVIDUAL,
            incident_date=date(2026, 1, 12),
        ),
        involvement=PersonInvolvement(
            person_aware=YesNoUnknown.YES,
            person_consented=Consent.YES,
            person_own_words=own_words,
        ),
        communication=CommunicationNeeds(),
        agency="West Mercia Police",
        referrer=Referrer(name="PC Sam Okafor", role="Police constable", phone="01632 960321"),
        partner_reference=f"WMP-{uuid.uuid4().hex[:8]}",
        submitted_via=SubmissionChannel.HTTP,
        repeat_of_concern_id=original.concern_id if original else None,
    )
    return Envelope.record(
        raised,
        stream_id=concern_id,
        stream_version=1,
        metadata=Metadata(actor=Actor(id="partner:wmp", role=Role.PARTNER, agency="wmp")),
        occurred_at=raised_at,
    )


def decision_made(
    raised: Envelope,
    decision: S42Decision = S42Decision.S42_ENQUIRY,
    *,
    decided_at: datetime | None = None,
) -> Envelope:
    concern = raised.payload
    assert isinstance(concern, ConcernRaised)
    other = decision is not S42Decision.S42_ENQUIRY
    made = S42DecisionMade(
        concern_id=concern.concern_id,
        reference=concern.reference,
        person_id=concern.person_id,
        decision=decision,
        route=NoFurtherActionRoute.NO_ACTION if decision is S42Decision.NO_FURTHER_ACTION else None,
        failed_criterion=S42Criterion.UNABLE_TO_PROTECT_THEMSELVES if other else None,
        rationale="An enquiry is proportionate." if other else "All s42(1) criteria are met.",
        decided_by="Owen Price",
    )
    return Envelope.record(
        made,
        stream_id=concern.concern_id,
        stream_version=2,
        metadata=Metadata(actor=SYSTEM_ACTOR).caused_by(raised),
        occurred_at=decided_at,
    )
