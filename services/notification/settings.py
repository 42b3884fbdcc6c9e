"""Notification's settings, read from the environment (see shared.config for the ones every
service reads).

GOV.UK Notify is used for a kind of message (email, SMS, letter) only when NOTIFY_API_KEY and
that kind's template id are both set: a key alone cannot send anything, because Notify sends
every message through a template. Without Notify, email goes by SMTP, letters go on the council's
own print queue, and a text message cannot be sent (the person's fallback channel is tried).

The council's name and contact details appear in every message: set them for a real install.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.notification.adapters.delivery.notify import PRODUCTION_URL
from services.notification.adapters.delivery.smtp import SmtpSecurity
from services.notification.domain.messages import SMS_LIMIT, email_subject, is_discreet, sms_text
from shared.config import ServiceSettings
from shared.events.notification import Channel


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mongodb_database: str = "notification"
    http_port: int = 8003
    notify_base_url: str = Field(default=PRODUCTION_URL, description="GOV.UK Notify's API.")
    notify_api_key: str | None = Field(
        default=None, description="GOV.UK Notify API key; a test or team key until live."
    )
    notify_email_template_id: str | None = Field(
        default=None, description="Notify template showing ((subject)) and ((body)) for email."
    )
    notify_sms_template_id: str | None = Field(
        default=None, description="Notify template showing ((body)) for text messages."
    )
    notify_letter_template_id: str | None = Field(
        default=None,
        description="Notify letter template showing ((subject)) and ((body)); without it letters "
        "go on the council's own print queue.",
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP relay for email.")
    smtp_port: int = Field(default=1025, description="SMTP relay port.")
    smtp_security: SmtpSecurity = Field(
        default=SmtpSecurity.NONE,
        description="`starttls` (upgrade, usually port 587), `tls` (TLS from the start, usually "
        "465) or `none` (a relay on this host or a private network only). With TLS the relay's "
        "certificate is verified.",
    )
    smtp_ca_file: str | None = Field(
        default=None,
        description="A PEM file of the CA that signed the relay's certificate, when it is not "
        "one the system trusts (a council's own CA).",
    )
    smtp_username: str | None = Field(
        default=None, description="Login at the relay (AUTH); unset: no login."
    )
    smtp_password: SecretStr | None = Field(default=None, description="Password for the login.")
    smtp_from: str = Field(
        default="messages@council.example",
        description="The From address of email; it shows on a lock screen, so it must not say "
        "what the message is about.",
    )
    default_channel: Channel = Field(
        default=Channel.EMAIL,
        description="How a person is told when nobody has said how they want to be told.",
    )
    council_name: str = Field(
        default="Your local council", min_length=1, max_length=200, description="Signs messages."
    )
    council_contact_team: str = Field(
        default="the adult safeguarding team",
        min_length=1,
        max_length=200,
        description="Who a message tells people to contact.",
    )
    council_contact_details: str = Field(
        default="the phone number on your council's website",
        min_length=1,
        max_length=300,
        description="How a message tells people to contact them.",
    )
    delivery_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often the delivery worker looks for messages to send."
    )
    delivery_concurrency: int = Field(
        default=16,
        ge=1,
        le=256,
        description="How many messages the delivery worker sends at once (provider calls in "
        "flight).",
    )
    overdue_interval_seconds: float = Field(
        default=60.0, gt=0, description="How often steps not yet told in time are looked for."
    )

    @field_validator(
        "notify_api_key",
        "notify_email_template_id",
        "notify_sms_template_id",
        "notify_letter_template_id",
        "smtp_ca_file",
        "smtp_username",
        "smtp_password",
        mode="before",
    )
    @classmethod
    def _blank_notification_setting_is_unset(cls, value: object) -> object:
        # Compose passes an unset host variable through as an empty string.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _discreet_on_a_lock_screen(self) -> Self:
        # What a shared phone's lock screen shows is built from these two settings alone.
        text = sms_text(self.council_name, self.council_contact_details)
        if len(text) > SMS_LIMIT:
            raise ValueError(
                f"COUNCIL_NAME and COUNCIL_CONTACT_DETAILS make a text message of {len(text)} "
                f"characters; shorten them so it fits in {SMS_LIMIT}"
            )
        shown = (text, email_subject(self.council_name), self.smtp_from)
        if not all(is_discreet(words) for words in shown):
            raise ValueError(
                "COUNCIL_NAME, COUNCIL_CONTACT_DETAILS and SMTP_FROM appear on lock screens: "
                "they must not say what the message is about (no words like safeguarding, "
                "concern, abuse)"
            )
        return self

    def notify_template_for(self, channel: Channel) -> str | None:
        """The Notify template for this channel, when Notify is set up to send it."""
        if self.notify_api_key is None:
            return None
        return {
            Channel.EMAIL: self.notify_email_template_id,
            Channel.SMS: self.notify_sms_template_id,
            Channel.LETTER: self.notify_letter_template_id,
        }.get(channel)
