"""Could this reach the alleged source of risk? Each rule with the near misses an exact match
would let through, and the near-non-misses that must stay clear (another person with the same
surname, a daughter when the son is the source, the house next door, another number)."""

from __future__ import annotations

import pytest

from services.notification.domain.source_of_risk import (
    RiskPicture,
    clashes_of,
    may_be_confirmed,
    names_resemble,
    same_email,
    same_house,
    same_phone,
    same_relationship,
)
from shared.events.notification import (
    AllegedSourceOfRisk,
    Clash,
    ClashKind,
    ContactPointKind,
    ContactPoints,
    PostalAddress,
    Recipient,
    RecipientChoice,
    RecipientRole,
    UnsafeContactPoint,
)
from shared.sac import RiskLocation, RiskSource

HOME = PostalAddress(lines=("Flat 2", "10 High Street", "Worcester"), postcode="WR1 2AB")
COTTAGE = PostalAddress(lines=("Rose Cottage", "Mill Lane", "Malvern"), postcode="WR14 3CD")
ELSEWHERE = PostalAddress(lines=("4 Orchard Close", "Evesham"), postcode="WR11 4EF")
CARE_HOME = PostalAddress(lines=("Willow Lodge", "5 Station Road", "Pershore"), postcode="WR10 1GH")

MARGARET = ContactPoints(email="margaret.hill@example.org", phone="01905 123456", address=HOME)
SOMEONES = ContactPoints(email="someone@example.net")


def picture(
    *sources: AllegedSourceOfRisk,
    unsafe: tuple[UnsafeContactPoint, ...] = (),
    person_contact: ContactPoints = MARGARET,
) -> RiskPicture:
    return RiskPicture(sources=sources, unsafe_contact_points=unsafe, person_contact=person_contact)


def person(contact: ContactPoints = MARGARET, name: str = "Margaret Hill") -> Recipient:
    return Recipient(role=RecipientRole.PERSON, name=name, contact=contact, inform=True)


def representative(
    name: str,
    contact: ContactPoints = SOMEONES,
    relationship: str | None = None,
) -> Recipient:
    return Recipient(
        role=RecipientRole.REPRESENTATIVE,
        name=name,
        contact=contact,
        inform=True,
        relationship=relationship,
        chosen=RecipientChoice.PERSON_CHOSE,
    )


def kinds(clashes: tuple[Clash, ...]) -> set[tuple[ClashKind, ContactPointKind | None]]:
    return {(clash.kind, clash.point) for clash in clashes}


# --- email ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "dan.hill@example.org",
        "  Dan.Hill@Example.ORG ",
        "DAN.HILL@EXAMPLE.ORG",
        "dan.hill+council@example.org",
    ],
)
def test_an_email_is_one_inbox_whatever_its_case_spaces_or_plus_tag(written: str) -> None:
    assert same_email(written, "dan.hill@example.org")


@pytest.mark.parametrize(
    "written", ["danhill@gmail.com", "d.a.n.hill@gmail.com", "Dan.Hill+x@googlemail.com "]
)
def test_googlemail_is_gmail_and_gmail_ignores_dots(written: str) -> None:
    assert same_email(written, "dan.hill@gmail.com")


@pytest.mark.parametrize(
    "other", ["danhill@example.org", "dan.hill@example.com", "dan.hills@gmail.com", "dan@gmail.com"]
)
def test_another_inbox_is_not_the_same_email(other: str) -> None:
    # Outside Gmail a dot is part of the address: danhill@ and dan.hill@ are two inboxes.
    source = "dan.hill@gmail.com" if other.endswith("gmail.com") else "dan.hill@example.org"
    assert not same_email(other, source)


# --- phone ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "+44(0)7700-900-123",
        "0044 7700 900123",
        "00 44 7700 900 123",
        "447700900123",
        "(07700) 900123",
        "07700-900-123",
        "mobile: 07700 900123",
        "07700 900123 (mobile)",
        "+44 7700 900123 ext. 2",
    ],
)
def test_one_phone_written_many_ways_is_one_phone(written: str) -> None:
    assert same_phone(written, "07700 900123")


def test_a_number_phonenumbers_cannot_read_is_compared_by_its_last_nine_digits() -> None:
    # Too long to be a possible UK number, but its last nine digits are the source's mobile.
    assert same_phone("0 7700 900 123 000 7700 900123", "07700 900123")
    assert not same_phone("0 7700 900 123 000 7700 900124", "07700 900123")


@pytest.mark.parametrize(
    "other", ["07700 900124", "07700 900132", "01905 123456", "+1 202 555 0123", "+44 7700 900223"]
)
def test_a_different_number_is_not_the_same_phone(other: str) -> None:
    assert not same_phone(other, "07700 900123")


def test_a_foreign_number_is_not_the_uk_number_with_the_same_digits() -> None:
    assert not same_phone("+1 202 555 0123", "0202 555 0123")


# --- address -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        PostalAddress(lines=("Flat 2", "10 High Street"), postcode="WR1 2AB"),
        PostalAddress(lines=("Flat 2, 10 High St.", "Worcester"), postcode="wr12ab"),
        PostalAddress(lines=("FLAT 2 10 HIGH ST WORCESTER",), postcode=" WR1  2AB "),
        PostalAddress(lines=("10 High Street",), postcode="WR1 2AB"),
        PostalAddress(lines=("2/10 High St",), postcode="WR1 2AB"),
        PostalAddress(lines=("Flat 2", "High Street", "Worcester"), postcode="WR1 2AB"),
        PostalAddress(lines=("Flat 2, 10 High Street, Worcester WR1 2AB",), postcode="WR1 2AB"),
    ],
    ids=lambda a: " / ".join(a.lines),
)
def test_the_same_house_written_another_way_is_the_same_house(written: PostalAddress) -> None:
    assert same_house(written, HOME)
    assert same_house(HOME, written)


@pytest.mark.parametrize(
    "written",
    [
        PostalAddress(lines=("Rose Cotage", "Mill Ln"), postcode="WR14 3CD"),
        PostalAddress(lines=("The Rose Cottage, Mill Lane",), postcode="wr143cd"),
        PostalAddress(lines=("ROSE COTTAGE",), postcode="WR14 3CD"),
    ],
    ids=lambda a: " / ".join(a.lines),
)
def test_a_house_name_written_another_way_is_the_same_house(written: PostalAddress) -> None:
    assert same_house(written, COTTAGE)


def test_the_same_postcode_with_nothing_to_tell_two_houses_apart_is_one_house() -> None:
    street_only = PostalAddress(lines=("High Street", "Worcester"), postcode="WR1 2AB")
    assert same_house(street_only, HOME)
    # A number on one side and only a name on the other cannot be told apart either.
    named = PostalAddress(lines=("Rose Cottage", "Mill Lane"), postcode="WR14 3CD")
    assert same_house(PostalAddress(lines=("3 Mill Lane",), postcode="WR14 3CD"), named)


def test_a_postcode_typed_wrong_in_the_same_outward_code_is_still_the_same_house() -> None:
    typo = PostalAddress(lines=("10 High St", "Worcester"), postcode="WR1 2AD")
    assert same_house(typo, HOME)
    named = PostalAddress(lines=("Rose Cottage", "Mill Lane"), postcode="WR14 3CB")
    assert same_house(named, COTTAGE)


@pytest.mark.parametrize(
    "neighbour",
    [
        PostalAddress(lines=("14 High Street", "Worcester"), postcode="WR1 2AB"),
        PostalAddress(lines=("Flat 3, 14 High Street",), postcode="WR1 2AB"),
        PostalAddress(lines=("14 High Street", "Worcester"), postcode="WR1 2AD"),
        PostalAddress(lines=("10 High Street", "Worcester"), postcode="WR9 2AB"),
        PostalAddress(lines=("10 Mill Street", "Worcester"), postcode="WR1 2AD"),
    ],
    ids=lambda a: f"{' / '.join(a.lines)} {a.postcode}",
)
def test_another_house_on_the_street_or_in_another_district_is_not_the_same_house(
    neighbour: PostalAddress,
) -> None:
    assert not same_house(neighbour, HOME)


def test_a_house_with_another_name_at_the_same_postcode_is_not_the_same_house() -> None:
    ivy = PostalAddress(lines=("Ivy Cottage", "Mill Lane"), postcode="WR14 3CD")
    assert not same_house(ivy, COTTAGE)


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Daniel Hill",
        "daniel hill",
        "DANIEL  HILL.",
        "Hill, Daniel",
        "HILL Daniel",
        "Mr Daniel Hill",
        "Mr. D. Hill",
        "Daniel Hill Jr",
        "Dan Hill",
        "Danny Hill",
        "D Hill",
        "Danial Hill",
        "Danile Hill",
        "Daniel Hil",
        "Daniel James Hill",
        "Dániel Hïll",
        "Ｄａｎｉｅｌ Ｈｉｌｌ",
        "Danielhill",
        "Dan",
        "Hill",
        "Mr Hill",
        "Dan Hill (son)",
        "Daniel Hill, son",
    ],
)
def test_a_name_written_another_way_resembles_the_sources(written: str) -> None:
    assert names_resemble(written, "Daniel Hill")
    assert names_resemble("Daniel Hill", written)


@pytest.mark.parametrize(
    ("written", "source"),
    [
        ("Peggy Jones", "Margaret Jones"),
        ("Maggie Jones", "Peggy Jones"),
        ("Bob O'Brien", "Robert OBrien"),
        ("B. O’Brien", "Robert O'Brien"),
        ("Will Smith", "Bill Smith"),
        ("Zoe Muller", "Zoë Müller"),
        ("Smith-Jones, D.", "Daniel Smith-Jones"),
        ("Daniel McDonald", "Mc Donald, Daniel"),
        ("Mohammed Khan", "Muhammad Khan"),
        ("Steven Fry", "Stephen Fry"),
    ],
)
def test_nicknames_initials_and_other_spellings_resemble(written: str, source: str) -> None:
    assert names_resemble(written, source)


@pytest.mark.parametrize(
    "other",
    [
        "Bethany Hill",
        "Margaret Hill",
        "Bethany D. Hill",
        "Don Hill",
        "Daniel Jones",
        "Sarah Patel",
        "Mr",
        "",
    ],
)
def test_another_person_does_not_resemble_the_source(other: str) -> None:
    # The seed's story: her daughter Bethany Hill is not her son Daniel Hill.
    assert not names_resemble(other, "Daniel Hill")


def test_the_same_long_surname_with_another_given_name_does_not_resemble() -> None:
    # A whole-name score would pass these (93): word by word, Ann is not Jan.
    assert not names_resemble("Ann Richardson", "Jan Richardson")
    assert not names_resemble("Ann Richardson", "Jan Mary Richardson")


def test_a_double_barrelled_surname_is_one_surname() -> None:
    assert not names_resemble("Bethany Smith-Jones", "Daniel Smith-Jones")
    assert names_resemble("Daniel Smith Jones", "Daniel Smith-Jones")
    assert names_resemble("Mr Smith-Jones", "Daniel Smith-Jones")


def test_a_double_given_name_may_go_by_either_part() -> None:
    assert names_resemble("Anne Hill", "Anne-Marie Hill")
    assert names_resemble("Marie Hill", "Anne-Marie Hill")


def test_a_surname_of_several_words_alone_resembles() -> None:
    assert names_resemble("Mr Ó Briain", "Daniel O Briain")


# --- relationships -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("son", "Son"),
        ("her son", "son"),
        ("My son.", "the son"),
        ("step-son", "stepson"),
        ("step son", "son"),
        ("son-in-law", "son"),
        ("her son Daniel", "son"),
        ("child", "son"),
        ("children", "daughter"),
        ("husband", "partner"),
        ("ex-partner", "boyfriend"),
        ("civil partner", "wife"),
        ("fiancé", "partner"),
        ("mother", "parent"),
        ("Mum", "father"),
        ("brother", "sibling"),
        ("grandson", "granddaughter"),
        ("paid carer", "care worker"),
        ("support worker", "nurse"),
        ("member of staff", "care assistant"),
        ("daugther", "daughter"),
        ("neighbour", "neighbor"),
    ],
)
def test_relationships_that_may_name_one_person_are_the_same(a: str, b: str) -> None:
    assert same_relationship(a, b)
    assert same_relationship(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("son", "daughter"),
        ("her son", "stepdaughter"),
        ("son", "friend"),
        ("grandson", "son"),
        ("mother", "sister"),
        ("husband", "care worker"),
        ("neighbour", "friend"),
    ],
)
def test_relationships_that_name_different_people_are_not_the_same(a: str, b: str) -> None:
    assert not same_relationship(a, b)


# --- which clashes may a practitioner judge away -------------------------------------------------


def test_a_sources_own_contact_point_or_one_marked_unsafe_can_never_be_confirmed() -> None:
    assert not may_be_confirmed(ClashKind.SOURCE_CONTACT_POINT)
    assert not may_be_confirmed(ClashKind.MARKED_UNSAFE)
    plausible = set(ClashKind) - {ClashKind.SOURCE_CONTACT_POINT, ClashKind.MARKED_UNSAFE}
    assert all(may_be_confirmed(kind) for kind in plausible)


# --- clashes of a recipient ----------------------------------------------------------------------

DANIEL = AllegedSourceOfRisk(
    name="Daniel Hill",
    relationship="son",
    contact=ContactPoints(
        email="dan.hill@example.org",
        phone="07700 900123",
        address=PostalAddress(lines=("4 Orchard Close", "Evesham"), postcode="WR11 4EF"),
    ),
    risk_source=RiskSource.KNOWN_TO_INDIVIDUAL,
    risk_location=RiskLocation.OWN_HOME,
)


def test_the_sources_contact_points_entered_as_the_persons_own_are_never_used() -> None:
    mistaken = ContactPoints(
        email=" Dan.Hill+mum@example.org",
        phone="+44 (0)7700 900123",
        address=PostalAddress(lines=("4 Orchard Cl.",), postcode="wr114ef"),
    )
    clashes = clashes_of(person(mistaken), picture(DANIEL))
    assert kinds(clashes) == {
        (ClashKind.SOURCE_CONTACT_POINT, ContactPointKind.EMAIL),
        (ClashKind.SOURCE_CONTACT_POINT, ContactPointKind.PHONE),
        (ClashKind.SOURCE_CONTACT_POINT, ContactPointKind.ADDRESS),
    }
    assert not any(may_be_confirmed(clash.kind) for clash in clashes)


def test_a_contact_point_marked_unsafe_is_flagged_however_it_is_written() -> None:
    shared_phone = UnsafeContactPoint(
        contact=ContactPoints(phone="01905 123456"), reason="her son answers this phone"
    )
    contact = ContactPoints(phone="+44 1905 123-456", address=HOME)
    clashes = clashes_of(person(contact), picture(DANIEL, unsafe=(shared_phone,)))
    assert kinds(clashes) == {(ClashKind.MARKED_UNSAFE, ContactPointKind.PHONE)}


def test_the_person_with_no_clash_gets_none() -> None:
    assert clashes_of(person(), picture(DANIEL)) == ()


def test_a_representative_whose_name_resembles_the_sources_is_flagged() -> None:
    dan = representative("Mr Dan Hill", relationship="friend")
    assert kinds(clashes_of(dan, picture(DANIEL))) == {(ClashKind.NAME_LIKE_SOURCE, None)}


def test_the_persons_daughter_is_not_mistaken_for_her_son() -> None:
    bethany = representative(
        "Bethany Hill",
        ContactPoints(email="bethany.hill@example.org", phone="07700 900456", address=COTTAGE),
        relationship="daughter",
    )
    assert clashes_of(bethany, picture(DANIEL)) == ()


def test_the_person_is_never_flagged_for_who_she_is() -> None:
    # A person who shares the source's name (a father and son) is still told, by a safe route.
    namesake = person(ContactPoints(address=COTTAGE), name="Daniel Hill")
    assert clashes_of(namesake, picture(DANIEL)) == ()


def test_a_recipient_with_the_sources_relationship_is_flagged_even_when_the_source_is_unnamed() -> (
    None
):
    her_son = AllegedSourceOfRisk(relationship="son", contact=ContactPoints())
    someone = representative("Peter Hill", ContactPoints(address=ELSEWHERE), relationship="her son")
    assert kinds(clashes_of(someone, picture(her_son))) == {
        (ClashKind.RELATIONSHIP_LIKE_SOURCE, None)
    }


def test_a_relationship_written_into_the_name_counts() -> None:
    her_son = AllegedSourceOfRisk(relationship="son", contact=ContactPoints())
    named_as_son = representative("Daniel Hill, son", ContactPoints(address=ELSEWHERE))
    assert (ClashKind.RELATIONSHIP_LIKE_SOURCE, None) in kinds(
        clashes_of(named_as_son, picture(her_son))
    )


def test_someone_of_unknown_relationship_in_the_household_of_a_source_known_only_by_relationship() -> (
    None
):
    her_son = AllegedSourceOfRisk(relationship="son", contact=ContactPoints(phone="07700 900123"))
    lodger = representative("Chris Page", ContactPoints(address=HOME))
    assert (ClashKind.HOUSEHOLD_OF_SOURCE, None) in kinds(clashes_of(lodger, picture(her_son)))
    away = representative("Chris Page", ContactPoints(address=ELSEWHERE))
    assert clashes_of(away, picture(her_son)) == ()
    daughter_at_home = representative(
        "Bethany Hill", ContactPoints(email="b@example.net"), "daughter"
    )
    assert clashes_of(daughter_at_home, picture(her_son)) == ()


def test_the_home_a_source_may_share_is_flagged_for_a_practitioner_to_judge() -> None:
    her_son = AllegedSourceOfRisk(relationship="son", contact=ContactPoints())
    clashes = clashes_of(person(), picture(her_son))
    assert kinds(clashes) == {(ClashKind.HOME_SHARED_WITH_SOURCE, ContactPointKind.ADDRESS)}
    assert all(may_be_confirmed(clash.kind) for clash in clashes)


@pytest.mark.parametrize(
    "source",
    [
        # His own address is known, and it is elsewhere.
        AllegedSourceOfRisk(name="Daniel Hill", contact=ContactPoints(address=ELSEWHERE)),
        # A stranger does not live with her.
        AllegedSourceOfRisk(
            name=None, contact=ContactPoints(), risk_source=RiskSource.UNKNOWN_TO_INDIVIDUAL
        ),
        # The harm happened in the community, not at home.
        AllegedSourceOfRisk(
            relationship="son",
            contact=ContactPoints(),
            risk_location=RiskLocation.IN_THE_COMMUNITY,
        ),
    ],
)
def test_the_home_is_not_flagged_when_the_source_does_not_live_there(
    source: AllegedSourceOfRisk,
) -> None:
    assert clashes_of(person(), picture(source)) == ()


STAFF_MEMBER = AllegedSourceOfRisk(
    name=None,
    relationship="member of staff",
    contact=ContactPoints(email="j.bloggs@willowlodge.example"),
    risk_source=RiskSource.SERVICE_PROVIDER,
    risk_location=RiskLocation.CARE_HOME_RESIDENTIAL,
)
RESIDENT = ContactPoints(email="margaret@example.org", address=CARE_HOME)


def test_the_home_of_a_care_home_resident_is_at_the_provider_when_staff_are_the_source() -> None:
    clashes = clashes_of(person(RESIDENT), picture(STAFF_MEMBER, person_contact=RESIDENT))
    assert kinds(clashes) == {(ClashKind.AT_SERVICE_PROVIDER, ContactPointKind.ADDRESS)}


def test_an_email_at_the_providers_own_domain_is_flagged() -> None:
    mistaken = ContactPoints(email="Reception@WillowLodge.example")
    clashes = clashes_of(person(mistaken), picture(STAFF_MEMBER, person_contact=RESIDENT))
    assert kinds(clashes) == {(ClashKind.AT_SERVICE_PROVIDER, ContactPointKind.EMAIL)}
    # The staff member's own address, entered as hers, is never used.
    own = ContactPoints(email="J.Bloggs@willowlodge.example")
    assert (ClashKind.SOURCE_CONTACT_POINT, ContactPointKind.EMAIL) in kinds(
        clashes_of(person(own), picture(STAFF_MEMBER, person_contact=RESIDENT))
    )


def test_a_public_mail_domain_says_nothing_about_an_employer() -> None:
    at_gmail = STAFF_MEMBER.model_copy(update={"contact": ContactPoints(email="jbloggs@gmail.com")})
    mine = ContactPoints(email="margaret.hill@gmail.com")
    assert clashes_of(person(mine), picture(at_gmail, person_contact=RESIDENT)) == ()


def test_an_address_at_the_providers_postcode_is_flagged() -> None:
    provider = AllegedSourceOfRisk(
        name="Sunrise Home Care",
        contact=ContactPoints(address=PostalAddress(lines=("Unit 4",), postcode="WR5 1AA")),
        risk_source=RiskSource.SERVICE_PROVIDER,
        risk_location=RiskLocation.OWN_HOME,
    )
    office = representative(
        "Asha Patel", ContactPoints(address=PostalAddress(lines=("Unit 9",), postcode="wr5 1aa"))
    )
    assert kinds(clashes_of(office, picture(provider))) == {
        (ClashKind.AT_SERVICE_PROVIDER, ContactPointKind.ADDRESS)
    }
    # A home-care agency's client at her own home is not at the provider.
    assert clashes_of(person(), picture(provider)) == ()


def test_clashes_come_sorted_once_each_and_hold_no_personal_data() -> None:
    second_son = AllegedSourceOfRisk(
        name="Danny Hill", relationship="son", contact=ContactPoints(phone="+447700900123")
    )
    dan = representative(
        "Dan Hill", ContactPoints(email="DAN.HILL@example.org", phone="07700900123"), "son"
    )
    clashes = clashes_of(dan, picture(DANIEL, second_son))
    assert clashes == (
        Clash(kind=ClashKind.SOURCE_CONTACT_POINT, point=ContactPointKind.EMAIL),
        Clash(kind=ClashKind.SOURCE_CONTACT_POINT, point=ContactPointKind.PHONE),
        Clash(kind=ClashKind.NAME_LIKE_SOURCE),
        Clash(kind=ClashKind.RELATIONSHIP_LIKE_SOURCE),
    )
    written = " ".join(clash.model_dump_json() for clash in clashes).casefold()
    assert not any(word in written for word in ("dan", "hill", "example", "7700"))
