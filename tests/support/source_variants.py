"""Hypothesis strategies for "could this reach the alleged source of risk?".

A case is one person's risk picture and the people who may be told about her. Every recipient,
and each of their contact points, carries a label saying how the generator built it: the
source's own name, phone, email or house written another way; the relationship the source has;
the home the source may share; the provider the source works for; a point the person marked
unsafe — or someone else's. Labels come from how a case was built, never from the rules under
test, so a rule that lets a variant through is caught.

The public strategies are `cases()`, `same_surname_pairs()` and the `*_variants()` pairs (what
was recorded, how it was written again). The helpers below them take Hypothesis's `draw` and
return plain values, because building a fresh strategy for every small choice made generating
a case ten times slower than checking it.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar, cast

from hypothesis import strategies as st
from nicknames import NickNamer
from rapidfuzz import fuzz

from services.notification.domain.source_of_risk import RiskPicture
from shared.events.notification import (
    AllegedSourceOfRisk,
    ContactPointKind,
    ContactPoints,
    PostalAddress,
    Recipient,
    RecipientChoice,
    RecipientRole,
    UnsafeContactPoint,
)
from shared.sac import RiskLocation, RiskSource

T = TypeVar("T")

# --- labels --------------------------------------------------------------------------------------


class Who(StrEnum):
    """Who a recipient really is, as far as the source of risk goes."""

    THE_SOURCE = "the source, named another way"
    SAME_RELATIONSHIP = "someone with the source's relationship to the person"
    SOURCES_HOUSEHOLD = "someone of unknown relationship where the source may live"
    SOMEONE_ELSE = "someone else"


class Where(StrEnum):
    """Where a contact point really leads."""

    SOURCES_OWN = "the source's own contact point"
    MARKED_UNSAFE = "a contact point the person marked unsafe"
    SOURCES_HOME = "the home the source may share"
    AT_PROVIDER = "the service provider the source works for"
    ELSEWHERE = "somewhere else"


NEVER_USABLE = frozenset({Where.SOURCES_OWN, Where.MARKED_UNSAFE})
"""A clash here must be one no practitioner can confirm."""


@dataclass(frozen=True)
class LabelledRecipient:
    recipient: Recipient
    who: Who
    where: Mapping[ContactPointKind, frozenset[Where]]
    """One entry for each contact point the recipient has."""


@dataclass(frozen=True)
class Case:
    picture: RiskPicture
    recipients: tuple[LabelledRecipient, ...]


# --- drawing -------------------------------------------------------------------------------------


@cache
def _sampled(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(options)


def pick(draw: st.DrawFn, options: Sequence[T]) -> T:
    """One of the options (the strategy for each set of options is built once)."""
    return cast(T, draw(_sampled(tuple(options))))


def chance(draw: st.DrawFn, one_in: int) -> bool:
    return draw(st.integers(0, one_in - 1)) == 0


def _some(draw: st.DrawFn, count: int) -> list[bool]:
    """For each of `count` places, whether to change it: one draw, however many places."""
    mask = draw(st.integers(0, (1 << count) - 1)) if count else 0
    return [bool(mask >> place & 1) for place in range(count)]


# --- names ---------------------------------------------------------------------------------------

GIVEN_NAMES = (
    "Daniel",
    "Robert",
    "Margaret",
    "William",
    "Elizabeth",
    "James",
    "Catherine",
    "Stephen",
    "Michael",
    "Thomas",
    "Susan",
    "Patricia",
    "Richard",
    "Joseph",
    "Christopher",
    "Anthony",
    "Jennifer",
    "Rebecca",
    "Zoë",
    "Chloé",
    "José",
    "Renée",
    "Siobhán",
    "Bethany",
    "Mohammed",
    "Aisha",
    "Priya",
    "Oluwaseun",
    "Wojciech",
    "Niamh",
    "Gareth",
    "Hannah",
    "Edward",
    "Frances",
    "Kevin",
    "Nicola",
    "Samuel",
    "Victoria",
    "Anne-Marie",
    "Ian",
)
SURNAMES = (
    "Hill",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "O'Brien",
    "Müller",
    "Nowak",
    "Patel",
    "Khan",
    "Okafor",
    "Kowalski",
    "Brontë",
    "Núñez",
    "Smith-Jones",
    "Lee",
    "Davies",
    "Roberts",
    "Walker",
    "Wright",
    "Ó Briain",
)
TITLES = ("Mr", "Mr.", "Mrs", "Ms", "Miss", "Mx", "Dr", "DR.", "Mrs.")
SUFFIXES = ("Jr", "Jr.", "Jnr", "Sr", "Snr", "Junior")
_ACCENTS = {"a": "á", "e": "é", "i": "ï", "o": "ö", "u": "ü", "c": "ç", "n": "ñ"}


@dataclass(frozen=True)
class Identity:
    given: str
    surname: str

    @property
    def full(self) -> str:
        return f"{self.given} {self.surname}"


def plain(text: str) -> str:
    """Lower case, accents off: the generator's own, so labels never lean on the rules."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@cache
def _nick_namer() -> NickNamer:
    return NickNamer()


@cache
def nicknames(given: str) -> tuple[str, ...]:
    """Names the nicknames data set links to this one, either way: Dan, Danny for Daniel."""
    namer = _nick_namer()
    name = plain(given)
    linked = namer.nicknames_of(name) | namer.canonicals_of(name)
    return tuple(sorted(n for n in linked if n.isalpha() and len(n) > 1 and n != name))


@cache
def clearly_another_name(a: str, b: str) -> bool:
    """Another initial, not linked by nicknames (nor any part of a double name: Anne-Marie's
    Anne is Hannah's), and spelt far apart: Bethany and Daniel."""
    parts_a, parts_b = plain(a).split("-"), plain(b).split("-")
    family_a = {n for part in parts_a for n in (part, *nicknames(part))}
    family_b = {n for part in parts_b for n in (part, *nicknames(part))}
    spelt_apart = all(fuzz.ratio(x, y) < 60 for x in parts_a for y in parts_b)
    return plain(a)[0] != plain(b)[0] and not family_a & family_b and spelt_apart


@cache
def _other_given_names(source: Identity) -> tuple[str, ...]:
    return tuple(
        g
        for g in GIVEN_NAMES
        if clearly_another_name(g, source.given) and clearly_another_name(g, source.surname)
    )


@cache
def _other_surnames(source: Identity) -> tuple[str, ...]:
    return tuple(
        s
        for s in SURNAMES
        if fuzz.ratio(plain(s), plain(source.surname)) < 60
        and clearly_another_name(s, source.given)
    )


def identity(draw: st.DrawFn) -> Identity:
    return Identity(pick(draw, GIVEN_NAMES), pick(draw, SURNAMES))


def another_person(draw: st.DrawFn, source: Identity, *, same_surname: bool) -> Identity:
    """Someone who is clearly not the source: another given name, the same surname or not."""
    given = pick(draw, _other_given_names(source))
    return Identity(given, source.surname if same_surname else pick(draw, _other_surnames(source)))


def typo(draw: st.DrawFn, word: str) -> str:
    """One slip of the keyboard in a plain lower-case word: a letter changed (four letters or
    more), two swapped (four or more), one dropped or one added (three or more)."""
    slips = (["changed", "swapped"] if len(word) >= 4 else []) + (
        ["dropped", "added"] if len(word) >= 3 else []
    )
    if not slips:
        return word
    slip = pick(draw, slips)
    at = draw(st.integers(0, len(word) - 1))
    letter = pick(draw, string.ascii_lowercase)
    pair = min(at, len(word) - 2)
    if slip == "swapped" and word[pair] != word[pair + 1]:
        return word[:pair] + word[pair + 1] + word[pair] + word[pair + 2 :]
    if slip in ("changed", "swapped"):
        other = letter if letter != word[at] else ("a" if word[at] != "a" else "b")
        return word[:at] + other + word[at + 1 :]
    if slip == "dropped":
        return word[:at] + word[at + 1 :]
    return word[:at] + letter + word[at:]


def _with_a_slip_in_its_longest_word(draw: st.DrawFn, text: str, *, joiner: str = " ") -> str:
    words = text.split(joiner)
    at = max(range(len(words)), key=lambda i: len(words[i]))
    return joiner.join([*words[:at], typo(draw, plain(words[at])), *words[at + 1 :]])


def _surname_with_typo(draw: st.DrawFn, surname: str) -> str:
    """One slip in the surname's longest part (Smith-Jomes), its spaces and hyphens kept."""
    parts = plain(surname).replace("'", "").split("-")
    at = max(range(len(parts)), key=lambda i: len(parts[i]))
    parts[at] = _with_a_slip_in_its_longest_word(draw, parts[at])
    return "-".join(parts)


def presented(draw: st.DrawFn, text: str) -> str:
    """The same words as someone else would type them: case, accents, fullwidth letters."""
    case = pick(draw, ("as is", "lower", "upper", "title", "swapped"))
    text = {
        "as is": text,
        "lower": text.lower(),
        "upper": text.upper(),
        "title": text.title(),
        "swapped": text.swapcase(),
    }[case]
    if draw(st.booleans()):
        text = "".join(
            _ACCENTS[c.lower()] if accent and c.lower() in _ACCENTS else c
            for c, accent in zip(text, _some(draw, len(text)), strict=True)
        )
    if chance(draw, 10):
        # Fullwidth forms, as some phone keyboards and PDF copies produce them.
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return text


def written_name(draw: st.DrawFn, who: Identity) -> str:
    """The source's name as someone else may have written it: a nickname, an initial or a near
    spelling of the given name; a slip in the surname; either order; titles and suffixes; or a
    single word, the given name (or a nickname) or the surname."""
    form = pick(draw, ("full", "full", "full", "given only", "surname only"))
    title = pick(draw, ("", "", *TITLES))
    if form == "surname only":
        return presented(draw, f"{title} {who.surname}".strip())
    given_form = pick(
        draw, ("same", "nickname", "initial", "typo") if form == "full" else ("same", "nickname")
    )
    given = who.given
    if given_form == "nickname" and nicknames(who.given):
        given = pick(draw, nicknames(who.given)).title()
    elif given_form == "initial":
        given = plain(who.given)[0].upper() + pick(draw, ("", "."))
    elif given_form == "typo":
        given = typo(draw, plain(who.given).replace("-", ""))
    if form == "given only":
        return presented(draw, f"{title} {given}".strip())
    surname = _surname_with_typo(draw, who.surname) if draw(st.booleans()) else who.surname
    middle = pick(draw, ("", "", "J.", "Ann", "Lee"))
    suffix = pick(draw, ("", "", "", *SUFFIXES))
    order = pick(draw, ("given first", "surname, given", "SURNAME given"))
    if order == "given first":
        words = [title, given, middle, surname, suffix]
    elif order == "surname, given":
        words = [f"{surname},", title, given, middle, suffix]
    else:
        words = [surname.upper(), given, middle]
    spacing = pick(draw, (" ", "  "))
    return presented(draw, spacing.join(w for w in words if w))


def written_other_name(draw: st.DrawFn, who: Identity) -> str:
    """Someone else's name, written the ways the source's may be (without middle names, so
    nothing of the source's creeps in)."""
    title = pick(draw, ("", "", *TITLES))
    if draw(st.booleans()):
        text = f"{title} {who.given} {who.surname}"
    else:
        text = f"{who.surname}, {title} {who.given}"
    return presented(draw, " ".join(text.split()))


# --- relationships -------------------------------------------------------------------------------

RELATIONSHIPS: Mapping[str, tuple[str, ...]] = {
    "son": ("son", "stepson", "step-son", "son-in-law", "son in law", "child"),
    "daughter": ("daughter", "stepdaughter", "step-daughter", "daughter-in-law", "child"),
    "partner": (
        "partner",
        "husband",
        "wife",
        "spouse",
        "boyfriend",
        "girlfriend",
        "ex-partner",
        "ex-husband",
        "civil partner",
        "fiancé",
        "fiancée",
    ),
    "parent": ("mother", "father", "mum", "dad", "parent", "stepfather"),
    "sibling": ("brother", "sister", "sibling", "half-brother"),
    "grandchild": ("grandson", "granddaughter", "grandchild"),
    "carer": (
        "paid carer",
        "care worker",
        "support worker",
        "carer",
        "staff member",
        "nurse",
        "care assistant",
        "member of staff",
    ),
}
"""Words for one kind of person, any of which may stand for another of the same kind."""
RELATIONSHIP_KINDS = tuple(sorted(RELATIONSHIPS))
UNRELATED = ("friend", "neighbour", "solicitor", "niece", "cousin", "lodger")
_CHILDREN = ("son", "daughter")


@cache
def _other_relationships(kind: str) -> tuple[str, ...]:
    """Words that name someone else: never the kind itself, nor "child" for a son."""
    return (
        tuple(
            word
            for other, words in RELATIONSHIPS.items()
            if other != kind and not (kind in _CHILDREN and other in _CHILDREN)
            for word in words
            if word != "child" or kind not in _CHILDREN
        )
        + UNRELATED
    )


def written_relationship(draw: st.DrawFn, kind: str) -> str:
    """A word for this kind of person, as someone may have typed it: "her step son", "SON.",
    "my son Daniel", "daugther"."""
    word = pick(draw, RELATIONSHIPS[kind])
    if word.isalpha() and len(word) >= 7 and draw(st.booleans()):
        word = typo(draw, word)
    word = pick(draw, (word, word.replace("-", " "), word.replace("-", "")))
    before = pick(draw, ("", "her ", "my ", "the ", "Her "))
    after = pick(draw, ("", "", ".", " Daniel", " (lives nearby)"))
    return presented(draw, f"{before}{word}{after}")


def another_relationship(draw: st.DrawFn, kind: str) -> str:
    """A relationship that names someone else: a daughter when the son is the source."""
    before = pick(draw, ("", "her ", "my "))
    return presented(draw, before + pick(draw, _other_relationships(kind)))


# --- phones --------------------------------------------------------------------------------------


def uk_phone(draw: st.DrawFn, *, besides: Sequence[str | None] = ()) -> str:
    """A UK number in national digits (a mobile, a landline or a London number), not one of
    `besides`."""
    kind = pick(draw, ("mobile", "landline", "london"))
    digits = f"{draw(st.integers(0, 10**8 - 1)):08d}"
    number = {
        "mobile": f"07{pick(draw, '123456789')}{digits}",
        "landline": f"01{pick(draw, '123456789')}{digits}",
        "london": f"020{pick(draw, '378')}{digits[:7]}",
    }[kind]
    while number in besides:
        number = number[:-1] + str((int(number[-1]) + 1) % 10)
    return number


def written_phone(draw: st.DrawFn, national: str) -> str:
    """The same phone as someone may have written it: national or international, +44 (0),
    0044, spaces, hyphens, brackets, a label."""
    significant = national[1:]
    groups = (
        [significant[:2], significant[2:6], significant[6:]]
        if significant.startswith("20")
        else [significant[:4], significant[4:]]
    )
    separator = pick(draw, (" ", "", "-", "  ", "."))
    prefix = pick(draw, ("0", "0", "+44 ", "+44 (0)", "+44(0)", "0044 ", "00 44 ", "44 ", "+44-"))
    if prefix == "0" and draw(st.booleans()):
        number = f"(0{groups[0]}) " + separator.join(groups[1:])
    else:
        number = prefix + separator.join(groups)
    label = pick(draw, ("", "", "mob: ", "Tel ", "mobile "))
    note = pick(draw, ("", "", " (mobile)", " home"))
    return f"{label}{number}{note}"


def another_phone(draw: st.DrawFn, national: str) -> str:
    """Another number: one or two digits of this one changed, or any other UK number."""
    if draw(st.booleans()):
        return written_phone(draw, uk_phone(draw, besides=(national,)))
    digits = list(national)
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(3, len(national) - 1))
        digits[at] = str((int(digits[at]) + draw(st.integers(1, 9))) % 10)
    other = "".join(digits)
    if other == national:
        other = national[:-1] + str((int(national[-1]) + 1) % 10)
    return written_phone(draw, other)


# --- emails --------------------------------------------------------------------------------------

MAIL_DOMAINS = (
    "example.org",
    "gmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "btinternet.com",
    "mail.example.net",
)


def email_of(draw: st.DrawFn, who: Identity, domains: Sequence[str] = MAIL_DOMAINS) -> str:
    given = "".join(c for c in plain(who.given) if c.isalpha())
    surname = "".join(c for c in plain(who.surname) if c.isalpha())
    number = draw(st.integers(1, 99))
    mailbox = pick(
        draw, (f"{given}.{surname}", f"{given[0]}{surname}", f"{surname}.{given}{number}")
    )
    return f"{mailbox}@{pick(draw, domains)}"


def written_email(draw: st.DrawFn, email: str) -> str:
    """The same inbox as someone may have written it: case, spaces, a +tag; for Gmail, dots
    anywhere in the mailbox and googlemail.com."""
    mailbox, domain = email.split("@")
    if domain == "gmail.com":
        letters = mailbox.replace(".", "")
        dots = _some(draw, len(letters) - 1)
        mailbox = letters[0] + "".join(
            ("." if dot else "") + c for c, dot in zip(letters[1:], dots, strict=True)
        )
        domain = pick(draw, ("gmail.com", "googlemail.com"))
    written = f"{mailbox}{pick(draw, ('', '', '+council', '+mum'))}@{domain}"
    case = pick(draw, ("as is", "upper", "title"))
    written = {"as is": written, "upper": written.upper(), "title": written.title()}[case]
    return pick(draw, ("", " ", "  ")) + written + pick(draw, ("", " "))


# --- houses --------------------------------------------------------------------------------------

STREETS = ("High", "Mill", "Church", "Station", "Victoria", "Albert", "Chapel", "Bridge")
STREET_TYPES = (
    ("Street", "St"),
    ("Road", "Rd"),
    ("Lane", "Ln"),
    ("Avenue", "Ave"),
    ("Close", "Cl"),
    ("Drive", "Dr"),
    ("Crescent", "Cres"),
)
HOUSE_NAMES = (
    "Rose Cottage",
    "The Old Rectory",
    "Ivy House",
    "Meadow Barn",
    "Willow Lodge",
    "Holly Bank",
    "The Laurels",
)
TOWNS = ("Worcester", "Malvern", "Kidderminster", "Bromsgrove", "Redditch", "Evesham", "Pershore")
POSTCODE_AREAS = ("WR", "B", "DY", "HR", "GL")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class House:
    number: int | None
    flat: int | None
    name: str | None
    street: str
    street_type: tuple[str, str]
    town: str
    outward: str
    inward: str

    @property
    def postcode(self) -> str:
        return f"{self.outward} {self.inward}"

    @property
    def as_recorded(self) -> PostalAddress:
        lines = [f"Flat {self.flat}"] if self.flat else []
        if self.name:
            lines += [self.name, self.street_line(0)]
        else:
            lines.append(f"{self.number} {self.street_line(0)}")
        return PostalAddress(lines=(*lines, self.town), postcode=self.postcode)

    def street_line(self, short: int) -> str:
        """0: High Street, 1: High St, 2: High St."""
        return f"{self.street} {self.street_type[1 if short else 0]}{'.' if short == 2 else ''}"


def inward_code(draw: st.DrawFn) -> str:
    return f"{draw(st.integers(0, 9))}{pick(draw, _INWARD_LETTERS)}{pick(draw, _INWARD_LETTERS)}"


def house(draw: st.DrawFn, *, away_from: Sequence[House] = ()) -> House:
    """A house, on another street and in another postcode district than `away_from`."""
    named = chance(draw, 5)
    number = None if named else draw(st.integers(1, 250))
    streets = [s for s in STREETS if all(s != a.street for a in away_from)]
    area = pick(draw, POSTCODE_AREAS)
    district = draw(st.integers(1, 15))
    while any(f"{area}{district}" == a.outward for a in away_from):
        district += 1
    return House(
        number=number,
        flat=draw(st.integers(1, 12)) if number and chance(draw, 3) else None,
        name=pick(draw, HOUSE_NAMES) if named else None,
        street=pick(draw, streets),
        street_type=pick(draw, STREET_TYPES),
        town=pick(draw, TOWNS),
        outward=f"{area}{district}",
        inward=inward_code(draw),
    )


def written_house(draw: st.DrawFn, home: House) -> PostalAddress:
    """The same house as someone may have written it: lines split another way, with or
    without the town, St for Street, a flat given or left out, the house name with or without
    "The" or a slip, the postcode spaced or cased anyhow or mistyped in its last letter."""
    street = home.street_line(draw(st.integers(0, 2)))
    lines: Sequence[str]
    if home.name:
        bare = home.name.removeprefix("The ")
        name = pick(
            draw,
            (home.name, bare, f"The {bare}", _with_a_slip_in_its_longest_word(draw, home.name)),
        )
        lines = pick(draw, ((name, street), (f"{name}, {street}",)))
    elif home.flat:
        building = f"{home.number} {street}"
        lines = pick(
            draw,
            (
                (f"Flat {home.flat}", building),
                (f"Flat {home.flat}, {building}",),
                (f"{home.flat}/{building}",),
                (f"Flat {home.flat} {building}",),
                (building,),
                (f"Flat {home.flat}", street),
            ),
        )
    else:
        lines = [f"{home.number} {street}"]
    town = pick(draw, ("own line", "same line", "none"))
    if town == "own line":
        lines = [*lines, home.town]
    elif town == "same line":
        lines = [*lines[:-1], f"{lines[-1]}, {home.town}"]
    case = pick(draw, ("as is", "upper", "lower"))
    cased = {
        "as is": lines,
        "upper": [x.upper() for x in lines],
        "lower": [x.lower() for x in lines],
    }
    inward = home.inward
    form = pick(draw, ("spaced", "closed", "lower", "wide", "mistyped"))
    if form == "mistyped":
        inward = inward[:2] + pick(draw, _INWARD_LETTERS.replace(inward[2], ""))
    postcode = {
        "spaced": f"{home.outward} {inward}",
        "closed": f"{home.outward}{inward}",
        "lower": f"{home.outward} {inward}".lower(),
        "wide": f" {home.outward}  {inward} ",
        "mistyped": f"{home.outward} {inward}",
    }[form]
    return PostalAddress(lines=tuple(cased[case]), postcode=postcode)


def house_next_door(draw: st.DrawFn, home: House) -> PostalAddress:
    """Another house on the same street: another number (or another name), in the same
    postcode or the next one."""
    lines: tuple[str, ...]
    if home.name:
        name = pick(draw, [n for n in HOUSE_NAMES if n != home.name])
        lines = (name, home.street_line(0), home.town)
    else:
        number = draw(st.integers(1, 250))
        while number in (home.number, home.flat):
            number += 1
        lines = (f"{number} {home.street_line(draw(st.integers(0, 1)))}", home.town)
    inward = home.inward if draw(st.booleans()) else inward_code(draw)
    return PostalAddress(lines=lines, postcode=f"{home.outward} {inward}")


# --- cases ---------------------------------------------------------------------------------------


@dataclass
class _Point:
    """A contact point being built, with where it really leads."""

    value: str | PostalAddress
    where: set[Where] = field(default_factory=set)


@dataclass
class _World:
    """What one case is built from: the source (what is recorded, and what is really theirs),
    the person's home and where it really leads, and what she marked unsafe."""

    flavour: str
    source: AllegedSourceOfRisk
    identity: Identity | None
    relationship_kind: str | None
    source_house: House | None
    home: House
    home_where: set[Where]
    provider_domain: str | None = None
    unsafe_phone: str | None = None
    unsafe_email: str | None = None


_PROVIDER_LOCATIONS = (
    RiskLocation.CARE_HOME_NURSING,
    RiskLocation.CARE_HOME_RESIDENTIAL,
    RiskLocation.HOSPITAL_ACUTE,
    RiskLocation.IN_A_COMMUNITY_SERVICE,
    RiskLocation.OTHER,
    None,
)
_PROVIDER_DOMAINS = ("willowlodge.example", "sunrisecare.example", "staff.meadowview.example")


def _maybe(draw: st.DrawFn, value: T) -> T | None:
    return value if draw(st.booleans()) else None


def _world(draw: st.DrawFn) -> _World:
    flavour = pick(draw, ("named", "relationship only", "service provider"))
    home = house(draw)
    kind = pick(draw, RELATIONSHIP_KINDS)
    who = identity(draw)
    email = email_of(draw, who)
    phone = uk_phone(draw)
    individual = {
        "risk_source": pick(draw, (None, RiskSource.KNOWN_TO_INDIVIDUAL)),
        "risk_location": pick(draw, (None, RiskLocation.OWN_HOME)),
    }
    if flavour == "named":
        lives = pick(draw, ("with her, known", "with her, unknown", "elsewhere"))
        source_house = {
            "with her, known": home,
            "with her, unknown": None,
            "elsewhere": house(draw, away_from=(home,)),
        }[lives]
        relationship = _maybe(draw, written_relationship(draw, kind))
        source = AllegedSourceOfRisk(
            name=who.full,
            relationship=relationship,
            contact=ContactPoints(
                email=_maybe(draw, email),
                phone=_maybe(draw, phone),
                address=source_house.as_recorded if source_house else None,
            ),
            **individual,
        )
        home_where = {
            "with her, known": {Where.SOURCES_OWN},
            "with her, unknown": {Where.SOURCES_HOME},
            "elsewhere": set(),
        }[lives]
        return _World(
            flavour, source, who, kind if relationship else None, source_house, home, home_where
        )
    if flavour == "relationship only":
        source = AllegedSourceOfRisk(
            relationship=written_relationship(draw, kind),
            contact=ContactPoints(email=_maybe(draw, email), phone=_maybe(draw, phone)),
            **individual,
        )
        return _World(flavour, source, None, kind, None, home, {Where.SOURCES_HOME})
    domain = pick(draw, _PROVIDER_DOMAINS)
    at_home = draw(st.booleans())
    source_house = home if at_home else _maybe(draw, house(draw, away_from=(home,)))
    relationship = _maybe(draw, written_relationship(draw, "carer"))
    named = draw(st.booleans())
    source = AllegedSourceOfRisk(
        name=who.full if named else None,
        relationship=relationship,
        contact=ContactPoints(
            email=_maybe(draw, email_of(draw, who, (domain,))),
            phone=_maybe(draw, phone),
            address=source_house.as_recorded if source_house else None,
        ),
        risk_source=RiskSource.SERVICE_PROVIDER,
        risk_location=pick(draw, _PROVIDER_LOCATIONS),
    )
    home_where = {Where.AT_PROVIDER} | ({Where.SOURCES_OWN} if at_home else set())
    return _World(
        flavour,
        source,
        who if named else None,
        "carer" if relationship else None,
        source_house,
        home,
        home_where,
        provider_domain=domain,
    )


def _email_point(draw: st.DrawFn, world: _World, owner: Identity) -> _Point | None:
    source_email = world.source.contact.email
    choices = ["none", "own"]
    if source_email:
        choices += ["source's", "source's"]
        if world.provider_domain:
            # Only the source's own email tells which domain is the provider's.
            choices.append("provider")
    if world.unsafe_email:
        choices.append("unsafe")
    choice = pick(draw, choices)
    if choice == "none":
        return None
    if choice == "source's" and source_email:
        return _Point(written_email(draw, source_email), {Where.SOURCES_OWN})
    if choice == "unsafe" and world.unsafe_email:
        return _Point(written_email(draw, world.unsafe_email), {Where.MARKED_UNSAFE})
    if choice == "provider" and world.provider_domain:
        mailbox = pick(draw, ("reception", "office", "manager.home"))
        return _Point(f"{mailbox}@{world.provider_domain}", {Where.AT_PROVIDER})
    return _Point(written_email(draw, email_of(draw, owner)), {Where.ELSEWHERE})


def _phone_point(draw: st.DrawFn, world: _World) -> _Point | None:
    source_phone = world.source.contact.phone
    choices = ["none", "own", "own"]
    if source_phone:
        choices += ["source's", "next to the source's"]
    if world.unsafe_phone:
        choices.append("unsafe")
    choice = pick(draw, choices)
    if choice == "none":
        return None
    if choice == "source's" and source_phone:
        return _Point(written_phone(draw, source_phone), {Where.SOURCES_OWN})
    if choice == "next to the source's" and source_phone:
        return _Point(another_phone(draw, source_phone), {Where.ELSEWHERE})
    if choice == "unsafe" and world.unsafe_phone:
        return _Point(written_phone(draw, world.unsafe_phone), {Where.MARKED_UNSAFE})
    own = uk_phone(draw, besides=(source_phone, world.unsafe_phone))
    return _Point(written_phone(draw, own), {Where.ELSEWHERE})


def _address_point(draw: st.DrawFn, world: _World, *, lives_at_home: bool) -> _Point | None:
    if lives_at_home:
        return _Point(written_house(draw, world.home), set(world.home_where) or {Where.ELSEWHERE})
    theirs = world.source_house
    choices = ["none", "elsewhere", "next door to her"]
    if theirs is not None and theirs != world.home:
        choices += ["source's", "next door to the source"]
    choice = pick(draw, choices)
    if choice == "none":
        return None
    if choice == "source's" and theirs is not None:
        return _Point(written_house(draw, theirs), {Where.SOURCES_OWN})
    if choice in ("next door to the source", "next door to her"):
        beside = theirs if choice == "next door to the source" and theirs else world.home
        address = house_next_door(draw, beside)
        # A provider's premises are its whole postcode: the house next door there is its too.
        at_provider = (
            world.flavour == "service provider"
            and beside == theirs
            and address.postcode == beside.postcode
        )
        return _Point(address, {Where.AT_PROVIDER} if at_provider else {Where.ELSEWHERE})
    away = [world.home, *([theirs] if theirs else [])]
    return _Point(house(draw, away_from=away).as_recorded, {Where.ELSEWHERE})


def _labelled(
    role: RecipientRole,
    name: str,
    who: Who,
    relationship: str | None,
    points: Mapping[ContactPointKind, _Point | None],
) -> LabelledRecipient:
    given = {kind: point for kind, point in points.items() if point is not None}
    email, phone, address = (given.get(kind) for kind in ContactPointKind)
    contact = ContactPoints(
        email=email.value if email and isinstance(email.value, str) else None,
        phone=phone.value if phone and isinstance(phone.value, str) else None,
        address=address.value if address and isinstance(address.value, PostalAddress) else None,
    )
    return LabelledRecipient(
        recipient=Recipient(
            role=role,
            name=name,
            contact=contact,
            inform=True,
            relationship=relationship,
            chosen=None if role is RecipientRole.PERSON else RecipientChoice.PERSON_CHOSE,
        ),
        who=who,
        where={kind: frozenset(point.where) for kind, point in given.items()},
    )


def _someone(draw: st.DrawFn, world: _World, role: RecipientRole) -> LabelledRecipient:
    """A representative or advocate: the source in disguise, someone with the source's
    relationship, someone of unknown relationship living with her, or someone else."""
    kinds = ["someone else", "same surname", "lives with her"]
    if world.identity is not None:
        kinds += ["the source", "the source"]
    if world.relationship_kind is not None:
        kinds += ["same relationship", "same relationship"]
    kind = pick(draw, kinds)
    anchor = world.identity or Identity("Daniel", "Hill")
    other = another_person(draw, anchor, same_surname=kind == "same surname")
    lives_at_home = kind == "lives with her" or chance(draw, 5)
    relationship: str | None
    if kind == "the source" and world.identity is not None:
        name, who = written_name(draw, world.identity), Who.THE_SOURCE
        relationship = _maybe(draw, written_relationship(draw, world.relationship_kind or "son"))
    elif kind == "same relationship" and world.relationship_kind is not None:
        name, who = written_other_name(draw, other), Who.SAME_RELATIONSHIP
        relationship = written_relationship(draw, world.relationship_kind)
    else:
        name, who = written_other_name(draw, other), Who.SOMEONE_ELSE
        differs = world.relationship_kind or pick(draw, RELATIONSHIP_KINDS)
        relationship = _maybe(draw, another_relationship(draw, differs))
        if relationship is None and lives_at_home and world.flavour == "relationship only":
            who = Who.SOURCES_HOUSEHOLD
    points = {
        ContactPointKind.EMAIL: _email_point(draw, world, other),
        ContactPointKind.PHONE: _phone_point(draw, world),
        ContactPointKind.ADDRESS: _address_point(draw, world, lives_at_home=lives_at_home),
    }
    if all(point is None for point in points.values()):
        points[ContactPointKind.EMAIL] = _Point(email_of(draw, other), {Where.ELSEWHERE})
    return _labelled(role, name, who, relationship, points)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """One person, an alleged source of risk (named, known only by relationship, or a service
    provider), what she marked unsafe, and who may be told: herself (the source's contact
    points mistaken for hers, or not) and a representative or advocate who is, resembles, or
    lives with the source — or is someone else."""
    world = _world(draw)
    person = identity(draw)
    world.unsafe_phone = _maybe(draw, uk_phone(draw, besides=(world.source.contact.phone,)))
    world.unsafe_email = _maybe(draw, email_of(draw, person))
    home_unsafe = chance(draw, 6)
    if home_unsafe:
        world.home_where.add(Where.MARKED_UNSAFE)
    unsafe = [
        UnsafeContactPoint(contact=contact, reason="he can see it")
        for contact in (
            ContactPoints(phone=world.unsafe_phone) if world.unsafe_phone else None,
            ContactPoints(email=world.unsafe_email) if world.unsafe_email else None,
            ContactPoints(address=world.home.as_recorded) if home_unsafe else None,
        )
        if contact is not None
    ]
    herself = _labelled(
        RecipientRole.PERSON,
        written_other_name(draw, person),
        Who.SOMEONE_ELSE,
        None,
        {
            ContactPointKind.EMAIL: _email_point(draw, world, person),
            ContactPointKind.PHONE: _phone_point(draw, world),
            ContactPointKind.ADDRESS: _address_point(
                draw, world, lives_at_home=not chance(draw, 4)
            ),
        },
    )
    roles = pick(
        draw,
        (
            (RecipientRole.REPRESENTATIVE,),
            (RecipientRole.ADVOCATE,),
            (RecipientRole.REPRESENTATIVE, RecipientRole.ADVOCATE),
        ),
    )
    picture = RiskPicture(
        sources=(world.source,),
        unsafe_contact_points=tuple(unsafe),
        person_contact=herself.recipient.contact.model_copy(
            update={"address": world.home.as_recorded}
        ),
    )
    return Case(picture, (herself, *(_someone(draw, world, role) for role in roles)))


@st.composite
def same_surname_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """The source's name as recorded, and someone else's with the same surname as written."""
    source = identity(draw)
    return source.full, written_other_name(draw, another_person(draw, source, same_surname=True))


# --- variants, one kind at a time (what was recorded, how it was written again) ------------------


@st.composite
def name_variants(draw: st.DrawFn) -> tuple[str, str]:
    who = identity(draw)
    return who.full, written_name(draw, who)


@st.composite
def phone_variants(draw: st.DrawFn) -> tuple[str, str]:
    number = uk_phone(draw)
    return written_phone(draw, number), written_phone(draw, number)


@st.composite
def email_variants(draw: st.DrawFn) -> tuple[str, str]:
    email = email_of(draw, identity(draw))
    return email, written_email(draw, email)


@st.composite
def house_variants(draw: st.DrawFn) -> tuple[PostalAddress, PostalAddress]:
    home = house(draw)
    return home.as_recorded, written_house(draw, home)


@st.composite
def relationship_variants(draw: st.DrawFn) -> tuple[str, str]:
    kind = pick(draw, RELATIONSHIP_KINDS)
    return written_relationship(draw, kind), written_relationship(draw, kind)
