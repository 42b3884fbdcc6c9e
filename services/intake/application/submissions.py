"""Concern submissions from partners over Kafka (topic `safeguarding.concerns.submitted`).

The message value is the same ConcernSubmission JSON a partner would POST to /concerns. The agency
is the Kafka header `agency`, never the body, and must be a partner registered with the council
(the same registry as HTTP's API keys, `adapters/partners.py`) that signed the submission with its
own key (header `signature`, `domain/signature.py`). A submission naming any other agency, or not
signed by the one it names, is refused, parked with the reason, and recorded under no agency, so it
reaches no partner's view: a writer to the topic cannot raise concerns in another partner's name,
plant refusals in its view or take its partner references.

A submission that cannot be accepted is recorded as ConcernSubmissionRejected (so the partner can
read why, at GET /partner/rejected-submissions) and parked on the topic's .dlt with the same
reasons. An accepted one goes down exactly the same path as an HTTP submission, with the
idempotency key `partner-reference:<partner_reference>` (as an HTTP submission without an
Idempotency-Key), so a republished submission raises no second concern.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

from services.intake.adapters.partners import PartnerRegistry
from services.intake.application.commands import IntakeCommands, OneAtATime, Submitted
from services.intake.domain.signature import SIGNATURE_HEADER
from services.intake.domain.submission import (
    ROOT_FIELD,
    ConcernSubmission,
    problems_in,
    readable_partner_reference,
)
from shared.events import Actor, DecodeError, Metadata, Role
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ConcernSubmissionRejected, SubmissionChannel, SubmissionProblem
from shared.eventstore import ConcurrencyError, EventAlreadyRecorded, EventStore
from shared.limits import MAX_INCOMING_MESSAGE_BYTES
from shared.mongo import Session
from shared.personal_data import NO_KEYS, DataKeys
from shared.projection import Record
from shared.topics import CONCERN_SUBMISSIONS

AGENCY_HEADER: Final = "agency"
CORRELATION_HEADER: Final = "correlation_id"
AGENCY_FIELD: Final = "headers.agency"
AGENCY_ALLOWED: Final = "your agency's name, 1 to 100 characters, in the Kafka header 'agency'"
MAX_AGENCY_LENGTH: Final = 100
SIGNATURE_FIELD: Final = "headers.signature"
SIGNATURE_ALLOWED: Final = (
    "the base64 Ed25519 signature, with the key the council registered for your agency, of "
    "the agency and the message value as sent (see the AsyncAPI document)"
)


@dataclass(frozen=True)
class KafkaSubmission:
    """A submission read from Kafka that is valid and says which agency sent it."""

    agency: str
    submission: ConcernSubmission
    correlation_id: str


def header(record: Record, name: str) -> bytes | None:
    for key, value in record.headers:
        if key == name:
            return bytes(value)
    return None


def agency_of(record: Record) -> str | None:
    """The agency a submission came from, if its header is usable."""
    raw = header(record, AGENCY_HEADER)
    if raw is None:
        return None
    try:
        agency = raw.decode()
    except UnicodeDecodeError:
        return None
    if not agency.strip() or len(agency) > MAX_AGENCY_LENGTH or not agency.isprintable():
        return None
    return agency


def position(record: Record) -> str:
    return f"{record.topic}/{record.partition}/{record.offset}"


def refusal_reasons(record: Record, partners: PartnerRegistry) -> list[SubmissionProblem]:
    """Everything wrong with a submission as it arrived; empty when it can be accepted."""
    return read_submission(record, partners)[0]


def read_submission(
    record: Record, partners: PartnerRegistry
) -> tuple[list[SubmissionProblem], ConcernSubmission | None]:
    """Everything wrong with a submission as it arrived, and the submission when it is valid
    (read and checked once: its signature and validation are most of what a batch costs)."""
    reasons: list[SubmissionProblem] = []
    agency = agency_of(record)
    if agency is None:
        found = header(record, AGENCY_HEADER)
        reasons.append(
            SubmissionProblem(
                field=AGENCY_FIELD,
                problem="is missing" if found is None else "is not a usable agency name",
                allowed=AGENCY_ALLOWED,
            )
        )
    elif not partners.knows(agency):
        reasons.append(
            SubmissionProblem(
                field=AGENCY_FIELD,
                problem="is not a partner agency registered with the council",
                allowed="the name of your agency exactly as the council registered it",
            )
        )
    elif not partners.signs(agency):
        reasons.append(
            SubmissionProblem(
                field=SIGNATURE_FIELD,
                problem="cannot be checked: the council holds no signing key for this agency",
                allowed="submit over HTTP, or register your public key with the council",
            )
        )
    elif not partners.signed_by(agency, record.value or b"", header(record, SIGNATURE_HEADER)):
        found = header(record, SIGNATURE_HEADER)
        reasons.append(
            SubmissionProblem(
                field=SIGNATURE_FIELD,
                problem="is missing"
                if found is None
                else "is not this agency's signature of this message",
                allowed=SIGNATURE_ALLOWED,
            )
        )
    if not record.value:
        reasons.append(
            SubmissionProblem(
                field=ROOT_FIELD,
                problem="is empty",
                allowed="a ConcernSubmission JSON object (see the AsyncAPI document)",
            )
        )
        return reasons, None
    try:
        submission = ConcernSubmission.model_validate_json(record.value)
    except ValidationError as error:
        reasons.extend(problems_in(error))
        return reasons, None
    return reasons, submission


def explained(reasons: Sequence[SubmissionProblem]) -> str:
    """The reasons as one line of text, for the dead-letter record."""
    return "; ".join(
        f"{r.field}: {r.problem}" + (f" (allowed: {r.allowed})" if r.allowed else "")
        for r in reasons
    )


def rejection_stream(agency: str | None, partner_reference: str | None, record: Record) -> str:
    """Refusals of one partner submission share a stream, so a partner who resends a submission
    that is still wrong sees each refusal in order."""
    which = partner_reference or f"offset-{record.partition}-{record.offset}"
    return f"submission-{agency or 'unknown'}-{which}"


class ConcernSubmissions:
    """Raises concerns from the submissions topic (a MessageHandler[KafkaSubmission])."""

    name = "concern-submissions"
    topics: Sequence[str] = (CONCERN_SUBMISSIONS,)
    batch_size = 200
    """A batch is raised with a few statements for all of it (`IntakeCommands.raise_concerns`);
    one the runner must split or raise one by one still stays well inside MongoDB's 60 s."""

    def __init__(
        self, commands: IntakeCommands, store: EventStore, partners: PartnerRegistry
    ) -> None:
        self.commands = commands
        self.store = store
        self.partners = partners
        self._contended: set[tuple[str, str]] = set()
        """Submissions whose batch met a concurrent writer: raised one by one when retried."""

    def authentic_agency(self, record: Record) -> str | None:
        """The submission's agency, when it is a registered partner that signed it."""
        agency = agency_of(record)
        signature = header(record, SIGNATURE_HEADER)
        if agency is None or not self.partners.signed_by(agency, record.value or b"", signature):
            return None
        return agency

    def decode(self, record: Record, keys: DataKeys = NO_KEYS) -> KafkaSubmission:
        reasons, submission = read_submission(record, self.partners)
        # No reasons: the agency is registered and signed it.
        agency = agency_of(record)
        if reasons or agency is None or submission is None:
            raise DecodeError(f"the concern submission was refused: {explained(reasons)}")
        return KafkaSubmission(
            agency=agency, submission=submission, correlation_id=self._correlation_id(record)
        )

    async def apply(self, messages: Sequence[KafkaSubmission], session: Session) -> None:
        batch = [
            Submitted(
                submission=message.submission,
                actor=Actor(
                    id=f"partner:{message.agency}", role=Role.PARTNER, agency=message.agency
                ),
                via=SubmissionChannel.KAFKA,
                idempotency_key=idempotency_key(message.submission),
                correlation_id=message.correlation_id,
            )
            for message in messages
        ]
        keys = {(s.agency, s.idempotency_key) for s in batch}
        if len(batch) > 1 and not keys & self._contended:
            try:
                await self.commands.raise_concerns(batch, session)
                return
            except OneAtATime:
                pass  # nothing written: decide them one by one in this transaction instead
            except ConcurrencyError:
                # Another writer got there first; the batch is tried again, one by one.
                self._contended |= keys
                raise
        self._contended -= keys
        for submitted in batch:
            await self.commands.raise_concern(
                submitted.submission,
                actor=submitted.actor,
                via=submitted.via,
                idempotency_key=submitted.idempotency_key,
                correlation_id=submitted.correlation_id,
                session=session,
            )

    async def rejected(self, record: Record, reason: str, session: Session) -> None:
        # Recorded under no agency when the one named is not registered or did not sign it: no
        # partner's view is touched by a submission in a name that is not the sender's to use.
        agency = self.authentic_agency(record)
        size = len(record.value or b"")
        if size > MAX_INCOMING_MESSAGE_BYTES:
            # Not read at all: it is refused for its size alone.
            partner_reference = None
            reasons = [
                SubmissionProblem(
                    field=ROOT_FIELD,
                    problem=f"is {size} bytes once decompressed",
                    allowed=f"at most {MAX_INCOMING_MESSAGE_BYTES} bytes",
                )
            ]
        else:
            partner_reference = readable_partner_reference(record.value) if record.value else None
            reasons = refusal_reasons(record, self.partners) or [
                await self._why_not_applied(record, session)
            ]
        stream_id = rejection_stream(agency, partner_reference, record)
        try:
            await self.store.append(
                stream_id,
                await self.store.version(stream_id, session),
                [
                    ConcernSubmissionRejected(
                        agency=agency,
                        partner_reference=partner_reference,
                        reasons=reasons,
                        submitted_via=SubmissionChannel.KAFKA,
                    )
                ],
                Metadata(actor=SYSTEM_ACTOR, correlation_id=self._correlation_id(record)),
                session=session,
                event_ids=[str(uuid.uuid5(uuid.NAMESPACE_URL, f"kafka:{position(record)}"))],
            )
        except EventAlreadyRecorded:
            return

    async def _why_not_applied(self, record: Record, session: Session) -> SubmissionProblem:
        submission = self.decode(record).submission
        agency = self.authentic_agency(record)
        if agency is not None and await self.commands.earlier_submission_differs(
            agency, idempotency_key(submission), submission, session
        ):
            return SubmissionProblem(
                field="partner_reference",
                problem="was already used for a different submission",
                allowed="a partner_reference you have not used before, or exactly the same "
                "submission again",
            )
        return SubmissionProblem(
            field=ROOT_FIELD,
            problem="could not be recorded because of a fault at the council; it is kept for "
            "the council's operators to put right and resubmit",
        )

    def _correlation_id(self, record: Record) -> str:
        raw = header(record, CORRELATION_HEADER)
        if raw is not None:
            try:
                given = raw.decode()
            except UnicodeDecodeError:
                given = ""
            if 0 < len(given) <= 100:
                return given
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kafka:{position(record)}"))


def idempotency_key(submission: ConcernSubmission) -> str:
    """A partner's reference names its submission, whichever way it is sent: publishing or
    posting it again is the same submission (HTTP uses this unless an Idempotency-Key is sent)."""
    return f"partner-reference:{submission.partner_reference}"
