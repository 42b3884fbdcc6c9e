"""The case-opening reaction handles a consumer batch as a whole: what one event of a batch decided
is what the next one sees, exactly as if they had come one at a time. Each batch here is handed
to the service's own runner as one, on the real database and keyring."""

from __future__ import annotations

import itertools
import uuid

from prometheus_client import REGISTRY

from services.outcomes.read_models.concern_cases import COLLECTION as CONCERN_CASES
from shared.events import Envelope, Metadata
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.intake import ConcernLinkedToPerson, ConcernRaised, MatchedBy
from shared.events.outcomes import CaseMovedToPerson, RepeatConcernJoined
from shared.topics import INTAKE_EVENTS
from tests.integration.outcomes.conftest import OutcomesService, case_of
from tests.support.consuming import record
from tests.support.metrics import commands_counted
from tests.unit.outcomes.intake_events import concern_raised, decision_made

_offsets = itertools.count()


async def one_batch(outcomes: OutcomesService, *envelopes: Envelope) -> None:
    await outcomes.runtime.runners["case-opening"].handle(
        [record(INTAKE_EVENTS, e, next(_offsets)) for e in envelopes]
    )


async def types_of(outcomes: OutcomesService, case_id: str) -> list[str]:
    return [e.event_type for e in await outcomes.events_of(case_id)]


def linked(raised: Envelope, person_id: str, version: int) -> Envelope:
    concern = raised.payload
    assert isinstance(concern, ConcernRaised)
    return Envelope.record(
        ConcernLinkedToPerson(
            concern_id=concern.concern_id,
            person_id=person_id,
            previous_person_id=concern.person_id,
            matched_by=MatchedBy.MANUAL,
            linked_by="Sam Jones",
            reason="Wrong Mary Smith: this one lives in Malvern.",
        ),
        stream_id=concern.concern_id,
        stream_version=version,
        metadata=Metadata(actor=SYSTEM_ACTOR),
    )


async def test_a_concern_and_its_repeat_in_one_batch_make_one_case_in_either_order(
    outcomes: OutcomesService,
) -> None:
    first = concern_raised()
    its_repeat = concern_raised(repeat_of=first, own_words="He came back for the card again.")
    second = concern_raised()
    repeat_before = concern_raised(repeat_of=second)

    await one_batch(outcomes, first, its_repeat, repeat_before, second)

    for original, repeat in ((first, its_repeat), (second, repeat_before)):
        events = await outcomes.events_of(case_of(original))
        assert [e.event_type for e in events] == ["CaseOpened", "RepeatConcernJoined"]
        joined = events[1].payload
        assert isinstance(joined, RepeatConcernJoined)
        assert joined.concern_id == repeat.stream_id
        assert events[1].causation_id == repeat.event_id
        assert await outcomes.events_of(case_of(repeat)) == []
        documents = outcomes.runtime.database[CONCERN_CASES]
        for concern in (original, repeat):
            document = await documents.find_one({"_id": concern.stream_id})
            assert document is not None
            assert (document["case_id"], document["waiting"]) == (case_of(original), [])
    joined = (await outcomes.events_of(case_of(first)))[1].payload
    assert isinstance(joined, RepeatConcernJoined)
    assert joined.persons_own_words == "He came back for the card again."


async def test_the_same_concern_and_decision_twice_in_one_batch_open_one_case_and_one_enquiry(
    outcomes: OutcomesService,
) -> None:
    raised = concern_raised()
    decided = decision_made(raised)

    await one_batch(outcomes, raised, decided, raised, decided)
    await one_batch(outcomes, raised, decided)

    assert await types_of(outcomes, case_of(raised)) == ["CaseOpened", "EnquiryStarted"]


async def test_a_move_undone_and_then_redelivered_in_one_batch_is_not_made_again(
    outcomes: OutcomesService,
) -> None:
    raised = concern_raised()
    concern = raised.payload
    assert isinstance(concern, ConcernRaised)
    elsewhere = f"person-{uuid.uuid4()}"
    away = linked(raised, elsewhere, 2)
    back = linked(raised, concern.person_id, 3)

    await one_batch(outcomes, raised, away, back, away)
    await one_batch(outcomes, away, back)

    events = await outcomes.events_of(case_of(raised))
    assert [e.event_type for e in events] == [
        "CaseOpened",
        "CaseMovedToPerson",
        "CaseMovedToPerson",
    ]
    moves = [e.payload for e in events[1:]]
    assert all(isinstance(m, CaseMovedToPerson) for m in moves)
    assert [m.person_id for m in moves if isinstance(m, CaseMovedToPerson)] == [
        elsewhere,
        concern.person_id,
    ]


async def test_a_repeat_waiting_for_a_repeat_joins_the_case_that_one_joins(
    outcomes: OutcomesService,
) -> None:
    original = concern_raised()
    repeat = concern_raised(repeat_of=original)
    repeat_of_repeat = concern_raised(repeat_of=repeat)

    await one_batch(outcomes, original, repeat_of_repeat)
    await one_batch(outcomes, repeat)

    events = await outcomes.events_of(case_of(original))
    assert [e.event_type for e in events] == [
        "CaseOpened",
        "RepeatConcernJoined",
        "RepeatConcernJoined",
    ]
    assert [getattr(e.payload, "concern_id", None) for e in events[1:]] == [
        repeat.stream_id,
        repeat_of_repeat.stream_id,
    ]


async def test_an_erased_concern_in_the_middle_of_a_batch_is_skipped_and_the_others_open(
    outcomes: OutcomesService,
) -> None:
    before, erased, after = concern_raised(), concern_raised(), concern_raised()
    keyring = outcomes.runtime.store.keyring
    assert keyring is not None
    await keyring.destroy([erased.stream_id])
    group = outcomes.runtime.settings.consumer_group("case-opening")
    labels = {"group": group, "event_type": "ConcernRaised"}
    skipped = REGISTRY.get_sample_value("consumer_events_skipped_as_erased_total", labels) or 0

    await one_batch(outcomes, before, erased, decision_made(erased), after, decision_made(after))

    assert await types_of(outcomes, case_of(before)) == ["CaseOpened"]
    assert await types_of(outcomes, case_of(erased)) == []
    assert await types_of(outcomes, case_of(after)) == ["CaseOpened", "EnquiryStarted"]
    assert REGISTRY.get_sample_value("consumer_events_skipped_as_erased_total", labels) == (
        skipped + 1
    )


STATEMENTS = (
    ("find", "events"),
    ("insert", "events"),
    ("insert", "outbox"),
    ("find", "concern_cases"),
    ("update", "concern_cases"),
)


def statements() -> dict[tuple[str, str], float]:
    return {
        (command, collection): commands_counted(command, collection)
        for command, collection in STATEMENTS
    }


async def test_a_batch_costs_the_same_statements_however_many_concerns_it_holds(
    outcomes: OutcomesService,
) -> None:
    """Each statement once per attempt at the batch's transaction: a write conflict (the
    service's first transaction can meet one with its own start-up writes) sends them again, up
    to `in_transaction`'s three attempts; one at a time, twenty concerns would send twenty."""
    await one_batch(outcomes, concern_raised())
    for size in (1, 20):
        raised = [concern_raised() for _ in range(size)]
        before = statements()

        await one_batch(outcomes, *raised, *(decision_made(r) for r in raised))

        after = statements()
        sent = {kind: after[kind] - before[kind] for kind in STATEMENTS}
        assert all(1 <= count <= 3 for count in sent.values()), (size, sent)
        for each in raised:
            assert await types_of(outcomes, case_of(each)) == ["CaseOpened", "EnquiryStarted"]
