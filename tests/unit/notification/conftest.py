"""Local servers standing in for GOV.UK Notify and an SMTP relay, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_notify import FakeNotify, running_fake_notify
from tests.support.smtp_server import RunningSmtpServer, running_smtp_server


@pytest.fixture
def fake_notify() -> Iterator[FakeNotify]:
    with running_fake_notify() as notify:
        yield notify


@pytest.fixture
def smtp_server() -> Iterator[RunningSmtpServer]:
    with running_smtp_server() as server:
        yield server
