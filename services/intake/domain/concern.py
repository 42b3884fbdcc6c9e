"""The Concern aggregate: a concern from being raised to the s42 decision.

Plain Python, no I/O. A handler loads a Concern from its events, asks it to do something, and
appends the events it returns. Each rule lives here once:

- who may decide: only a Safeguarding Adults Manager (`Concern.decide`);
- a concern is decided once, and a repeat of an open concern is not decided separately;
- what a decision must record (`Concern.decide`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Final

from services.intake.domain.matching import OpenConcern, find_repeated_concern
from services.intake.domain.submission import ConcernSubmission
from shared.events.envelope import Actor, DomainEvent, Role
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    InformationGathered,
    MatchedBy,
    NoFurtherActionRoute,
    Person,
    ReferrerFeedbackGiven,
    RepeatConcernLinked,
    S42Criterion,
    S42Decision,
    S42DecisionMade,
    SubmissionChannel,
    WhatHappened,
)
from shared.sac import RiskType

# --- errors ---------------------------------------------------------------------------------------


class ConcernRefused(Exception):
    """The concern cannot do what was asked; the message says why, for the person who asked."""


class NotPermitted(ConcernRefused):
    """The actor's role may not do this."""


class NotRaised(ConcernRefused):
    """There is no such concern."""


class AlreadyRaised(ConcernRefused):
    """The concern has already been raised."""


class AlreadyDecided(ConcernRefused):
    """The s42 decision on this concern has already been made."""


class DecidedWithOriginal(ConcernRefused):
    """The concern repeats an open concern, which is decided instead."""


class DecisionIncomplete(ConcernRefused):
    """The decision lacks, or wrongly gives, a route or failed criterion."""


class LinkUnchanged(ConcernRefused):
    """The concern is already linked that way."""


STAFF: Final = frozenset({Role.PRACTITIONER, Role.MANAGER})


def _require(actor: Actor, roles: frozenset[Role], doing: str) -> None:
    if actor.role not in roles:
        allowed = " or ".join(sorted(role.value for role in roles))
        raise NotPermitted(f"a {actor.role.value} may not {doing}; only a {allowed} may")


# --- the human reference --------------------------------------------------------------------------

_REFERENCE_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def concern_reference(concern_id: str, raised_on: date) -> str:
    """The reference people quote on the phone, e.g. SG-2026-4F7K2Q.

    Derived from the concern id, so raising the same concern again gives the same reference.
    Six characters leave about a billion per year: rare clashes are possible, so look-ups by
    reference must expect more than one concern. The concern id is the identity.
    """
    number = uuid.UUID(concern_id.removeprefix("concern-")).int
    characters = []
    for _ in range(6):
        number, index = divmod(number, len(_REFERENCE_ALPHABET))
        characters.append(_REFERENCE_ALPHABET[index])
    return f"SG-{raised_on.year}-{''.join(characters)}"


def new_concern_id() -> str:
    return f"concern-{uuid.uuid4()}"


def new_person_id() -> str:
    return f"person-{uuid.uuid4()}"


# --- the aggregate --------------------------------------------------------------------------------


class Concern:
    """One safeguarding concern, from being raised to the s42 decision.

    Its state is rebuilt from its events; each command checks the rules, then returns the new
    events (already applied to this object) for the handler to append.
    """

    def __init__(self, concern_id: str) -> None:
        self.concern_id = concern_id
        self.version = 0
        self.reference = ""
        self.person_id = ""
        self.linked_to_existing_person = False
        self.agency = ""
        self.partner_reference = ""
        self.what_happened: WhatHappened | None = None
        self.repeat_of: str | None = None
        self.repeat_of_reference: str | None = None
        self.decision: S42Decision | None = None

    @classmethod
    def rebuild(cls, concern_id: str, history: Iterable[DomainEvent]) -> Concern:
        concern = cls(concern_id)
        for past in history:
            concern.apply(past)
        return concern

    @property
    def raised(self) -> bool:
        return self.what_happened is not None

    @property
    def is_open(self) -> bool:
        """Open to being repeated: raised, not itself a repeat, and not yet decided."""
        return self.raised and self.repeat_of is None and self.decision is None

    def as_open_concern(self) -> OpenConcern | None:
        if not self.is_open or self.what_happened is None:
            return None
        return OpenConcern(
            concern_id=self.concern_id,
            reference=self.reference,
            person_id=self.person_id,
            incident_date=self.what_happened.incident_date,
            risk_types=frozenset(self.what_happened.risk_types),
        )

    def apply(self, change: DomainEvent) -> None:
        self.version += 1
        match change:
            case ConcernRaised():
                self.reference = change.reference
                self.person_id = change.person_id
                self.agency = change.agency
                self.partner_reference = change.partner_reference
                self.what_happened = change.what_happened
            case ConcernLinkedToPerson():
                self.person_id = change.person_id
                self.linked_to_existing_person = True
            case ConcernUnlinkedFromPerson():
                self.person_id = change.new_person_id
                self.linked_to_existing_person = False
            case RepeatConcernLinked():
                self.repeat_of = change.repeat_of_concern_id
                self.repeat_of_reference = change.repeat_of_reference
            case S42DecisionMade():
                self.decision = change.decision
            case InformationGathered() | ReferrerFeedbackGiven():
                pass
            case _:
                raise TypeError(f"a concern has no event {change.event_type!r}")

    def _record(self, *changes: DomainEvent) -> list[DomainEvent]:
        for change in changes:
            self.apply(change)
        return list(changes)

    def _require_raised(self) -> None:
        if not self.raised:
            raise NotRaised(f"there is no concern {self.concern_id}")

    # --- commands ---------------------------------------------------------------------------------

    def raise_concern(
        self,
        submission: ConcernSubmission,
        *,
        agency: str,
        person_id: str,
        person_matched_by: MatchedBy | None,
        open_concerns: Iterable[OpenConcern],
        submitted_via: SubmissionChannel,
        raised_on: date,
    ) -> list[DomainEvent]:
        """Raise the concern from a partner's submission.

        `person_id` is the person the handler found with `person_match_keys` (then
        `person_matched_by` says how), or a new person id (`person_matched_by` None).
        `open_concerns` are that person's open concerns: if this one repeats one of them (the
        same-incident rule), it is linked to it.
        """
        if self.raised:
            raise AlreadyRaised(f"concern {self.reference} has already been raised")
        if person_matched_by is MatchedBy.MANUAL:
            raise ValueError("a concern being raised is matched by key, not by hand")
        happened = WhatHappened.model_validate(submission.what_happened.model_dump())
        original = find_repeated_concern(
            (c for c in open_concerns if c.concern_id != self.concern_id),
            person_id=person_id,
            incident_date=happened.incident_date,
            risk_types=happened.risk_types,
        )
        raised = ConcernRaised(
            concern_id=self.concern_id,
            reference=concern_reference(self.concern_id, raised_on),
            person_id=person_id,
            person=Person.model_validate(submission.person.model_dump()),
            care_and_support_needs=submission.care_and_support_needs,
            what_happened=happened,
            immediate_safety_actions=submission.immediate_safety_actions,
            involvement=submission.involvement,
            communication=submission.communication,
            alleged_source_of_risk=submission.alleged_source_of_risk,
            agency=agency,
            referrer=submission.referrer,
            partner_reference=submission.partner_reference,
            submitted_via=submitted_via,
            repeat_of_concern_id=original.concern_id if original else None,
        )
        changes: list[DomainEvent] = [raised]
        if person_matched_by is not None:
            changes.append(
                ConcernLinkedToPerson(
                    concern_id=self.concern_id, person_id=person_id, matched_by=person_matched_by
                )
            )
        if original is not None:
            changes.append(
                RepeatConcernLinked(
                    concern_id=self.concern_id,
                    reference=raised.reference,
                    person_id=person_id,
                    repeat_of_concern_id=original.concern_id,
                    repeat_of_reference=original.reference,
                    days_apart=abs(original.incident_date - happened.incident_date).days,
                    shared_risk_types=sorted(
                        original.risk_types.intersection(happened.risk_types),
                        key=list(RiskType).index,
                    ),
                )
            )
        return self._record(*changes)

    def gather_information(
        self, actor: Actor, *, note: str, source: str, gathered_by: str
    ) -> list[DomainEvent]:
        _require(actor, STAFF, "record information about a concern")
        self._require_raised()
        return self._record(
            InformationGathered(
                concern_id=self.concern_id, note=note, source=source, gathered_by=gathered_by
            )
        )

    def decide(
        self,
        actor: Actor,
        *,
        decision: S42Decision,
        route: NoFurtherActionRoute | None = None,
        failed_criterion: S42Criterion | None = None,
        rationale: str,
        decided_by: str,
    ) -> list[DomainEvent]:
        """Decide whether the s42 duty applies.

        Only a Safeguarding Adults Manager decides. A no_further_action decision says where the
        concern goes (`route`); any decision other than an s42 enquiry says which s42(1)
        criterion was not met, because the national return and later reviews need to know why.
        """
        _require(actor, frozenset({Role.MANAGER}), "make the s42 decision")
        self._require_raised()
        if self.repeat_of is not None:
            raise DecidedWithOriginal(
                f"concern {self.reference} repeats open concern {self.repeat_of_reference}: "
                f"decide {self.repeat_of_reference} instead"
            )
        if self.decision is not None:
            raise AlreadyDecided(f"concern {self.reference} was already decided: {self.decision}")
        needs_route = decision is S42Decision.NO_FURTHER_ACTION
        needs_criterion = decision is not S42Decision.S42_ENQUIRY
        if needs_route != (route is not None):
            raise DecisionIncomplete(
                "a no_further_action decision needs a route"
                if needs_route
                else f"a {decision} decision has no route"
            )
        if needs_criterion != (failed_criterion is not None):
            raise DecisionIncomplete(
                f"a {decision} decision needs the s42 criterion that was not met"
                if needs_criterion
                else "an s42_enquiry decision means every criterion was met: give no failed one"
            )
        return self._record(
            S42DecisionMade(
                concern_id=self.concern_id,
                reference=self.reference,
                person_id=self.person_id,
                decision=decision,
                route=route,
                failed_criterion=failed_criterion,
                rationale=rationale,
                decided_by=decided_by,
            )
        )

    def give_referrer_feedback(
        self, actor: Actor, *, feedback: str, given_by: str
    ) -> list[DomainEvent]:
        _require(actor, STAFF, "give feedback to a referrer")
        self._require_raised()
        return self._record(
            ReferrerFeedbackGiven(
                concern_id=self.concern_id,
                reference=self.reference,
                agency=self.agency,
                partner_reference=self.partner_reference,
                feedback=feedback,
                given_by=given_by,
            )
        )

    def link_to_person(
        self, actor: Actor, *, person_id: str, reason: str, linked_by: str
    ) -> list[DomainEvent]:
        """Link the concern by hand to a person already on record."""
        _require(actor, STAFF, "link a concern to a person")
        self._require_raised()
        if person_id == self.person_id:
            raise LinkUnchanged(f"concern {self.reference} is already about {person_id}")
        return self._record(
            ConcernLinkedToPerson(
                concern_id=self.concern_id,
                person_id=person_id,
                previous_person_id=self.person_id,
                matched_by=MatchedBy.MANUAL,
                linked_by=linked_by,
                reason=reason,
            )
        )

    def unlink_from_person(
        self, actor: Actor, *, new_person_id: str, reason: str, unlinked_by: str
    ) -> list[DomainEvent]:
        """Undo a wrong link: the concern becomes about a new person record, `new_person_id`."""
        _require(actor, STAFF, "unlink a concern from a person")
        self._require_raised()
        if not self.linked_to_existing_person:
            raise LinkUnchanged(
                f"concern {self.reference} is not linked to a person already on record"
            )
        return self._record(
            ConcernUnlinkedFromPerson(
                concern_id=self.concern_id,
                person_id=self.person_id,
                new_person_id=new_person_id,
                unlinked_by=unlinked_by,
                reason=reason,
            )
        )
