"""Intake's AsyncAPI document, declared from the code: what it consumes and what it publishes."""

from __future__ import annotations

from typing import Any, Final

from faststream.kafka import KafkaBroker
from faststream.specification.asyncapi import AsyncAPI

from services.intake.application.submissions import (
    AGENCY_HEADER,
    CORRELATION_HEADER,
    ConcernSubmissions,
)
from services.intake.domain.signature import MAX_SIGNATURE_LENGTH, PURPOSE, SIGNATURE_HEADER
from services.intake.domain.submission import ConcernSubmission
from services.intake.settings import IntakeSettings
from shared.deadletter import ERROR_TYPE, ORIGINAL_OFFSET, REASON
from shared.events import DomainEvent, Envelope
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernSubmissionRejected,
    ConcernUnlinkedFromPerson,
    InformationGathered,
    LegalHoldLifted,
    LegalHoldPlaced,
    PersonErased,
    ReferrerFeedbackGiven,
    RepeatConcernLinked,
    S42DecisionMade,
)
from shared.topics import CONCERN_SUBMISSIONS, INTAKE_EVENTS, dead_letter_topic

INTAKE_EVENT_TYPES: Final[tuple[type[DomainEvent], ...]] = (
    ConcernRaised,
    ConcernSubmissionRejected,
    ConcernLinkedToPerson,
    ConcernUnlinkedFromPerson,
    RepeatConcernLinked,
    InformationGathered,
    S42DecisionMade,
    ReferrerFeedbackGiven,
    PersonErased,
    LegalHoldPlaced,
    LegalHoldLifted,
)
SUBMISSIONS: Final = "concern-submissions"
EVENTS: Final = "intake-events"
REFUSED: Final = "refused-submissions"

SUBMISSIONS_DESCRIPTION: Final = f"""\
Partner agencies publish safeguarding concern submissions here: the same JSON as `POST /concerns`.

The agency is the Kafka header `{AGENCY_HEADER}` (1 to 100 characters), never the body, and must
be your agency's name exactly as the council registered it (as for your API key). Each submission
is signed: the header `{SIGNATURE_HEADER}` holds, base64, the Ed25519 signature with your agency's
private key of the bytes `{PURPOSE.decode()}` LF, the length in bytes of your agency's name
(decimal) LF, the name (UTF-8) LF, then the message value exactly as sent. The council registers
only your public key. A submission naming an agency not registered, or not signed by the agency it
names, is refused and reaches no partner's view: nobody else can publish in your name.

Your `partner_reference` names the submission: publishing the same submission again raises no
second concern; a different submission with a used reference is refused. An optional
`{CORRELATION_HEADER}` header is carried onto every event the concern causes.

A submission that cannot be accepted is recorded as ConcernSubmissionRejected (readable by the
agency at `GET /partner/rejected-submissions`) and parked on `{dead_letter_topic(CONCERN_SUBMISSIONS)}`
with the reasons."""

EVENTS_DESCRIPTION: Final = (
    "Every event intake records, in its envelope, keyed by stream id (one concern's events are "
    "in order). Published from the transactional outbox, so at least once: consumers dedupe by "
    "stream version. Payloads: "
    + ", ".join(e.event_type for e in INTAKE_EVENT_TYPES)
    + " (schemas in components, by name; `event_type` says which)."
)

REFUSED_DESCRIPTION: Final = (
    "Submissions that could not be accepted, byte for byte, with the original headers plus "
    f"`{REASON}` (each bad field, what is wrong and what is allowed), `{ERROR_TYPE}`, and "
    f"where it came from (`{ORIGINAL_OFFSET}` and friends)."
)


def document() -> dict[str, object]:
    broker = KafkaBroker(
        "kafka:9092", description="The council's Kafka cluster (docker compose: kafka:9092)."
    )
    group = IntakeSettings.model_construct().consumer_group(ConcernSubmissions.name)

    @broker.subscriber(
        CONCERN_SUBMISSIONS, group_id=group, title=SUBMISSIONS, description=SUBMISSIONS_DESCRIPTION
    )
    async def concern_submitted(submission: ConcernSubmission) -> None:
        """Raises a concern from a partner's submission."""

    broker.publisher(INTAKE_EVENTS, schema=Envelope, title=EVENTS, description=EVENTS_DESCRIPTION)
    broker.publisher(
        dead_letter_topic(CONCERN_SUBMISSIONS),
        schema=ConcernSubmission,
        title=REFUSED,
        description=REFUSED_DESCRIPTION,
    )
    spec: dict[str, Any] = (
        AsyncAPI(
            broker,
            title="Safeguarding intake",
            version="1.0",
            description="Concern submissions in; intake's events out.",
        )
        .to_specification()
        .to_jsonable()
    )
    _document_headers(spec)
    _document_event_payloads(spec)
    return spec


def _document_headers(spec: dict[str, Any]) -> None:
    for name, message in spec["components"]["messages"].items():
        if name.startswith(f"{SUBMISSIONS}:"):
            message["headers"] = {
                "type": "object",
                "required": [AGENCY_HEADER, SIGNATURE_HEADER],
                "properties": {
                    AGENCY_HEADER: {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 100,
                        "description": "Your agency, exactly as the council registered it.",
                    },
                    SIGNATURE_HEADER: {
                        "type": "string",
                        "maxLength": MAX_SIGNATURE_LENGTH,
                        "description": "Base64 Ed25519 signature, with your agency's key, of "
                        "the agency and the message value (see the channel's description).",
                    },
                    CORRELATION_HEADER: {
                        "type": "string",
                        "maxLength": 100,
                        "description": "Optional: your id to follow this submission by.",
                    },
                },
            }


def _document_event_payloads(spec: dict[str, Any]) -> None:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    for event_type in INTAKE_EVENT_TYPES:
        schema = event_type.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[event_type.__name__] = schema
    envelope = schemas.get("Envelope")
    if envelope is not None:
        envelope["properties"]["payload"] = {
            "description": "The event itself; `event_type` says which.",
            "oneOf": [{"$ref": f"#/components/schemas/{e.__name__}"} for e in INTAKE_EVENT_TYPES],
        }
        schemas.pop("DomainEvent", None)
