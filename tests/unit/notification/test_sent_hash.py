"""What a delivery keeps to prove what was sent: the SHA-256 of the text the channel sent."""

from __future__ import annotations

import hashlib

from services.notification.adapters.delivery import OutgoingMessage
from shared.events.notification import Channel

MESSAGE = OutgoingMessage(
    reference="ev-1.person",
    subject="About your concern",
    body="Dear Mary,\n\nWe have received a concern.",
    sms="Worcestershire County Council has a message for you.",
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_text_message_is_proved_by_the_short_text_and_the_others_by_the_body() -> None:
    assert MESSAGE.sha256_sent_by(Channel.SMS) == sha256(MESSAGE.sms or "")
    assert MESSAGE.sha256_sent_by(Channel.EMAIL) == sha256(MESSAGE.body)
    assert MESSAGE.sha256_sent_by(Channel.LETTER) == sha256(MESSAGE.body)
    # One character different is a different hash.
    changed = MESSAGE.model_copy(update={"body": MESSAGE.body + "."})
    assert changed.sha256_sent_by(Channel.EMAIL) != MESSAGE.sha256_sent_by(Channel.EMAIL)
