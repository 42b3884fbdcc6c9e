"""The notification events: registered, immutable, round-trip exactly, and refuse nonsense."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from shared.events import Actor, DomainEvent, Envelope, Metadata, Role, decode, encode
from shared.events.notification import (
    AllegedSourceOfRisk,
    Channel,
    Clash,
    ClashKind,
    ConfirmedRoute,
    ContactPointKind,
    ContactPoints,
    ContactPreferencesRecorded,
    InformingOverdue,
    InformingWithheld,
    MessageFormat,
    NotificationFailed,
    PersonInformed,
    PostalAddress,
    PractitionerContactReason,
    PractitionerContactRequired,
    PreferencesSource,
    Recipient,
    RecipientChoice,
    RecipientRole,
    SafeContactDecided,
    UnsafeContactPoint,
    WithholdingReason,
    informing_stream,
)
from shared.sac import RiskLocation, RiskSource

PERSON = "person-5b0f1c1e-8a53-4c57-9f3e-2d9f0c1a7e44"
CASE = "case-0d1e6a0b-4c55-5d2f-a7a1-9b8f2e3c4d5a"
MANAGER = Actor(id="sam-17", role=Role.MANAGER, agency="Worcestershire County Council")
WHEN = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)

STEP = {
    "person_id": PERSON,
    "source_event_id": "7f3c2a4e-0b1d-4e6f-9a8b-1c2d3e4f5a6b",
    "source_event_type": "S42DecisionMade",
    "case_id": CASE,
}

DECIDED = SafeContactDecided(
    person_id=PERSON,
    concern_id="concern-6f1c0a52-8d3e-4b8f-9a57-2b8d7f0e1c11",
    routes=(
        ConfirmedRoute(
            role=RecipientRole.PERSON,
            channel=Channel.EMAIL,
            contact=ContactPoints(email="mary@example.org"),
        ),
        ConfirmedRoute(
            role=RecipientRole.REPRESENTATIVE,
            channel=Channel.LETTER,
            contact=ContactPoints(
                address=PostalAddress(lines=("3 Mill Lane",), postcode="WR2 5XY")
            ),
            despite=(ClashKind.RELATIONSHIP_LIKE_SOURCE,),
        ),
        ConfirmedRoute(role=RecipientRole.ADVOCATE, channel=Channel.PRACTITIONER_CALL),
    ),
    decided_by=MANAGER,
)

SAMPLES: list[DomainEvent] = [
    ContactPreferencesRecorded(
        person_id=PERSON,
        source=PreferencesSource.INTAKE,
        recipients=(
            Recipient(
                role=RecipientRole.PERSON,
                name="Mary Smith",
                contact=ContactPoints(
                    email="mary@example.org",
                    address=PostalAddress(lines=("1 High Street", "Worcester"), postcode="WR1 2AB"),
                ),
                inform=True,
            ),
        ),
        channel=Channel.EMAIL,
        fallback_channel=Channel.LETTER,
        language="en",
        format=MessageFormat.EASY_READ,
        unsafe_contact_points=(
            UnsafeContactPoint(
                contact=ContactPoints(phone="07700 900123"), reason="Her son reads her texts"
            ),
        ),
        alleged_sources_of_risk=(
            AllegedSourceOfRisk(name="John Smith", contact=ContactPoints(phone="07700 900123")),
        ),
    ),
    PersonInformed(
        **STEP,
        recipient_role=RecipientRole.PERSON,
        channel=Channel.EMAIL,
        format=MessageFormat.STANDARD,
        informed_at=WHEN,
        provider_reference="4f7c0a1e-1111-4222-8333-944455556666",
        message_summary="Our decision about the concern",
    ),
    InformingWithheld(
        person_id=PERSON,
        reason=WithholdingReason.POLICE_INVESTIGATION,
        reason_text="Police asked us not to disclose until the interview on 10 March.",
        review_date=date(2026, 3, 11),
        decided_by=MANAGER,
    ),
    PractitionerContactRequired(
        **STEP,
        recipient_role=RecipientRole.PERSON,
        reason=PractitionerContactReason.ONLY_ROUTE_UNSAFE,
        detail="The person's phone number must not be used.",
        message_summary="Our decision about the concern",
    ),
    NotificationFailed(
        **STEP,
        recipient_role=RecipientRole.ADVOCATE,
        channel=Channel.SMS,
        permanent=True,
        error="Notify answered 400: BadRequestError: Not a UK mobile number",
        attempts=1,
        fallback_channel_tried=None,
    ),
    InformingOverdue(**STEP, deadline=WHEN),
    DECIDED,
    PractitionerContactRequired(
        **STEP,
        recipient_role=RecipientRole.REPRESENTATIVE,
        reason=PractitionerContactReason.ONLY_ROUTE_UNSAFE,
        detail="The representative's name is, or is like, an alleged source of risk's.",
        message_summary="Our decision about the concern",
        clashes=(
            Clash(kind=ClashKind.NAME_LIKE_SOURCE),
            Clash(kind=ClashKind.SOURCE_CONTACT_POINT, point=ContactPointKind.PHONE),
        ),
    ),
    ContactPreferencesRecorded(
        person_id=PERSON,
        source=PreferencesSource.ADVOCACY,
        recipients=(
            Recipient(
                role=RecipientRole.PERSON,
                name="Mary Smith",
                contact=ContactPoints(email="mary@example.org"),
                inform=True,
            ),
            Recipient(
                role=RecipientRole.REPRESENTATIVE,
                name="Ruth Smith",
                relationship="daughter",
                contact=ContactPoints(email="ruth@example.org"),
                inform=True,
                chosen=RecipientChoice.BEST_INTERESTS,
                capacity_assessment_id="mca-1",
            ),
        ),
        channel=Channel.EMAIL,
        language="pl",
        format=MessageFormat.STANDARD,
        alleged_sources_of_risk=(
            AllegedSourceOfRisk(
                name=None,
                relationship="paid carer",
                contact=ContactPoints(),
                risk_source=RiskSource.SERVICE_PROVIDER,
                risk_location=RiskLocation.CARE_HOME_RESIDENTIAL,
            ),
        ),
    ),
]


@pytest.mark.parametrize("payload", SAMPLES, ids=lambda payload: payload.event_type)
def test_notification_event_survives_the_wire_exactly(payload: DomainEvent) -> None:
    envelope = Envelope.record(
        payload,
        stream_id=informing_stream(PERSON),
        stream_version=1,
        metadata=Metadata(actor=MANAGER),
    )
    assert decode(encode(envelope)) == envelope


def test_informing_stream_is_per_person() -> None:
    assert informing_stream(PERSON) == f"informing-{PERSON}"


def test_withholding_without_a_step_covers_everything_until_review() -> None:
    withheld = SAMPLES[2]
    assert isinstance(withheld, InformingWithheld)
    assert withheld.covers_everything_until_review


def test_withholding_one_step_names_both_its_id_and_type() -> None:
    with pytest.raises(ValidationError, match="both source_event_id and source_event_type"):
        InformingWithheld(
            person_id=PERSON,
            source_event_id="7f3c2a4e-0b1d-4e6f-9a8b-1c2d3e4f5a6b",
            reason=WithholdingReason.RISK_TO_PERSON,
            reason_text="Telling her now would alert him.",
            review_date=date(2026, 3, 11),
            decided_by=MANAGER,
        )


def test_the_reason_for_withholding_is_kept_verbatim() -> None:
    words = '  She said: "don\'t write to me"\n\nuntil he has moved out.  '
    withheld = InformingWithheld(
        person_id=PERSON,
        reason=WithholdingReason.OTHER,
        reason_text=words,
        review_date=date(2026, 3, 11),
        decided_by=MANAGER,
    )
    assert withheld.reason_text == words


def test_a_step_must_belong_to_a_case_or_a_concern() -> None:
    with pytest.raises(ValidationError, match="case_id or the concern_id"):
        InformingOverdue(**{**STEP, "case_id": None}, deadline=WHEN)


def test_an_unsafe_contact_point_must_name_one() -> None:
    with pytest.raises(ValidationError, match="needs an email, a phone or an address"):
        UnsafeContactPoint(contact=ContactPoints(), reason="shared")


def test_a_safe_contact_decision_confirms_each_recipients_channel_once() -> None:
    with pytest.raises(ValidationError, match="each recipient's channel once"):
        SafeContactDecided.model_validate(
            DECIDED.model_dump() | {"routes": [DECIDED.routes[0].model_dump()] * 2}
        )


def test_a_safe_contact_decision_confirms_at_least_one_route() -> None:
    with pytest.raises(ValidationError, match="routes"):
        SafeContactDecided.model_validate(DECIDED.model_dump() | {"routes": []})


def test_a_safe_contact_decision_may_confirm_a_recipients_fallback_too() -> None:
    letter = ConfirmedRoute(
        role=RecipientRole.PERSON,
        channel=Channel.LETTER,
        contact=ContactPoints(
            address=PostalAddress(lines=("14 Orchard Close",), postcode="WR1 2AB")
        ),
    )
    both = SafeContactDecided.model_validate(
        DECIDED.model_dump() | {"routes": [DECIDED.routes[0].model_dump(), letter.model_dump()]}
    )
    assert [route.channel for route in both.routes] == [Channel.EMAIL, Channel.LETTER]
