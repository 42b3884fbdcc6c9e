"""What every delivery channel offers: send one message to one addressee, or say why not.

A sender raises `TransientDeliveryError` when trying again later may work (timeouts, the provider
busy or down) and `PermanentDeliveryError` when it will not (the provider refused the message or
the addressee). Retrying and falling back to the person's other channel happen in `retry`.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from services.notification.domain.messages import SMS_LIMIT, RenderedMessage
from services.notification.domain.safety import Addressee
from shared.events.notification import Channel


class OutgoingMessage(BaseModel):
    """A rendered message with the reference that identifies it at the provider, in the form
    each channel sends: a letter has its heading and body; an email the same body under a
    discreet subject; a text message only the short text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str = Field(min_length=1, max_length=300)
    """The same for every attempt and channel, so a resend is recognisable as the same message."""
    subject: str = Field(min_length=1)
    """The heading of a letter."""
    body: str = Field(min_length=1)
    email_subject: str | None = Field(default=None, min_length=1)
    """What an inbox shows; the letter heading when not given."""
    sms: str | None = Field(default=None, min_length=1, max_length=SMS_LIMIT)
    """The whole text message. Without it no text is sent: a letter's body is never texted."""

    @classmethod
    def from_rendered(cls, rendered: RenderedMessage, *, reference: str) -> OutgoingMessage:
        return cls(
            reference=reference,
            subject=rendered.subject,
            body=rendered.body,
            email_subject=rendered.email_subject,
            sms=rendered.sms,
        )

    @property
    def inbox_subject(self) -> str:
        return self.email_subject or self.subject

    @property
    def text_message(self) -> str:
        if self.sms is None:
            raise PermanentDeliveryError("there is no short text for this message")
        return self.sms

    def sha256_sent_by(self, channel: Channel) -> str:
        """The SHA-256 (hex, of its UTF-8) of the text `channel` sent: the short text by SMS,
        the body otherwise. Kept once the message itself is not, it proves what was sent
        against a copy produced later."""
        return text_sha256(self.text_message if channel is Channel.SMS else self.body)


def text_sha256(text: str) -> str:
    """The SHA-256 of a text as sent (hex, of its UTF-8), kept in place of the text."""
    return hashlib.sha256(text.encode()).hexdigest()


class DeliveryError(Exception):
    """A message was not delivered."""


class TransientDeliveryError(DeliveryError):
    """Not delivered this time; the same request may succeed later."""


class PermanentDeliveryError(DeliveryError):
    """Not delivered, and sending the same request again will not change that."""


class Sender(Protocol):
    async def send(self, message: OutgoingMessage, recipient: Addressee) -> str:
        """Hand the message to the provider; returns the provider's reference for it."""
        ...
