"""Synthetic but lawful case histories for the projection-rebuild benchmark.

Every event is decided by the real `Case` aggregate, so each history obeys the same rules a
practitioner meets through the API: desired outcomes before agreed ones, a plan that serves agreed
outcomes, formal action only with consent (heard by a colleague) or a manager's override on
statutory grounds, a conclusion signed off by a manager with the person's view of each outcome.
The case decides at each step's time (`case.now`), as the service would on that day. Cases vary in length
and some are still open, as a year of a council's work would be.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.outcomes.domain.case import Case, case_id_for
from shared.events import Actor, Envelope, Metadata, Role, encode
from shared.events.envelope import SYSTEM_ACTOR
from shared.events.outcomes import (
    CaseOpened,
    ConversationMode,
    EnquiryKind,
    Experience,
    ExperienceAnswer,
    ExpressedBy,
    FormalActionKind,
    OutcomeAchievement,
    OutcomeCategory,
    OutcomeRating,
    Participant,
    ParticipantRole,
    PlanAction,
    ReviewStage,
    RiskDetail,
    RiskOption,
    SacCaseDetails,
    StatutoryGround,
    Wish,
)
from shared.sac import (
    Achievement,
    ActionTakenAndResult,
    MentalCapacity,
    MspAsked,
    RiskLocation,
    RiskOutcome,
    RiskSource,
    RiskType,
)

PRACTITIONERS = ("Ayesha Khan", "Tom Price", "Grace Mensah", "Owen Davies", "Priya Shah")
MANAGER = Actor(id="sam-olu", role=Role.MANAGER, agency=None)
COLLEAGUE = Actor(id="sw-colleague", role=Role.PRACTITIONER, agency=None)
NAMES = ("Margaret Hill", "John Evans", "Sarah Lewis", "Arthur Brown", "Edna Clarke", "Ravi Patel")

WHAT_THEY_WANT = (
    ("I want the abuse to stop – but I still want to see my son", OutcomeCategory.RELATIONSHIP),
    ("I want to feel safer", OutcomeCategory.SAFETY),
    ("I want my money back and to manage my own bank card", OutcomeCategory.JUSTICE),
    ("I just want to stay in my own home", OutcomeCategory.WELLBEING_SOCIAL),
    ("I want the carers to say sorry", OutcomeCategory.APOLOGY),
    (
        "I don't want this to happen to anyone else at the home",
        OutcomeCategory.PREVENT_HARM_TO_OTHERS,
    ),
    ("I want to see my friends at the day centre again", OutcomeCategory.WELLBEING_SOCIAL),
)
AGREED = (
    "Supervised contact with her son, on days she chooses",
    "Her bank card and PIN are changed and kept by her alone",
    "A daily check-in call from the home care team",
    "A new care worker she has met and likes",
)
RISK_OPTIONS = (
    RiskOption(
        option="Supervised contact at a family centre",
        risks="Her son may refuse and stop visiting",
        benefits="She keeps seeing him without being alone with him",
    ),
    RiskOption(
        option="No contact for now",
        risks="She would be lonely and may let him in anyway",
        benefits="The shouting and taking of money stops",
    ),
    RiskOption(
        option="Contact as before, with a personal alarm",
        risks="The financial abuse may continue",
        benefits="Nothing changes that she does not want changed",
    ),
)


def _actor(rng: random.Random) -> Actor:
    name = rng.choice(PRACTITIONERS)
    return Actor(id=f"sw-{name.split()[0].lower()}", role=Role.PRACTITIONER, agency=None)


class CaseHistories:
    """Yields cases, each as its envelopes in stream order (stream = case id)."""

    def __init__(self, seed: int, *, now: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.now = now or datetime.now(UTC)

    def __iter__(self) -> Iterator[list[Envelope]]:
        while True:
            yield self.case()

    def case(self) -> list[Envelope]:
        rng = self.rng
        at = self.now - timedelta(days=rng.uniform(20, 365))
        person = rng.choice(NAMES)
        practitioner = _actor(rng)
        the_person = Participant(role=ParticipantRole.PERSON, name=person)
        worker = Participant(role=ParticipantRole.PRACTITIONER, name=practitioner.id)
        risk_types = tuple(rng.sample(list(RiskType), rng.randint(1, 2)))
        location = rng.choice(list(RiskLocation))
        source = rng.choice(list(RiskSource))
        concern_id = f"concern-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        case = Case.open(
            concern_id=concern_id,
            person_id=f"person-{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            reference=f"SG-{at.year}-{rng.getrandbits(30):06X}",
            concern_raised_at=at - timedelta(hours=rng.uniform(1, 48)),
            opened_at=at,
            person_name=person,
            risk_types=risk_types,
            risk_location=location,
            risk_source=source,
            persons_own_words="I don't want him in trouble. I just want it to stop.",
        )
        # Each step is appended as one command by one actor, as the API would record it.
        steps: list[tuple[Actor, datetime]] = [(SYSTEM_ACTOR, at)]

        def step(hours: float, actor: Actor = practitioner) -> datetime:
            nonlocal at
            at = at + timedelta(hours=rng.uniform(0.5, hours))
            steps.append((actor, at))
            case.now = at
            return at

        kind = EnquiryKind.S42_ENQUIRY if rng.random() < 0.8 else EnquiryKind.OTHER_ENQUIRY
        case.start_enquiry(kind, started_at=step(24, SYSTEM_ACTOR))
        case.assign_lead_worker(
            name=rng.choice(PRACTITIONERS), contact="01905 765432", assigned_at=step(8)
        )
        case.hold_conversation(
            participants=[the_person, worker],
            held_at=step(48),
            mode=rng.choice(list(ConversationMode)),
            summary="We talked about what happened and what she wants to change.",
        )
        desired = []
        for text, category in rng.sample(WHAT_THEY_WANT, rng.randint(1, 3)):
            desired.append(
                case.express_desired_outcome(
                    text=text,
                    expressed_by=ExpressedBy.PERSON,
                    expressed_at=step(1),
                    category=category,
                ).desired_outcome_id
            )
        if rng.random() < 0.3:
            case.revise_desired_outcome(
                desired[0],
                text="I want it to stop, and I want to decide when I see him",
                expressed_by=ExpressedBy.PERSON,
                revised_at=step(72),
            )
        wish = rng.choice([Wish.DOES_NOT_WANT, Wish.DOES_NOT_WANT, Wish.WANTS, Wish.UNDECIDED])
        case.record_formal_action_wishes(
            practitioner,
            FormalActionKind.POLICE,
            wish=wish,
            in_their_words="I don't want the police involved, he's my son",
            expressed_by=ExpressedBy.PERSON,
            recorded_at=step(2),
        )
        lacks = rng.random() < 0.1
        if rng.random() < 0.5:
            case.assess_mental_capacity(
                decision="Whether to allow her son to manage her money",
                lacks_capacity=lacks,
                assessed_by=practitioner.id,
                assessed_at=step(48),
                best_interests="Her money is managed by a deputy; she chooses how it is spent"
                if lacks
                else None,
            )
        if rng.random() < 0.2:
            case.appoint_advocate(
                name="Jo Reed",
                organisation="Worcestershire Advocacy",
                substantial_difficulty="Finds it hard to weigh up options under stress",
                no_appropriate_person="Her only relative is the alleged source of risk",
                appointed_at=step(24),
            )
        case.hold_risk_discussion(
            present=[the_person, worker],
            options=rng.sample(RISK_OPTIONS, 2),
            persons_decision="I'll see him at the family centre, not at home",
            decided_by=ExpressedBy.PERSON,
            held_at=step(72),
        )
        agreed = [
            case.agree_outcome(
                wording=rng.choice(AGREED), serves=[desired_id], agreed_at=step(4)
            ).agreed_outcome_id
            for desired_id in desired[: rng.randint(1, len(desired))]
        ]
        case.arrange_meeting(
            meets_at=at + timedelta(days=7),
            where_or_how="At her home, with her advocate if she wants",
            purpose="Agree the safeguarding plan",
            invited=[the_person, worker],
            person_invited=True,
        )
        step(1)
        case.agree_plan(
            actions=[
                PlanAction(
                    description=rng.choice(AGREED),
                    serves=(agreed_id,),
                    owner=rng.choice(PRACTITIONERS),
                    agreed_date=(at + timedelta(days=14)).date(),
                )
                for agreed_id in agreed
            ],
            agreed_at=step(168),
        )
        case.agree_next_contact(contact_on=(at + timedelta(days=7)).date(), agreed_at=step(1))
        if rng.random() < 0.15:
            return self._envelopes(case, steps)
        case.hold_conversation(
            participants=[the_person, worker],
            held_at=step(150),
            mode=ConversationMode.PHONE,
            summary="Checked in: the contact arrangements are working so far.",
        )
        case.agree_review_date(review_on=(at + timedelta(days=28)).date(), agreed_at=step(1))
        if wish is Wish.WANTS or rng.random() < 0.2:
            if wish is not Wish.WANTS:
                step(24, MANAGER)
                case.override_wishes(
                    MANAGER,
                    FormalActionKind.POLICE,
                    grounds=[StatutoryGround.CRIME_OR_SUSPECTED_CRIME],
                    reason="Other older people in the street report the same man taking money",
                    person_told=True,
                )
            case.take_formal_action(
                COLLEAGUE,
                FormalActionKind.POLICE,
                description="Referral to the police public protection unit",
                requested_by=practitioner.id,
                taken_at=step(24, COLLEAGUE),
            )
        experience = Experience(
            felt_listened_to=ExperienceAnswer.YES,
            felt_involved=rng.choice(list(ExperienceAnswer)),
            felt_informed=rng.choice(list(ExperienceAnswer)),
            feels_safer=rng.choice(list(ExperienceAnswer)),
        )
        for _ in range(rng.randint(1, 4)):
            case.hold_conversation(
                participants=[the_person, worker],
                held_at=step(120),
                mode=rng.choice(list(ConversationMode)),
                summary="Talked through how the plan is going and what she wants next.",
            )
        if rng.random() < 0.1:
            return self._envelopes(case, steps)
        views = {d: rng.choice(list(Achievement)) for d in desired}
        case.review_outcomes(
            stage=ReviewStage.REVIEW,
            ratings=[OutcomeRating(outcome_id=d, achievement=a) for d, a in views.items()],
            experience=experience,
            reviewed_at=step(672),
            person_view="Things are better. I feel like people listened to me.",
        )
        case.review_outcomes(
            stage=ReviewStage.CLOSURE,
            ratings=[
                OutcomeRating(outcome_id=d, achievement=a, in_their_words="Mostly, yes")
                for d, a in views.items()
            ],
            experience=experience,
            reviewed_at=step(168),
        )
        action = rng.choice(
            [
                a
                for a in ActionTakenAndResult
                if a is not ActionTakenAndResult.CEASED_AT_INDIVIDUALS_REQUEST
            ]
        )
        acted = action in (
            ActionTakenAndResult.RISK_IDENTIFIED_ACTION_TAKEN,
            ActionTakenAndResult.INCONCLUSIVE_ACTION_TAKEN,
        )
        step(48, MANAGER)
        case.conclude_enquiry(
            MANAGER,
            case_details=SacCaseDetails(
                risks=tuple(
                    RiskDetail(risk_type=r, location=location, source=source) for r in risk_types
                ),
                action_taken_and_result=action,
                risk_outcome=rng.choice(list(RiskOutcome)) if acted else None,
                mental_capacity=MentalCapacity.LACKED_CAPACITY
                if lacks
                else MentalCapacity.DID_NOT_LACK_CAPACITY,
                lacked_capacity_supported=True if lacks else None,
            ),
            msp_asked=MspAsked.ASKED_AND_EXPRESSED,
            achievements=[
                OutcomeAchievement(desired_outcome_id=d, achievement=a) for d, a in views.items()
            ],
        )
        step(24)
        case.close(
            reason="The enquiry is concluded and the plan is working",
            person_view="I'm glad it's sorted. I still see my son.",
            feedback_to_referrer=True,
            sar_considered=False,
        )
        return self._envelopes(case, steps)

    def _envelopes(self, case: Case, steps: list[tuple[Actor, datetime]]) -> list[Envelope]:
        correlation = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        envelopes = []
        for version, (payload, (actor, at)) in enumerate(
            zip(case.pending_events, steps, strict=True), start=1
        ):
            envelopes.append(
                Envelope.record(
                    payload,
                    stream_id=case.case_id,
                    stream_version=version,
                    metadata=Metadata(actor=actor, correlation_id=correlation),
                    event_id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                    occurred_at=at,
                )
            )
        return envelopes


@dataclass(frozen=True)
class Published:
    """One event as it goes onto the outcomes topic."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class CaseCopies:
    """`templates` distinct histories decided by the Case aggregate, then copied under new
    concern, case, person, reference, correlation and event ids until `events` have been made.
    A copy is as valid as its template (only ids of the same form change) and costs a few
    microseconds, where deciding a case afresh costs milliseconds: a million events can be made
    in seconds rather than minutes."""

    def __init__(self, seed: int, templates: int) -> None:
        self.rng = random.Random(seed)
        histories = CaseHistories(seed)
        self.templates = [histories.case() for _ in range(templates)]
        self.encoded = [[encode(e) for e in case] for case in self.templates]

    def events(self, count: int) -> Iterator[Published]:
        """At least `count` events, whole cases at a time, each case's in stream order."""
        made = 0
        while made < count:
            index = self.rng.randrange(len(self.templates))
            template, values = self.templates[index], self.encoded[index]
            first = template[0].payload
            assert isinstance(first, CaseOpened)
            concern_id = f"concern-{self._uuid()}"
            case_id = case_id_for(concern_id)
            swaps = [
                (first.concern_id, concern_id),
                (first.case_id, case_id),
                (first.person_id, f"person-{self._uuid()}"),
                (first.reference, f"SG-{first.opened_at.year}-{self.rng.getrandbits(30):06X}"),
                (template[0].correlation_id, self._uuid()),
            ]
            correlation = swaps[-1][1]
            for envelope, value in zip(template, values, strict=True):
                event_id = self._uuid()
                for old, new in [*swaps, (envelope.event_id, event_id)]:
                    value = value.replace(old.encode(), new.encode())
                yield Published(
                    key=case_id.encode(),
                    value=value,
                    headers=[
                        ("event_id", event_id.encode()),
                        ("event_type", envelope.event_type.encode()),
                        ("schema_version", str(envelope.schema_version).encode()),
                        ("correlation_id", correlation.encode()),
                    ],
                )
                made += 1

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
