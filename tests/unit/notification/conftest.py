"""Local servers standing in for GOV.UK Notify and an SMTP relay, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.notification.delivery import NotifyTemplates
from tests.support.fake_notify import FakeNotify, running_fake_notify
from tests.support.smtp_server import RunningSmtpServer, running_smtp_server

TEMPLATES = NotifyTemplates(
    email="f33517ff-2a88-4f6e-b855-c550268ce08a",
    sms="289a0d8e-4f8c-4b4e-a3c1-6f2d8a0c7b15",
    letter="9d0c2b6e-7e1a-4c3f-8b5d-1a2f3e4d5c6b",
)


@pytest.fixture
def fake_notify() -> Iterator[FakeNotify]:
    with running_fake_notify() as notify:
        yield notify


@pytest.fixture
def smtp_server() -> Iterator[RunningSmtpServer]:
    with running_smtp_server() as server:
        yield server
