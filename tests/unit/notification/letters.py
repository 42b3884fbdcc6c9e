"""Messages as each recipient gets them, for the tests of their wording."""

from __future__ import annotations

from services.notification.domain.messages import (
    Audience,
    Council,
    RenderedMessage,
    StepFacts,
    context_for,
    formats_for,
    render,
)
from shared.events.notification import MessageFormat, RecipientRole

COUNCIL = Council(
    name="Worcestershire County Council",
    contact_team="the adult safeguarding team",
    contact_details="01905 000000",
)
SUPPORTER_NAME = "Ruth Smith"


def audience_of(role: RecipientRole) -> Audience:
    return Audience.PERSON if role is RecipientRole.PERSON else Audience.SUPPORTER


def message(
    template: str,
    facts: StepFacts,
    role: RecipientRole = RecipientRole.PERSON,
    format: MessageFormat = MessageFormat.STANDARD,
    *,
    person_name: str = "Mary Smith",
    recipient_name: str | None = None,
    council: Council = COUNCIL,
) -> RenderedMessage:
    """One recipient's message: the person's own, or a supporter's (by default Ruth Smith)
    about the person."""
    audience = audience_of(role)
    context = context_for(
        role,
        recipient_name=recipient_name
        or (SUPPORTER_NAME if audience is Audience.SUPPORTER else person_name),
        person_name=person_name,
        facts=facts,
        council=council,
    )
    return render(template, audience, format, context)


def every_recipients_message(
    template: str, facts: StepFacts, *, person_name: str = "Mary Smith"
) -> dict[tuple[RecipientRole, MessageFormat], RenderedMessage]:
    """The message for every kind of recipient, in every format they may be written in."""
    return {
        (role, format): message(template, facts, role, format, person_name=person_name)
        for role in RecipientRole
        for format in formats_for(audience_of(role))
    }
