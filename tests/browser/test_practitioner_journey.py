# The walk fills each question page with a lambda of Playwright calls (each returns None).
# mypy: disable-error-code="func-returns-value"
"""The seed's story through the web app in a real browser: a practitioner signs in at Keycloak's
own login page, finds Mrs Hill, checks every route before first contact, records what she says in
her own words, sees the police action refused, and a manager decides and signs off; then the
chronology and the communications log show what she was told. axe-core checks every page
visited (error states included) against WCAG 2.2 AA; screenshots go to .local/screenshots/ (to
$SCREENSHOTS_DIR when set: `docs/screenshots` refreshes the README's)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from demo.story import ABUSE_TO_STOP, FEEL_SAFER, concern
from infra.sign_in import SignInSettings
from infra.stack import WEB, Stack
from services.intake.settings import DEV_PARTNER_KEY
from tests.support.servers import infra_environment
from tests.support.staff import TestUser

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / ".local" / "screenshots")
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
POLICE_WORDS = "I don't want the police involved. He's still my son."
AXE = Axe()


@dataclass
class Visit:
    """What the walk saw: axe's findings per page, and observations for the tests below."""

    violations: dict[str, list[str]] = field(default_factory=dict)
    pages_checked: list[str] = field(default_factory=list)
    seen: dict[str, Any] = field(default_factory=dict)

    def check(self, page: Page, name: str, screenshot: bool = False) -> None:
        results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        self.pages_checked.append(name)
        found = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"]
        ]
        if found:
            self.violations[name] = found
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(
    browser: Browser, stack: Stack, user: TestUser, password: str
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(stack.endpoints.url(WEB) + "/")
    page.get_by_role("button", name="Sign in with your council account").click()
    page.locator("#username").fill(user.value)
    page.locator("#password").fill(password)
    page.locator("#kc-login").click()
    return context, page


def until_shown(page: Page, text: str | re.Pattern[str], timeout: float = 60) -> None:
    """Reload until the page shows `text` (what it shows comes from consumers that catch up)."""
    deadline = time.monotonic() + timeout
    while True:
        if page.get_by_text(text).count() > 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the page never showed {text!r}: {page.url}")
        page.wait_for_timeout(250)
        page.reload()


def record(
    page: Page, visit: Visit, name: str, fill: Callable[[Page], object], *, screenshot: bool = False
) -> None:
    """Fill a question page, continue, check the answers page, confirm."""
    fill(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    problems = page.locator(".govuk-error-summary")
    assert problems.count() == 0, f"{name}: {problems.inner_text()}"
    assert page.locator("h1").inner_text() == "Check your answers", (
        f"{name}: {page.locator('main').inner_text()[:1500]}"
    )
    expect(page.get_by_role("heading", name="Check your answers", level=1)).to_be_visible()
    visit.check(page, f"{name}-check", screenshot)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Confirm")).click()


def go_to_case_form(page: Page, stack: Stack, case_id: str, key: str) -> None:
    page.goto(f"{stack.endpoints.url(WEB)}/cases/{case_id}/record/{key}")


def communications(stack: Stack, token: str, person_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.endpoints.url('notification')}/people/{person_id}/communications",
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()["entries"] if response.status_code == 200 else []


def until_told(stack: Stack, token: str, person_id: str, step: str, timeout: float = 90) -> None:
    """Poll her communications log until it records that she was told about `step`."""
    deadline = time.monotonic() + timeout
    while not any(
        e["kind"] == "PersonInformed" and e["source_event_type"] == step
        for e in communications(stack, token, person_id)
    ):
        assert time.monotonic() < deadline, f"she was never told about {step}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def walk(browser: Browser, web_stack: Stack, test_password: str) -> Visit:
    stack, visit, web = web_stack, Visit(), web_stack.endpoints.url(WEB)
    body = concern(uuid_run())
    received = httpx.post(
        f"{stack.endpoints.url('intake')}/concerns",
        json=body,
        headers={"X-API-Key": DEV_PARTNER_KEY},
    ).json()
    concern_id = received["concern_id"]

    # -- the practitioner signs in, and finds the concern in triage and the first contact waiting
    practitioner_context, page = sign_in(browser, stack, TestUser.PRACTITIONER, test_password)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    until_shown(page, "Judge whether contact is safe before anything is sent")
    until_shown(page, received["reference"])
    visit.check(page, "my-work", screenshot=True)
    page.get_by_role("link", name=re.compile("Team work")).click()
    visit.check(page, "team-work")

    # -- search, and her page with the warning notes
    page.get_by_role("link", name="Find a person").click()
    page.get_by_label("NHS number").fill("12")
    page.get_by_role("button", name="Search").click()
    visit.check(page, "search-error")
    visit.seen["search_error"] = page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("NHS number").fill(body["person"]["nhs_number"])
    page.get_by_role("button", name="Search").click()
    visit.check(page, "search", screenshot=True)
    page.get_by_role("link", name="Margaret Hill").click()
    visit.check(page, "person", screenshot=True)
    visit.seen["warning_notes"] = page.locator(".app-warning-notes").inner_text()
    person_id = page.url.rstrip("/").split("/")[-1]

    # -- information gathering on the concern: an empty answer first (the error state)
    page.get_by_role("link", name=received["reference"], exact=True).click()
    visit.check(page, "concern")
    visit.seen["practitioner_sees_decision"] = page.get_by_text(
        "Record the section 42 decision"
    ).count()
    page.get_by_role("link", name="Record information gathered").click()
    page.get_by_role("button", name="Continue").click()
    visit.check(page, "information-error", screenshot=True)
    visit.seen["information_errors"] = page.locator(".govuk-error-summary").inner_text()
    record(
        page,
        visit,
        "information",
        lambda p: (
            p.get_by_label("Who did it come from?").fill("Mrs Hill, by phone"),
            p.get_by_label("What did you learn?").fill(
                "She is safe at home tonight; her son has left."
            ),
        ),
    )
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Information recorded")
    page.goto(f"{web}/concerns/{concern_id}/record/decision")
    visit.seen["practitioner_decision_page"] = page.get_by_role("heading", level=1).inner_text()

    # -- the safe-contact decision
    page.goto(f"{web}/people/{person_id}")
    page.get_by_role("link", name="Check it is safe to contact them").click()
    visit.check(page, "safe-contact", screenshot=True)
    visit.seen["safe_contact_page"] = page.locator("main").inner_text()
    page.get_by_role("button", name="Continue").click()  # nothing chosen
    visit.check(page, "safe-contact-error")
    visit.seen["safe_contact_errors"] = page.locator(".govuk-error-summary").inner_text()
    page.locator("#route-person-email").check()  # email to Mrs Hill herself
    page.get_by_role("button", name="Continue").click()
    visit.check(page, "safe-contact-check")
    page.get_by_role("button", name="Confirm it is safe").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Safe contact recorded")
    token = practitioner_token()
    until_told(stack, token, person_id, "ConcernRaised")

    # -- the manager decides
    manager_context, manager = sign_in(browser, stack, TestUser.MANAGER, test_password)
    manager.goto(f"{web}/concerns/{concern_id}")
    manager.get_by_role("link", name="Record the section 42 decision").click()
    record(
        manager,
        visit,
        "decision",
        lambda p: (
            p.get_by_label("Section 42 enquiry").check(),
            p.get_by_label("Why?").fill(
                "Care and support needs; financial and psychological abuse by her son; she cannot protect herself."
            ),
        ),
    )
    expect(manager.locator(".govuk-notification-banner")).to_contain_text("Decision recorded")

    # -- the enquiry, in her words
    page.goto(f"{web}/concerns/{concern_id}")
    page.get_by_role("link", name=re.compile("^Case SG-")).click()
    case_id = page.url.rstrip("/").split("/")[-1]
    until_shown(page, re.compile(r"Case SG-\S+: Enquiry"))
    visit.seen["practitioner_sees_conclusion"] = page.get_by_text("Sign off the conclusion").count()
    visit.seen["practitioner_sees_allocate"] = page.get_by_text("Allocate the case").count()
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]

    # -- the manager allocates the case to the north team and to her; it is on her own work
    manager.goto(f"{web}/cases/{case_id}")
    manager.get_by_role("link", name="Allocate the case").click()
    record(
        manager,
        visit,
        "allocation",
        lambda p: (
            p.get_by_label("Which team?").fill("north-team"),
            p.get_by_label("Which worker?").fill("Asha Patel"),
        ),
    )
    expect(manager.locator(".govuk-notification-banner")).to_contain_text("Case allocated")
    page.goto(f"{web}/work?view=mine&kind=allocated")
    until_shown(page, f"{reference}: Margaret Hill")
    visit.check(page, "my-work-allocated")
    visit.seen["my_allocated"] = page.locator("table").inner_text()
    go_to_case_form(page, stack, case_id, "lead-worker")
    record(
        page,
        visit,
        "lead-worker",
        lambda p: (
            p.get_by_label("Lead worker's name").fill("Asha Patel"),
            p.get_by_label("How can the person reach them?").fill("01905 000111"),
        ),
    )
    go_to_case_form(page, stack, case_id, "conversation")
    record(
        page,
        visit,
        "conversation",
        lambda p: (
            p.get_by_label("In person").check(),
            p.get_by_label("What was talked about?").fill(
                "Talked at her home about what happened and what she wants."
            ),
        ),
    )
    for words, category in (
        (ABUSE_TO_STOP, "A relationship"),
        (FEEL_SAFER, "Feeling or being safer"),
    ):
        go_to_case_form(page, stack, case_id, "desired-outcome")
        record(
            page,
            visit,
            "desired-outcome",
            partial(say_what_she_wants, words=words, category=category),
            screenshot=words == ABUSE_TO_STOP,
        )
    go_to_case_form(page, stack, case_id, "formal-action-wishes")
    record(
        page,
        visit,
        "formal-action-wishes",
        lambda p: (
            p.get_by_label("a police referral", exact=False).check(),
            p.get_by_label("Does not want it").check(),
            p.get_by_label("In their own words").fill(POLICE_WORDS),
            p.get_by_label("The person themselves").check(),
        ),
    )
    go_to_case_form(page, stack, case_id, "formal-action")
    record(
        page,
        visit,
        "formal-action",
        lambda p: (
            p.get_by_label("a police referral", exact=False).check(),
            p.get_by_label("What is to be done?").fill(
                "Refer to police for prosecution for theft."
            ),
            p.get_by_label("Who asked for it?").fill("PC Sam Okafor, police"),
        ),
    )
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    visit.check(page, "formal-action-refused", screenshot=True)
    visit.seen["refusal"] = page.locator(".govuk-error-summary").inner_text()

    # -- her capacity for one decision, and a meeting: each form's error state first
    go_to_case_form(page, stack, case_id, "mental-capacity")
    page.get_by_role("button", name="Continue").click()
    visit.check(page, "mental-capacity-error")
    visit.seen["capacity_errors"] = page.locator(".govuk-error-summary").inner_text()
    record(
        page,
        visit,
        "mental-capacity",
        lambda p: (
            p.get_by_label("Which decision was assessed?").fill(
                "Whether to keep managing her own money"
            ),
            p.locator("fieldset", has_text="lack capacity").get_by_label("No").check(),
        ),
    )
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Capacity assessment recorded"
    )
    go_to_case_form(page, stack, case_id, "meeting")
    next_week = date.today() + timedelta(days=7)

    def arrange(p: Page, *, at: str) -> None:
        p.locator("#day-day").fill(str(next_week.day))
        p.locator("#day-month").fill(str(next_week.month))
        p.locator("#day-year").fill(str(next_week.year))
        p.get_by_label("Time", exact=True).fill(at)
        p.get_by_label("By video").check()
        p.get_by_label("Where, or how to join").fill("A video call; the link is sent to her niece")
        p.get_by_label("What is it for?").fill("Agree the plan with her and her niece")
        p.get_by_label("Who else is invited?").fill("Susan Hill")
        p.locator("fieldset", has_text="invited?").get_by_label("Yes").check()

    arrange(page, at="2:30pm")
    page.get_by_role("button", name="Continue").click()
    visit.check(page, "meeting-error", screenshot=True)
    visit.seen["meeting_errors"] = page.locator(".govuk-error-summary").inner_text()
    record(page, visit, "meeting", partial(arrange, at="14:30"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Meeting arranged")
    until_shown(page, "Agree the plan with her and her niece")
    visit.seen["case_after_meeting"] = page.locator("main").inner_text()
    visit.seen["practitioner_sees_override"] = page.get_by_text(
        "Let a formal action go ahead against their wishes"
    ).count()
    go_to_case_form(page, stack, case_id, "risk-discussion")
    record(
        page,
        visit,
        "risk-discussion",
        lambda p: (
            p.get_by_label("Option 1", exact=True).fill("Stop all contact with her son"),
            p.get_by_label("Risks of option 1").fill(
                "She loses the relationship that matters most to her."
            ),
            p.get_by_label("Benefits of option 1").fill("No chance of further harm from him."),
            p.get_by_label("Option 2", exact=True).fill("Supervised contact at her niece's home"),
            p.get_by_label("Risks of option 2").fill("Some risk remains if he visits unannounced."),
            p.get_by_label("Benefits of option 2").fill(
                "She keeps seeing her son and keeps control of her money."
            ),
            p.get_by_label("What did they decide, in their own words?").fill(
                "I'll see him at Susan's, with her there. I keep my own card."
            ),
        ),
    )
    for wording, serves in (
        (
            "She sees her son safely, with her niece present, and the taking of her money stops.",
            ABUSE_TO_STOP,
        ),
        ("She feels safe in her own home.", FEEL_SAFER),
    ):
        go_to_case_form(page, stack, case_id, "agreed-outcome")
        record(
            page, visit, "agreed-outcome", partial(agree_outcome, wording=wording, serves=serves)
        )
    in_a_week = date.today() + timedelta(days=7)
    go_to_case_form(page, stack, case_id, "plan")
    record(
        page,
        visit,
        "plan",
        lambda p: (
            p.get_by_label("What will be done (action 1)").fill(
                "Arrange supervised visits at her niece's home."
            ),
            p.get_by_label("Which agreed outcome does action 1 serve?").select_option(index=1),
            p.get_by_label("Who will do action 1?").fill("Asha Patel"),
            p.locator("#date_1-day").fill(str(in_a_week.day)),
            p.locator("#date_1-month").fill(str(in_a_week.month)),
            p.locator("#date_1-year").fill(str(in_a_week.year)),
        ),
    )
    review_on = date.today() + timedelta(days=28)
    go_to_case_form(page, stack, case_id, "review-date")
    record(
        page,
        visit,
        "review-date",
        lambda p: (
            p.locator("#review_on-day").fill(str(review_on.day)),
            p.locator("#review_on-month").fill(str(review_on.month)),
            p.locator("#review_on-year").fill(str(review_on.year)),
        ),
    )
    go_to_case_form(page, stack, case_id, "review")

    def rate(p: Page) -> None:
        fieldsets = p.locator("fieldset", has_text="In their view, was it achieved?")
        fieldsets.nth(0).get_by_label("Fully achieved").check()
        fieldsets.nth(1).get_by_label("Partially achieved").check()
        for question in (
            "Did they feel listened to?",
            "Did they feel involved?",
            "Did they feel informed?",
        ):
            p.locator("fieldset", has_text=question).get_by_label("Yes", exact=True).check()
        p.locator("fieldset", has_text="Do they feel safer?").get_by_label("Partly").check()

    record(page, visit, "review", rate)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Review recorded")
    visit.check(page, "case", screenshot=True)

    # -- the manager signs off the conclusion; the practitioner closes the case
    manager.goto(f"{web}/cases/{case_id}")
    visit.seen["manager_sees_override"] = manager.get_by_text(
        "Let a formal action go ahead against their wishes"
    ).count()
    visit.seen["manager_sees_cessation"] = manager.get_by_text(
        "Record that the enquiry stopped"
    ).count()
    manager.goto(f"{web}/cases/{case_id}/record/override-wishes")
    visit.check(manager, "override-wishes")
    manager.goto(f"{web}/cases/{case_id}/record/conclusion")

    def conclude(p: Page) -> None:
        p.get_by_label("Financial or Material").check()
        p.get_by_label("Psychological").check()
        p.get_by_label("Location of risk").select_option("own_home")
        p.get_by_label("Source of risk").select_option("known_to_individual")
        p.get_by_label("Action taken and result").select_option("risk_identified_action_taken")
        p.get_by_label("Risk outcome").select_option("risk_reduced")
        p.get_by_label("Did they lack capacity?").select_option("did_not_lack_capacity")
        p.get_by_label("Were they asked about their outcomes?").select_option("asked_and_expressed")
        p.locator("fieldset", has_text=ABUSE_TO_STOP).get_by_label("Fully achieved").check()
        p.locator("fieldset", has_text=FEEL_SAFER).get_by_label("Partially achieved").check()

    record(manager, visit, "conclusion", conclude)
    expect(manager.locator(".govuk-notification-banner")).to_contain_text("Conclusion signed off")
    go_to_case_form(page, stack, case_id, "closure")
    record(
        page,
        visit,
        "closure",
        lambda p: (
            p.get_by_label("Why is the case closing?").fill(
                "Her outcomes are met as far as she wants."
            ),
            p.get_by_label("What do they say about it, in their words?").fill(
                "I'm glad it was done my way."
            ),
            p.locator("fieldset", has_text="feedback").get_by_label("Yes").check(),
            p.locator("fieldset", has_text="Safeguarding Adults Review").get_by_label("No").check(),
        ),
    )
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Case closed")
    until_told(stack, token, person_id, "CaseClosed")

    # -- the chronology beside the communications log; the printable record; the report
    page.goto(f"{web}/cases/{case_id}/chronology")
    until_shown(page, re.compile("What they were told"))
    visit.check(page, "chronology", screenshot=True)
    visit.seen["timeline"] = page.locator(".moj-timeline").inner_text()
    visit.seen["log"] = page.locator("#communications-log").inner_text()
    page.get_by_label("What they said").check()
    page.get_by_label("Table").check()
    page.get_by_role("button", name="Show").click()
    visit.check(page, "chronology-table")
    visit.seen["said_table"] = page.locator("#chronology-table").inner_text()
    page.goto(f"{web}/cases/{case_id}/print")
    visit.check(page, "print")
    visit.seen["print"] = page.locator("main").inner_text()
    manager.goto(f"{web}/reports/msp")
    visit.check(manager, "report", screenshot=True)
    visit.seen["charts"] = manager.locator("svg.app-chart").count()
    with manager.expect_download() as download:
        manager.get_by_role("link", name="Download the national return (CSV)").click()
    visit.seen["csv"] = Path(download.value.path()).read_text()
    visit.seen["ids"] = {"case": case_id, "person": person_id, "concern": concern_id}

    # -- another team's practitioner must say why before reading her case; a manager sees it
    refused = page.goto(f"{web}/audit")
    visit.seen["practitioner_audit"] = (
        refused.status if refused else None,
        page.locator("h1").inner_text(),
        page.get_by_role("link", name="Audit of access").count(),
    )
    break_the_glass(browser, stack, visit, test_password, case_id)
    manager.goto(f"{web}/people/{person_id}")
    manager.get_by_role("link", name="Who has seen Margaret Hill's record").click()
    visit.check(manager, "audit", screenshot=True)
    visit.seen["audit"] = manager.locator("table").inner_text()
    manager.get_by_label("Person's id").fill("x" * 101)
    manager.get_by_role("button", name="Look up").click()
    visit.check(manager, "audit-error")
    visit.seen["audit_error"] = manager.locator(".govuk-error-summary").inner_text()

    # -- signing out ends the provider's session too
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    visit.check(page, "signed-out")
    page.goto(f"{web}/work")
    visit.seen["after_sign_out"] = page.url
    practitioner_context.close()
    manager_context.close()
    return visit


COVERING = "Covering the north team's duty desk while Asha is out"
LONGEST_REASON = (f"{COVERING}. " * 10)[:500].strip()
"""As long as the services accept: it must fit in the session's cookie beside the tokens."""


def break_the_glass(
    browser: Browser, stack: Stack, visit: Visit, password: str, case_id: str
) -> None:
    """Sam, of the south team, opens her case: asked why first, a too short reason refused."""
    context, other = sign_in(browser, stack, TestUser.OTHER_PRACTITIONER, password)
    expect(other.get_by_role("heading", name="My work")).to_be_visible()
    other.goto(f"{stack.endpoints.url(WEB)}/cases/{case_id}")
    visit.seen["glass_status"] = other.locator("h1").inner_text()
    visit.check(other, "access-reason")
    other.get_by_label("Why do you need to see it?").fill("curious")
    other.get_by_role("button", name="Continue to the record").click()
    visit.check(other, "access-reason-error")
    visit.seen["glass_error"] = other.locator(".govuk-error-summary").inner_text()
    other.get_by_label("Why do you need to see it?").fill(LONGEST_REASON)
    with other.expect_navigation():
        other.get_by_role("button", name="Continue to the record").click()
    visit.seen["glass_read"] = (other.locator("h1").inner_text(), other.url)
    # The reason covers the record's other pages, and not another record's.
    other.get_by_role("link", name="Chronology").first.click()
    visit.seen["glass_chronology"] = other.locator("h1").inner_text()
    context.close()


def say_what_she_wants(page: Page, *, words: str, category: str) -> None:
    page.get_by_label("In their own words").fill(words)
    page.get_by_label("The person themselves").check()
    page.get_by_label("What is it about?").select_option(label=category)


def agree_outcome(page: Page, *, wording: str, serves: str) -> None:
    page.get_by_label("The outcome agreed").fill(wording)
    page.get_by_label(f"“{serves}”").check()


def uuid_run() -> str:
    import uuid

    return uuid.uuid4().hex[:8]


def practitioner_token() -> str:
    """A practitioner's token for reading the communications log over the API (the password
    grant of the test client, as the other end-to-end tests sign in)."""
    settings = SignInSettings.from_env(infra_environment())
    response = httpx.post(
        settings.token_endpoint,
        data={
            "grant_type": "password",
            "username": TestUser.PRACTITIONER.value,
            "password": settings.password,
            "scope": "openid",
        },
        auth=(settings.client_id, settings.client_secret),
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def test_every_page_visited_meets_wcag_2_2_aa(walk: Visit) -> None:
    assert len(walk.pages_checked) >= 25
    assert {
        "information-error",
        "safe-contact-error",
        "formal-action-refused",
        "search-error",
        "mental-capacity-error",
        "mental-capacity-check",
        "meeting-error",
        "meeting-check",
        "override-wishes",
        "allocation-check",
        "my-work-allocated",
        "access-reason",
        "access-reason-error",
        "audit",
        "audit-error",
    } <= set(walk.pages_checked)
    assert walk.violations == {}


def test_her_warning_notes_name_who_must_never_be_contacted(walk: Visit) -> None:
    assert "Never contact Daniel Hill (son)" in walk.seen["warning_notes"]


def test_first_contact_shows_each_flag_in_plain_words_and_refuses_a_route_that_is_his(
    walk: Visit,
) -> None:
    page = walk.seen["safe_contact_page"]
    assert "Text message to Margaret Hill: cannot be chosen" in page
    assert "This is the alleged source of risk's own phone number" in page
    assert "Their name is, or is like, the alleged source of risk's" in page
    # "Dan Hill, her son" was named by the police, not chosen by her: never a recipient.
    assert "Email to Dan Hill (her son): cannot be chosen" in page
    assert "Select at least one route you judged safe" in walk.seen["safe_contact_errors"]


def test_the_refused_police_action_is_shown_as_an_error_on_the_form(walk: Visit) -> None:
    assert "There is a problem" in walk.seen["refusal"]
    assert "consent" in walk.seen["refusal"].lower()


def test_question_pages_say_what_is_missing(walk: Visit) -> None:
    assert "Enter who did it come from" in walk.seen["information_errors"]
    assert "Enter what you learned" in walk.seen["information_errors"]
    assert "NHS number must be 10 digits" in walk.seen["search_error"]


def test_her_words_and_what_she_was_told_are_in_the_chronology_and_the_log(walk: Visit) -> None:
    assert ABUSE_TO_STOP in walk.seen["timeline"]
    assert "What they were told" in walk.seen["timeline"]
    assert POLICE_WORDS in walk.seen["said_table"]
    assert "What they were told" not in walk.seen["said_table"]
    assert "easy read" in walk.seen["log"]
    assert ABUSE_TO_STOP in walk.seen["print"]


def test_a_practitioner_never_sees_the_managers_actions(walk: Visit) -> None:
    assert walk.seen["practitioner_sees_decision"] == 0
    assert walk.seen["practitioner_sees_conclusion"] == 0
    assert walk.seen["practitioner_sees_override"] == 0
    assert walk.seen["practitioner_sees_allocate"] == 0
    assert walk.seen["manager_sees_override"] == 1
    assert walk.seen["manager_sees_cessation"] == 1
    assert walk.seen["practitioner_decision_page"] == "You cannot do this"


def test_capacity_and_a_meeting_are_recorded_and_their_mistakes_explained(walk: Visit) -> None:
    assert "Enter the decision" in walk.seen["capacity_errors"]
    assert "Select whether they lack capacity" in walk.seen["capacity_errors"]
    assert "Time must be a time on the 24-hour clock" in walk.seen["meeting_errors"]
    case = walk.seen["case_after_meeting"]
    assert "Has capacity to decide: Whether to keep managing her own money" in case
    assert "Agree the plan with her and her niece" in case
    assert "2:30pm" in case


def test_a_case_allocated_to_her_is_on_her_own_work(walk: Visit) -> None:
    allocated = walk.seen["my_allocated"]
    assert "Case allocated" in allocated
    assert "Allocated to north-team, Asha Patel" in allocated


def test_the_report_draws_her_results_and_downloads_the_return(walk: Visit) -> None:
    assert walk.seen["charts"] >= 1
    assert walk.seen["csv"].startswith("TABLE_REFERENCE")


def test_another_teams_practitioner_gives_a_reason_to_read_her_case_which_a_manager_sees(
    walk: Visit,
) -> None:
    heading, url = walk.seen["glass_read"]
    assert walk.seen["glass_status"] == "Why do you need to see this record?"
    assert "Reason must be between 10 and 500 characters" in walk.seen["glass_error"]
    assert heading.startswith("Case SG-")
    assert url.endswith(f"/cases/{walk.seen['ids']['case']}")
    assert "Covering" not in url
    assert "duty" not in url
    audit = walk.seen["audit"]
    assert "Sam Jones" in audit
    assert LONGEST_REASON in audit
    assert walk.seen["glass_chronology"].startswith("Chronology of case SG-")
    assert "Refused" in audit
    assert "Asha Patel" in audit
    assert "Margaret Hill" not in audit
    assert "Person's id" in walk.seen["audit_error"]
    assert "100" in walk.seen["audit_error"]


def test_only_a_manager_sees_the_audit_of_access(walk: Visit) -> None:
    assert walk.seen["practitioner_audit"] == (403, "You cannot do this", 0)


def test_signing_out_signs_out(walk: Visit) -> None:
    assert walk.seen["after_sign_out"].endswith("/sign-in")


def focus_by_tab(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element has focus, as someone using only a keyboard does."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement === document.querySelector('{selector}')"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_form_can_be_completed_with_the_keyboard_alone(
    browser: Browser, web_stack: Stack, test_password: str
) -> None:
    received = httpx.post(
        f"{web_stack.endpoints.url('intake')}/concerns",
        json=concern(uuid_run()),
        headers={"X-API-Key": DEV_PARTNER_KEY},
    ).json()
    context, page = sign_in(browser, web_stack, TestUser.PRACTITIONER, test_password)
    page.goto(
        f"{web_stack.endpoints.url(WEB)}/concerns/{received['concern_id']}/record/information"
    )
    focus_by_tab(page, "#source")
    page.keyboard.type("Her GP, by phone")
    focus_by_tab(page, "#note")
    page.keyboard.type("She has missed two appointments since the incident.")
    focus_by_tab(page, "button[value=check]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your answers", level=1)).to_be_visible()
    focus_by_tab(page, "button[value=confirm]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Information recorded")
    context.close()


def test_someone_without_a_staff_role_is_told_they_have_no_access(
    browser: Browser, web_stack: Stack, test_password: str
) -> None:
    context, page = sign_in(browser, web_stack, TestUser.NO_STAFF_ROLE, test_password)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You do not have access to this service"
    )
    visit = Visit()
    visit.check(page, "no-access")
    assert visit.violations == {}
    page.goto(f"{web_stack.endpoints.url(WEB)}/work")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You do not have access to this service"
    )
    context.close()


def test_a_partners_api_key_cannot_sign_in(web_stack: Stack) -> None:
    for path in ("/work", "/search?name=Margaret", "/reports/msp"):
        response = httpx.get(
            web_stack.endpoints.url(WEB) + path, headers={"X-API-Key": DEV_PARTNER_KEY}
        )
        assert response.status_code == 303, path
        assert response.headers["location"] == "/sign-in"
