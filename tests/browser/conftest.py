"""A real browser against the real stack: Debian's Chromium, driven by Playwright (pytest-playwright),
at the practitioner web app, which talks to the three services on the real broker, database and
Keycloak. One browser and one stack per module.

Playwright drives the browser its release was built for; Debian's Chromium must have the same
major version, or the protocol may not match: the suite fails at once, saying so, when they
drift (update the pin in pyproject's constraints to the release for Debian's version).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import playwright as playwright_package
import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from infra.sign_in import SignInSettings
from infra.stack import Endpoints, Stack, free_port
from tests.support.servers import infra_environment, server_addresses

CHROMIUM = Path("/usr/bin/chromium")
# The machines' network is closed: nothing in the browser may try to reach the internet.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-dev-shm-usage",
    "--metrics-recording-only",
]


def bundled_chromium_major() -> int:
    """The Chromium major version this Playwright release was built for."""
    browsers = Path(playwright_package.__file__).parent / "driver" / "package" / "browsers.json"
    [chromium] = [
        b for b in json.loads(browsers.read_text())["browsers"] if b["name"] == "chromium"
    ]
    return int(str(chromium["browserVersion"]).split(".")[0])


def installed_chromium_version() -> str:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. `make setup` "
            "installs it when run as root; otherwise run `sudo apt-get install -y chromium`.",
            pytrace=False,
        )
    output = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return next(word for word in output.split() if word[:1].isdigit())


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    version = installed_chromium_version()
    expected = bundled_chromium_major()
    print(f"\nbrowser: Debian Chromium {version}; Playwright built for Chromium {expected}")
    if int(version.split(".")[0]) != expected:
        pytest.fail(
            f"Debian's Chromium is {version}, but the pinned Playwright drives Chromium "
            f"{expected}: pin the Playwright release built for Chromium "
            f"{version.split('.')[0]} in constraints.txt.",
            pytrace=False,
        )
    args = list(CHROMIUM_ARGS)
    if os.geteuid() == 0:
        # Chromium's sandbox needs user namespaces it cannot have as root.
        args.append("--no-sandbox")
    return {"executable_path": str(CHROMIUM), "args": args, "headless": True}


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright for one module only: its sync API keeps an event loop running in this thread
    while it is started, which the asyncio tests that run after this module must not find."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    launched = playwright.chromium.launch(**browser_type_launch_args)
    print(f"browser version in use: {launched.version}")
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {
        "viewport": {"width": 1280, "height": 900},
        "locale": "en-GB",
        "timezone_id": "Europe/London",
    }


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The three services and the web app as processes, with databases of their own."""
    kafka, mongo = server_addresses()
    env = infra_environment()
    run = uuid.uuid4().hex[:8]
    stack = Stack(
        state=tmp_path_factory.mktemp("web-stack"),
        endpoints=Endpoints(
            kafka_bootstrap_servers=kafka,
            mongodb_uri=mongo,
            oidc_issuer=SignInSettings.from_env(env).issuer,
            smtp_port=free_port(),
            service_ports={name: free_port() for name in ("intake", "outcomes", "notification")},
            web_port=free_port(),
            web_client_secret=env["OIDC_WEB_CLIENT_SECRET"],
        ),
        extra_env={"CONSUMER_GROUP_PREFIX": f"browser-{run}", "SCHEDULER_INTERVAL_SECONDS": "5"},
        database_prefix=f"browser_{run}_",
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def test_password() -> str:
    return infra_environment()["OIDC_TEST_USER_PASSWORD"]
