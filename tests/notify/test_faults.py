"""A channel that is down, refuses or never answers: the events stay pending with the error
(the server named, no credential), are tried again after a backoff, and arrive once it works;
a channel that did take them is not sent them again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from notify_support import Failing, MakeNotifier, channel_env
from receivers import HookReceiver, MailServer, free_port, silent_listener
from support import Clock
from test_events import REFUSAL, publish, queue

from scheduler.notify.notifier import Notifier
from scheduler.publishers.base import Permanent
from scheduler.store import Store
from scheduler.store import notifications as told


def fail_two(store: Store, clock: Clock) -> None:
    for n in range(2):
        queue(store, clock())
        publish(store, Failing([Permanent(f"{REFUSAL} ({n})")]), clock)


def retry_until_sent(notifier: Notifier, store: Store, clock: Clock) -> int:
    """Pass after pass, the clock moved past each backoff; returns the passes it took."""
    for passes in range(1, 20):
        notifier.tick(clock())
        if all(e.status == "sent" for e in told.list_events(store)):
            return passes
        pending = [e for e in told.list_events(store) if e.status == "pending"]
        clock.now = max(e.next_attempt_at for e in pending) + timedelta(seconds=1)
    raise AssertionError("never sent")


# Each fault, armed on the SMTP side; returns how to mend it and the environment to use.
Fault = Callable[[ExitStack, MailServer], tuple[dict[str, str], Callable[[], None]]]


def smtp_down(stack: ExitStack, mail: MailServer) -> tuple[dict[str, str], Callable[[], None]]:
    mail.down()
    return {}, mail.up


def smtp_refuses(stack: ExitStack, mail: MailServer) -> tuple[dict[str, str], Callable[[], None]]:
    mail.refusals = 2
    return {}, lambda: None  # it takes the third


def smtp_silent(stack: ExitStack, mail: MailServer) -> tuple[dict[str, str], Callable[[], None]]:
    port = stack.enter_context(silent_listener())
    # Mended by pointing the settings at the real server instead (see the test).
    return {"CRIER_SMTP_URL": f"smtp://127.0.0.1:{port}"}, lambda: None


@pytest.mark.parametrize("fault", [smtp_down, smtp_refuses, smtp_silent],
                         ids=["down", "refuses", "times-out"])
def test_smtp_fault_retries_and_loses_nothing(
        sqlite_store: Store, clock: Clock, mail: MailServer, make_notifier: MakeNotifier,
        fault: Fault) -> None:
    store = sqlite_store
    with ExitStack() as stack:
        extra, mend = fault(stack, mail)
        env = channel_env(mail, None, **extra)
        notifier = make_notifier(store, env)
        fail_two(store, clock)
        clock.advance(seconds=61)
        report = notifier.tick(clock())
        assert report.retry == 2 and report.messages == {}
        (error,) = report.errors
        pending = told.list_events(store, status=["pending"])
        assert len(pending) == 2 and all(e.attempts == 1 for e in pending)
        assert all(e.last_error == error and "127.0.0.1" in error for e in pending)
        assert all(e.next_attempt_at > clock() for e in pending)  # a backoff, not at once
        assert notifier.tick(clock()).messages == {}  # nothing before the backoff is over
        mend()
        if extra:  # the silent listener was another address: the mended settings
            notifier = make_notifier(store, channel_env(mail, None))
        retry_until_sent(notifier, store, clock)
    (email,) = mail.wait_for(1)
    assert "(0)" in str(email.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert sorted(int(i) for i in email["X-Crier-Notifications"].split(",")) == \
        sorted(e.id for e in told.list_events(store))
    assert len(mail.messages) == 1


@pytest.mark.parametrize("fault", ["down", "500", "404", "times-out"])
def test_webhook_fault_retries_and_the_email_is_not_sent_twice(
        sqlite_store: Store, clock: Clock, mail: MailServer, hook: HookReceiver,
        make_notifier: MakeNotifier, fault: str) -> None:
    store = sqlite_store
    url = hook.url()
    if fault == "down":
        url = f"http://127.0.0.1:{free_port()}/hook"
    elif fault == "times-out":
        hook.hang()
    else:
        hook.fail(int(fault), "upstream trouble", times=2)
    notifier = make_notifier(store, channel_env(mail, None, CRIER_NOTIFY_WEBHOOK_URL=url))
    fail_two(store, clock)
    clock.advance(seconds=61)
    report = notifier.tick(clock())
    assert report.messages == {"email": 1} and report.retry == 2
    assert all(e.channels_done == {"email"} for e in told.list_events(store))
    if fault == "down":
        notifier = make_notifier(store, channel_env(mail, hook))
    passes = retry_until_sent(notifier, store, clock)
    assert passes >= 1
    assert len(hook.wait_for(1)) == 1 and hook.received[0].body["count"] == 2
    assert len(mail.messages) == 1  # the email went once; only the webhook was retried


@pytest.fixture
def sqlite_only(sqlite_store: Store) -> Iterator[Store]:
    yield sqlite_store


def test_backoff_grows_and_keeps_trying(sqlite_only: Store, clock: Clock, mail: MailServer,
                                        make_notifier: MakeNotifier) -> None:
    store = sqlite_only
    mail.down()
    notifier = make_notifier(store, channel_env(mail, None))
    fail_two(store, clock)
    clock.advance(seconds=61)
    waits = []
    for _ in range(10):
        notifier.tick(clock())
        (first, *_) = told.list_events(store, status=["pending"])
        waits.append(first.next_attempt_at - clock())
        clock.now = first.next_attempt_at + timedelta(seconds=1)
    assert waits[0] < timedelta(seconds=31) and waits[3] > timedelta(seconds=100)
    assert max(waits) <= timedelta(hours=1)  # capped, and never given up
    assert told.list_events(store, status=["pending"])[0].attempts == 10
    mail.up()
    retry_until_sent(notifier, store, clock)
    assert len(mail.wait_for(1)) == 1
