"""A missed date agreed with the person becomes a work item for the lead worker, open until it
is followed up."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.outcomes.domain import Case
from services.outcomes.domain.work_items import CaseWorkItems
from services.outcomes.read_models.work_items import fold_work_items
from shared.events import Metadata
from shared.events.envelope import SYSTEM_ACTOR, Envelope
from shared.events.outcomes import (
    AgreedDateKind,
    CaseOpened,
    ConversationMode,
    Experience,
    ExperienceAnswer,
    ExpressedBy,
    Participant,
    ParticipantRole,
    PlanAction,
    ReviewStage,
)

PERSON = Participant(role=ParticipantRole.PERSON, name="Margaret Hill")


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def work(opened: CaseOpened, case: Case) -> CaseWorkItems:
    items = CaseWorkItems(case_id=case.case_id)
    for event in [opened, *case.pending_events]:
        items = items.after(event, case.now)
    return items


def missing_the_contact(case: Case) -> None:
    case.assign_lead_worker(name="Asha Patel", contact="01905 000111", assigned_at=at(3))
    case.agree_next_contact(contact_on=date(2026, 3, 10), agreed_at=at(4))
    case.now = at(12)
    case.notice_missed_dates()


def test_a_missed_contact_date_is_an_open_work_item_for_the_lead_worker(
    opened: CaseOpened, case: Case
) -> None:
    missing_the_contact(case)

    items = work(opened, case)

    [item] = items.open_items
    assert (items.lead_worker, items.reference) == ("Asha Patel", opened.reference)
    assert (item.kind, item.agreed_date) == (AgreedDateKind.NEXT_CONTACT, date(2026, 3, 10))


def test_a_conversation_with_the_person_follows_up_a_missed_contact(
    opened: CaseOpened, case: Case
) -> None:
    missing_the_contact(case)
    case.hold_conversation(participants=[PERSON], mode=ConversationMode.PHONE, summary="Call")

    [item] = work(opened, case).items

    assert not item.open
    assert item.followed_up_by == "a conversation with the person"


def test_a_review_does_not_follow_up_a_missed_contact(opened: CaseOpened, case: Case) -> None:
    missing_the_contact(case)
    case.review_outcomes(
        stage=ReviewStage.REVIEW,
        ratings=[],
        experience=Experience(
            felt_listened_to=ExperienceAnswer.YES,
            felt_involved=ExperienceAnswer.YES,
            felt_informed=ExperienceAnswer.YES,
            feels_safer=ExperienceAnswer.YES,
        ),
    )

    assert len(work(opened, case).open_items) == 1


def test_a_new_lead_worker_takes_over_the_open_items(opened: CaseOpened, case: Case) -> None:
    missing_the_contact(case)
    case.assign_lead_worker(name="Tom Price", contact="01905 000222")

    items = work(opened, case)

    assert items.lead_worker == "Tom Price"
    assert len(items.open_items) == 1


def test_a_missed_plan_action_is_followed_up_when_it_is_done(
    opened: CaseOpened, case: Case
) -> None:
    wanted = case.express_desired_outcome(text="My money safe", expressed_by=ExpressedBy.PERSON)
    agreed = case.agree_outcome(wording="Her card is hers", serves=[wanted.desired_outcome_id])
    plan = case.agree_plan(
        actions=[
            PlanAction(
                description="New bank card",
                serves=(agreed.agreed_outcome_id,),
                owner="Asha Patel",
                agreed_date=date(2026, 4, 10),
            )
        ]
    )
    case.now = at(12, month=4)
    case.notice_missed_dates()
    [item] = work(opened, case).open_items
    case.complete_plan_action(plan.actions[0].action_id)

    assert item.plan_action == "New bank card"
    assert work(opened, case).open_items == ()


def test_closing_the_case_ends_every_open_item(opened: CaseOpened, case: Case) -> None:
    missing_the_contact(case)
    case.close(
        reason="Moved away", person_view=None, feedback_to_referrer=True, sar_considered=False
    )

    assert work(opened, case).open_items == ()


def test_the_read_model_folded_in_batches_equals_one_pass(opened: CaseOpened, case: Case) -> None:
    missing_the_contact(case)
    case.agree_next_contact(contact_on=date(2026, 3, 20))
    envelopes = [
        Envelope.record(
            e,
            stream_id=case.case_id,
            stream_version=n,
            metadata=Metadata(actor=SYSTEM_ACTOR),
            occurred_at=at(13),
        )
        for n, e in enumerate([opened, *case.pending_events], start=1)
    ]

    once = fold_work_items(case.case_id, None, envelopes)
    batched = fold_work_items(
        case.case_id, fold_work_items(case.case_id, None, envelopes[:3]), envelopes[3:]
    )

    assert once == batched
    assert once["open"] == 0
    assert once["lead_worker"] == "Asha Patel"
