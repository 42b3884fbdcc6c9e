"""Delivery adapters: GOV.UK Notify, SMTP and the council's print queue, plus retry and fallback."""

from services.notification.delivery.letters import LetterQueue, PrintQueue, QueuedLetter
from services.notification.delivery.notify import GovUkNotify, NotifyApiKey, NotifyTemplates
from services.notification.delivery.retry import Delivered, DeliveryFailed, RetryPolicy, deliver
from services.notification.delivery.sender import (
    DeliveryError,
    OutgoingMessage,
    PermanentDeliveryError,
    Sender,
    TransientDeliveryError,
    delivery_reference,
)
from services.notification.delivery.smtp import SmtpSender

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
    "SmtpSender",
    "TransientDeliveryError",
    "deliver",
    "delivery_reference",
]
