"""Delivery adapters: GOV.UK Notify, SMTP and the council's print queue, plus retry and fallback."""

from services.notification.adapters.delivery.letters import LetterQueue, PrintQueue, QueuedLetter
from services.notification.adapters.delivery.notify import (
    GovUkNotify,
    NotifyApiKey,
    NotifyTemplates,
)
from services.notification.adapters.delivery.retry import (
    Delivered,
    DeliveryFailed,
    RetryPolicy,
    deliver,
)
from services.notification.adapters.delivery.sender import (
    DeliveryError,
    OutgoingMessage,
    PermanentDeliveryError,
    Sender,
    TransientDeliveryError,
    text_sha256,
)
from services.notification.adapters.delivery.smtp import SmtpSecurity, SmtpSender

__all__ = [
    "Delivered",
    "DeliveryError",
    "DeliveryFailed",
    "GovUkNotify",
    "LetterQueue",
    "NotifyApiKey",
    "NotifyTemplates",
    "OutgoingMessage",
    "PermanentDeliveryError",
    "PrintQueue",
    "QueuedLetter",
    "RetryPolicy",
    "Sender",
    "SmtpSecurity",
    "SmtpSender",
    "TransientDeliveryError",
    "deliver",
    "text_sha256",
]
