"""Retry and fallback: passing failures are retried with backoff; a refusal moves to the
person's fallback channel; what cannot be delivered ends as NotificationFailed."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from services.notification.adapters.delivery import (
    Delivered,
    DeliveryFailed,
    GovUkNotify,
    LetterQueue,
    OutgoingMessage,
    RetryPolicy,
    Sender,
    SmtpSender,
    deliver,
)
from services.notification.domain.preferences import ContactPreferences
from services.notification.domain.safety import (
    EmailAddressee,
    PostalAddressee,
    PractitionerContact,
    Route,
    decide_routes,
)
from shared.events.notification import (
    AllegedSourceOfRisk,
    Channel,
    ClashKind,
    ConfirmedRoute,
    ContactPoints,
    NotificationFailed,
    PostalAddress,
    Recipient,
    RecipientChoice,
    RecipientRole,
)
from tests.support.fake_notify import TEST_TEMPLATES, FakeNotify
from tests.support.print_queue import InMemoryPrintQueue

MESSAGE = OutgoingMessage(
    reference="7f3c2a4e-0b1d-4e6f-9a8b-1c2d3e4f5a6b.person",
    subject="Your plan",
    body="Hello Mary.\n",
)
HOME = PostalAddress(lines=("10 High Street", "Worcester"), postcode="WR1 2AB")
BY_LETTER = Route(
    role=RecipientRole.PERSON,
    channel=Channel.LETTER,
    addressee=PostalAddressee(name="Mary Smith", address=HOME),
)
BY_EMAIL = Route(
    role=RecipientRole.PERSON,
    channel=Channel.EMAIL,
    addressee=EmailAddressee(name="Mary Smith", email="mary@example.org"),
)
BY_EMAIL_THEN_LETTER = Route(
    role=BY_EMAIL.role, channel=BY_EMAIL.channel, addressee=BY_EMAIL.addressee, fallback=BY_LETTER
)
POLICY = RetryPolicy(attempts=3, first_delay_seconds=0.5, multiplier=2.0)


class RecordedSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
async def notify(fake_notify: FakeNotify) -> AsyncIterator[GovUkNotify]:
    async with GovUkNotify(
        api_key=fake_notify.api_key, templates=TEST_TEMPLATES, base_url=fake_notify.base_url
    ) as client:
        yield client


def senders(notify: GovUkNotify, queue: InMemoryPrintQueue | None = None) -> dict[Channel, Sender]:
    chosen: dict[Channel, Sender] = {Channel.EMAIL: notify, Channel.SMS: notify}
    chosen[Channel.LETTER] = LetterQueue(queue) if queue is not None else notify
    return chosen


async def test_a_transient_failure_is_retried_with_backoff_then_succeeds(
    fake_notify: FakeNotify, notify: GovUkNotify
) -> None:
    fake_notify.fail_next(2, 503)
    sleep = RecordedSleep()
    outcome = await deliver(MESSAGE, BY_EMAIL, senders(notify), policy=POLICY, sleep=sleep)
    assert outcome == Delivered(
        route=BY_EMAIL,
        provider_reference=fake_notify.received[0].notification_id,
        attempts=3,
        fallback_used=False,
    )
    assert sleep.delays == [0.5, 1.0]


def test_backoff_doubles_up_to_a_ceiling() -> None:
    policy = RetryPolicy(attempts=8, first_delay_seconds=1.0, multiplier=2.0, max_delay_seconds=10)
    assert [policy.delay_before(n) for n in range(2, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0]


async def test_transient_failures_that_do_not_clear_end_as_notification_failed(
    fake_notify: FakeNotify, notify: GovUkNotify
) -> None:
    fake_notify.fail_next(3, 500)
    outcome = await deliver(
        MESSAGE, BY_EMAIL_THEN_LETTER, senders(notify), policy=POLICY, sleep=RecordedSleep()
    )
    assert isinstance(outcome, DeliveryFailed)
    assert (outcome.permanent, outcome.attempts, outcome.fallback_channel_tried) == (False, 3, None)
    assert fake_notify.received == []


async def test_a_permanent_failure_is_not_retried_and_the_fallback_channel_is_used(
    fake_notify: FakeNotify, notify: GovUkNotify
) -> None:
    fake_notify.fail_next(1, 400)
    queue = InMemoryPrintQueue()
    sleep = RecordedSleep()
    outcome = await deliver(
        MESSAGE, BY_EMAIL_THEN_LETTER, senders(notify, queue), policy=POLICY, sleep=sleep
    )
    assert outcome == Delivered(
        route=BY_LETTER,
        provider_reference="print-queue:7f3c2a4e-0b1d-4e6f-9a8b-1c2d3e4f5a6b.person",
        attempts=2,
        fallback_used=True,
    )
    assert sleep.delays == []
    assert list(queue.letters) == [MESSAGE.reference]


async def test_a_permanent_failure_without_a_fallback_fails_for_good(
    fake_notify: FakeNotify, notify: GovUkNotify
) -> None:
    fake_notify.fail_next(1, 400)
    outcome = await deliver(MESSAGE, BY_EMAIL, senders(notify), policy=POLICY)
    assert isinstance(outcome, DeliveryFailed)
    assert (outcome.permanent, outcome.attempts) == (True, 1)


async def test_when_the_fallback_fails_too_both_failures_are_reported(
    fake_notify: FakeNotify, notify: GovUkNotify
) -> None:
    fake_notify.fail_next(2, 400)
    outcome = await deliver(MESSAGE, BY_EMAIL_THEN_LETTER, senders(notify), policy=POLICY)
    assert isinstance(outcome, DeliveryFailed)
    assert outcome.fallback_channel_tried is Channel.LETTER
    assert outcome.error.startswith("email: Notify answered 400")
    assert "; letter: Notify answered 400" in outcome.error


async def test_a_channel_with_no_sender_set_up_fails_for_good() -> None:
    outcome = await deliver(MESSAGE, BY_EMAIL, {}, policy=POLICY)
    assert outcome == DeliveryFailed(
        role=RecipientRole.PERSON,
        channel=Channel.EMAIL,
        permanent=True,
        error="no sender is set up for email",
        attempts=0,
        fallback_channel_tried=None,
    )


def test_a_failed_delivery_is_recorded_as_notification_failed() -> None:
    failed = DeliveryFailed(
        role=RecipientRole.PERSON,
        channel=Channel.SMS,
        permanent=False,
        error="Notify answered 503: ForcedFailure",
        attempts=4,
        fallback_channel_tried=None,
    )
    event = failed.as_event(
        person_id="person-1",
        source_event_id="event-1",
        source_event_type="MeetingArranged",
        case_id="case-1",
    )
    assert event == NotificationFailed(
        person_id="person-1",
        source_event_id="event-1",
        source_event_type="MeetingArranged",
        case_id="case-1",
        recipient_role=RecipientRole.PERSON,
        channel=Channel.SMS,
        permanent=False,
        error="Notify answered 503: ForcedFailure",
        attempts=4,
    )


async def test_nothing_reaches_the_source_of_risk_even_when_their_email_was_given_as_the_persons(
    fake_notify: FakeNotify, notify: GovUkNotify
) -> None:
    son_email = "john.smith@example.org"
    preferences = ContactPreferences(
        person_id="person-1",
        recipients=(
            Recipient(
                role=RecipientRole.PERSON,
                name="Mary Smith",
                contact=ContactPoints(email="John.Smith@example.org"),
                inform=True,
            ),
            Recipient(
                role=RecipientRole.ADVOCATE,
                name="Asha Patel",
                contact=ContactPoints(email="asha@advocacy.example"),
                inform=True,
                chosen=RecipientChoice.APPOINTED_ADVOCATE,
            ),
        ),
        channel=Channel.EMAIL,
        alleged_sources_of_risk=(
            AllegedSourceOfRisk(name="John Smith", contact=ContactPoints(email=son_email)),
        ),
    )
    # Even a recorded decision that names the son's email (as if confirmed before he was known
    # to be the source) sends nothing there.
    confirmed = {
        (route.role, route.channel): route
        for route in (
            ConfirmedRoute(
                role=RecipientRole.PERSON,
                channel=Channel.EMAIL,
                contact=ContactPoints(email="John.Smith@example.org"),
                despite=(ClashKind.SOURCE_CONTACT_POINT,),
            ),
            ConfirmedRoute(
                role=RecipientRole.ADVOCATE,
                channel=Channel.EMAIL,
                contact=ContactPoints(email="asha@advocacy.example"),
            ),
        )
    }
    routes = decide_routes(preferences, confirmed, advocate_told=True)
    for route in routes:
        if isinstance(route, Route):
            await deliver(MESSAGE, route, senders(notify), policy=POLICY)
    assert [r.body["email_address"] for r in fake_notify.received] == ["asha@advocacy.example"]
    assert isinstance(routes[0], PractitionerContact)


def test_a_retry_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(attempts=0)


async def test_a_message_that_cannot_be_composed_fails_for_good_and_the_fallback_is_used() -> None:
    # A name with a line break (recorded before names were cleaned at the boundary) makes the
    # mail header refuse it: sending again can never work.
    smtp = SmtpSender(host="127.0.0.1", port=9, from_address="council@example.org")
    injected = Route(
        role=RecipientRole.PERSON,
        channel=Channel.EMAIL,
        addressee=EmailAddressee(name="Mary\r\nBcc: someone@example.org", email="mary@example.org"),
        fallback=BY_LETTER,
    )
    queue = InMemoryPrintQueue()
    sleep = RecordedSleep()

    outcome = await deliver(
        MESSAGE,
        injected,
        {Channel.EMAIL: smtp, Channel.LETTER: LetterQueue(queue)},
        policy=POLICY,
        sleep=sleep,
    )

    assert isinstance(outcome, Delivered)
    assert outcome.fallback_used
    assert sleep.delays == []
    assert list(queue.letters) == [MESSAGE.reference]
    without_fallback = await deliver(
        MESSAGE,
        dataclasses.replace(injected, fallback=None),
        {Channel.EMAIL: smtp},
        policy=POLICY,
        sleep=sleep,
    )
    assert isinstance(without_fallback, DeliveryFailed)
    assert without_fallback.permanent
    assert without_fallback.error == "the message could not be composed for email (ValueError)"
    assert "Mary" not in without_fallback.error
