"""How each person wants to be kept informed: who is told, by which channel, in which language and
format, and which contact points must never be used.

Preferences start from the communication needs given when the concern is raised, and a practitioner
changes them whenever the person (or their representative) asks. Every version is recorded as a
ContactPreferencesRecorded event on the person's informing stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from shared.events.notification import (
    MAX_CONTACT_POINTS,
    MAX_SOURCES_OF_RISK,
    AllegedSourceOfRisk,
    Channel,
    ContactPoints,
    ContactPreferencesRecorded,
    MessageFormat,
    PostalAddress,
    PreferencesSource,
    Recipient,
    RecipientChoice,
    RecipientRole,
    UnsafeContactPoint,
)
from shared.events.values import Language

ENGLISH = "en"
_ENGLISH = re.compile(
    r"^(?:en|eng|english|en[-_][a-z]{2}|english \((?:uk|gb|british)\)|(?:british|uk) english)$"
)


def has_reviewed_messages(language: str) -> bool:
    """Whether the council has reviewed messages in this language. Only English today: anything
    else, or anything unclear ("English and Polish"), needs an interpreter or a translated letter
    arranged by a practitioner, never a silent English letter."""
    return _ENGLISH.fullmatch(" ".join(language.casefold().split())) is not None


_SUPPORTER_CHOICES = {
    RecipientRole.REPRESENTATIVE: frozenset(
        {RecipientChoice.PERSON_CHOSE, RecipientChoice.BEST_INTERESTS}
    ),
    RecipientRole.ADVOCATE: frozenset(
        {
            RecipientChoice.PERSON_CHOSE,
            RecipientChoice.BEST_INTERESTS,
            RecipientChoice.APPOINTED_ADVOCATE,
        }
    ),
}


def may_be_told(recipient: Recipient) -> bool:
    """The person's own wish decides who is told about their case. Someone else may be told
    only when the person chose them, when a best-interests decision chose them after a capacity
    assessment (named) found the person could not choose, or when they are the person's
    appointed independent advocate. A representative the referrer named is not chosen by that."""
    if recipient.role is RecipientRole.PERSON:
        return True
    if recipient.chosen not in _SUPPORTER_CHOICES[recipient.role]:
        return False
    return recipient.chosen is not RecipientChoice.BEST_INTERESTS or bool(
        recipient.capacity_assessment_id
    )


def who_may_be_told_schema() -> dict[str, JsonValue]:
    """`may_be_told` as JSON Schema for one recipient marked to be told, so the API states it:
    a representative or advocate is chosen in one of the ways their role allows, and a
    best-interests choice names its capacity assessment."""
    chosen_by_role: list[JsonValue] = [
        {
            "if": {
                "properties": {"inform": {"const": True}, "role": {"const": role.value}},
                "required": ["inform", "role"],
            },
            "then": {
                "properties": {"chosen": {"enum": [*sorted(choice.value for choice in choices)]}},
                "required": ["chosen"],
            },
        }
        for role, choices in _SUPPORTER_CHOICES.items()
    ]
    best_interests: JsonValue = {
        "if": {
            "properties": {
                "inform": {"const": True},
                "chosen": {"const": RecipientChoice.BEST_INTERESTS.value},
            },
            "required": ["inform", "chosen"],
        },
        "then": {
            "properties": {"capacity_assessment_id": {"type": "string", "minLength": 1}},
            "required": ["capacity_assessment_id"],
        },
    }
    return {"allOf": [*chosen_by_role, best_interests]}


def why_not_told(recipient: Recipient) -> str:
    """What a practitioner is told when they mark someone to be told who may not be."""
    role = recipient.role.value
    if recipient.chosen is RecipientChoice.BEST_INTERESTS:
        return (
            f"a {role} chosen in the person's best interests needs the capacity assessment "
            "behind that decision: give capacity_assessment_id"
        )
    allowed = ", ".join(sorted(choice.value for choice in _SUPPORTER_CHOICES[recipient.role]))
    return (
        f"a {role} is told only when chosen: give chosen as one of {allowed} (the person's own "
        "wish decides; a referrer naming them is not enough)"
    )


class ContactPreferences(BaseModel):
    """One person's contact preferences. Immutable: a change gives a new value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: str = Field(min_length=1, max_length=100)
    recipients: tuple[Recipient, ...] = Field(min_length=1, max_length=len(RecipientRole))
    channel: Channel
    fallback_channel: Channel | None = None
    language: Language = ENGLISH
    format: MessageFormat = MessageFormat.STANDARD
    unsafe_contact_points: tuple[UnsafeContactPoint, ...] = Field(
        default=(), max_length=MAX_CONTACT_POINTS
    )
    alleged_sources_of_risk: tuple[AllegedSourceOfRisk, ...] = Field(
        default=(), max_length=MAX_SOURCES_OF_RISK
    )
    homes: tuple[PostalAddress, ...] = ()
    """The person's home as each concern gave it (where a source of risk may live); kept
    whatever address the person is written to at now, and only ever added to."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        roles = [recipient.role for recipient in self.recipients]
        if len(roles) != len(set(roles)):
            raise ValueError("each recipient role (person, representative, advocate) appears once")
        if not any(recipient.inform for recipient in self.recipients):
            # MSP: the person is kept informed; choosing nobody would silently stop that.
            raise ValueError("mark at least one recipient to be informed")
        if self.fallback_channel is not None:
            if self.channel is Channel.PRACTITIONER_CALL:
                raise ValueError("a practitioner call has no fallback channel; leave it empty")
            if self.fallback_channel is self.channel:
                raise ValueError("the fallback channel must differ from the channel")
            if self.fallback_channel is Channel.PRACTITIONER_CALL:
                raise ValueError(
                    "a failed message is always reported for a practitioner to act on; "
                    "choose email, sms or letter as the fallback channel"
                )
        return self

    @classmethod
    def from_communication_needs(
        cls,
        *,
        person_id: str,
        person_name: str,
        person_contact: ContactPoints,
        default_channel: Channel,
        preferred_channel: Channel | None = None,
        language: str = ENGLISH,
        interpreter_needed: bool = False,
        easy_read: bool = False,
        representative: Recipient | None = None,
        advocate: Recipient | None = None,
        inform: Iterable[RecipientRole] | None = None,
        alleged_sources_of_risk: tuple[AllegedSourceOfRisk, ...] = (),
    ) -> ContactPreferences:
        """First preferences, from what the referrer told intake.

        The person is told. A representative or advocate the referrer named is recorded, with
        their relationship, but not told until the person chooses them (`inform` may name the
        roles that are told, for preferences built by hand). When an interpreter is needed and no
        channel was asked for, a practitioner makes contact, because written messages are in
        English."""
        recipients = [
            Recipient(
                role=RecipientRole.PERSON, name=person_name, contact=person_contact, inform=True
            )
        ]
        recipients += [r for r in (representative, advocate) if r is not None]
        if inform is not None:
            chosen = set(inform)
            recipients = [r.model_copy(update={"inform": r.role in chosen}) for r in recipients]
        if preferred_channel is not None:
            channel = preferred_channel
        elif interpreter_needed:
            channel = Channel.PRACTITIONER_CALL
        else:
            channel = default_channel
        return cls(
            person_id=person_id,
            recipients=tuple(recipients),
            channel=channel,
            language=language,
            format=MessageFormat.EASY_READ if easy_read else MessageFormat.STANDARD,
            alleged_sources_of_risk=alleged_sources_of_risk,
            homes=(person_contact.address,) if person_contact.address is not None else (),
        )

    @classmethod
    def from_recorded(cls, recorded: ContactPreferencesRecorded) -> ContactPreferences:
        return cls(
            person_id=recorded.person_id,
            recipients=recorded.recipients,
            channel=recorded.channel,
            fallback_channel=recorded.fallback_channel,
            language=recorded.language,
            format=recorded.format,
            unsafe_contact_points=recorded.unsafe_contact_points,
            alleged_sources_of_risk=recorded.alleged_sources_of_risk,
            homes=recorded.homes,
        )

    def recorded(self, source: PreferencesSource) -> ContactPreferencesRecorded:
        return ContactPreferencesRecorded(
            person_id=self.person_id,
            source=source,
            recipients=self.recipients,
            channel=self.channel,
            fallback_channel=self.fallback_channel,
            language=self.language,
            format=self.format,
            unsafe_contact_points=self.unsafe_contact_points,
            alleged_sources_of_risk=self.alleged_sources_of_risk,
            homes=self.homes,
        )

    def changed(self, change: PreferencesChange) -> ContactPreferences:
        """The preferences after a practitioner's change; only the fields given in it change."""
        updates = {name: getattr(change, name) for name in change.model_fields_set}
        return ContactPreferences.model_validate(self.model_dump() | updates)

    def with_home(self, home: PostalAddress) -> ContactPreferences:
        """Adds the home a later concern gives; homes are only ever added."""
        if home in self.homes:
            return self
        return self.model_copy(update={"homes": (*self.homes, home)})

    def with_alleged_source_of_risk(self, source: AllegedSourceOfRisk) -> ContactPreferences:
        """Adds a source of risk named in a later concern. Sources are only ever added: a
        practitioner cannot make a source of risk contactable again by editing preferences."""
        if source in self.alleged_sources_of_risk:
            return self
        return self.model_copy(
            update={"alleged_sources_of_risk": (*self.alleged_sources_of_risk, source)}
        )

    def recipient(self, role: RecipientRole) -> Recipient | None:
        return next((r for r in self.recipients if r.role is role), None)

    def with_recipient(self, recipient: Recipient) -> ContactPreferences:
        """The preferences with this recipient added, or replacing the one in the same role."""
        others = tuple(r for r in self.recipients if r.role is not recipient.role)
        return self.model_copy(update={"recipients": (*others, recipient)})

    @property
    def recipients_to_inform(self) -> tuple[Recipient, ...]:
        """Everyone marked to be told who may be told (`may_be_told`)."""
        return tuple(r for r in self.recipients if r.inform and may_be_told(r))

    def refusals(self) -> list[str]:
        """Why recipients marked to be told may not be: empty when everything is allowed."""
        return [why_not_told(r) for r in self.recipients if r.inform and not may_be_told(r)]


class PreferencesChange(BaseModel):
    """What a practitioner changes. A field left out stays as it is; `fallback_channel=None` given
    explicitly removes the fallback."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recipients: tuple[Recipient, ...] | None = Field(default=None, max_length=len(RecipientRole))
    channel: Channel | None = None
    fallback_channel: Channel | None = None
    language: Language | None = None
    format: MessageFormat | None = None
    unsafe_contact_points: tuple[UnsafeContactPoint, ...] | None = Field(
        default=None, max_length=MAX_CONTACT_POINTS
    )

    @model_validator(mode="after")
    def _only_fallback_may_be_cleared(self) -> Self:
        cleared = [
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name != "fallback_channel"
        ]
        if cleared:
            raise ValueError(f"{', '.join(sorted(cleared))} cannot be removed, only changed")
        return self
