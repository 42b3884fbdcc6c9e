"""Sealing personal fields under a subject's data key (`shared.personal_data`), and reading
them back through the event wire format (`shared.events.registry`): any personal value comes
back exactly while the key exists and as its erased placeholder once it is destroyed, never as
the value; a tampered or moved sealed value is refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from shared.events import DecodeError, Envelope, Metadata, decode, encode
from shared.events.intake import ConcernRaised, nhs_number_check_digit_is_valid
from shared.events.notification import Channel, RecipientRole
from shared.events.registry import as_recorded
from shared.personal_data import (
    ERASED,
    SEALED_PREFIX,
    DataKeys,
    Personal,
    SealedDataError,
    SealingKey,
    new_data_key,
    open_sealed,
    seal,
    sealed_subjects,
    validated,
)
from tests.unit.notification.records import intake_preferences, safe_contact_decided
from tests.unit.notification.story import WORKER, Story

SUBJECT = "concern-0b7c3a52-5d0e-4f0e-9c55-3f3c1f1c2a10"
NHS_NUMBER = "9434765919"


class Remark(BaseModel):
    """A test-only event payload: two personal fields and one that stays clear."""

    words: Personal[str]
    figures: Personal[list[int] | None] = None
    count: int


texts = st.text(min_size=1)
figures = st.none() | st.lists(st.integers())
event_ids = st.uuids().map(str)


def sealed(remark: Remark, event_id: str, key: SealingKey) -> dict[str, Any]:
    return seal(Remark, remark.model_dump(mode="json"), event_id, key)


def opened(payload: dict[str, Any], event_id: str, keys: DataKeys) -> Remark:
    return validated(Remark, open_sealed(Remark, payload, event_id, keys))


@given(words=texts, numbers=figures, count=st.integers(), event_id=event_ids)
def test_any_personal_value_comes_back_exactly_while_the_key_exists(
    words: str, numbers: list[int] | None, count: int, event_id: str
) -> None:
    key = SealingKey(SUBJECT, new_data_key())
    remark = Remark(words=words, figures=numbers, count=count)

    payload = sealed(remark, event_id, key)

    assert payload["words"].startswith(f"{SEALED_PREFIX}{SUBJECT}:")
    assert payload["count"] == count
    assert opened(payload, event_id, {SUBJECT: key.key}) == remark


@given(words=texts, numbers=st.lists(st.integers(), min_size=1), event_id=event_ids)
def test_once_the_key_is_destroyed_a_value_reads_as_its_placeholder_never_as_itself(
    words: str, numbers: list[int], event_id: str
) -> None:
    key = SealingKey(SUBJECT, new_data_key())
    payload = sealed(Remark(words=words, figures=numbers, count=3), event_id, key)

    erased = opened(payload, event_id, {SUBJECT: None})

    assert erased == Remark(words=ERASED, figures=None, count=3)


@given(words=texts, event_id=event_ids, data=st.data())
def test_a_tampered_sealed_value_is_refused(words: str, event_id: str, data: st.DataObject) -> None:
    key = SealingKey(SUBJECT, new_data_key())
    payload = sealed(Remark(words=words, count=1), event_id, key)
    prefix, _, body = payload["words"].rpartition(":")
    blob = bytearray(base64.b64decode(body))
    at = data.draw(st.integers(0, len(blob) - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    blob[at] ^= 1 << bit
    payload["words"] = f"{prefix}:{base64.b64encode(bytes(blob)).decode()}"

    with pytest.raises(SealedDataError):
        opened(payload, event_id, {SUBJECT: key.key})


@given(words=texts, first=event_ids, second=event_ids)
def test_a_sealed_value_moved_to_another_event_is_refused(
    words: str, first: str, second: str
) -> None:
    key = SealingKey(SUBJECT, new_data_key())
    payload = sealed(Remark(words=words, count=1), first, key)

    if first != second:
        with pytest.raises(SealedDataError):
            opened(payload, second, {SUBJECT: key.key})


@given(words=texts, numbers=st.lists(st.integers()), event_id=event_ids)
def test_a_sealed_value_moved_to_another_field_is_refused(
    words: str, numbers: list[int], event_id: str
) -> None:
    key = SealingKey(SUBJECT, new_data_key())
    payload = sealed(Remark(words=words, figures=numbers, count=1), event_id, key)
    payload["words"], payload["figures"] = payload["figures"], payload["words"]

    with pytest.raises(SealedDataError):
        opened(payload, event_id, {SUBJECT: key.key})


def test_a_value_sealed_under_another_subjects_key_does_not_open() -> None:
    key = SealingKey(SUBJECT, new_data_key())
    payload = sealed(Remark(words="Mary Smith", count=1), "e-1", key)

    with pytest.raises(SealedDataError):
        opened(payload, "e-1", {SUBJECT: new_data_key()})


# --- real events through the wire format ---------------------------------------------------------


def marys_concern(story: Story) -> Envelope:
    raised = story.concern_raised()
    payload = raised.payload
    assert isinstance(payload, ConcernRaised)
    person = payload.person.model_copy(update={"nhs_number": NHS_NUMBER})
    return raised.model_copy(update={"payload": payload.model_copy(update={"person": person})})


def what_identifies_mary(story: Story) -> list[str]:
    return [
        "Mary Smith",
        "1941-06-14",
        NHS_NUMBER,
        story.mary_email,
        "Mill Lane",  # the son's address
        "WR2 5XY",
        story.john_phone,
        "John Smith",
        "PC Sam Okafor",
        "01632 960321",
        "bank card",
        "I want the abuse to stop",
    ]


def test_the_seed_numbers_nhs_number_is_a_valid_one() -> None:
    assert nhs_number_check_digit_is_valid(NHS_NUMBER)


def test_a_sealed_concern_carries_none_of_her_details_and_its_statistics_in_clear() -> None:
    story = Story()
    raised = marys_concern(story)
    key = SealingKey(story.concern_id, new_data_key())

    raw = encode(raised, sealing=key)

    text = raw.decode()
    for detail in what_identifies_mary(story):
        assert detail not in text, detail
    assert "financial_or_material" in text
    assert sealed_subjects(raw) == {story.concern_id}
    assert decode(raw, keys={story.concern_id: key.key}) == raised


def test_an_erased_concern_names_no_one_and_gives_no_route_to_anyone() -> None:
    story = Story()
    raised = marys_concern(story)
    key = SealingKey(story.concern_id, new_data_key())

    erased = decode(encode(raised, sealing=key), keys={story.concern_id: None}).payload

    assert isinstance(erased, ConcernRaised)
    assert erased.person.name == ERASED
    assert erased.person.nhs_number is None
    assert erased.person.date_of_birth is None
    contact_points = [
        erased.person.contact,
        erased.referrer,
        erased.alleged_source_of_risk.contact if erased.alleged_source_of_risk else None,
    ]
    assert all(
        getattr(points, kind, None) is None
        for points in contact_points
        for kind in ("email", "phone", "address")
    )
    assert erased.what_happened.description == ERASED
    assert erased.involvement.person_own_words == ERASED
    assert erased.what_happened.risk_types == raised.payload.what_happened.risk_types  # type: ignore[attr-defined]
    erased_text = erased.model_dump_json()
    for detail in what_identifies_mary(story):
        assert detail not in erased_text, detail


def test_a_sealed_event_cannot_be_read_without_its_key() -> None:
    story = Story()
    raw = encode(story.concern_raised(), sealing=SealingKey(story.concern_id, new_data_key()))

    with pytest.raises(DecodeError, match="no key was fetched"):
        decode(raw)
    with pytest.raises(DecodeError, match="no key was fetched"):
        decode(raw, keys={"concern-someone-else": new_data_key()})


def test_an_event_recorded_in_clear_still_reads() -> None:
    story = Story()
    raised = story.concern_raised()

    assert decode(encode(raised)) == raised


def _safe_contact(story: Story) -> Envelope:
    preferences = intake_preferences(story.concern_raised())
    decided = safe_contact_decided(
        preferences, story.concern_id, (RecipientRole.PERSON, Channel.EMAIL)
    )
    return Envelope.record(
        decided,
        stream_id=f"informing-{story.person_id}",
        stream_version=1,
        metadata=Metadata(actor=WORKER),
    )


EVERY_KIND: list[tuple[str, Callable[[Story], Envelope]]] = [
    ("ConcernRaised", marys_concern),
    ("CaseOpened", lambda s: s.case_opened()),
    ("AdvocateAppointed", lambda s: s.advocate_appointed()),
    (
        "MentalCapacityAssessed",
        lambda s: s.capacity_assessed(assessment_id="a1", lacks_capacity=True),
    ),
    ("OutcomesReviewed", lambda s: s.outcomes_reviewed()),
    ("SafeguardingPlanAgreed", lambda s: s.plan_agreed()),
    ("EnquiryConcluded", lambda s: s.enquiry_concluded()),
    ("CaseClosed", lambda s: s.case_closed()),
    ("MeetingArranged", lambda s: s.meeting_arranged(person_invited=True)),
    ("SafeContactDecided", _safe_contact),
]


@pytest.mark.parametrize("build", [b for _, b in EVERY_KIND], ids=[n for n, _ in EVERY_KIND])
def test_every_kind_of_event_reads_back_and_reads_erased_once_its_key_is_gone(
    build: Callable[[Story], Envelope],
) -> None:
    story = Story()
    event = build(story)
    key = SealingKey(story.concern_id, new_data_key())
    raw = encode(event, sealing=key)

    assert decode(raw, keys={story.concern_id: key.key}) == event
    erased = decode(raw, keys={story.concern_id: None})
    assert type(erased.payload) is type(event.payload)
    clear = json.loads(encode(event))["payload"]
    still = json.loads(erased.payload.model_dump_json())
    for field in type(event.payload).model_fields:
        if field in clear and field in still and clear[field] != still[field]:
            assert str(clear[field]) not in json.dumps(still)


def test_an_event_kept_for_later_is_kept_as_it_was_recorded_with_her_details_sealed() -> None:
    story = Story()
    raised = marys_concern(story)
    key = SealingKey(story.concern_id, new_data_key())
    raw = encode(raised, sealing=key)
    read = decode(raw, keys={story.concern_id: key.key})

    kept = as_recorded(read)

    text = json.dumps(kept)
    for detail in what_identifies_mary(story):
        assert detail not in text, detail
    assert read == raised  # the sealed form kept beside it changes nothing about the event
    assert decode(kept, keys={story.concern_id: key.key}) == raised


def test_an_event_with_personal_data_never_read_from_a_record_has_no_form_to_keep() -> None:
    with pytest.raises(ValueError, match="no sealed form"):
        as_recorded(marys_concern(Story()))
