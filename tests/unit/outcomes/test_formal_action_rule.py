"""The formal-action rule: no police, disciplinary, regulator or legal action without the
person's consent or a manager's override on a statutory ground."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.outcomes.domain import Case, CaseRefused, FormalActionRefused, NotPermitted
from shared.events.envelope import Actor
from shared.events.outcomes import (
    CaseOpened,
    ExpressedBy,
    FormalActionBasis,
    FormalActionKind,
    FormalActionTaken,
    StatutoryGround,
    Wish,
)

POLICE = FormalActionKind.POLICE


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, tzinfo=UTC)


def wishes(case: Case, wish: Wish, action: FormalActionKind = POLICE, day: int = 4) -> None:
    case.record_formal_action_wishes(
        action,
        wish=wish,
        in_their_words="It's my son. I don't want him in trouble."
        if wish is Wish.DOES_NOT_WANT
        else "Yes — I want them to know.",
        expressed_by=ExpressedBy.PERSON,
        recorded_at=at(day),
    )


def take(case: Case, action: FormalActionKind = POLICE) -> FormalActionTaken:
    return case.take_formal_action(
        action,
        description="Referral of the alleged theft",
        requested_by="police partner",
        taken_at=at(12),
    )


def override(
    case: Case,
    actor: Actor,
    grounds: list[StatutoryGround],
    action: FormalActionKind = POLICE,
    capacity_assessment_id: str | None = None,
) -> None:
    case.override_wishes(
        actor,
        action,
        grounds=grounds,
        reason="Two other residents have reported the same carer",
        person_told=True,
        overridden_at=at(10),
        capacity_assessment_id=capacity_assessment_id,
    )


def test_formal_action_without_consent_is_refused(enquiry: Case) -> None:
    with pytest.raises(FormalActionRefused) as refused:
        take(enquiry)

    assert str(refused.value).startswith(
        "The person has not consented to a police referral and no manager has overridden "
        "their wishes with a statutory ground"
    )
    assert enquiry.pending_events[-1].event_type == "EnquiryStarted"


def test_formal_action_is_refused_when_the_person_does_not_want_it(enquiry: Case) -> None:
    wishes(enquiry, Wish.DOES_NOT_WANT)

    with pytest.raises(FormalActionRefused, match="they said they do not want it"):
        take(enquiry)


def test_formal_action_is_refused_while_the_person_is_undecided(enquiry: Case) -> None:
    wishes(enquiry, Wish.UNDECIDED)

    with pytest.raises(FormalActionRefused, match="undecided"):
        take(enquiry)


def test_formal_action_is_allowed_after_consent(enquiry: Case) -> None:
    wishes(enquiry, Wish.WANTS)

    taken = take(enquiry)

    assert taken.basis is FormalActionBasis.PERSON_WANTS_IT
    assert taken.requested_by == "police partner"


def test_formal_action_is_refused_once_the_person_changes_their_mind(enquiry: Case) -> None:
    wishes(enquiry, Wish.WANTS, day=4)
    wishes(enquiry, Wish.DOES_NOT_WANT, day=6)

    with pytest.raises(FormalActionRefused):
        take(enquiry)


def test_formal_action_is_allowed_after_manager_override_with_ground(
    enquiry: Case, manager: Actor
) -> None:
    wishes(enquiry, Wish.DOES_NOT_WANT)
    override(enquiry, manager, [StatutoryGround.OTHERS_AT_RISK])

    taken = take(enquiry)

    assert taken.basis is FormalActionBasis.WISHES_OVERRIDDEN


def test_practitioner_cannot_override_wishes(enquiry: Case, practitioner: Actor) -> None:
    wishes(enquiry, Wish.DOES_NOT_WANT)

    with pytest.raises(NotPermitted, match="Only a Safeguarding Adults Manager"):
        override(enquiry, practitioner, [StatutoryGround.OTHERS_AT_RISK])


def test_override_records_the_manager_grounds_and_whether_the_person_was_told(
    enquiry: Case, manager: Actor
) -> None:
    overridden = enquiry.override_wishes(
        manager,
        POLICE,
        grounds=[StatutoryGround.CRIME_OR_SUSPECTED_CRIME, StatutoryGround.OTHERS_AT_RISK],
        reason="Theft by a paid carer who visits other people",
        person_told=False,
        why_not_told="Police asked us to wait 48 hours so evidence is not lost",
        overridden_at=at(10),
    )

    assert overridden.overridden_by == manager.id
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
            overridden_at=at(10),
        )


def test_lacks_capacity_ground_needs_a_prior_capacity_assessment(
    enquiry: Case, manager: Actor
) -> None:
    with pytest.raises(CaseRefused, match="prior mental capacity assessment"):
        override(enquiry, manager, [StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS])


def test_lacks_capacity_ground_is_refused_when_the_assessment_found_capacity(
    enquiry: Case, manager: Actor
) -> None:
    assessed = enquiry.assess_mental_capacity(
        decision="Whether to report the theft to the police",
        lacks_capacity=False,
        assessed_by="Asha Patel",
        assessed_at=at(8),
    )

    with pytest.raises(CaseRefused, match="prior mental capacity assessment"):
        override(
            enquiry,
            manager,
            [StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS],
            capacity_assessment_id=assessed.assessment_id,
        )


def test_formal_action_is_allowed_after_best_interests_override_for_a_person_lacking_capacity(
    enquiry: Case, manager: Actor
) -> None:
    assessed = enquiry.assess_mental_capacity(
        decision="Whether to report the theft to the police",
        lacks_capacity=True,
        assessed_by="Asha Patel",
        assessed_at=at(8),
        best_interests="Reporting protects her savings; her daughter agrees",
    )
    override(
        enquiry,
        manager,
        [StatutoryGround.LACKS_CAPACITY_BEST_INTERESTS],
        capacity_assessment_id=assessed.assessment_id,
    )

    assert take(enquiry).basis is FormalActionBasis.WISHES_OVERRIDDEN


def test_a_wish_recorded_after_an_override_needs_a_fresh_override(
    enquiry: Case, manager: Actor
) -> None:
    override(enquiry, manager, [StatutoryGround.OTHERS_AT_RISK])
    wishes(enquiry, Wish.DOES_NOT_WANT, day=11)

    with pytest.raises(FormalActionRefused, match="recorded again after the last override"):
        take(enquiry)


def test_override_for_one_action_does_not_allow_another(enquiry: Case, manager: Actor) -> None:
    override(enquiry, manager, [StatutoryGround.REGULATED_PROVIDER_OR_POSITION_OF_TRUST])

    with pytest.raises(FormalActionRefused, match="a disciplinary referral"):
        take(enquiry, FormalActionKind.DISCIPLINARY)


def test_consent_still_counts_after_the_case_is_rebuilt_from_its_history(
    opened: CaseOpened, enquiry: Case
) -> None:
    wishes(enquiry, Wish.WANTS, action=FormalActionKind.REGULATOR)

    rebuilt = Case.from_history([opened, *enquiry.pending_events])

    assert take(rebuilt, FormalActionKind.REGULATOR).basis is FormalActionBasis.PERSON_WANTS_IT


def test_override_still_counts_after_the_case_is_rebuilt_from_its_history(
    opened: CaseOpened, enquiry: Case, manager: Actor
) -> None:
    wishes(enquiry, Wish.DOES_NOT_WANT)
    override(enquiry, manager, [StatutoryGround.COERCION_OR_CONTROL])

    rebuilt = Case.from_history([opened, *enquiry.pending_events])

    assert take(rebuilt).basis is FormalActionBasis.WISHES_OVERRIDDEN
