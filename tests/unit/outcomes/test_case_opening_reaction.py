"""What outcomes takes from intake's events: the case a concern opens, the enquiry a decision
starts, and ids that make a redelivery harmless."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from aiokafka.structs import ConsumerRecord

from services.outcomes.application.reactions import (
    CaseOpening,
    enquiry_kind_for,
    event_ids_caused_by,
    opening_for,
)
from services.outcomes.domain import case_id_for
from shared.events import DecodeError, decode, encode, kafka_headers
from shared.events.intake import ConcernRaised, S42Decision, S42DecisionMade
from shared.events.outcomes import CaseOpened, Demographics, EnquiryKind
from shared.sac import (
    Ethnicity,
    Gender,
    PrimarySupportReason,
    RiskLocation,
    RiskSource,
    RiskType,
)
from shared.topics import INTAKE_EVENTS
from tests.unit.outcomes.intake_events import HER_WORDS, concern_raised, decision_made


def record_of(value: bytes, headers: list[tuple[str, bytes]]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=INTAKE_EVENTS,
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=b"concern",
        value=value,
        checksum=None,
        serialized_key_size=7,
        serialized_value_size=len(value),
        headers=headers,
    )


def reaction() -> CaseOpening:
    # Decoding touches no database: the store is never used here.
    return CaseOpening(store=None, database={"concern_cases": None})  # type: ignore[arg-type]


def test_a_raised_concern_opens_a_case_carrying_the_risks_the_name_and_her_words() -> None:
    raised = concern_raised()

    [opened] = opening_for(raised).pending_events

    assert isinstance(opened, CaseOpened)
    assert isinstance(raised.payload, ConcernRaised)
    assert opened.case_id == case_id_for(raised.payload.concern_id)
    assert opened.person_name == "Margaret Hill"
    assert opened.risk_types == (RiskType.FINANCIAL_OR_MATERIAL, RiskType.PSYCHOLOGICAL)
    assert (opened.risk_location, opened.risk_source) == (
        RiskLocation.OWN_HOME,
        RiskSource.KNOWN_TO_INDIVIDUAL,
    )
    assert opened.persons_own_words == HER_WORDS
    assert opened.concern_raised_at == raised.occurred_at


def test_a_case_carries_what_the_national_return_counts_about_the_person() -> None:
    raised = concern_raised(
        gender=Gender.FEMALE,
        ethnicity=Ethnicity.BLACK,
        primary_support_reason=PrimarySupportReason.SENSORY,
    )

    [opened] = opening_for(raised).pending_events

    assert isinstance(opened, CaseOpened)
    assert opened.demographics == Demographics(
        date_of_birth=date(1941, 6, 14),
        gender=Gender.FEMALE,
        ethnicity=Ethnicity.BLACK,
        primary_support_reason=PrimarySupportReason.SENSORY,
    )


def test_an_approximate_age_is_kept_with_the_day_it_was_given_in_england() -> None:
    # 23:30 UTC on 31 May is 00:30 on 1 June in England.
    raised = concern_raised(
        date_of_birth=None,
        approximate_age=80,
        raised_at=datetime(2026, 5, 31, 23, 30, tzinfo=UTC),
    )

    [opened] = opening_for(raised).pending_events

    assert isinstance(opened, CaseOpened)
    assert opened.demographics is not None
    assert (opened.demographics.approximate_age, opened.demographics.approximate_age_on) == (
        80,
        date(2026, 6, 1),
    )


def test_a_concern_without_the_persons_words_opens_a_case_without_them() -> None:
    [opened] = opening_for(concern_raised(own_words=None)).pending_events

    assert isinstance(opened, CaseOpened)
    assert opened.persons_own_words is None


@pytest.mark.parametrize(
    ("decision", "kind"),
    [
        (S42Decision.S42_ENQUIRY, EnquiryKind.S42_ENQUIRY),
        (S42Decision.OTHER_ENQUIRY, EnquiryKind.OTHER_ENQUIRY),
        (S42Decision.NO_FURTHER_ACTION, None),
    ],
)
def test_only_an_s42_or_other_enquiry_decision_starts_an_enquiry(
    decision: S42Decision, kind: EnquiryKind | None
) -> None:
    made = decision_made(concern_raised(), decision).payload
    assert isinstance(made, S42DecisionMade)

    assert enquiry_kind_for(made) is kind


def test_events_recorded_in_reaction_get_the_same_ids_every_time_they_are_handled() -> None:
    raised = concern_raised()
    copy = decode(encode(raised))

    assert event_ids_caused_by(raised, 2) == event_ids_caused_by(copy, 2)
    assert len(set(event_ids_caused_by(raised, 2))) == 2
    assert event_ids_caused_by(raised, 1) != event_ids_caused_by(concern_raised(), 1)


def test_intake_events_outcomes_does_not_react_to_are_passed_over_without_decoding() -> None:
    record = record_of(b"not even json", [("event_type", b"InformationGathered")])

    assert reaction().decode(record) is None


def test_a_raised_concern_is_decoded_with_or_without_headers() -> None:
    raised = concern_raised()

    with_headers = reaction().decode(record_of(encode(raised), kafka_headers(raised)))
    without = reaction().decode(record_of(encode(raised), []))

    assert with_headers == without == raised


def test_a_broken_event_outcomes_needs_is_refused_for_the_dead_letter_topic() -> None:
    record = record_of(b'{"event_type": "ConcernRaised"}', [("event_type", b"ConcernRaised")])

    with pytest.raises(DecodeError, match="not an event envelope"):
        reaction().decode(record)
