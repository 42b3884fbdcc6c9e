"""Could this reach the alleged source of risk? The one place that answers it.

A message that reaches the person who harms them can put the person in danger, and the same
phone, email, house or person is written many ways. So every comparison here errs towards a
clash: a false clash costs a practitioner one confirmation, a missed one can cost far more.

- Contact points: an email, phone or house that is an alleged source's own, or one the person
  marked unsafe, is never used (`SOURCE_CONTACT_POINT`, `MARKED_UNSAFE`: no practitioner can
  judge these away). The person's home when a source may live there, and anywhere at a service
  provider that is the source, are flagged for a practitioner to judge.
- Recipients (never the person themself): a name that resembles a source's, the relationship a
  source has, or an unknown relationship in the household of a source known only by relationship.

Pure: no I/O. `phonenumbers`, `rapidfuzz` and `nicknames` do the comparing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final, TypeVar

import phonenumbers
from nicknames import NickNamer
from rapidfuzz import fuzz

from shared.events.notification import (
    AllegedSourceOfRisk,
    Clash,
    ClashKind,
    ContactPointKind,
    ContactPoints,
    PostalAddress,
    Recipient,
    RecipientRole,
    UnsafeContactPoint,
)
from shared.sac import RiskLocation, RiskSource

Point = TypeVar("Point", str, PostalAddress)


@dataclass(frozen=True)
class RiskPicture:
    """What is known, for one person, about who must never be reached."""

    sources: tuple[AllegedSourceOfRisk, ...]
    unsafe_contact_points: tuple[UnsafeContactPoint, ...]
    person_contact: ContactPoints
    """The person's own contact points: their address is the home a source may share."""


_NEVER_CONFIRMED: Final = frozenset({ClashKind.SOURCE_CONTACT_POINT, ClashKind.MARKED_UNSAFE})


def may_be_confirmed(kind: ClashKind) -> bool:
    """Whether a practitioner may judge a clash of this kind not to apply.

    A source's own email, phone or house, and a point the person marked unsafe, are never used:
    whoever answers there may be the source. The other clashes are plausible, not certain (a
    brother with the son's surname, a letter to a home the son may have left), so a
    practitioner who knows the family may confirm the route."""
    return kind not in _NEVER_CONFIRMED


def clashes_of(recipient: Recipient, picture: RiskPicture) -> tuple[Clash, ...]:
    """Every reason this recipient, or one of their contact points, may reach an alleged source
    of risk. Empty means none was found.

    The person is never flagged for who they are, only for where their messages would go (the
    source's phone entered as theirs by mistake, a home the source shares)."""
    found: set[Clash] = set()
    if recipient.role is not RecipientRole.PERSON:
        found |= _recipient_clashes(recipient, picture)
    contact = recipient.contact
    if contact.email is not None:
        found |= _at(ContactPointKind.EMAIL, _email_clashes(contact.email, picture))
    if contact.phone is not None:
        found |= _at(ContactPointKind.PHONE, _phone_clashes(contact.phone, picture))
    if contact.address is not None:
        found |= _at(ContactPointKind.ADDRESS, _address_clashes(contact.address, picture))
    return tuple(sorted(found, key=_clash_order))


def _at(point: ContactPointKind, kinds: set[ClashKind]) -> set[Clash]:
    return {Clash(kind=kind, point=point) for kind in kinds}


_KIND_ORDER: Final = {kind: position for position, kind in enumerate(ClashKind)}
_POINT_ORDER: Final = {point: position + 1 for position, point in enumerate(ContactPointKind)}


def _clash_order(clash: Clash) -> tuple[int, int]:
    return _KIND_ORDER[clash.kind], 0 if clash.point is None else _POINT_ORDER[clash.point]


# --- who the recipient is ------------------------------------------------------------------------


def _recipient_clashes(recipient: Recipient, picture: RiskPicture) -> set[Clash]:
    found: set[Clash] = set()
    home = picture.person_contact.address
    at_home = (
        home is not None
        and recipient.contact.address is not None
        and same_house(recipient.contact.address, home)
    )
    for source in picture.sources:
        if source.name is not None and names_resemble(recipient.name, source.name):
            found.add(Clash(kind=ClashKind.NAME_LIKE_SOURCE))
        if _relationship_like(recipient, source):
            found.add(Clash(kind=ClashKind.RELATIONSHIP_LIKE_SOURCE))
        known_only_by_relationship = (
            source.relationship is not None
            and source.name is None
            and source.contact.address is None
        )
        # A son known only as "her son" could be any man in her house whose relationship nobody
        # recorded: the representative living with her may be him.
        if known_only_by_relationship and recipient.relationship is None and at_home:
            found.add(Clash(kind=ClashKind.HOUSEHOLD_OF_SOURCE))
    return found


def _relationship_like(recipient: Recipient, source: AllegedSourceOfRisk) -> bool:
    """The recipient's relationship, recorded or written into their name ("Daniel Hill, son"),
    is the same as the source's."""
    kinds = _relationship_kinds(recipient.relationship) | _kinds_in_name(recipient.name)
    if kinds & (_relationship_kinds(source.relationship) | _kinds_in_name(source.name)):
        return True
    return (
        recipient.relationship is not None
        and source.relationship is not None
        and same_relationship(recipient.relationship, source.relationship)
    )


# --- where a message would go --------------------------------------------------------------------


def _never_to_use(
    value: Point,
    same: Callable[[Point, Point], bool],
    point_of: Callable[[ContactPoints], Point | None],
    picture: RiskPicture,
) -> set[ClashKind]:
    """Whether the value is one of a source's own contact points, or one marked unsafe."""
    found: set[ClashKind] = set()
    for kind, contacts in (
        (ClashKind.SOURCE_CONTACT_POINT, [source.contact for source in picture.sources]),
        (ClashKind.MARKED_UNSAFE, [unsafe.contact for unsafe in picture.unsafe_contact_points]),
    ):
        if any((other := point_of(c)) is not None and same(value, other) for c in contacts):
            found.add(kind)
    return found


def _email_clashes(email: str, picture: RiskPicture) -> set[ClashKind]:
    found = _never_to_use(email, same_email, lambda contact: contact.email, picture)
    domain = _email_domain(email)
    if domain not in PUBLIC_MAIL_DOMAINS and any(
        _is_service_provider(s)
        and s.contact.email is not None
        and _same_organisation(domain, _email_domain(s.contact.email))
        for s in picture.sources
    ):
        found.add(ClashKind.AT_SERVICE_PROVIDER)
    return found


def _phone_clashes(phone: str, picture: RiskPicture) -> set[ClashKind]:
    return _never_to_use(phone, same_phone, lambda contact: contact.phone, picture)


_PROVIDER_AT_HOME: Final = frozenset({RiskLocation.OWN_HOME, RiskLocation.IN_THE_COMMUNITY})


def _address_clashes(address: PostalAddress, picture: RiskPicture) -> set[ClashKind]:
    found = _never_to_use(address, same_house, lambda contact: contact.address, picture)
    home = picture.person_contact.address
    at_home = home is not None and same_house(address, home)
    if at_home and any(_may_live_with_the_person(s) for s in picture.sources):
        found.add(ClashKind.HOME_SHARED_WITH_SOURCE)
    postcode = _postcode(address.postcode)
    for source in picture.sources:
        if not _is_service_provider(source):
            continue
        # A care home, hospital or day service is where a member of staff works: the person's
        # "home" there is the provider's own front door. Where is not known, it may be there.
        lives_at_provider = at_home and source.risk_location not in _PROVIDER_AT_HOME
        at_providers_postcode = (
            source.contact.address is not None
            and _postcode(source.contact.address.postcode) == postcode
        )
        if lives_at_provider or at_providers_postcode:
            found.add(ClashKind.AT_SERVICE_PROVIDER)
    return found


def _is_service_provider(source: AllegedSourceOfRisk) -> bool:
    return source.risk_source is RiskSource.SERVICE_PROVIDER


def _may_live_with_the_person(source: AllegedSourceOfRisk) -> bool:
    """An individual (not a provider, not a stranger), or anyone with a relationship to the
    person, whose own address nobody knows, and whose harm is at her home or nobody said where."""
    individual = source.relationship is not None or source.risk_source not in (
        RiskSource.SERVICE_PROVIDER,
        RiskSource.UNKNOWN_TO_INDIVIDUAL,
    )
    return (
        individual
        and source.contact.address is None
        and source.risk_location in (None, RiskLocation.OWN_HOME)
    )


# --- words ---------------------------------------------------------------------------------------


def _folded(text: str) -> str:
    """Compatibility forms (NFKD, which includes NFKC's), accents dropped, case folded:
    "Ｄａｎｉｅｌ", "DANIËL" and "daniel" are one word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> list[str]:
    """Letters and digits, with apostrophes closed up (O'Brien is obrien) and hyphens apart."""
    return re.findall(r"[^\W_]+", re.sub(r"['’`]", "", _folded(text)))


# --- email ---------------------------------------------------------------------------------------

_GMAIL: Final = "gmail.com"
_GMAIL_DOMAINS: Final = frozenset({_GMAIL, "googlemail.com"})

PUBLIC_MAIL_DOMAINS: Final = frozenset(
    {
        "aol.co.uk",
        "aol.com",
        "blueyonder.co.uk",
        "btinternet.com",
        "btopenworld.com",
        "gmail.com",
        "gmx.co.uk",
        "gmx.com",
        "hotmail.co.uk",
        "hotmail.com",
        "icloud.com",
        "live.co.uk",
        "live.com",
        "mac.com",
        "mail.com",
        "me.com",
        "msn.com",
        "ntlworld.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "sky.com",
        "talktalk.net",
        "tiscali.co.uk",
        "virginmedia.com",
        "yahoo.co.uk",
        "yahoo.com",
        "ymail.com",
    }
)
"""Mail domains anyone can have an address at: sharing one says nothing about an employer."""


def _email_parts(email: str) -> tuple[str, str]:
    local, _, domain = email.strip().casefold().rpartition("@")
    domain = domain.rstrip(".")
    if domain in _GMAIL_DOMAINS:
        domain = _GMAIL
    # "dan+council@" reaches dan@'s inbox at every common provider.
    local = local.partition("+")[0]
    if domain == _GMAIL:
        # Gmail delivers d.an.hill@ to danhill@.
        local = local.replace(".", "")
    return local, domain


def _email_domain(email: str) -> str:
    return _email_parts(email)[1]


def _same_organisation(domain: str, other: str) -> bool:
    """The same domain, or one under the other (staff.carehome.example is carehome.example)."""
    return domain == other or domain.endswith(f".{other}") or other.endswith(f".{domain}")


def same_email(a: str, b: str) -> bool:
    """Whether two email addresses reach one inbox: case, surrounding spaces and a +tag ignored;
    googlemail.com is gmail.com, where dots in the local part are ignored too."""
    return _email_parts(a) == _email_parts(b)


# --- phone ---------------------------------------------------------------------------------------

_REGION: Final = "GB"
_LAST_DIGITS: Final = 9
"""A UK number without its trunk 0 or +44 has 10 digits; the last 9 survive any prefix typed."""


def _e164_forms(phone: str) -> frozenset[str]:
    """The number in E.164, as phonenumbers reads it raw and with words taken out: raw keeps an
    "ext 5", while words left in ("07700 900123 mobile") are read as letters on a keypad."""
    forms: set[str] = set()
    for text in (phone, re.sub(r"[^\d+()]+", " ", phone)):
        try:
            number = phonenumbers.parse(text, _REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            forms.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return frozenset(forms)


def _last_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-_LAST_DIGITS:]


def same_phone(a: str, b: str) -> bool:
    """Whether two phone numbers are one phone: compared in E.164 (UK unless a country code is
    given), so national, international, +44 (0), 0044, spaces, hyphens and brackets don't
    matter. A number that is not a possible number either way is compared by its last 9 digits,
    which is how a UK number looks under any prefix."""
    forms_a, forms_b = _e164_forms(a), _e164_forms(b)
    if forms_a & forms_b:
        return True
    if forms_a and forms_b:
        return False
    digits = _last_digits(a)
    return bool(digits) and digits == _last_digits(b)


# --- postal address ------------------------------------------------------------------------------

_SAME_HOUSE_NAME: Final = 85
"""A house name typed twice differs by a letter or a "The": "Rose Cotage" scores 96 against
"Rose Cottage"; two neighbours' names ("Ivy Cottage", "Rose Cottage") about 78."""
_SAME_STREET: Final = 90
"""The rest of the address, for a postcode typed wrong: the same street written with or without
its town scores 100 (token sets, one within the other); "High Street" against "Mill Street" 73."""

_ADDRESS_WORDS: Final = {
    "apartment": "flat",
    "apt": "flat",
    "ave": "avenue",
    "av": "avenue",
    "cl": "close",
    "cres": "crescent",
    "ct": "court",
    "dr": "drive",
    "gdns": "gardens",
    "gr": "grove",
    "gro": "grove",
    "ln": "lane",
    "pk": "park",
    "pl": "place",
    "rd": "road",
    "sq": "square",
    "st": "street",
    "tce": "terrace",
    "terr": "terrace",
}
_STREET_WORDS: Final = frozenset(
    {
        "avenue",
        "close",
        "crescent",
        "drive",
        "gardens",
        "green",
        "grove",
        "hill",
        "lane",
        "mews",
        "parade",
        "park",
        "place",
        "rise",
        "road",
        "row",
        "square",
        "street",
        "terrace",
        "view",
        "walk",
        "way",
    }
)
"""Words that end a street's name: a first line ending in one is the street, not a house name."""
_DWELLING_WORDS: Final = frozenset({"flat", "unit", "floor", "room", "the"})
_POSTCODE_SHAPE: Final = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b")


@dataclass(frozen=True)
class _House:
    postcode: str
    numbers: frozenset[str]
    """Every number in the lines: a house, a flat or a block's number (12a counts as 12)."""
    name: str | None
    """The first line, when it has no digits and is not a street: "Rose Cottage"."""
    street: str
    """The other words, without numbers or flat words: the street, and the town if given."""


def _postcode(postcode: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", postcode.upper())


def _outward_code(postcode: str) -> str | None:
    """WR1 of WR12AB: the inward code is always a digit and two letters."""
    return postcode[:-3] if len(postcode) >= 5 else None


def _house(address: PostalAddress) -> _House:
    parts: list[list[str]] = []
    for line in address.lines:
        for part in re.split(r"[,;\n]", _POSTCODE_SHAPE.sub(" ", _folded(line))):
            words = [_ADDRESS_WORDS.get(w, w) for w in _words(part)]
            if words:
                parts.append(words)
    words = [word for part in parts for word in part]
    numbers = frozenset(str(int(n)) for word in words for n in re.findall(r"\d+", word))
    first = parts[0] if parts else []
    is_name = (
        bool(first)
        and not any(c.isdigit() for word in first for c in word)
        and first[-1] not in _STREET_WORDS
    )
    rest = [word for part in (parts[1:] if is_name else parts) for word in part]
    street = [w for w in rest if not any(c.isdigit() for c in w) and w not in _DWELLING_WORDS]
    return _House(
        postcode=_postcode(address.postcode),
        numbers=numbers,
        name=" ".join(w for w in first if w != "the") if is_name else None,
        street=" ".join(street),
    )


def _may_be_one_house(a: _House, b: _House) -> bool:
    """Unless the two name different houses in the same way (both a number, both a name),
    nothing tells them apart."""
    if a.numbers & b.numbers:
        return True
    if a.name and b.name and fuzz.token_set_ratio(a.name, b.name) >= _SAME_HOUSE_NAME:
        return True
    comparable = bool(a.numbers and b.numbers) or bool(a.name and b.name)
    return not comparable


def same_house(a: PostalAddress, b: PostalAddress) -> bool:
    """Whether two addresses may be one house (or one building: a flat shares its block's door).

    The same postcode (spaces and case ignored) and a shared number anywhere in the lines, or a
    house name alike; the same postcode with nothing to tell the houses apart. A postcode typed
    wrong in the same outward code (WR1 2AB, WR1 2AD) with the same street and house is one
    house too. Line breaks, the town, case, punctuation and St/Rd-style abbreviations don't
    matter. Another house on the street (another number) is not this one."""
    house_a, house_b = _house(a), _house(b)
    if not _may_be_one_house(house_a, house_b):
        return False
    if house_a.postcode == house_b.postcode:
        return True
    outward = _outward_code(house_a.postcode)
    return (
        outward is not None
        and outward == _outward_code(house_b.postcode)
        and fuzz.token_set_ratio(house_a.street, house_b.street) >= _SAME_STREET
    )


# --- names ---------------------------------------------------------------------------------------

_SAME_JOINED_NAME: Final = 90
"""A name whose words were joined or split ("Danielhill", "Mc Donald") is compared with its
spaces taken out, allowing one slip: "Danielhil" scores 95 against "Daniel Hill". Only then:
with as many words on each side, a long shared surname lifts any whole-name score (Ann and Jan
Richardson, 93), so word by word decides."""
_NEAR_SPELLING: Final = 75
"""One word of a name: 75 is one letter changed (John/Joan) or two swapped (Hlil) in a
four-letter name, one added or dropped in a three-letter one (Dan/Dann, 86), and any of these
in a longer one (Danile, 83). One letter changed in a three-letter name (Dan/Don, Ian/Jan, 67)
is another name."""

_TITLES: Final = frozenset(
    {
        "dame",
        "doctor",
        "dr",
        "lady",
        "lord",
        "madam",
        "master",
        "miss",
        "mr",
        "mrs",
        "ms",
        "mx",
        "prof",
        "professor",
        "rev",
        "revd",
        "reverend",
        "sir",
    }
)
_SUFFIXES: Final = frozenset(
    {"esq", "ii", "iii", "iv", "jnr", "jr", "junior", "senior", "snr", "sr"}
)
_POSSESSIVES: Final = frozenset({"her", "his", "my", "our", "the", "their", "your"})
_NAME_CACHE: Final = 4096


def _name_words(name: str) -> tuple[str, ...]:
    """A name's words without titles and suffixes, nor a relationship written into it
    ("Dan Hill (son)", "her son Dan"), unless nothing else is left. A hyphenated word stays
    one word: Bethany Smith-Jones has no middle name Smith."""
    plain = re.sub(r"[‐‑–—]", "-", re.sub(r"['’`]", "", _folded(name)))
    words = [
        w
        for w in re.findall(r"[^\W_]+(?:-+[^\W_]+)*", plain)
        if w not in _TITLES and w not in _SUFFIXES
    ]
    named = [w for w in words if w not in _POSSESSIVES and _closed(w) not in _RELATIONSHIP_WORDS]
    return tuple(named or words)


def _closed(words: str) -> str:
    """Smith-Jones as one would type it without the hyphen, or the space: smithjones."""
    return re.sub(r"[-\s]", "", words)


def _parts(word: str) -> tuple[str, ...]:
    """A hyphenated given name and each of its parts: Anne-Marie may go by Anne."""
    return (_closed(word), *word.split("-")) if "-" in word else (word,)


@cache
def _nick_namer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=_NAME_CACHE)
def _name_family(word: str) -> frozenset[str]:
    """The word, its nicknames and the names it is a nickname of: Dan, Daniel, Danny."""
    namer = _nick_namer()
    return frozenset({word} | namer.nicknames_of(word) | namer.canonicals_of(word))


def _near_spelling(a: str, b: str) -> bool:
    return fuzz.ratio(a, b) >= _NEAR_SPELLING


def _forenames_match(a: str, b: str) -> bool:
    """The same name, a nickname of it (Peggy, Maggie and Margaret share one), an initial of
    it or of a nickname (B for Robert, as Bob), or a near spelling (Danial)."""
    return any(_forename_matches(x, y) for x in _parts(a) for y in _parts(b))


def _forename_matches(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        initial, full = (a, b) if len(a) == 1 else (b, a)
        return len(full) > 1 and any(n.startswith(initial) for n in _name_family(full))
    return bool(_name_family(a) & _name_family(b)) or _near_spelling(a, b)


def _readings(words: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every way to read the words as given names and a surname, the surname at either end and
    of one word or more: "Hill Daniel" may be "Hill, Daniel", and "Smith Jones, D." has the
    surname Smith-Jones."""
    for cut in range(1, len(words)):
        yield words[:cut], _closed("".join(words[cut:]))
        yield words[cut:], _closed("".join(words[:cut]))


def _forenames(given: tuple[str, ...]) -> tuple[str, ...]:
    """The first given name, and any full middle name someone may go by (not a middle
    initial: "Bethany D. Hill" is not D. Hill)."""
    return given[:1] + tuple(w for w in given[1:] if len(w) > 1)


def _joined_alike(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    joined = _closed("".join(a))
    rotations = (_closed("".join(b[i:] + b[:i])) for i in range(len(b)))
    return any(fuzz.ratio(joined, other) >= _SAME_JOINED_NAME for other in rotations)


def _all_surname(lone: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """A name that is all surname: "Mr Ó Briain" is Daniel Ó Briain's."""
    whole = _closed("".join(lone))
    return any(fuzz.ratio(whole, surname) >= _SAME_JOINED_NAME for _, surname in _readings(other))


def names_resemble(a: str, b: str) -> bool:
    """Whether two names may be one person's.

    Unicode forms, case, accents, punctuation, titles and suffixes are ignored, and the order of
    the words ("Hill, Daniel"). They resemble when their words are the same, when one has words
    joined or split that the other has apart ("Danielhill"), or when the surnames are alike and
    the given names are the same, a nickname, an initial or a near spelling of each other. A
    single word resembles a name whose given name (or its nickname) or surname it is, and so
    does a surname of several words on its own ("Mr Ó Briain"). The same
    surname with another given name is another person: Bethany Hill is not Daniel Hill."""
    words_a, words_b = _name_words(a), _name_words(b)
    if not words_a or not words_b:
        return False
    if {_closed(w) for w in words_a} == {_closed(w) for w in words_b}:
        return True
    if len(words_a) != len(words_b) and _joined_alike(words_a, words_b):
        return True
    for lone, other in ((words_a, words_b), (words_b, words_a)):
        if len(lone) == 1 and any(_forenames_match(lone[0], word) for word in other):
            return True
        if len(lone) < len(other) and _all_surname(lone, other):
            return True
    if len(words_a) == 1 or len(words_b) == 1:
        return False
    return any(
        _near_spelling(surname_a, surname_b)
        and any(_forenames_match(x, y) for x in _forenames(given_a) for y in _forenames(given_b))
        for given_a, surname_a in _readings(words_a)
        for given_b, surname_b in _readings(words_b)
    )


# --- relationships -------------------------------------------------------------------------------

_SAME_RELATIONSHIP_TEXT: Final = 90
"""Relationship words not in the table are compared as text: "neighbour" and "neighbor" (94)."""
_RELATIONSHIP_TYPO: Final = 85
"""A relationship word of four letters or more this close to one in the table is that word:
"daugther" (88), "partener" (93), "sonn" (86). A word like "career" (91 to carer) is no
relationship at all; flagging it costs only a confirmation."""

_SON: Final = frozenset({"son"})
_DAUGHTER: Final = frozenset({"daughter"})
_CHILD: Final = _SON | _DAUGHTER
_PARTNER: Final = frozenset({"partner"})
_PARENT: Final = frozenset({"parent"})
_SIBLING: Final = frozenset({"sibling"})
_GRANDCHILD: Final = frozenset({"grandchild"})
_GRANDPARENT: Final = frozenset({"grandparent"})
_CARER: Final = frozenset({"carer"})

_RELATIONSHIPS: Final[dict[str, frozenset[str]]] = {
    # A stepson or son-in-law is often just "my son": the plain kind, to err towards a clash.
    **dict.fromkeys(("son", "sons", "stepson", "stepsons", "soninlaw"), _SON),
    **dict.fromkeys(
        ("daughter", "daughters", "stepdaughter", "stepdaughters", "daughterinlaw"), _DAUGHTER
    ),
    **dict.fromkeys(("child", "children", "stepchild", "stepchildren", "kid", "kids"), _CHILD),
    **dict.fromkeys(
        (
            "partner",
            "civilpartner",
            "husband",
            "wife",
            "spouse",
            "boyfriend",
            "girlfriend",
            "fiance",
            "fiancee",
            "ex",
            "expartner",
            "exhusband",
            "exwife",
            "exspouse",
            "exboyfriend",
            "exgirlfriend",
            "excivilpartner",
        ),
        _PARTNER,
    ),
    **dict.fromkeys(
        (
            "parent",
            "parents",
            "mother",
            "father",
            "mum",
            "mom",
            "mam",
            "dad",
            "stepmother",
            "stepfather",
            "stepmum",
            "stepdad",
            "stepparent",
            "motherinlaw",
            "fatherinlaw",
        ),
        _PARENT,
    ),
    **dict.fromkeys(
        (
            "sibling",
            "siblings",
            "brother",
            "sister",
            "brothers",
            "sisters",
            "stepbrother",
            "stepsister",
            "halfbrother",
            "halfsister",
            "brotherinlaw",
            "sisterinlaw",
        ),
        _SIBLING,
    ),
    **dict.fromkeys(
        (
            "grandchild",
            "grandchildren",
            "grandson",
            "granddaughter",
            "grandsons",
            "granddaughters",
            "greatgrandson",
            "greatgranddaughter",
            "greatgrandchild",
        ),
        _GRANDCHILD,
    ),
    **dict.fromkeys(
        (
            "grandparent",
            "grandmother",
            "grandfather",
            "grandma",
            "grandad",
            "granddad",
            "grandpa",
            "gran",
            "nan",
            "nana",
        ),
        _GRANDPARENT,
    ),
    **dict.fromkeys(
        (
            "carer",
            "paidcarer",
            "careworker",
            "supportworker",
            "staff",
            "staffmember",
            "memberofstaff",
            "nurse",
            "careassistant",
            "healthcareassistant",
            "homecarer",
            "personalassistant",
        ),
        _CARER,
    ),
}
"""Relationship words (hyphens and spaces taken out) and the kinds of person each may name."""
_NAMES_TOO: Final = frozenset({"ex", "kid", "nan", "nana", "gran", "mam"})
"""Relationship words that are also given names or too short to tell (Nan is Ann's nickname)."""
_RELATIONSHIP_WORDS: Final = frozenset(_RELATIONSHIPS) - _NAMES_TOO
"""The relationship words a name may carry ("Daniel Hill, son")."""
_LONGEST_PHRASE: Final = 3  # "member of staff", "health care assistant"


def _relationship_tokens(text: str) -> list[str]:
    # step-son is stepson and son-in-law soninlaw: a hyphen joins what it stands between.
    joined = re.sub(r"[-‐‑–]", "", text)
    return [w for w in _words(joined) if w.isalpha() and w not in _POSSESSIVES]


@lru_cache(maxsize=_NAME_CACHE)
def _relationship_word(word: str) -> frozenset[str]:
    kinds = _RELATIONSHIPS.get(word)
    if kinds is not None or len(word) < 4:
        return kinds or frozenset()
    return frozenset().union(
        *(
            kinds
            for known, kinds in _RELATIONSHIPS.items()
            if fuzz.ratio(word, known) >= _RELATIONSHIP_TYPO
        )
    )


def _relationship_kinds(text: str | None) -> frozenset[str]:
    """The kinds of person a relationship (or a phrase, "her son Daniel") names."""
    if not text:
        return frozenset()
    tokens = _relationship_tokens(text)
    kinds: set[str] = set()
    position = 0
    while position < len(tokens):
        for length in range(min(_LONGEST_PHRASE, len(tokens) - position), 0, -1):
            phrase = "".join(tokens[position : position + length])
            found = _RELATIONSHIPS.get(phrase) if length > 1 else _relationship_word(phrase)
            if found:
                kinds |= found
                position += length
                break
        else:
            position += 1
    return frozenset(kinds)


def _kinds_in_name(name: str | None) -> frozenset[str]:
    """The relationship written into a name ("Dan Hill (son)"), spelt exactly: a name's other
    words are nobody's relationship."""
    if not name:
        return frozenset()
    return frozenset().union(*(_RELATIONSHIPS[w] for w in _words(name) if w in _RELATIONSHIP_WORDS))


def same_relationship(a: str, b: str) -> bool:
    """Whether two relationships to the person may name one person.

    Each names a set of kinds: son {son}, daughter {daughter}, child {son, daughter}; every word
    for a partner (husband, wife, ex-partner, fiancé…) one kind, likewise parents, siblings,
    grandchildren, grandparents, and paid carers (care worker, support worker, nurse, staff).
    They are the same when the sets meet; a phrase ("her son Daniel") names the kinds it
    contains. Case, punctuation, "my/her/the" and hyphens (step-son, son-in-law) don't matter.
    Words not in the table are compared as text. A son is not a daughter."""
    kinds_a, kinds_b = _relationship_kinds(a), _relationship_kinds(b)
    if kinds_a and kinds_b:
        return bool(kinds_a & kinds_b)
    text_a, text_b = " ".join(_relationship_tokens(a)), " ".join(_relationship_tokens(b))
    return bool(text_a and text_b) and fuzz.ratio(text_a, text_b) >= _SAME_RELATIONSHIP_TEXT
