"""The safety rules: a message goes only along a route a practitioner confirmed safe for the
concern, that is still the recipient's contact point, with no clash that can never be judged away
and every plausible clash seen; otherwise nothing is sent and a practitioner makes contact.

The matching itself (nicknames, spellings, number and address forms) is the source-of-risk
module's, with its own tests: these cases are ones any match catches (the same email, phone,
house, name or relationship), so they prove the rules that use it."""

from __future__ import annotations

import pytest

from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import (
    Confirmed,
    EmailAddressee,
    PhoneAddressee,
    PostalAddressee,
    PractitionerContact,
    Route,
    RouteDecision,
    RoutesRefused,
    RouteWanted,
    confirm_routes,
    decide_routes,
    route_flags,
)
from shared.events.notification import (
    AllegedSourceOfRisk,
    Channel,
    Clash,
    ClashKind,
    ConfirmedRoute,
    ContactPointKind,
    ContactPoints,
    PostalAddress,
    PractitionerContactReason,
    Recipient,
    RecipientChoice,
    RecipientRole,
    UnsafeContactPoint,
)
from tests.unit.notification.confirming import by_recipient

HOME = PostalAddress(lines=("Flat 2", "10 High Street", "Worcester"), postcode="WR1 2AB")
SAFE_HOUSE = PostalAddress(lines=("The Refuge", "Malvern"), postcode="WR14 1AA")
MARY = ContactPoints(email="mary@example.org")
RUTH = ContactPoints(email="ruth@example.org")
PERSON = RecipientRole.PERSON
REPRESENTATIVE = RecipientRole.REPRESENTATIVE
ADVOCATE = RecipientRole.ADVOCATE


def preferences(
    *,
    person: ContactPoints = MARY,
    channel: Channel = Channel.EMAIL,
    fallback: Channel | None = None,
    sources: tuple[AllegedSourceOfRisk, ...] = (),
    unsafe: tuple[UnsafeContactPoint, ...] = (),
    others: tuple[Recipient, ...] = (),
    language: str = "en",
) -> ContactPreferences:
    return ContactPreferences(
        person_id="person-1",
        recipients=(
            Recipient(role=PERSON, name="Mary Smith", contact=person, inform=True),
            *others,
        ),
        channel=channel,
        fallback_channel=fallback,
        language=language,
        unsafe_contact_points=unsafe,
        alleged_sources_of_risk=sources,
    )


def representative(
    name: str = "Ruth Smith",
    *,
    relationship: str | None = "daughter",
    contact: ContactPoints = RUTH,
    chosen: RecipientChoice | None = RecipientChoice.PERSON_CHOSE,
) -> Recipient:
    return Recipient(
        role=REPRESENTATIVE,
        name=name,
        relationship=relationship,
        contact=contact,
        inform=True,
        chosen=chosen,
    )


ASHA = Recipient(
    role=ADVOCATE,
    name="Asha Patel",
    relationship="independent advocate",
    contact=ContactPoints(email="asha@advocacy.example"),
    inform=True,
    chosen=RecipientChoice.APPOINTED_ADVOCATE,
)


def confirmed(
    *routes: tuple[RecipientRole, Channel, ContactPoints], despite: tuple[ClashKind, ...] = ()
) -> Confirmed:
    """Routes as a recorded decision holds them, however it was recorded."""
    return by_recipient(
        tuple(
            ConfirmedRoute(role=role, channel=channel, contact=contact, despite=despite)
            for role, channel, contact in routes
        )
    )


def only(decisions: tuple[RouteDecision, ...]) -> RouteDecision:
    assert len(decisions) == 1
    return decisions[0]


def person_by_email(
    email: str = "mary@example.org",
) -> tuple[RecipientRole, Channel, ContactPoints]:
    return (PERSON, Channel.EMAIL, ContactPoints(email=email))


def test_nothing_is_sent_along_a_route_no_practitioner_confirmed() -> None:
    decision = only(decide_routes(preferences(), confirmed(), advocate_told=True))
    assert decision == PractitionerContact(
        role=PERSON,
        reason=PractitionerContactReason.ROUTE_NOT_CONFIRMED,
        detail="No practitioner has confirmed that email to the person is safe for this concern, "
        "or the contact point changed since.",
    )


def test_a_route_a_practitioner_confirmed_is_used() -> None:
    decision = only(decide_routes(preferences(), confirmed(person_by_email()), advocate_told=True))
    assert decision == Route(
        role=PERSON,
        channel=Channel.EMAIL,
        addressee=EmailAddressee(name="Mary Smith", email="mary@example.org"),
    )


def test_a_confirmed_route_whose_contact_point_changed_since_is_not_used() -> None:
    moved_inbox = preferences(person=ContactPoints(email="mary.smith@example.net"))
    decision = only(decide_routes(moved_inbox, confirmed(person_by_email()), advocate_told=True))
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.ROUTE_NOT_CONFIRMED


def test_a_confirmed_letter_to_an_address_that_changed_since_is_not_sent() -> None:
    moved = preferences(person=ContactPoints(address=SAFE_HOUSE), channel=Channel.LETTER)
    at_home = confirmed((PERSON, Channel.LETTER, ContactPoints(address=HOME)))
    decision = only(decide_routes(moved, at_home, advocate_told=True))
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.ROUTE_NOT_CONFIRMED


def test_a_route_confirmed_for_another_channel_does_not_cover_this_one() -> None:
    by_text = preferences(person=ContactPoints(email="mary@example.org", phone="07700 900456"))
    by_text = by_text.model_copy(update={"channel": Channel.SMS})
    decision = only(decide_routes(by_text, confirmed(person_by_email()), advocate_told=True))
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.ROUTE_NOT_CONFIRMED


def test_the_source_of_risks_own_email_is_never_used_even_when_a_decision_says_despite() -> None:
    son = AllegedSourceOfRisk(name="John Smith", contact=ContactPoints(email="john@example.org"))
    mistaken = preferences(person=ContactPoints(email="John@Example.org "), sources=(son,))
    decision = only(
        decide_routes(
            mistaken,
            confirmed(
                person_by_email("John@Example.org "),
                despite=(ClashKind.SOURCE_CONTACT_POINT,),
            ),
            advocate_told=True,
        )
    )
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE
    assert Clash(kind=ClashKind.SOURCE_CONTACT_POINT, point=ContactPointKind.EMAIL) in (
        decision.clashes
    )


def test_the_source_of_risks_phone_written_another_way_is_never_texted() -> None:
    son = AllegedSourceOfRisk(name=None, contact=ContactPoints(phone="+44 (0)7700 900123"))
    shared = preferences(
        person=ContactPoints(phone="07700900123"), channel=Channel.SMS, sources=(son,)
    )
    route = (PERSON, Channel.SMS, ContactPoints(phone="07700900123"))
    decision = only(decide_routes(shared, confirmed(route), advocate_told=True))
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.ONLY_ROUTE_UNSAFE


def test_a_house_the_source_of_risk_lives_at_is_never_written_to() -> None:
    son = AllegedSourceOfRisk(name=None, contact=ContactPoints(address=HOME))
    shared = preferences(person=ContactPoints(address=HOME), channel=Channel.LETTER, sources=(son,))
    route = (PERSON, Channel.LETTER, ContactPoints(address=HOME))
    decision = only(decide_routes(shared, confirmed(route), advocate_told=True))
    assert isinstance(decision, PractitionerContact)
    assert Clash(kind=ClashKind.SOURCE_CONTACT_POINT, point=ContactPointKind.ADDRESS) in (
        decision.clashes
    )


def test_a_contact_point_the_person_marked_unsafe_is_never_used_even_despite() -> None:
    shared_phone = UnsafeContactPoint(
        contact=ContactPoints(phone="07700 900456"), reason="Her son answers this phone"
    )
    marked = preferences(
        person=ContactPoints(phone="07700 900456"), channel=Channel.SMS, unsafe=(shared_phone,)
    )
    route = (PERSON, Channel.SMS, ContactPoints(phone="07700 900456"))
    decision = only(
        decide_routes(
            marked, confirmed(route, despite=(ClashKind.MARKED_UNSAFE,)), advocate_told=True
        )
    )
    assert isinstance(decision, PractitionerContact)
    assert decision.clashes == (Clash(kind=ClashKind.MARKED_UNSAFE, point=ContactPointKind.PHONE),)


def test_when_every_route_is_unsafe_nothing_is_sent_and_the_flags_say_why() -> None:
    unsafe = UnsafeContactPoint(
        contact=ContactPoints(email="mary@example.org", address=HOME), reason="shared with him"
    )
    both = preferences(
        person=ContactPoints(email="mary@example.org", address=HOME),
        fallback=Channel.LETTER,
        unsafe=(unsafe,),
    )
    decision = only(
        decide_routes(
            both,
            confirmed(person_by_email(), (PERSON, Channel.LETTER, ContactPoints(address=HOME))),
            advocate_told=True,
        )
    )
    assert isinstance(decision, PractitionerContact)
    assert (decision.role, decision.reason, decision.clashes) == (
        PERSON,
        PractitionerContactReason.ONLY_ROUTE_UNSAFE,
        (
            Clash(kind=ClashKind.MARKED_UNSAFE, point=ContactPointKind.EMAIL),
            Clash(kind=ClashKind.MARKED_UNSAFE, point=ContactPointKind.ADDRESS),
        ),
    )
    assert "email address" in decision.detail
    assert "postal address" in decision.detail
    # The practitioner is told which contact point, never the contact point itself.
    assert "mary@example.org" not in decision.detail
    assert "High Street" not in decision.detail


def test_an_unsafe_channel_gives_way_to_a_confirmed_safe_fallback() -> None:
    unsafe = UnsafeContactPoint(contact=ContactPoints(email="mary@example.org"), reason="shared")
    mixed = preferences(
        person=ContactPoints(email="mary@example.org", address=SAFE_HOUSE),
        fallback=Channel.LETTER,
        unsafe=(unsafe,),
    )
    routes = confirmed(
        person_by_email(), (PERSON, Channel.LETTER, ContactPoints(address=SAFE_HOUSE))
    )
    decision = only(decide_routes(mixed, routes, advocate_told=True))
    assert decision == Route(
        role=PERSON,
        channel=Channel.LETTER,
        addressee=PostalAddressee(name="Mary Smith", address=SAFE_HOUSE),
    )


def test_an_unsafe_fallback_is_never_offered() -> None:
    unsafe = UnsafeContactPoint(contact=ContactPoints(phone="07700 900456"), reason="shared")
    mixed = preferences(
        person=ContactPoints(email="mary@example.org", phone="07700 900456"),
        fallback=Channel.SMS,
        unsafe=(unsafe,),
    )
    routes = confirmed(
        person_by_email(), (PERSON, Channel.SMS, ContactPoints(phone="07700 900456"))
    )
    decision = only(decide_routes(mixed, routes, advocate_told=True))
    assert decision == Route(
        role=PERSON,
        channel=Channel.EMAIL,
        addressee=EmailAddressee(name="Mary Smith", email="mary@example.org"),
        fallback=None,
    )


def test_a_confirmed_safe_fallback_travels_with_the_route() -> None:
    both = preferences(
        person=ContactPoints(email="mary@example.org", phone="07700 900456"), fallback=Channel.SMS
    )
    routes = confirmed(
        person_by_email(), (PERSON, Channel.SMS, ContactPoints(phone="07700 900456"))
    )
    decision = only(decide_routes(both, routes, advocate_told=True))
    assert isinstance(decision, Route)
    assert decision.fallback == Route(
        role=PERSON,
        channel=Channel.SMS,
        addressee=PhoneAddressee(name="Mary Smith", phone="07700 900456"),
    )


def test_an_unconfirmed_fallback_is_not_offered() -> None:
    both = preferences(
        person=ContactPoints(email="mary@example.org", phone="07700 900456"), fallback=Channel.SMS
    )
    decision = only(decide_routes(both, confirmed(person_by_email()), advocate_told=True))
    assert isinstance(decision, Route)
    assert decision.fallback is None


def test_a_person_who_asked_for_a_call_is_told_by_a_practitioner_whatever_was_confirmed() -> None:
    calls = preferences(channel=Channel.PRACTITIONER_CALL)
    decision = only(decide_routes(calls, confirmed(person_by_email()), advocate_told=True))
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.PERSON_ASKED_FOR_CALL


def test_a_practitioner_who_decided_to_tell_them_themselves_is_asked_to() -> None:
    in_person = confirmed((PERSON, Channel.PRACTITIONER_CALL, ContactPoints()))
    decision = only(decide_routes(preferences(), in_person, advocate_told=True))
    assert decision == PractitionerContact(
        role=PERSON,
        reason=PractitionerContactReason.PRACTITIONER_TO_TELL,
        detail="A practitioner decided to tell the person in person or by phone.",
    )


def test_no_contact_point_for_the_chosen_channel_means_a_practitioner_makes_contact() -> None:
    texts = preferences(channel=Channel.SMS)
    decision = only(decide_routes(texts, confirmed(person_by_email()), advocate_told=True))
    assert decision == PractitionerContact(
        role=PERSON,
        reason=PractitionerContactReason.NO_CONTACT_POINT,
        detail="The person has no contact point for sms.",
    )


@pytest.mark.parametrize(
    "language", ["Polish", "pl", "English and Polish", "Punjabi", "cy", "Polish (reads English)"]
)
def test_a_language_with_no_reviewed_messages_needs_a_practitioner(language: str) -> None:
    decision = only(
        decide_routes(
            preferences(language=language), confirmed(person_by_email()), advocate_told=True
        )
    )
    assert isinstance(decision, PractitionerContact)
    assert decision.reason is PractitionerContactReason.LANGUAGE_NOT_AVAILABLE


@pytest.mark.parametrize(
    "language", ["en", "English", "english", "en-GB", "EN_gb", "british english", "English (UK)"]
)
def test_english_however_it_is_written_has_reviewed_messages(language: str) -> None:
    decision = only(
        decide_routes(
            preferences(language=language), confirmed(person_by_email()), advocate_told=True
        )
    )
    assert isinstance(decision, Route)


def test_a_representative_named_as_the_source_of_risk_is_not_told_without_a_judgement() -> None:
    son = AllegedSourceOfRisk(name="John  smith", contact=ContactPoints())
    john = representative(
        "John Smith", relationship=None, contact=ContactPoints(email="js@work.example")
    )
    routes = (person_by_email(), (REPRESENTATIVE, Channel.EMAIL, john.contact))
    person_route, representative_decision = decide_routes(
        preferences(sources=(son,), others=(john,)), confirmed(*routes), advocate_told=True
    )
    assert isinstance(person_route, Route)
    assert isinstance(representative_decision, PractitionerContact)
    assert representative_decision.role is REPRESENTATIVE
    assert Clash(kind=ClashKind.NAME_LIKE_SOURCE) in representative_decision.clashes


def test_a_flagged_route_nobody_confirmed_is_not_used_and_its_flags_are_shown() -> None:
    son = AllegedSourceOfRisk(name="John Smith", contact=ContactPoints())
    john = representative("John Smith", relationship=None)
    decisions = decide_routes(
        preferences(sources=(son,), others=(john,)),
        confirmed(person_by_email()),
        advocate_told=True,
    )
    assert isinstance(decisions[1], PractitionerContact)
    assert Clash(kind=ClashKind.NAME_LIKE_SOURCE) in decisions[1].clashes


def test_a_representative_like_the_source_is_told_once_a_practitioner_judged_the_flag() -> None:
    son = AllegedSourceOfRisk(name="John Smith", contact=ContactPoints())
    namesake = representative("John Smith", relationship="neighbour")
    routes = confirmed(
        (REPRESENTATIVE, Channel.EMAIL, namesake.contact), despite=(ClashKind.NAME_LIKE_SOURCE,)
    )
    decisions = decide_routes(
        preferences(sources=(son,), others=(namesake,)), routes, advocate_told=True
    )
    assert isinstance(decisions[1], Route)


def test_a_flag_not_listed_in_despite_still_blocks_even_when_another_is() -> None:
    son = AllegedSourceOfRisk(name=None, relationship="son", contact=ContactPoints())
    also_a_son = representative("Peter Smith", relationship="son")
    routes = confirmed(
        (REPRESENTATIVE, Channel.EMAIL, also_a_son.contact), despite=(ClashKind.NAME_LIKE_SOURCE,)
    )
    decisions = decide_routes(
        preferences(sources=(son,), others=(also_a_son,)), routes, advocate_told=True
    )
    assert isinstance(decisions[1], PractitionerContact)
    assert Clash(kind=ClashKind.RELATIONSHIP_LIKE_SOURCE) in decisions[1].clashes


def test_a_clash_on_one_contact_point_does_not_stop_another_channel() -> None:
    unsafe = UnsafeContactPoint(contact=ContactPoints(phone="07700 900456"), reason="shared")
    mixed = preferences(
        person=ContactPoints(email="mary@example.org", phone="07700 900456"), unsafe=(unsafe,)
    )
    decision = only(decide_routes(mixed, confirmed(person_by_email()), advocate_told=True))
    assert isinstance(decision, Route)


def test_only_recipients_marked_to_be_told_and_chosen_are_routed() -> None:
    not_marked = ASHA.model_copy(update={"inform": False})
    not_chosen = representative(chosen=RecipientChoice.NAMED_BY_REFERRER)
    decisions = decide_routes(
        preferences(others=(not_marked, not_chosen)),
        confirmed(person_by_email()),
        advocate_told=True,
    )
    assert [decision.role for decision in decisions] == [PERSON]


def test_an_advocate_is_routed_only_for_steps_the_policy_tells_advocates() -> None:
    with_advocate = preferences(others=(ASHA,))
    routes = confirmed(person_by_email(), (ADVOCATE, Channel.EMAIL, ASHA.contact))
    told = decide_routes(with_advocate, routes, advocate_told=True)
    not_told = decide_routes(with_advocate, routes, advocate_told=False)
    assert [d.role for d in told] == [PERSON, ADVOCATE]
    assert [d.role for d in not_told] == [PERSON]


# --- what a practitioner may confirm ------------------------------------------------------------


def refused(preferences: ContactPreferences, *wanted: RouteWanted) -> list[tuple[str, str]]:
    with pytest.raises(RoutesRefused) as refusal:
        confirm_routes(preferences, wanted)
    return [(problem.field, problem.problem) for problem in refusal.value.problems]


def test_a_route_is_confirmed_with_only_the_contact_point_its_channel_uses() -> None:
    both = preferences(person=ContactPoints(email="mary@example.org", address=HOME))
    [route] = confirm_routes(both, (RouteWanted(PERSON, Channel.LETTER),))
    assert route == ConfirmedRoute(
        role=PERSON, channel=Channel.LETTER, contact=ContactPoints(address=HOME)
    )


def test_a_route_to_someone_who_is_not_told_cannot_be_confirmed() -> None:
    named = representative(chosen=RecipientChoice.NAMED_BY_REFERRER)
    problems = refused(preferences(others=(named,)), RouteWanted(REPRESENTATIVE, Channel.EMAIL))
    assert [field for field, _ in problems] == ["routes[0].role"]


def test_a_channel_without_a_contact_point_cannot_be_confirmed() -> None:
    problems = refused(preferences(), RouteWanted(PERSON, Channel.SMS))
    assert problems == [("routes[0].channel", "the person has no contact point for sms")]


def test_a_contact_point_that_is_not_the_one_on_record_cannot_be_confirmed() -> None:
    stale = RouteWanted(PERSON, Channel.EMAIL, contact=ContactPoints(email="old@example.org"))
    problems = refused(preferences(), stale)
    assert [field for field, _ in problems] == ["routes[0].contact"]


def test_the_contact_point_the_practitioner_saw_is_confirmed_when_it_is_still_on_record() -> None:
    seen = RouteWanted(PERSON, Channel.EMAIL, contact=ContactPoints(email="mary@example.org"))
    [route] = confirm_routes(preferences(), (seen,))
    assert route.contact == ContactPoints(email="mary@example.org")


def test_a_sources_own_email_can_never_be_confirmed_even_despite() -> None:
    son = AllegedSourceOfRisk(name="John Smith", contact=ContactPoints(email="mary@example.org"))
    wanted = RouteWanted(
        PERSON,
        Channel.EMAIL,
        despite=(ClashKind.SOURCE_CONTACT_POINT, ClashKind.MARKED_UNSAFE),
    )
    problems = refused(preferences(sources=(son,)), wanted)
    assert problems == [
        (
            "routes[0].channel",
            "the person's email route can never be used: source_contact_point",
        )
    ]


def test_a_point_marked_unsafe_can_never_be_confirmed() -> None:
    unsafe = UnsafeContactPoint(contact=ContactPoints(email="mary@example.org"), reason="shared")
    wanted = RouteWanted(PERSON, Channel.EMAIL, despite=(ClashKind.MARKED_UNSAFE,))
    problems = refused(preferences(unsafe=(unsafe,)), wanted)
    assert [field for field, _ in problems] == ["routes[0].channel"]


def test_a_plausible_clash_must_be_listed_in_despite_to_be_confirmed() -> None:
    son = AllegedSourceOfRisk(name=None, relationship="son", contact=ContactPoints())
    also_a_son = representative("Peter Smith", relationship="son")
    told = preferences(sources=(son,), others=(also_a_son,))
    unseen = refused(told, RouteWanted(REPRESENTATIVE, Channel.EMAIL))
    wrong_flag = refused(
        told,
        RouteWanted(REPRESENTATIVE, Channel.EMAIL, despite=(ClashKind.NAME_LIKE_SOURCE,)),
    )
    [route] = confirm_routes(
        told,
        (
            RouteWanted(
                REPRESENTATIVE, Channel.EMAIL, despite=(ClashKind.RELATIONSHIP_LIKE_SOURCE,)
            ),
        ),
    )
    assert [field for field, _ in unseen] == ["routes[0].despite"]
    assert "relationship_like_source" in unseen[0][1]
    assert wrong_flag == unseen
    assert route.despite == (ClashKind.RELATIONSHIP_LIKE_SOURCE,)


def test_a_practitioners_call_can_be_confirmed_for_anyone_who_is_told() -> None:
    son = AllegedSourceOfRisk(name="John Smith", contact=ContactPoints(email="mary@example.org"))
    [route] = confirm_routes(
        preferences(sources=(son,)), (RouteWanted(PERSON, Channel.PRACTITIONER_CALL),)
    )
    assert route == ConfirmedRoute(role=PERSON, channel=Channel.PRACTITIONER_CALL)


def test_every_route_refused_is_named_by_its_place_in_the_decision() -> None:
    problems = refused(
        preferences(others=(ASHA,)),
        RouteWanted(ADVOCATE, Channel.EMAIL),
        RouteWanted(PERSON, Channel.SMS),
        RouteWanted(REPRESENTATIVE, Channel.EMAIL),
    )
    assert [field for field, _ in problems] == ["routes[1].channel", "routes[2].role"]


# --- what a practitioner sees -------------------------------------------------------------------


def test_every_written_route_is_shown_with_its_flags_never_silently_skipped() -> None:
    son = AllegedSourceOfRisk(name="John Smith", contact=ContactPoints(email="mary@example.org"))
    named = representative(chosen=RecipientChoice.NAMED_BY_REFERRER)
    both = preferences(
        person=ContactPoints(email="mary@example.org", address=SAFE_HOUSE),
        sources=(son,),
        others=(named,),
    )
    flags = {(f.role, f.channel): f for f in route_flags(both)}
    assert set(flags) == {
        (PERSON, Channel.EMAIL),
        (PERSON, Channel.LETTER),
        (REPRESENTATIVE, Channel.EMAIL),
    }
    assert flags[(PERSON, Channel.EMAIL)].never_usable
    assert Clash(kind=ClashKind.SOURCE_CONTACT_POINT, point=ContactPointKind.EMAIL) in (
        flags[(PERSON, Channel.EMAIL)].clashes
    )
    assert not flags[(PERSON, Channel.LETTER)].never_usable
