"""GOV.UK Notify: email, text messages and letters for UK public bodies, over its REST API.

Each request carries a fresh JWT (HS256, `iss` = service id, `iat` = now), signed with the secret
from the API key; Notify refuses tokens more than 30 seconds old. One generic template per kind
(email, sms, letter) shows `((subject))` and `((body))`: our own templates write the words, so
they are versioned and reviewed with the code rather than edited in Notify's admin screens.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Literal, Self

import httpx
import jwt
from pydantic import JsonValue

from services.notification.adapters.delivery.sender import (
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notification.domain.safety import (
    Addressee,
    EmailAddressee,
    PhoneAddressee,
    PostalAddressee,
)

PRODUCTION_URL: Final = "https://api.notifications.service.gov.uk"
# Notify letters have at most seven address lines, counting the recipient's name and the postcode.
_MAX_ADDRESS_LINES: Final = 7
_API_KEY = re.compile(
    r"^(?P<key_name>.+)-(?P<service_id>[0-9a-fA-F-]{36})-(?P<secret>[0-9a-fA-F-]{36})$"
)

Kind = Literal["email", "sms", "letter"]


@dataclass(frozen=True)
class NotifyApiKey:
    """An API key as Notify issues it: `{key_name}-{service_id}-{secret_key}`, both ids UUIDs."""

    key_name: str
    service_id: str
    secret: str

    @classmethod
    def parse(cls, api_key: str) -> NotifyApiKey:
        match = _API_KEY.match(api_key.strip())
        if match is None:
            raise ValueError("a Notify API key looks like {key_name}-{service_id}-{secret_key}")
        for part in ("service_id", "secret"):
            try:
                uuid.UUID(match[part])
            except ValueError as error:
                raise ValueError(f"the Notify API key's {part} is not a UUID") from error
        return cls(
            key_name=match["key_name"], service_id=match["service_id"], secret=match["secret"]
        )

    def token(self, now: float) -> str:
        return jwt.encode(
            {"iss": self.service_id, "iat": int(now)},
            self.secret,
            algorithm="HS256",
            headers={"typ": "JWT"},
        )


@dataclass(frozen=True)
class NotifyTemplates:
    """The ids of the generic templates, one per kind, each showing ((subject)) and ((body))."""

    email: str
    sms: str
    letter: str


class GovUkNotify:
    """A `Sender` for email, SMS and letters through GOV.UK Notify."""

    def __init__(
        self,
        *,
        api_key: str,
        templates: NotifyTemplates,
        base_url: str = PRODUCTION_URL,
        client: httpx.AsyncClient | None = None,
        timeout_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = NotifyApiKey.parse(api_key)
        self._templates = templates
        self._base_url = base_url.rstrip("/")
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout_seconds)
        self._clock = clock

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def send(self, message: OutgoingMessage, recipient: Addressee) -> str:
        kind, body = self._request_body(message, recipient)
        try:
            response = await self._client.post(
                f"{self._base_url}/v2/notifications/{kind}",
                json=body,
                headers={
                    "Authorization": f"Bearer {self._key.token(self._clock())}",
                    "User-Agent": "safeguarding-personal-notification",
                },
            )
        except httpx.TimeoutException as error:
            raise TransientDeliveryError(f"Notify did not answer in time: {error!r}") from error
        except httpx.TransportError as error:
            raise TransientDeliveryError(f"could not reach Notify: {error!r}") from error
        return _provider_reference(response, message)

    def _request_body(
        self, message: OutgoingMessage, recipient: Addressee
    ) -> tuple[Kind, dict[str, JsonValue]]:
        personalisation: dict[str, JsonValue] = {"subject": message.subject, "body": message.body}
        if isinstance(recipient, EmailAddressee):
            return "email", {
                "template_id": self._templates.email,
                "email_address": recipient.email,
                "personalisation": personalisation | {"subject": message.inbox_subject},
                "reference": message.reference,
            }
        if isinstance(recipient, PhoneAddressee):
            return "sms", {
                "template_id": self._templates.sms,
                "phone_number": recipient.phone,
                "personalisation": {"body": message.text_message},
                "reference": message.reference,
            }
        return "letter", {
            "template_id": self._templates.letter,
            "personalisation": personalisation | _address_personalisation(recipient),
            "reference": message.reference,
        }


def _address_personalisation(recipient: PostalAddressee) -> dict[str, JsonValue]:
    """Name, address lines and postcode as Notify's address_line_1..6 and postcode."""
    lines = [recipient.name, *recipient.address.lines]
    room = _MAX_ADDRESS_LINES - 1
    if len(lines) > room:
        lines = [*lines[: room - 1], ", ".join(lines[room - 1 :])]
    fields: dict[str, JsonValue] = {
        f"address_line_{number}": line for number, line in enumerate(lines, start=1)
    }
    fields["postcode"] = recipient.address.postcode
    return fields


def _provider_reference(response: httpx.Response, message: OutgoingMessage) -> str:
    status = response.status_code
    if 200 <= status < 300:
        try:
            notification_id = response.json()["id"]
        except (ValueError, KeyError, TypeError):
            # Notify accepted it, so it will be sent: our own reference still finds it there.
            return message.reference
        return str(notification_id)
    reason = f"Notify answered {status}: {_errors(response)}"
    if status == 429 or status >= 500:
        raise TransientDeliveryError(reason)
    raise PermanentDeliveryError(reason)


def _errors(response: httpx.Response) -> str:
    try:
        errors = response.json()["errors"]
        return "; ".join(f"{item['error']}: {item['message']}" for item in errors)
    except (ValueError, KeyError, TypeError):
        # Not Notify's own error list: its text is not ours to know the contents of.
        return response.reason_phrase
