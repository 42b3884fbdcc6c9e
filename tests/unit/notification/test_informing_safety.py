"""The safety rules: never the alleged source of risk, never an unsafe contact point, and a
practitioner makes contact when no safe route is left."""

from __future__ import annotations

import pytest

from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import (
    EmailAddressee,
    PhoneAddressee,
    PostalAddressee,
    PractitionerContact,
    Route,
    decide_routes,
    normalised_address,
    normalised_email,
    normalised_phone,
)
from shared.events.notification import (
    AllegedSourceOfRisk,
    Channel,
    ContactPoints,
    PostalAddress,
    PractitionerContactReason,
    Recipient,
    RecipientRole,
    UnsafeContactPoint,
)

HOME = PostalAddress(lines=("Flat 2", "10 High Street", "Worcester"), postcode="WR1 2AB")
SAFE_HOUSE = PostalAddress(lines=("The Refuge", "Malvern"), postcode="WR14 1AA")


def preferences(
    *,
    person: ContactPoints,
    channel: Channel = Channel.EMAIL,
    fallback: Channel | None = None,
    sources: tuple[AllegedSourceOfRisk, ...] = (),
    unsafe: tuple[UnsafeContactPoint, ...] = (),
    others: tuple[Recipient, ...] = (),
) -> ContactPreferences:
    return ContactPreferences(
        person_id="person-1",
        recipients=(
            Recipient(role=RecipientRole.PERSON, name="Mary Smith", contact=person, inform=True),
            *others,
        ),
        channel=channel,
        fallback_channel=fallback,
        unsafe_contact_points=unsafe,
        alleged_sources_of_risk=sources,
    )


def only(decisions: tuple[Route | PractitionerContact, ...]) -> Route | PractitionerContact:
    assert len(decisions) == 1
    return decisions[0]


@pytest.mark.parametrize(
    "written",
    ["07700 900123", "+44 7700 900123", "+44 (0)7700 900123", "0044 7700 900123", "447700900123"],
)
def test_one_uk_phone_written_many_ways_is_one_phone(written: str) -> None:
    assert normalised_phone(written) == "07700900123"


def test_a_non_uk_number_is_not_mistaken_for_a_uk_one() -> None:
    assert normalised_phone("+33 6 12 34 56 78") == "+33612345678"


def test_email_addresses_are_compared_without_case_or_surrounding_space() -> None:
    assert normalised_email(" John.Smith@Example.ORG ") == "john.smith@example.org"


def test_an_address_is_the_same_however_its_lines_case_and_postcode_are_written() -> None:
    typed_differently = PostalAddress(
        lines=("flat 2, 10  HIGH street", "Worcester."), postcode="wr12ab"
    )
    assert normalised_address(typed_differently) == normalised_address(HOME)


def test_source_of_risk_email_entered_as_the_persons_own_is_never_a_recipient() -> None:
    son = AllegedSourceOfRisk(name="John Smith", contact=ContactPoints(email="john@example.org"))
    decision = only(
        decide_routes(preferences(person=ContactPoints(email="John@Example.org "), sources=(son,)))
    )
    assert decision == PractitionerContact(
        role=RecipientRole.PERSON,
        reason=PractitionerContactReason.ONLY_ROUTE_UNSAFE,
        detail="The person's email address must not be used.",
    )


def test_source_of_risk_phone_written_differently_is_still_recognised() -> None:
    son = AllegedSourceOfRisk(name=None, contact=ContactPoints(phone="+44 (0)7700 900123"))
    decision = only(
        decide_routes(
            preferences(
                person=ContactPoints(phone="07700900123"), channel=Channel.SMS, sources=(son,)
            )
        )
    )
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE


def test_an_address_shared_with_the_source_of_risk_is_never_written_to() -> None:
    son = AllegedSourceOfRisk(
        name=None,
        contact=ContactPoints(
            address=PostalAddress(lines=("Flat 2, 10 High St.", "Worcester"), postcode="WR1 2AB")
        ),
    )
    son_same = AllegedSourceOfRisk(name=None, contact=ContactPoints(address=HOME))
    decision = only(
        decide_routes(
            preferences(
                person=ContactPoints(address=HOME), channel=Channel.LETTER, sources=(son, son_same)
            )
        )
    )
    assert isinstance(decision, PractitionerContact)


def test_a_contact_point_the_person_marked_unsafe_is_never_used() -> None:
    shared_phone = UnsafeContactPoint(
        contact=ContactPoints(phone="07700 900456"), reason="Her son answers this phone"
    )
    decision = only(
        decide_routes(
            preferences(
                person=ContactPoints(phone="07700900456"),
                channel=Channel.SMS,
                unsafe=(shared_phone,),
            )
        )
    )
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE


def test_when_every_route_is_unsafe_nothing_is_sent_and_a_practitioner_must_make_contact() -> None:
    unsafe = UnsafeContactPoint(
        contact=ContactPoints(email="mary@example.org", address=HOME), reason="shared with him"
    )
    decision = only(
        decide_routes(
            preferences(
                person=ContactPoints(email="mary@example.org", address=HOME),
                channel=Channel.EMAIL,
                fallback=Channel.LETTER,
                unsafe=(unsafe,),
            )
        )
    )
    assert decision == PractitionerContact(
        role=RecipientRole.PERSON,
        reason=PractitionerContactReason.ONLY_ROUTE_UNSAFE,
        detail=(
            "The person's email address must not be used. "
            "The person's postal address must not be used."
        ),
    )


def test_an_unsafe_channel_gives_way_to_a_safe_fallback_channel() -> None:
    unsafe = UnsafeContactPoint(contact=ContactPoints(email="mary@example.org"), reason="shared")
    decision = only(
        decide_routes(
            preferences(
                person=ContactPoints(email="mary@example.org", address=SAFE_HOUSE),
                fallback=Channel.LETTER,
                unsafe=(unsafe,),
            )
        )
    )
    assert decision == Route(
        role=RecipientRole.PERSON,
        channel=Channel.LETTER,
        addressee=PostalAddressee(name="Mary Smith", address=SAFE_HOUSE),
    )


def test_an_unsafe_fallback_is_never_offered() -> None:
    unsafe = UnsafeContactPoint(contact=ContactPoints(phone="07700 900456"), reason="shared")
    decision = only(
        decide_routes(
            preferences(
                person=ContactPoints(email="mary@example.org", phone="07700 900456"),
                fallback=Channel.SMS,
                unsafe=(unsafe,),
            )
        )
    )
    assert decision == Route(
        role=RecipientRole.PERSON,
        channel=Channel.EMAIL,
        addressee=EmailAddressee(name="Mary Smith", email="mary@example.org"),
        fallback=None,
    )


def test_a_safe_fallback_travels_with_the_route() -> None:
    decision = only(
        decide_routes(
            preferences(
                person=ContactPoints(email="mary@example.org", phone="07700 900456"),
                fallback=Channel.SMS,
            )
        )
    )
    assert isinstance(decision, Route)
    assert decision.fallback == Route(
        role=RecipientRole.PERSON,
        channel=Channel.SMS,
        addressee=PhoneAddressee(name="Mary Smith", phone="07700 900456"),
    )


def test_a_person_who_asked_for_a_call_is_told_by_a_practitioner() -> None:
    decision = only(
        decide_routes(
            preferences(
                person=ContactPoints(email="mary@example.org"), channel=Channel.PRACTITIONER_CALL
            )
        )
    )
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.PERSON_ASKED_FOR_CALL


def test_no_contact_point_for_the_chosen_channel_means_a_practitioner_makes_contact() -> None:
    decision = only(
        decide_routes(
            preferences(person=ContactPoints(email="mary@example.org"), channel=Channel.SMS)
        )
    )
    assert decision == PractitionerContact(
        role=RecipientRole.PERSON,
        reason=PractitionerContactReason.NO_CONTACT_POINT,
        detail="The person's phone number is not recorded.",
    )


def test_a_representative_named_as_the_alleged_source_of_risk_is_never_told() -> None:
    son = AllegedSourceOfRisk(name="John  smith", contact=ContactPoints())
    representative = Recipient(
        role=RecipientRole.REPRESENTATIVE,
        name="John Smith",
        contact=ContactPoints(email="js@work.example"),
        inform=True,
    )
    person_route, representative_decision = decide_routes(
        preferences(
            person=ContactPoints(email="mary@example.org"), sources=(son,), others=(representative,)
        )
    )
    assert isinstance(person_route, Route)
    assert isinstance(representative_decision, PractitionerContact)
    assert representative_decision.role is RecipientRole.REPRESENTATIVE


def test_only_recipients_marked_to_be_informed_are_routed() -> None:
    advocate = Recipient(
        role=RecipientRole.ADVOCATE,
        name="Asha Patel",
        contact=ContactPoints(email="asha@advocacy.example"),
        inform=False,
    )
    decisions = decide_routes(
        preferences(person=ContactPoints(email="mary@example.org"), others=(advocate,))
    )
    assert [decision.role for decision in decisions] == [RecipientRole.PERSON]
