"""The seed's story, played through the public APIs of the three services.

A police officer raises a concern about an older woman whose son is taking her money and
frightening her. The referral gets some details wrong in the way real ones do: the mobile number
given as hers is her son's, written another way, and it names "Dan Hill, her son" as someone to
keep informed. Before anything is sent, a practitioner looks at every route and its flags: the
phone and the representative are flagged as possibly the son, and a text to that phone can never
be confirmed; she confirms that email to Mrs Hill herself is safe. Only then is Mrs Hill told, in
easy read, what happens next. In conversation she says
"I want the abuse to stop – but I still want to see my son" and "I want to feel safer"; she does
not want police action. The police ask for a prosecution and the formal action is refused: she
has not consented and no manager has overridden her wishes. A risk discussion agrees supervised
contact; the plan links to her outcomes; at review she rates one outcome fully and one partially
achieved; the enquiry concludes and the case closes.

    python -m demo.story        # against `make run` (or compose: set INTAKE_URL etc.)

Staff sign in at Keycloak as the realm's test users (a practitioner and a manager), with the
test client and password that `make run` wrote to .local/run/infra.env (or OIDC_* variables).

Prints her timeline, the MSP report, and as its last line a JSON summary.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from infra.local import read_environment
from infra.sign_in import SignInSettings, StaffSignIn, TestUser
from services.intake.settings import DEV_PARTNER_KEY

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
Json = dict[str, Any]

ABUSE_TO_STOP = "I want the abuse to stop – but I still want to see my son"
SONS_PHONE = "07700 900789"
SONS_PHONE_AS_HERS = "+44 (0)7700 900789"
SONS_CONTACT_POINTS = ("daniel.hill@example.org", "dan.hill@example.org", "3 Mill Lane", "WR2 5XY")
FEEL_SAFER = "I want to feel safer"


@dataclass(frozen=True)
class Places:
    intake: str
    outcomes: str
    notification: str
    partner_api_key: str
    sign_in: SignInSettings

    @classmethod
    def from_env(cls) -> Places:
        env = {**read_environment(ROOT / ".local" / "run"), **os.environ}
        return cls(
            intake=env.get("INTAKE_URL", "http://127.0.0.1:8001"),
            outcomes=env.get("OUTCOMES_URL", "http://127.0.0.1:8002"),
            notification=env.get("NOTIFICATION_URL", "http://127.0.0.1:8003"),
            partner_api_key=env.get("PARTNER_API_KEY", DEV_PARTNER_KEY),
            sign_in=SignInSettings.from_env(env),
        )


class StoryError(RuntimeError):
    pass


def nhs_number() -> str:
    """A random NHS number with a valid check digit, so each run is about a new person."""
    while True:
        digits = [random.randint(1 if i == 0 else 0, 9) for i in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def concern(run: str) -> Json:
    today = date.today()
    return {
        "partner_reference": f"WMP-{run}",
        "person": {
            "name": "Margaret Hill",
            "date_of_birth": "1941-06-14",
            "nhs_number": nhs_number(),
            "gender": "female",
            "ethnicity": "white",
            "primary_support_reason": "physical_support",
            "contact": {
                "email": "margaret.hill@example.org",
                # A mistake in the referral: this is her son's mobile, written another way.
                "phone": SONS_PHONE_AS_HERS,
                "address": {
                    "lines": ["14 Orchard Close"],
                    "town": "Worcester",
                    "postcode": "WR1 2AB",
                },
            },
        },
        "care_and_support_needs": "yes",
        "what_happened": {
            "description": "A neighbour called us after hearing shouting. Mrs Hill told officers "
            "that her son takes her bank card every week when her pension is paid and shouts at "
            "her when she asks for it back. She said she is frightened of him when he has been "
            "drinking.",
            "risk_types": ["financial_or_material", "psychological"],
            "location": "own_home",
            "source": "known_to_individual",
            "incident_date": (today - timedelta(days=1)).isoformat(),
        },
        "immediate_safety_actions": "Officers spoke to her son, who left the house. Mrs Hill "
        "asked her bank to cancel the card.",
        "involvement": {
            "person_aware": "yes",
            "person_consented": "yes",
            "person_own_words": "I don't want him in trouble. I just want it to stop.",
        },
        "communication": {
            "language": "English",
            "interpreter_needed": False,
            "easy_read": True,
            # The referrer thought her son could help: he is the alleged source of risk.
            "representative": {
                "name": "Dan Hill",
                "relationship": "her son",
                "contact": {"email": "dan.hill@example.org", "phone": "07700900789"},
            },
        },
        "alleged_source_of_risk": {
            "name": "Daniel Hill",
            "relationship": "son",
            "contact": {
                "email": "daniel.hill@example.org",
                "phone": SONS_PHONE,
                "address": {"lines": ["3 Mill Lane"], "town": "Worcester", "postcode": "WR2 5XY"},
            },
        },
        "referrer": {
            "name": "PC Sam Okafor",
            "role": "Police constable, public protection unit",
            "email": "sam.okafor@police.example.org",
        },
    }


class Story:
    def __init__(
        self, places: Places, client: httpx.AsyncClient, say: Callable[[str], None]
    ) -> None:
        self.places = places
        self.http = client
        self.say = say
        run = f"{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:4]}"
        self.run = run
        self.correlation_id = f"demo-{run}"
        self.practitioner = ""
        self.manager = ""

    async def sign_in(self) -> None:
        """A practitioner and a manager sign in at the identity provider."""
        staff = StaffSignIn(self.places.sign_in)
        self.practitioner = await staff.token(TestUser.PRACTITIONER)
        self.manager = await staff.token(TestUser.MANAGER)

    # ------------------------------------------------------------------ plumbing

    def headers(self, token: str | None = None) -> dict[str, str]:
        headers = {"X-Correlation-ID": self.correlation_id}
        if token is None:
            headers["X-API-Key"] = self.places.partner_api_key
        else:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def call(
        self,
        method: str,
        url: str,
        token: str | None,
        body: Json | None = None,
        expect: int | tuple[int, ...] = (200, 201, 202),
    ) -> httpx.Response:
        response = await self.http.request(method, url, json=body, headers=self.headers(token))
        allowed = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in allowed:
            raise StoryError(f"{method} {url} answered {response.status_code}: {response.text}")
        return response

    async def step(self, case: str, path: str, body: Json, token: str | None = None) -> Json:
        response = await self.call(
            "POST", f"{self.places.outcomes}/cases/{case}/{path}", token or self.practitioner, body
        )
        result: Json = response.json()
        return result

    async def until(
        self, probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 60
    ) -> T:
        deadline = time.monotonic() + timeout
        while True:
            result = await probe()
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise StoryError(f"gave up waiting for {what}")
            await asyncio.sleep(0.1)

    async def get(self, url: str, token: str) -> httpx.Response:
        return await self.http.get(url, headers=self.headers(token))

    @staticmethod
    def new_id(recorded: Json, field: str) -> str:
        for event in recorded["events"]:
            if field in event["payload"]:
                return str(event["payload"][field])
        raise StoryError(f"no {field} in {recorded}")

    # ------------------------------------------------------------------ the story

    async def play(self) -> Json:
        say = self.say
        await self.sign_in()
        say(f"0. A practitioner and a manager sign in at {self.places.sign_in.issuer}.")
        say("1. PC Okafor of the police raises a concern about Mrs Hill.")
        received = (
            await self.call(
                "POST", f"{self.places.intake}/concerns", None, concern(self.run), expect=202
            )
        ).json()
        concern_id = received["concern_id"]
        say(f"   Reference {received['reference']}. {received['what_happens_next']}")

        async def case_opened() -> Json | None:
            response = await self.get(
                f"{self.places.outcomes}/concerns/{concern_id}/case", self.practitioner
            )
            return response.json() if response.status_code == 200 else None

        located = await self.until(case_opened, "the case to open")
        case, person = located["case_id"], located["person_id"]
        say(f"   A case is open for her from the very start: {case}.")

        picture = await self.until(
            lambda: self.first_contact_waiting(person), "the first contact to wait for a decision"
        )
        flags = {
            (r["role"], route["channel"]): sorted(c["kind"] for c in route["clashes"])
            for r in picture["recipients"]
            for route in r["routes"]
        }
        say(
            "2. Nothing is sent yet. Ayesha, a practitioner, checks every route first. Flagged as "
            "possibly her son: "
            + "; ".join(
                f"{role} {channel}: {', '.join(kinds)}"
                for (role, channel), kinds in sorted(flags.items())
                if kinds
            )
            + "."
        )
        text_refused = await self.http.post(
            f"{self.places.notification}/people/{person}/safe-contact",
            json={"concern_id": concern_id, "routes": [{"role": "person", "channel": "sms"}]},
            headers=self.headers(self.practitioner),
        )
        say(f"   A text to the phone given as hers is refused: {text_refused.json()['detail']}")
        await self.call(
            "POST",
            f"{self.places.notification}/people/{person}/safe-contact",
            self.practitioner,
            {"concern_id": concern_id, "routes": [{"role": "person", "channel": "email"}]},
        )
        say("   She confirms that email to Mrs Hill herself is safe.")
        informed = await self.until(
            lambda: self.informed_about(person, "ConcernRaised"),
            "Mrs Hill to be told her concern was received",
        )
        say(
            f"3. Only now is she told what happens next, in "
            f"{informed['format'].replace('_', ' ')}, by {informed['channel']}."
        )

        await self.call(
            "POST",
            f"{self.places.intake}/concerns/{concern_id}/decision",
            self.manager,
            {
                "decision": "s42_enquiry",
                "rationale": "She has care and support needs, is at risk of financial and "
                "psychological abuse, and cannot protect herself from her son.",
            },
        )
        say("4. A Safeguarding Adults Manager decides the s42 duty applies: an enquiry starts.")

        async def enquiry_started() -> Json | None:
            file = (
                await self.get(f"{self.places.outcomes}/cases/{case}", self.practitioner)
            ).json()
            return file if file.get("enquiry") or file.get("enquiry_kind") else None

        await self.until(enquiry_started, "the enquiry to start")
        now = datetime.now(UTC)
        await self.step(case, "lead-worker", {"name": "Ayesha Khan", "contact": "01905 000111"})
        await self.step(
            case,
            "conversations",
            {
                "participants": [
                    {"role": "person", "name": "Margaret Hill"},
                    {"role": "practitioner", "name": "Ayesha Khan"},
                ],
                "mode": "in_person",
                "summary": "Talked at her home about what happened and what she wants.",
            },
        )
        stop = self.new_id(
            await self.step(
                case, "desired-outcomes", {"text": ABUSE_TO_STOP, "category": "relationship"}
            ),
            "desired_outcome_id",
        )
        safer = self.new_id(
            await self.step(case, "desired-outcomes", {"text": FEEL_SAFER, "category": "safety"}),
            "desired_outcome_id",
        )
        say(f'5. In conversation she says "{ABUSE_TO_STOP}" and "{FEEL_SAFER}".')

        await self.step(
            case,
            "formal-action-wishes",
            {
                "action": "police",
                "wish": "does_not_want",
                "in_their_words": "I don't want the police involved. He's still my son.",
            },
        )
        say("6. She does not want police action.")

        refused = await self.http.post(
            f"{self.places.outcomes}/cases/{case}/formal-actions",
            json={
                "action": "police",
                "description": "Refer to police for prosecution for theft.",
                "requested_by": "PC Sam Okafor, police",
            },
            headers=self.headers(self.practitioner),
        )
        formal_action_refused = refused.status_code == 422
        detail = refused.json().get("detail", "") if formal_action_refused else refused.text
        say(f"7. The police ask for a prosecution. Refused: {detail}")

        await self.step(
            case,
            "risk-discussions",
            {
                "present": [
                    {"role": "person", "name": "Margaret Hill"},
                    {"role": "practitioner", "name": "Ayesha Khan"},
                ],
                "options": [
                    {
                        "option": "Stop all contact with her son",
                        "risks": "She loses the relationship that matters most to her.",
                        "benefits": "No chance of further harm from him.",
                    },
                    {
                        "option": "Supervised contact at her niece's home; bank card kept by her",
                        "risks": "Some risk remains if he visits unannounced.",
                        "benefits": "She keeps seeing her son and keeps control of her money.",
                    },
                ],
                "persons_decision": "I'll see him at Susan's, with her there. I keep my own card.",
            },
        )
        say("8. A risk discussion agrees supervised contact; she keeps her own bank card.")

        contact = self.new_id(
            await self.step(
                case,
                "agreed-outcomes",
                {
                    "wording": "She sees her son safely, with her niece present, and the taking of "
                    "her money stops.",
                    "serves": [stop],
                },
            ),
            "agreed_outcome_id",
        )
        safety = self.new_id(
            await self.step(
                case,
                "agreed-outcomes",
                {"wording": "She feels safe in her own home.", "serves": [safer]},
            ),
            "agreed_outcome_id",
        )
        await self.step(
            case,
            "plan",
            {
                "actions": [
                    {
                        "description": "Arrange supervised visits at her niece's home.",
                        "serves": [contact],
                        "owner": "Ayesha Khan",
                        "agreed_date": (now + timedelta(days=7)).date().isoformat(),
                    },
                    {
                        "description": "Bank to set up a card only she can use; fit a door chain.",
                        "serves": [safety],
                        "owner": "Ayesha Khan",
                        "agreed_date": (now + timedelta(days=14)).date().isoformat(),
                    },
                ]
            },
        )
        await self.step(
            case, "review-date", {"review_on": (now + timedelta(days=28)).date().isoformat()}
        )
        say("9. Her plan links each action to the outcomes she agreed.")

        await self.step(
            case,
            "reviews",
            {
                "stage": "review",
                "ratings": [
                    {
                        "outcome_id": stop,
                        "achievement": "fully",
                        "in_their_words": "He doesn't take my money now, and I still see him.",
                    },
                    {
                        "outcome_id": safer,
                        "achievement": "partially",
                        "in_their_words": "Better, but I still jump when the door goes.",
                    },
                ],
                "experience": {
                    "felt_listened_to": "yes",
                    "felt_involved": "yes",
                    "felt_informed": "yes",
                    "feels_safer": "partly",
                },
                "person_view": "You listened to me.",
            },
        )
        say("10. At review she rates one outcome fully and one partially achieved.")

        await self.step(
            case,
            "conclusion",
            {
                "case_details": {
                    "risks": [
                        {
                            "risk_type": "financial_or_material",
                            "location": "own_home",
                            "source": "known_to_individual",
                        },
                        {
                            "risk_type": "psychological",
                            "location": "own_home",
                            "source": "known_to_individual",
                        },
                    ],
                    "action_taken_and_result": "risk_identified_action_taken",
                    "risk_outcome": "risk_reduced",
                    "mental_capacity": "did_not_lack_capacity",
                },
                "msp_asked": "asked_and_expressed",
                "achievements": [
                    {"desired_outcome_id": stop, "achievement": "fully"},
                    {"desired_outcome_id": safer, "achievement": "partially"},
                ],
            },
            token=self.manager,
        )
        await self.step(
            case,
            "closure",
            {
                "reason": "Her outcomes are met as far as she wants; the plan continues with her niece.",
                "person_view": "I'm glad it was done my way.",
                "feedback_to_referrer": True,
                "sar_considered": False,
            },
        )
        say("11. The manager signs off the enquiry and the case closes.")

        closed = await self.until(
            lambda: self.informed_about(person, "CaseClosed"), "Mrs Hill to be told her case closed"
        )
        log = await self.communications(person)
        told = [e for e in log if e.get("kind") == "PersonInformed"]

        async def timeline_complete() -> Json | None:
            timeline = (
                await self.get(
                    f"{self.places.outcomes}/cases/{case}/timeline?for_the_person=true",
                    self.practitioner,
                )
            ).json()
            told_entries = [e for e in timeline["entries"] if e["kind"] == "told"]
            return timeline if len(told_entries) >= len(told) else None

        timeline = await self.until(timeline_complete, "her timeline to show what she was told")
        file = (await self.get(f"{self.places.outcomes}/cases/{case}", self.practitioner)).json()
        today = date.today().isoformat()
        report = (
            await self.get(
                f"{self.places.outcomes}/reports/msp?from={today}&to={today}", self.manager
            )
        ).json()
        return {
            "case_id": case,
            "person_id": person,
            "correlation_id": self.correlation_id,
            "closed_informed": closed,
            "first_contact_flags": {
                f"{role} {channel}": kinds for (role, channel), kinds in flags.items()
            },
            "text_to_sons_phone_refused": text_refused.status_code == 422,
            "timeline": timeline,
            "report": report,
            "summary": {
                "case_id": case,
                "desired_outcomes": [o["text"] for o in file["desired_outcomes"]],
                "formal_action_refused": formal_action_refused,
                "person_informed": len(told),
                "timeline_entries": len(timeline["entries"]),
                "msp": msp_summary(file),
            },
        }

    async def first_contact_waiting(self, person: str) -> Json | None:
        """What a practitioner sees before first contact, once the concern's first step waits."""
        response = await self.get(
            f"{self.places.notification}/people/{person}/safe-contact", self.practitioner
        )
        if response.status_code != 200:
            return None
        picture: Json = response.json()
        return picture if picture["waiting"] else None

    async def communications(self, person: str) -> list[Json]:
        response = await self.get(
            f"{self.places.notification}/people/{person}/communications", self.practitioner
        )
        if response.status_code != 200:
            return []
        entries: list[Json] = response.json()["entries"]
        return entries

    async def informed_about(self, person: str, event_type: str) -> Json | None:
        for entry in await self.communications(person):
            if (
                entry.get("kind") == "PersonInformed"
                and entry.get("source_event_type") == event_type
            ):
                return entry
        return None


def msp_summary(case_file: Json) -> Json:
    conclusion = case_file["conclusion"]
    achieved = {"fully": 0, "partially": 0, "not_achieved": 0}
    for item in conclusion["achievements"]:
        achieved[item["achievement"]] += 1
    return {"asked": conclusion["msp_asked"], "achieved": achieved}


def print_timeline(timeline: Json, say: Callable[[str], None]) -> None:
    say("\nHer timeline (what happened, what she said, what she was told):")
    for entry in timeline["entries"]:
        say(f"  {entry['at'][:16].replace('T', ' ')}  {entry['kind']:<8} {entry['text']}")


def print_report(report: Json, say: Callable[[str], None]) -> None:
    """Every table of the national return (SG1-SG4) and the local MSP measures, as the cells
    that are not zero (the whole report: /reports/msp, or with format=csv in the official
    layout)."""
    say("\nMSP and national return (SAC) report for today, cells that are not zero:")
    for table in report["tables"]:
        say(f"  {table['reference']} {table['title']}")
        for cell in table["cells"]:
            if cell["value"]:
                column = f" / {cell['subcategory']}" if cell["subcategory"] else ""
                say(f"      {cell['enquiry_type']}: {cell['category']}{column} = {cell['value']}")


async def main() -> None:
    places = Places.from_env()
    async with httpx.AsyncClient(timeout=30) as client:
        result = await Story(places, client, print).play()
    print_timeline(result["timeline"], print)
    print_report(result["report"], print)
    print(json.dumps(result["summary"], ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
