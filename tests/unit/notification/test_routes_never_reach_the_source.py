"""Property, at the last step before a sender: whatever a practitioner confirmed, no message goes
to a recipient or contact point that is really the alleged source of risk's.

The cases are the source-of-risk generator's (`tests/support/source_variants.py`): every way of
writing a name, phone, email, house and relationship, each labelled by the generator. Here every
contact point on file is "confirmed" for every recipient — as a practitioner who confirmed a
route before a source was named, or who did not read the flags, would leave them — and
`decide_routes` must still refuse every route that reaches the source. When the practitioner also
ticked every plausible flag as checked, the source's own contact points and those marked unsafe
must still never be used.
"""

from __future__ import annotations

from hypothesis import given

from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import Confirmed, Route, decide_routes, point_on
from services.notification.domain.source_of_risk import RiskPicture
from shared.events.notification import (
    Channel,
    ClashKind,
    ConfirmedRoute,
    ContactPointKind,
    ContactPoints,
    Recipient,
    RecipientChoice,
    RecipientRole,
)
from tests.support.source_variants import NEVER_USABLE, Case, LabelledRecipient, Where, Who, cases
from tests.unit.notification.test_source_of_risk_properties import PROFILE

WRITTEN = (Channel.EMAIL, Channel.SMS, Channel.LETTER)
POINT = {
    Channel.EMAIL: ContactPointKind.EMAIL,
    Channel.SMS: ContactPointKind.PHONE,
    Channel.LETTER: ContactPointKind.ADDRESS,
}
EVERY_PLAUSIBLE_FLAG = tuple(
    kind
    for kind in ClashKind
    if kind not in (ClashKind.SOURCE_CONTACT_POINT, ClashKind.MARKED_UNSAFE)
)


def told(labelled: LabelledRecipient) -> LabelledRecipient:
    """The recipient, chosen by the person to be told (a representative or advocate too)."""
    chosen = (
        None if labelled.recipient.role is RecipientRole.PERSON else RecipientChoice.PERSON_CHOSE
    )
    recipient = labelled.recipient.model_copy(update={"inform": True, "chosen": chosen})
    return LabelledRecipient(recipient, labelled.who, labelled.where)


def preferences(case: Case, channel: Channel, fallback: Channel | None) -> ContactPreferences:
    return ContactPreferences(
        person_id="person-1",
        recipients=tuple(told(r).recipient for r in case.recipients),
        channel=channel,
        fallback_channel=fallback,
        unsafe_contact_points=case.picture.unsafe_contact_points,
        alleged_sources_of_risk=case.picture.sources,
        # Her home as the concern gave it, whatever address she is written to at now.
        homes=(home,) if (home := case.picture.person_contact.address) is not None else (),
    )


def everything_confirmed(case: Case, despite: tuple[ClashKind, ...]) -> Confirmed:
    confirmed: dict[tuple[RecipientRole, Channel], ConfirmedRoute] = {}
    for labelled in case.recipients:
        contact = labelled.recipient.contact
        for channel in WRITTEN:
            point = point_on(contact, channel)
            if point is None:
                continue
            on_file = ContactPoints.model_validate(
                {"email": contact.email}
                if channel is Channel.EMAIL
                else {"phone": contact.phone}
                if channel is Channel.SMS
                else {"address": contact.address}
            )
            confirmed[(labelled.recipient.role, channel)] = ConfirmedRoute(
                role=labelled.recipient.role, channel=channel, contact=on_file, despite=despite
            )
    return confirmed


def routes_taken(decision: Route) -> list[Route]:
    taken = [decision]
    if decision.fallback is not None:
        taken.append(decision.fallback)
    return taken


def sent_to(case: Case, despite: tuple[ClashKind, ...]) -> list[tuple[LabelledRecipient, Channel]]:
    """Every (recipient, channel) a message could go by, with each channel chosen once as the
    person's channel and once as the fallback."""
    by_role = {r.recipient.role: r for r in case.recipients}
    sent: list[tuple[LabelledRecipient, Channel]] = []
    confirmed = everything_confirmed(case, despite)
    for channel, fallback in zip(WRITTEN, (*WRITTEN[1:], WRITTEN[0]), strict=True):
        for decision in decide_routes(
            preferences(case, channel, fallback), confirmed, advocate_told=True
        ):
            if isinstance(decision, Route):
                sent += [(by_role[r.role], r.channel) for r in routes_taken(decision)]
    return sent


@PROFILE
@given(case=cases())
def test_no_route_reaches_the_source_whatever_was_confirmed(case: Case) -> None:
    for labelled, channel in sent_to(case, despite=()):
        assert labelled.who is Who.SOMEONE_ELSE, (labelled.recipient, channel)
        assert labelled.where.get(POINT[channel], frozenset()) <= {Where.ELSEWHERE}, (
            labelled.recipient,
            channel,
        )


@PROFILE
@given(case=cases())
def test_a_sources_own_or_unsafe_contact_point_is_never_used_even_when_every_flag_was_ticked(
    case: Case,
) -> None:
    for labelled, channel in sent_to(case, despite=EVERY_PLAUSIBLE_FLAG):
        assert not labelled.where.get(POINT[channel], frozenset()) & NEVER_USABLE, (
            labelled.recipient,
            channel,
        )


def test_the_property_looks_at_real_routes() -> None:
    # Without this, a decide_routes that sent nothing would pass both properties.
    mary = ContactPoints(email="mary.smith@example.org")
    case = Case(
        picture=RiskPicture(sources=(), unsafe_contact_points=(), person_contact=mary),
        recipients=(
            LabelledRecipient(
                Recipient(role=RecipientRole.PERSON, name="Mary Smith", contact=mary, inform=True),
                Who.SOMEONE_ELSE,
                {ContactPointKind.EMAIL: frozenset({Where.ELSEWHERE})},
            ),
        ),
    )
    assert (RecipientRole.PERSON, Channel.EMAIL) in [
        (labelled.recipient.role, channel) for labelled, channel in sent_to(case, despite=())
    ]
