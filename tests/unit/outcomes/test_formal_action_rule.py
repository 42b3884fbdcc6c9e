"""The formal-action rule: the person's own wish decides. No police, disciplinary, regulator or
legal action without their consent (heard by someone other than the one recording the action),
a best-interests decision when an assessment of that very decision found they lack capacity, or
a manager's override on a statutory ground, which allows one action."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.outcomes.domain import Case, CaseRefused, FormalActionRefused, NotPermitted
from shared.events.envelope import Actor, Role
from shared.events.outcomes import (
    AdvocateAppointed,
    CaseOpened,
    ConsultedView,
    ExpressedBy,
    FormalActionBasis,
    FormalActionKind,
    FormalActionTaken,
    FormalActionWishesRecorded,
    ParticipantRole,
    StatutoryGround,
    Wish,
)
from tests.unit.outcomes.conftest import NOW

POLICE = FormalActionKind.POLICE


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def wishes(
    case: Case,
    by: Actor,
    wish: Wish,
    action: FormalActionKind = POLICE,
    day: int = 4,
    expressed_by: ExpressedBy = ExpressedBy.PERSON,
) -> FormalActionWishesRecorded:
    return case.record_formal_action_wishes(
        by,
        action,
        wish=wish,
        in_their_words="It's my son. I don't want him in trouble."
        if wish is Wish.DOES_NOT_WANT
        else "Yes — I want them to know.",
        expressed_by=expressed_by,
        recorded_at=at(day),
    )


def take(case: Case, by: Actor, action: FormalActionKind = POLICE) -> FormalActionTaken:
    return case.take_formal_action(
        by,
        action,
        description="Referral of the alleged theft",
        requested_by="police partner",
        taken_at=at(12),
    )


def override(
    case: Case,
    manager: Actor,
    grounds: list[StatutoryGround],
    action: FormalActionKind = POLICE,
    capacity_assessment_id: str | None = None,
) -> str:
    made = case.override_wishes(
        manager,
        action,
        grounds=grounds,
        reason="Two other residents have reported the same carer",
        person_told=True,
        capacity_assessment_id=capacity_assessment_id,
    )
    assert made.override_id is not None
    return made.override_id


def assessed(
    case: Case, lacks_capacity: bool, action: FormalActionKind | None = POLICE, day: int = 8
) -> str:
    return case.assess_mental_capacity(
        decision="Whether to report the theft to the police",
        lacks_capacity=lacks_capacity,
        assessed_by="Asha Patel",
        assessed_at=at(day),
        best_interests="To be decided with her daughter and advocate" if lacks_capacity else None,
        formal_action=action,
    ).assessment_id


def best_interests(
    case: Case,
    assessment_id: str,
    *,
    in_favour: bool = True,
    consulted: tuple[ParticipantRole, ...] = (ParticipantRole.FAMILY_OR_FRIEND,),
    action: FormalActionKind = POLICE,
) -> str:
    return case.make_best_interests_decision(
        action,
        capacity_assessment_id=assessment_id,
        in_best_interests=in_favour,
        persons_wishes="She has said she wants her money back and the visits to stop.",
        consulted=[
            ConsultedView(role=r, name=f"{r.value} name", view="Report it") for r in consulted
        ],
        reasons="Reporting protects her savings, which she has said matter to her",
        decided_by="Asha Patel",
        decided_at=at(9),
    ).decision_id


def appoint_an_advocate(case: Case) -> None:
    case.appoint_advocate(
        name="Jo Reed",
        organisation="Worcestershire Advocacy",
        substantial_difficulty="Finds it hard to weigh up options under stress",
        no_appropriate_person="Her only relative is the alleged source of risk",
        appointed_at=at(5),
    )


# -- consent ------------------------------------------------------------------------------


def test_formal_action_without_consent_is_refused(enquiry: Case, colleague: Actor) -> None:
    with pytest.raises(FormalActionRefused) as refused:
        take(enquiry, colleague)

    assert str(refused.value).startswith(
        "The person has not consented to a police referral and no manager has overridden "
        "their wishes with a statutory ground"
    )
    assert enquiry.pending_events[-1].event_type == "EnquiryStarted"


@pytest.mark.parametrize(
    ("wish", "said"),
    [(Wish.DOES_NOT_WANT, "do not want it"), (Wish.UNDECIDED, "are undecided about it")],
)
def test_formal_action_is_refused_unless_the_person_wants_it(
    enquiry: Case, practitioner: Actor, colleague: Actor, wish: Wish, said: str
) -> None:
    wishes(enquiry, practitioner, wish)

    with pytest.raises(FormalActionRefused, match=f"they said they {said}"):
        take(enquiry, colleague)


def test_formal_action_is_allowed_on_the_persons_consent_heard_by_a_colleague(
    enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS)

    taken = take(enquiry, colleague)

    assert taken.basis is FormalActionBasis.PERSON_WANTS_IT
    assert taken.authority_id is None
    assert taken.taken_by == colleague.id
    assert taken.requested_by == "police partner"


def test_consent_is_not_self_certified_by_the_practitioner_who_takes_the_action(
    enquiry: Case, practitioner: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS)

    with pytest.raises(FormalActionRefused, match="recorded by the same member of staff"):
        take(enquiry, practitioner)


def test_consent_heard_by_a_manager_lets_the_practitioner_take_the_action(
    enquiry: Case, manager: Actor, practitioner: Actor
) -> None:
    wishes(enquiry, manager, Wish.WANTS)

    assert take(enquiry, practitioner).basis is FormalActionBasis.PERSON_WANTS_IT


def test_consent_recorded_before_who_heard_it_was_kept_does_not_count(
    opened: CaseOpened, practitioner: Actor
) -> None:
    old_wish = FormalActionWishesRecorded(
        case_id=opened.case_id,
        person_id=opened.person_id,
        action=POLICE,
        wish=Wish.WANTS,
        in_their_words="Yes, tell them.",
        expressed_by=ExpressedBy.PERSON,
        recorded_at=at(4),
    )
    case = Case.from_history([opened, old_wish], now=NOW)

    with pytest.raises(FormalActionRefused, match="who heard their consent was not recorded"):
        take(case, practitioner)


def test_formal_action_is_refused_once_the_person_changes_their_mind(
    enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS, day=4)
    wishes(enquiry, practitioner, Wish.DOES_NOT_WANT, day=6)

    with pytest.raises(FormalActionRefused):
        take(enquiry, colleague)


def test_consent_to_one_action_does_not_allow_another(
    enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS, action=FormalActionKind.REGULATOR)

    with pytest.raises(FormalActionRefused, match="a disciplinary referral"):
        take(enquiry, colleague, FormalActionKind.DISCIPLINARY)


# -- someone else's view is theirs --------------------------------------------------------


def test_a_representative_wanting_police_action_does_not_outrank_the_persons_refusal(
    enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.DOES_NOT_WANT, day=4)
    wishes(enquiry, practitioner, Wish.WANTS, day=6, expressed_by=ExpressedBy.REPRESENTATIVE)

    with pytest.raises(FormalActionRefused) as refused:
        take(enquiry, colleague)

    assert "they said they do not want it" in str(refused.value)
    assert "their representative wants it, but that view is theirs" in str(refused.value)
    assert enquiry.formal_action.persons_wish(POLICE) is Wish.DOES_NOT_WANT


@pytest.mark.parametrize("speaker", [ExpressedBy.REPRESENTATIVE, ExpressedBy.ADVOCATE])
def test_someone_speaking_for_the_person_never_gives_their_consent(
    enquiry: Case, practitioner: Actor, colleague: Actor, speaker: ExpressedBy
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS, expressed_by=speaker)

    with pytest.raises(FormalActionRefused, match="they have not said what they want about it"):
        take(enquiry, colleague)


def test_a_representative_objecting_does_not_withdraw_the_persons_consent(
    enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS, day=4)
    wishes(
        enquiry, practitioner, Wish.DOES_NOT_WANT, day=6, expressed_by=ExpressedBy.REPRESENTATIVE
    )

    assert take(enquiry, colleague).basis is FormalActionBasis.PERSON_WANTS_IT


# -- a manager's override -----------------------------------------------------------------


def test_formal_action_is_allowed_after_manager_override_with_ground(
    enquiry: Case, practitioner: Actor, manager: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.DOES_NOT_WANT)
    override_id = override(enquiry, manager, [StatutoryGround.OTHERS_AT_RISK])

    taken = take(enquiry, practitioner)

    assert taken.basis is FormalActionBasis.WISHES_OVERRIDDEN
    assert taken.authority_id == override_id


def test_an_override_allows_one_action_only(
    enquiry: Case, practitioner: Actor, manager: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.DOES_NOT_WANT)
    override(enquiry, manager, [StatutoryGround.CRIME_OR_SUSPECTED_CRIME])
    take(enquiry, practitioner)

    with pytest.raises(FormalActionRefused, match="has allowed its one action"):
        take(enquiry, practitioner)


def test_two_overrides_allow_two_actions(
    enquiry: Case, practitioner: Actor, manager: Actor
) -> None:
    first = override(enquiry, manager, [StatutoryGround.CRIME_OR_SUSPECTED_CRIME])
    second = override(enquiry, manager, [StatutoryGround.OTHERS_AT_RISK])

    assert [take(enquiry, practitioner).authority_id for _ in range(2)] == [first, second]


def test_practitioner_cannot_override_wishes(enquiry: Case, practitioner: Actor) -> None:
    with pytest.raises(NotPermitted, match="Only a Safeguarding Adults Manager"):
        override(enquiry, practitioner, [StatutoryGround.OTHERS_AT_RISK])


def test_override_records_the_manager_grounds_time_and_whether_the_person_was_told(
    enquiry: Case, manager: Actor
) -> None:
    overridden = enquiry.override_wishes(
        manager,
        POLICE,
        grounds=[StatutoryGround.CRIME_OR_SUSPECTED_CRIME, StatutoryGround.OTHERS_AT_RISK],
        reason="Theft by a paid carer who visits other people",
        person_told=False,
        why_not_told="Police asked us to wait 48 hours so evidence is not lost",
    )

    assert overridden.overridden_by == manager.id
    assert overridden.overridden_at == NOW
    assert overridden.grounds == (
        StatutoryGround.CRIME_OR_SUSPECTED_CRIME,
        StatutoryGround.OTHERS_AT_RISK,
    )
    assert overridden.why_not_told == "Police asked us to wait 48 hours so evidence is not lost"


def test_override_needs_a_statutory_ground(enquiry: Case, manager: Actor) -> None:
    with pytest.raises(CaseRefused, match="at least one statutory ground"):
        override(enquiry, manager, [])


def test_override_without_telling_the_person_must_say_why_not(
    enquiry: Case, manager: Actor
) -> None:
    with pytest.raises(ValidationError, match="why_not_told is required"):
        enquiry.override_wishes(
            manager,
            POLICE,
            grounds=[StatutoryGround.PUBLIC_INTEREST],
            reason="Public interest",
            person_told=False,
        )


def test_lack_of_capacity_is_not_an_override_ground(enquiry: Case, manager: Actor) -> None:
    assessment = assessed(enquiry, lacks_capacity=True)

    with pytest.raises(CaseRefused, match="Lack of capacity is not an override ground"):
        override(
            enquiry,
            manager,
            [StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS],
            capacity_assessment_id=assessment,
        )


def test_a_wish_recorded_after_an_override_needs_a_fresh_override(
    enquiry: Case, practitioner: Actor, manager: Actor
) -> None:
    override(enquiry, manager, [StatutoryGround.OTHERS_AT_RISK])
    wishes(enquiry, practitioner, Wish.DOES_NOT_WANT, day=11)

    with pytest.raises(FormalActionRefused, match="they said they do not want it"):
        take(enquiry, practitioner)


def test_override_for_one_action_does_not_allow_another(
    enquiry: Case, practitioner: Actor, manager: Actor
) -> None:
    override(enquiry, manager, [StatutoryGround.REGULATED_PROVIDER_OR_POSITION_OF_TRUST])

    with pytest.raises(FormalActionRefused, match="a disciplinary referral"):
        take(enquiry, practitioner, FormalActionKind.DISCIPLINARY)


# -- capacity and best interests ----------------------------------------------------------


def test_the_wish_of_a_person_found_to_lack_capacity_for_that_decision_is_not_consent(
    enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS)
    assessed(enquiry, lacks_capacity=True)

    with pytest.raises(FormalActionRefused, match="cannot decide about a police referral"):
        take(enquiry, colleague)


def test_an_assessment_of_another_decision_does_not_touch_consent(
    enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS)
    assessed(enquiry, lacks_capacity=True, action=FormalActionKind.LEGAL)
    assessed(enquiry, lacks_capacity=True, action=None)

    assert take(enquiry, colleague).basis is FormalActionBasis.PERSON_WANTS_IT


def test_formal_action_is_allowed_on_a_best_interests_decision_for_that_action(
    enquiry: Case, practitioner: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.DOES_NOT_WANT)
    decision = best_interests(enquiry, assessed(enquiry, lacks_capacity=True))

    taken = take(enquiry, practitioner)

    assert taken.basis is FormalActionBasis.BEST_INTERESTS_DECISION
    assert taken.authority_id == decision


def test_a_best_interests_decision_allows_one_action(enquiry: Case, practitioner: Actor) -> None:
    best_interests(enquiry, assessed(enquiry, lacks_capacity=True))
    take(enquiry, practitioner)

    with pytest.raises(FormalActionRefused, match="has allowed its one action"):
        take(enquiry, practitioner)


def test_a_best_interests_decision_against_the_action_allows_nothing(
    enquiry: Case, practitioner: Actor
) -> None:
    best_interests(enquiry, assessed(enquiry, lacks_capacity=True), in_favour=False)

    with pytest.raises(FormalActionRefused, match="no best-interests decision in favour"):
        take(enquiry, practitioner)


def test_a_best_interests_decision_needs_an_assessment_of_that_very_decision(
    enquiry: Case,
) -> None:
    about_legal_action = assessed(enquiry, lacks_capacity=True, action=FormalActionKind.LEGAL)

    with pytest.raises(CaseRefused, match="needs a capacity assessment of that decision"):
        best_interests(enquiry, about_legal_action)


def test_a_best_interests_decision_is_refused_when_the_person_can_decide(enquiry: Case) -> None:
    with pytest.raises(CaseRefused, match="their own wish decides"):
        best_interests(enquiry, assessed(enquiry, lacks_capacity=False))


def test_a_best_interests_decision_rests_on_the_latest_assessment(enquiry: Case) -> None:
    earlier = assessed(enquiry, lacks_capacity=True, day=6)
    assessed(enquiry, lacks_capacity=True, day=8)

    with pytest.raises(CaseRefused, match="must rest on the latest one"):
        best_interests(enquiry, earlier)


def test_a_best_interests_decision_needs_an_assessment_that_exists(enquiry: Case) -> None:
    with pytest.raises(CaseRefused, match="No capacity assessment 'nope'"):
        best_interests(enquiry, "nope")


def test_a_best_interests_decision_consults_the_representative_who_gave_a_view(
    enquiry: Case, practitioner: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS, expressed_by=ExpressedBy.REPRESENTATIVE)
    assessment = assessed(enquiry, lacks_capacity=True)

    with pytest.raises(CaseRefused, match="Consult the person's representative"):
        best_interests(enquiry, assessment)
    best_interests(enquiry, assessment, consulted=(ParticipantRole.REPRESENTATIVE,))


def test_a_best_interests_decision_consults_the_persons_advocate(
    enquiry: Case, practitioner: Actor
) -> None:
    appoint_an_advocate(enquiry)
    assessment = assessed(enquiry, lacks_capacity=True)

    with pytest.raises(CaseRefused, match="Consult the person's advocate"):
        best_interests(enquiry, assessment, consulted=(ParticipantRole.REPRESENTATIVE,))
    best_interests(enquiry, assessment, consulted=(ParticipantRole.ADVOCATE,))


def test_when_capacity_is_regained_the_persons_own_wish_decides_again(
    enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    best_interests(enquiry, assessed(enquiry, lacks_capacity=True, day=6))
    assessed(enquiry, lacks_capacity=False, day=10)
    wishes(enquiry, practitioner, Wish.DOES_NOT_WANT, day=11)

    with pytest.raises(FormalActionRefused, match="they said they do not want it"):
        take(enquiry, colleague)


# -- after a rebuild ----------------------------------------------------------------------


def test_consent_still_counts_after_the_case_is_rebuilt_from_its_history(
    opened: CaseOpened, enquiry: Case, practitioner: Actor, colleague: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.WANTS, action=FormalActionKind.REGULATOR)

    rebuilt = Case.from_history([opened, *enquiry.pending_events], now=NOW)

    assert (
        take(rebuilt, colleague, FormalActionKind.REGULATOR).basis
        is FormalActionBasis.PERSON_WANTS_IT
    )


def test_a_used_override_stays_used_after_the_case_is_rebuilt_from_its_history(
    opened: CaseOpened, enquiry: Case, practitioner: Actor, manager: Actor
) -> None:
    wishes(enquiry, practitioner, Wish.DOES_NOT_WANT)
    override(enquiry, manager, [StatutoryGround.COERCION_OR_CONTROL])
    override(enquiry, manager, [StatutoryGround.COERCION_OR_CONTROL])
    take(enquiry, practitioner)

    rebuilt = Case.from_history([opened, *enquiry.pending_events], now=NOW)

    assert take(rebuilt, practitioner).basis is FormalActionBasis.WISHES_OVERRIDDEN
    with pytest.raises(FormalActionRefused):
        take(rebuilt, practitioner)


def test_an_advocate_appointed_before_a_rebuild_is_still_consulted(
    opened: CaseOpened, enquiry: Case
) -> None:
    appoint_an_advocate(enquiry)
    assessment = assessed(enquiry, lacks_capacity=True)
    rebuilt = Case.from_history([opened, *enquiry.pending_events], now=NOW)

    assert isinstance(enquiry.pending_events[-2], AdvocateAppointed)
    with pytest.raises(CaseRefused, match="advocate"):
        best_interests(rebuilt, assessment)


# -- properties ---------------------------------------------------------------------------

STAFF = (
    Actor(id="practitioner-asha", role=Role.PRACTITIONER),
    Actor(id="practitioner-ben", role=Role.PRACTITIONER),
)
MANAGER = Actor(id="manager-owen", role=Role.MANAGER)

a_wish = st.tuples(
    st.just("wish"),
    st.sampled_from(list(ExpressedBy)),
    st.sampled_from(list(Wish)),
    st.sampled_from(STAFF),
)
an_override = st.tuples(st.just("override"))
a_taking = st.tuples(st.just("take"), st.sampled_from(STAFF))


def _steps(case: Case, steps: list[tuple[object, ...]]) -> list[FormalActionTaken | None]:
    """Play the steps; each attempt to take the action gives what was recorded, or None."""
    outcomes: list[FormalActionTaken | None] = []
    for step in steps:
        if step[0] == "wish":
            _, speaker, wish, by = step
            assert isinstance(speaker, ExpressedBy)
            assert isinstance(wish, Wish)
            assert isinstance(by, Actor)
            wishes(case, by, wish, expressed_by=speaker)
        elif step[0] == "override":
            override(case, MANAGER, [StatutoryGround.CRIME_OR_SUSPECTED_CRIME])
        else:
            by = step[1]
            assert isinstance(by, Actor)
            try:
                outcomes.append(take(case, by))
            except FormalActionRefused:
                outcomes.append(None)
    return outcomes


def _fresh_enquiry(opened: CaseOpened) -> Case:
    return Case.from_history([opened], now=NOW)


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.one_of(a_wish, a_taking), max_size=12))
def test_without_an_override_only_the_persons_own_latest_wish_heard_by_another_allows_action(
    steps: list[tuple[object, ...]],
) -> None:
    case = _fresh_enquiry(_opened())
    latest: tuple[Wish, str] | None = None
    expected: list[bool] = []
    for step in steps:
        if step[0] == "wish" and step[1] is ExpressedBy.PERSON:
            wish, by = step[2], step[3]
            assert isinstance(wish, Wish)
            assert isinstance(by, Actor)
            latest = (wish, by.id)
        elif step[0] == "take":
            taker = step[1]
            assert isinstance(taker, Actor)
            expected.append(
                latest is not None and latest[0] is Wish.WANTS and latest[1] != taker.id
            )

    allowed = [taken is not None for taken in _steps(case, steps)]

    assert allowed == expected


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.one_of(a_wish, an_override, a_taking), max_size=14))
def test_every_action_taken_on_an_override_uses_one_of_its_own(
    steps: list[tuple[object, ...]],
) -> None:
    case = _fresh_enquiry(_opened())

    taken = [t for t in _steps(case, steps) if t is not None]

    overrides = sum(1 for step in steps if step[0] == "override")
    used = [t.authority_id for t in taken if t.basis is FormalActionBasis.WISHES_OVERRIDDEN]
    assert len(used) == len(set(used)) <= overrides
    assert all(
        t.authority_id is None for t in taken if t.basis is FormalActionBasis.PERSON_WANTS_IT
    )


def _opened() -> CaseOpened:
    [event] = Case.open(
        concern_id="concern-6f1c0a52-8d3e-4b8f-9a57-2b8d7f0e1c11",
        person_id="person-1",
        reference="SG-2026-4F7K2Q",
        concern_raised_at=at(2),
        opened_at=at(2),
    ).pending_events
    assert isinstance(event, CaseOpened)
    return event
