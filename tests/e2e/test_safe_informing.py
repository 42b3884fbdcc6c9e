"""Safe by design, through the three service processes on the real broker and database: never a
message before a practitioner judged first contact safe, never to a route that may reach the
alleged source of risk, each recipient their own letter, no staff free text, discreet texts and
subjects. One test per failure found when the system was tried as a careful user would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from infra.sign_in import SignInSettings
from infra.stack import Endpoints, Stack, free_port
from shared.events import Role
from shared.mongo import Client
from tests.support.e2e import (
    Council,
    Json,
    a_concern,
    flags,
    mail_to,
    route,
    sent_mail,
    texts,
)
from tests.support.fake_notify import TEST_API_KEY, TEST_TEMPLATES, FakeNotify, running_fake_notify
from tests.support.servers import infra_environment, server_addresses

pytestmark = pytest.mark.e2e

SONS_PHONE = "07700 900789"


@pytest.fixture(scope="module")
def notify() -> Iterator[FakeNotify]:
    with running_fake_notify() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, notify: FakeNotify) -> Iterator[Stack]:
    kafka, mongo = server_addresses()
    run = uuid.uuid4().hex[:8]
    services = Stack(
        state=tmp_path_factory.mktemp("stack"),
        endpoints=Endpoints(
            kafka_bootstrap_servers=kafka,
            mongodb_uri=mongo,
            oidc_issuer=SignInSettings.from_env(infra_environment()).issuer,
            smtp_port=free_port(),
            service_ports={name: free_port() for name in ("intake", "outcomes", "notification")},
        ),
        extra_env={
            "CONSUMER_GROUP_PREFIX": f"e2e-safe-{run}",
            "COUNCIL_NAME": "Worcestershire County Council",
            "COUNCIL_CONTACT_DETAILS": "01905 000000",
            # Text messages through (a stand-in for) GOV.UK Notify; email by SMTP, letters queued.
            "NOTIFY_API_KEY": TEST_API_KEY,
            "NOTIFY_BASE_URL": notify.base_url,
            "NOTIFY_SMS_TEMPLATE_ID": TEST_TEMPLATES.sms,
        },
        database_prefix=f"e2e_safe_{run}_",
    )
    try:
        services.start()
        yield services
    finally:
        services.stop()


@pytest.fixture
async def council(stack: Stack, mongo_client: Client) -> AsyncIterator[Council]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield Council(stack, http, mongo_client)


def tagged(tag: str, name: str) -> str:
    return f"{name}.{tag}@example.org"


# 1 -----------------------------------------------------------------------------------------


async def test_a_police_referral_the_person_does_not_know_about_sends_nothing_until_judged_safe(
    council: Council,
) -> None:
    tag = uuid.uuid4().hex[:8]
    her_email = tagged(tag, "margaret")
    raised = await council.raise_concern(
        a_concern(
            **{
                "person.contact": {"email": her_email},
                "communication.easy_read": False,
                "involvement": {"person_aware": "no", "person_consented": "not_asked"},
            }
        )
    )
    await council.ok(
        "POST",
        "intake",
        f"/concerns/{raised.concern_id}/decision",
        {"decision": "s42_enquiry", "rationale": "Domestic abuse reported by the police."},
        role=Role.MANAGER,
    )
    # Both steps (the concern, then the decision) have reached notification and wait:
    # later events were processed, and still nothing went out.
    await raised.waiting(steps=2)
    assert mail_to(council.stack.state, her_email) == []

    await raised.confirm(route("person", "email"))
    await raised.log_entry("PersonInformed", "S42DecisionMade")
    told = [" ".join(texts([m])) for m in mail_to(council.stack.state, her_email)]
    assert sum("We call this a safeguarding concern." in text for text in told) == 1
    assert sum("made a decision" in text for text in told) == 1


# 2 -----------------------------------------------------------------------------------------


async def test_near_misses_of_the_source_of_risk_are_flagged_and_never_sent_to(
    council: Council,
) -> None:
    tag = uuid.uuid4().hex[:8]
    home = {"lines": ["14 Orchard Close"], "town": "Worcester", "postcode": "WR1 2AB"}
    # Daniel shares her home; the referral writes it without the town, and his mobile another way.
    raised = await council.raise_concern(
        a_concern(
            **{
                "person.contact": {
                    "email": tagged(tag, "margaret"),
                    "phone": "+44 (0)7700 900789",
                    "address": home,
                },
                "alleged_source_of_risk": {
                    "name": "Daniel Hill",
                    "relationship": "son",
                    "contact": {
                        "email": tagged(tag, "Daniel.Hill").upper(),
                        "phone": SONS_PHONE,
                        "address": {"lines": ["14 orchard close"], "postcode": "wr12ab"},
                    },
                },
                "communication.representative": {
                    "name": "Dan Hill",
                    "relationship": "her son",
                    "contact": {"email": tagged(tag, "dan")},
                },
            }
        )
    )
    picture = await raised.waiting()
    shown = flags(picture)
    assert "source_contact_point" in shown["person sms"]
    assert "source_contact_point" in shown["person letter"]
    assert {"name_like_source", "relationship_like_source"} <= shown["representative email"]
    assert shown["person email"] == set()

    # The person said she wants her son Dan kept informed: her wish is recorded as hers...
    chosen = await council.call(
        "PUT",
        "notification",
        f"/people/{raised.person_id}/contact-preferences",
        {
            "recipients": [
                {
                    "role": "person",
                    "name": "Margaret Hill",
                    "contact": {
                        "email": tagged(tag, "margaret"),
                        "address": {
                            "lines": ["14 Orchard Close", "Worcester"],
                            "postcode": "WR1 2AB",
                        },
                    },
                    "inform": True,
                },
                {
                    "role": "representative",
                    "name": "Dan Hill",
                    "relationship": "her son",
                    "contact": {"email": tagged(tag, "dan")},
                    "inform": True,
                    "chosen": "person_chose",
                },
            ],
            "channel": "email",
            "fallback_channel": "letter",
        },
    )
    assert chosen.status_code == 200, chosen.text
    # ...but no route to him, to her shared home or to his phone can be confirmed without the flags.
    for attempt in (
        route("representative", "email"),
        route("person", "letter"),
        route("person", "letter", "home_shared_with_source", "at_service_provider"),
    ):
        refused = await raised.decide(route("person", "email"), attempt)
        assert refused.status_code == 422, (attempt, refused.text)

    await raised.confirm(route("person", "email"))
    informed = await raised.log_entry("PersonInformed", "ConcernRaised")
    required = await raised.log_entry("PractitionerContactRequired", "ConcernRaised")
    assert informed["recipient_role"] == "person"
    assert required["recipient_role"] == "representative"
    assert "name_like_source" not in required["summary"]  # plain words, not codes
    assert "name is, or is like, an alleged source of risk's" in required["summary"]
    for address in (tagged(tag, "dan"), tagged(tag, "daniel.hill")):
        assert mail_to(council.stack.state, address) == []
    assert [
        letter for letter in await council.letters() if "WR1" in str(letter.get("addressee"))
    ] == []


# 3 -----------------------------------------------------------------------------------------


async def test_after_an_unlink_the_wrongly_matched_person_is_told_nothing_more(
    council: Council,
) -> None:
    tag = uuid.uuid4().hex[:8]
    nhs = a_concern()["person"]["nhs_number"]
    first = await council.raise_concern(
        a_concern(**{"person.nhs_number": nhs, "person.contact": {"email": tagged(tag, "a")}})
    )
    await first.waiting()
    # A second concern about someone else carries the first person's NHS number by mistake.
    second = await council.raise_concern(
        a_concern(
            **{
                "person.name": "Joan Other",
                "person.nhs_number": nhs,
                "person.contact": {"email": tagged(tag, "b")},
                # Another incident, not a repeat report of the first.
                "what_happened.risk_types": ["neglect_and_acts_of_omission"],
            }
        )
    )
    assert second.person_id == first.person_id
    await second.waiting(steps=2)
    await second.confirm(route("person", "email"))
    await second.log_entry("PersonInformed", "ConcernRaised")
    told_before = len(mail_to(council.stack.state, tagged(tag, "a")))

    await council.ok(
        "POST",
        "intake",
        f"/concerns/{second.concern_id}/unlink",
        {"reason": "Joan is not Margaret: the NHS number was mistyped by the referrer."},
    )

    async def moved() -> str | None:
        case = await council.call("GET", "outcomes", f"/cases/{second.case_id}")
        person = str(case.json()["person_id"])
        return person if person != first.person_id else None

    right_person = await council.until(moved, "the case to follow the unlink")
    await second.step(
        "meetings",
        {
            "meets_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            "where_or_how": "Room 4, County Hall",
            "purpose": "Planning",
            "invited": [{"role": "person", "name": "Joan Other"}],
            "person_invited": True,
            "format": "in_person",
        },
    )
    # The right person's first contact waits for its own decision, meeting and all.
    picture = await second.waiting(steps=2, person_id=right_person)
    assert {step["source_event_type"] for step in picture["waiting"]} == {
        "ConcernUnlinkedFromPerson",
        "MeetingArranged",
    }
    await second.confirm(route("person", "email"), person_id=right_person)
    await second.log_entry("PersonInformed", "MeetingArranged", person_id=right_person)

    assert len(mail_to(council.stack.state, tagged(tag, "a"))) == told_before
    meeting_mail = [
        m
        for m in mail_to(council.stack.state, tagged(tag, "b"))
        if "meeting" in "".join(texts([m]))
    ]
    assert len(meeting_mail) == 1
    assert "Room 4" not in "".join(texts(meeting_mail))


# 4 and 9 ------------------------------------------------------------------------------------


async def test_each_recipient_gets_their_own_letter_and_the_advocate_is_told_too(
    council: Council,
) -> None:
    tag = uuid.uuid4().hex[:8]
    raised = await council.raise_concern(
        a_concern(
            **{
                "person.contact": {"email": tagged(tag, "margaret")},
                "communication.easy_read": False,
                "communication.representative": {
                    "name": "Bethany Hill",
                    "relationship": "daughter",
                    "contact": {"email": tagged(tag, "bethany")},
                },
            }
        )
    )
    await raised.waiting()
    # Named by the referrer: not told until the person chooses her.
    await raised.confirm(route("person", "email"))
    await raised.log_entry("PersonInformed", "ConcernRaised")
    assert mail_to(council.stack.state, tagged(tag, "bethany")) == []

    preferences = await council.ok(
        "GET", "notification", f"/people/{raised.person_id}/contact-preferences"
    )
    for recipient in preferences["recipients"]:
        if recipient["role"] == "representative":
            recipient |= {"inform": True, "chosen": "person_chose"}
    await council.ok(
        "PUT",
        "notification",
        f"/people/{raised.person_id}/contact-preferences",
        {k: preferences[k] for k in ("recipients", "channel", "fallback_channel", "format")},
    )
    await raised.confirm(route("representative", "email"))
    await raised.step(
        "advocate",
        {
            "name": "Asha Patel",
            "organisation": "Worcestershire Advocacy",
            "substantial_difficulty": "Finds it hard to follow long conversations.",
            "no_appropriate_person": "Her daughter lives abroad most of the year.",
            "contact": {"email": tagged(tag, "asha")},
        },
    )
    required = await raised.log_entry("PractitionerContactRequired", "AdvocateAppointed")
    assert required["recipient_role"] == "advocate"
    await raised.confirm(route("advocate", "email"))
    await council.ok(
        "POST",
        "intake",
        f"/concerns/{raised.concern_id}/decision",
        {"decision": "s42_enquiry", "rationale": "Care and support needs; at risk."},
        role=Role.MANAGER,
    )
    for role in ("person", "representative", "advocate"):

        async def told(role: str = role) -> Json | None:
            for entry in await council.log(raised.person_id):
                if (entry["kind"], entry["source_event_type"], entry["recipient_role"]) == (
                    "PersonInformed",
                    "S42DecisionMade",
                    role,
                ):
                    return entry
            return None

        await council.until(told, f"the {role} told of the decision")

    state = council.stack.state
    [to_her], [to_bethany], [to_asha] = (
        [m for m in mail_to(state, tagged(tag, who)) if "made a decision" in "".join(texts([m]))]
        for who in ("margaret", "bethany", "asha")
    )
    her, bethany, asha = ("".join(texts([m])) for m in (to_her, to_bethany, to_asha))
    assert "Dear Margaret," in her
    assert "Dear Bethany Hill," in bethany
    assert "We are writing to you as Margaret Hill's representative." in bethany
    assert "Dear Asha Patel," in asha
    assert "We are writing to you as Margaret Hill's independent advocate." in asha
    for supporter in (bethany, asha):
        assert "Dear Margaret" not in supporter
        assert "concern about you" not in supporter


# 5 -----------------------------------------------------------------------------------------


async def test_no_staff_free_text_reaches_the_person_and_untold_overrides_stay_off_her_timeline(
    council: Council,
) -> None:
    tag = uuid.uuid4().hex[:8]
    marker = f"FREETEXT{tag}"
    raised = await council.raise_concern(
        a_concern(
            **{
                "person.contact": {"email": tagged(tag, "margaret")},
                "communication.easy_read": False,
            }
        )
    )
    await raised.waiting()
    await raised.confirm(route("person", "email"))
    await council.ok(
        "POST",
        "intake",
        f"/concerns/{raised.concern_id}/decision",
        {"decision": "s42_enquiry", "rationale": f"{marker} rationale"},
        role=Role.MANAGER,
    )
    await raised.log_entry("PersonInformed", "S42DecisionMade")
    await raised.step("lead-worker", {"name": "Ayesha Khan", "contact": f"ask for {marker}"})
    await raised.step(
        "meetings",
        {
            "meets_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
            "where_or_how": f"{marker} the back room of the pub",
            "purpose": f"{marker} to talk about her son",
            "invited": [{"role": "person", "name": "Margaret Hill"}],
            "person_invited": True,
            "format": "in_person",
        },
    )
    await raised.step(
        "wishes-overrides",
        {
            "action": "police",
            "grounds": ["others_at_risk"],
            "reason": f"{marker} other residents at risk from the same man",
            "person_told": True,
        },
        role=Role.MANAGER,
    )
    await raised.step(
        "wishes-overrides",
        {
            "action": "regulator",
            "grounds": ["regulated_provider_or_position_of_trust"],
            "reason": f"{marker} the care agency must be reported",
            "person_told": False,
            "why_not_told": f"{marker} her son reads her post",
        },
        role=Role.MANAGER,
    )
    await raised.log_entry("PersonInformed", "WishesOverridden")
    await raised.log_entry("PersonInformed", "MeetingArranged")
    await raised.log_entry("InformingWithheld", "WishesOverridden")

    mail = "".join(texts(mail_to(council.stack.state, tagged(tag, "margaret"))))
    assert marker not in mail
    assert "You told us you did not want this" not in mail
    assert "without your agreement" in mail

    staff_view = await council.ok("GET", "outcomes", f"/cases/{raised.case_id}/timeline")
    timeline = await council.ok(
        "GET", "outcomes", f"/cases/{raised.case_id}/timeline?for_the_person=true"
    )
    about_regulator = [e for e in staff_view["entries"] if "regulator" in e["text"].casefold()]
    assert about_regulator
    assert all(e["withheld_from_person"] for e in about_regulator)
    assert [e for e in timeline["entries"] if "regulator" in e["text"].casefold()] == []


# 6 -----------------------------------------------------------------------------------------


async def test_a_text_message_is_short_and_discreet_and_so_is_an_email_subject(
    council: Council, notify: FakeNotify
) -> None:
    tag = uuid.uuid4().hex[:8]
    phone = f"07700 9{tag[:5].translate(str.maketrans('abcdef', '123456'))}"
    raised = await council.raise_concern(
        a_concern(**{"person.contact": {"phone": phone}, "alleged_source_of_risk": None})
    )
    await raised.waiting()
    await raised.confirm(route("person", "sms"))
    await raised.log_entry("PersonInformed", "ConcernRaised")

    [text] = [
        r
        for r in notify.received
        if r.kind == "sms"
        and str(r.body["phone_number"]).replace(" ", "") == phone.replace(" ", "")
    ]
    body = str(text.personalisation["body"])
    assert len(body) <= 160
    assert body == (
        "Worcestershire County Council has a private message for you. Please contact us: "
        "01905 000000"
    )
    subjects = {str(m["Subject"]) for m in sent_mail(council.stack.state)}
    assert subjects == {"A private message from Worcestershire County Council"}


# 7 -----------------------------------------------------------------------------------------


async def test_a_language_without_a_reviewed_message_goes_to_a_practitioner_not_an_english_letter(
    council: Council,
) -> None:
    tag = uuid.uuid4().hex[:8]
    raised = await council.raise_concern(
        a_concern(
            **{
                "person.contact": {"email": tagged(tag, "margaret")},
                "communication.language": "Polish",
                "communication.interpreter_needed": False,
            }
        )
    )
    await raised.waiting()
    await raised.confirm(route("person", "email"))
    required = await raised.log_entry("PractitionerContactRequired", "ConcernRaised")

    assert "no reviewed message in their language" in required["summary"]
    assert mail_to(council.stack.state, tagged(tag, "margaret")) == []


# 8 -----------------------------------------------------------------------------------------


async def test_nothing_goes_to_the_care_home_where_the_source_works_until_a_route_is_confirmed(
    council: Council,
) -> None:
    tag = uuid.uuid4().hex[:8]
    care_home = {"lines": ["The Willows", "Mill Road"], "town": "Malvern", "postcode": "WR14 2AA"}
    staff_email = f"k.jones.{tag}@willows-care.example"
    raised = await council.raise_concern(
        a_concern(
            **{
                # Her address is the care home; the staff member's email entered as hers.
                "person.contact": {"email": staff_email, "address": care_home},
                "what_happened.location": "care_home_residential",
                "what_happened.source": "service_provider",
                "alleged_source_of_risk": {
                    "name": "Kerry Jones",
                    "relationship": "staff member",
                    "contact": {"email": staff_email},
                },
            }
        )
    )
    picture = await raised.waiting()
    shown = flags(picture)
    assert "source_contact_point" in shown["person email"]
    assert "at_service_provider" in shown["person letter"]

    refused = await raised.decide(route("person", "letter"))
    assert refused.status_code == 422
    assert "at_service_provider" in refused.text
    await council.ok(
        "POST",
        "intake",
        f"/concerns/{raised.concern_id}/decision",
        {"decision": "s42_enquiry", "rationale": "Allegation against a member of staff."},
        role=Role.MANAGER,
    )
    await raised.waiting(steps=2)
    assert mail_to(council.stack.state, staff_email) == []
    assert [
        letter for letter in await council.letters() if "WR14" in str(letter.get("addressee"))
    ] == []

    # Her advocate will hand her the letter: confirmed despite the flag, by a practitioner.
    await raised.confirm(route("person", "letter", "at_service_provider"))
    await raised.log_entry("PersonInformed", "S42DecisionMade")
    assert mail_to(council.stack.state, staff_email) == []


# 9 (the ratings) ---------------------------------------------------------------------------


async def test_a_partly_achieved_outcome_is_never_described_as_achieved(council: Council) -> None:
    tag = uuid.uuid4().hex[:8]
    raised = await council.raise_concern(
        a_concern(
            **{
                "person.contact": {"email": tagged(tag, "margaret")},
                "communication.easy_read": False,
            }
        )
    )
    await raised.waiting()
    await raised.confirm(route("person", "email"))
    await council.ok(
        "POST",
        "intake",
        f"/concerns/{raised.concern_id}/decision",
        {"decision": "s42_enquiry", "rationale": "Care and support needs; at risk."},
        role=Role.MANAGER,
    )

    async def enquiry() -> Json | None:
        file = await council.ok("GET", "outcomes", f"/cases/{raised.case_id}")
        return file if file.get("enquiry_kind") or file.get("enquiry") else None

    await council.until(enquiry, "the enquiry to start")
    recorded = await raised.step("desired-outcomes", {"text": "I want to feel safer"})
    outcome = next(
        str(e["payload"]["desired_outcome_id"])
        for e in recorded["events"]
        if "desired_outcome_id" in e["payload"]
    )
    await raised.step(
        "reviews",
        {
            "stage": "review",
            "ratings": [{"outcome_id": outcome, "achievement": "partially"}],
            "experience": {
                "felt_listened_to": "yes",
                "felt_involved": "yes",
                "felt_informed": "yes",
                "feels_safer": "partly",
            },
        },
    )
    await raised.step(
        "conclusion",
        {
            "case_details": {
                "risks": [
                    {
                        "risk_type": "psychological",
                        "location": "own_home",
                        "source": "known_to_individual",
                    }
                ],
                "action_taken_and_result": "risk_identified_action_taken",
                "risk_outcome": "risk_reduced",
                "mental_capacity": "did_not_lack_capacity",
            },
            "msp_asked": "asked_and_expressed",
            "achievements": [{"desired_outcome_id": outcome, "achievement": "partially"}],
        },
        role=Role.MANAGER,
    )
    await raised.log_entry("PersonInformed", "EnquiryConcluded")

    mail = "".join(texts(mail_to(council.stack.state, tagged(tag, "margaret"))))
    assert "safer now" not in mail.casefold()
    assert "you said 0 were fully achieved, 1 partly achieved" in mail
    assert "You said you feel a little safer, but not fully safe." in mail
