"""The daemon: claims due deliveries and publishes them, part by part, on a bounded worker pool.

APScheduler 3.x's BlockingScheduler drives three jobs: `claim` (wakes at the next due time, or
after the poll interval at the latest, and when a worker frees up), `reap` (requeues deliveries
of daemons that died mid-publish, and marks misses) and `heartbeat` (renews this daemon's
leases). The deliveries table is the source of truth, not APScheduler's job store: several
daemons share the table, and nothing is lost when one of them is killed. With a notifier
(issue 14), `notify` sends the notifications the store's transitions wrote (and makes the
daily digest) and `accounts` runs the account watch; `until_idle` sends what is pending last.

SIGTERM and SIGINT stop claiming, let the deliveries in flight finish, then exit.
`until_idle` exits once nothing is due and nothing is in flight, anywhere.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler import states
from scheduler.publishers import NotConfigured, Registry
from scheduler.publishers.base import (
    Found,
    OutgoingDelivery,
    OutgoingPart,
    Pending,
    Permanent,
    Publisher,
    RateLimited,
    Reconnect,
    Sent,
    Transient,
)
from scheduler.settings import Settings
from scheduler.states import RetryPolicy, Snapshot, Status, Transition
from scheduler.store import Store, StoreUnavailable, repeats
from scheduler.store import attempts as inflight
from scheduler.store.claim import Claimed, claim_due, queue_state, reap, renew, sweep_missed

if TYPE_CHECKING:
    from scheduler.notify.notifier import Notifier

log = logging.getLogger(__name__)
FEED_LOOK_SECONDS = 60  # issue 13: how often the daemon asks which feeds are due
NOTIFY_LOOK_SECONDS = 1.0  # issue 14: how often the sender looks for notifications to send
ACCOUNT_LOOK_SECONDS = 600  # issue 14: the account watch (it decides which are due a check)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DaemonConfig:
    workers: int = 4  # deliveries published at once (never two of one account)
    lease: timedelta = timedelta(seconds=60)  # a killed daemon's deliveries wait this long
    poll: float = 0.5  # seconds: the longest sleep, for deliveries queued while asleep
    until_idle: bool = False
    reconcile: bool = True  # False only for the crash test's control run
    retry: RetryPolicy = RetryPolicy()
    owner: str = ""

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DaemonConfig:
        """The settings' CRIER_WORKERS, CRIER_LEASE_SECONDS, CRIER_POLL_SECONDS and
        CRIER_UNSAFE_NO_RECONCILE (test only); keyword arguments not None win."""
        values: dict[str, Any] = {
            "workers": settings.workers,
            "lease": timedelta(seconds=settings.lease_seconds),
            "poll": settings.poll_seconds,
            "reconcile": not settings.unsafe_no_reconcile,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        config = cls(**values)
        if config.workers < 1 or config.lease.total_seconds() <= 0 or config.poll <= 0:
            raise ValueError("workers, lease and poll must be positive")
        return config


@dataclass
class RunSummary:
    """What one run of the daemon did, by outcome, with the delivery ids."""

    outcomes: dict[str, list[int]] = field(default_factory=dict)

    def add(self, outcome: str, delivery_id: int) -> None:
        self.outcomes.setdefault(outcome, []).append(delivery_id)

    def count(self, outcome: str) -> int:
        return len(self.outcomes.get(outcome, []))


class _Undecided(Exception):
    """Reconcile could not tell whether a part landed."""


# The ends of a delivery the author is told of as they happen.
_TOLD = {Status.PUBLISHED: "published", Status.FAILED: "FAILED",
         Status.NEEDS_ATTENTION: "NEEDS YOU", Status.MISSED: "missed"}


class Daemon:
    """One daemon process's worth of publishing. `clock` and `rng` are injectable for tests."""

    def __init__(
        self, store: Store, registry: Registry | None = None,
        config: DaemonConfig | None = None, *,
        clock: Callable[[], datetime] = utc_now, rng: random.Random | None = None,
        feed_poll: Callable[[datetime], object] | None = None,  # watched feeds
        tell: Callable[[str], None] | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        # Issue 14: sends the notifications the store's transitions write, the digest, and
        # watches the accounts; None: events are still written, and wait for a daemon that has
        # one.
        self.notifier = notifier
        self.feed_poll = feed_poll
        # What the author is told as it happens: one line per delivery that ends (published,
        # failed, needing her, missed); None says nothing (the log still has it all).
        self.tell = tell
        self.registry = registry or Registry(Settings())
        config = config or DaemonConfig()
        self.config = config if config.owner else replace(config, owner=_owner())
        self.clock = clock
        self.rng = rng or random.Random()
        self.summary = RunSummary()
        self._lock = threading.Lock()
        self._claim_lock = threading.Lock()
        self._in_flight: dict[int, Claimed] = {}
        self._pool = ThreadPoolExecutor(max_workers=self.config.workers,
                                        thread_name_prefix="crier-publish")
        self._stopping = threading.Event()
        # A second signal: stop after the part in flight, leaving the rest of a thread queued.
        self._halting = threading.Event()
        self._scheduler: BlockingScheduler | None = None
        if not self.config.reconcile:
            log.warning("CRIER_UNSAFE_NO_RECONCILE is set: unknown outcomes are resent blindly; "
                        "this is for the crash test's control run only")

    # -- the pieces, callable without APScheduler ----------------------------------------------

    def claim(self, now: datetime) -> list[Future[str]]:
        """Claim what is due for the free workers and start publishing it."""
        # One claim at a time in this process, or two would count the same free workers.
        with self._claim_lock:
            with self._lock:
                free = self.config.workers - len(self._in_flight)
            if free <= 0 or self._stopping.is_set():
                return []
            self._catch_up(now)
            claimed = claim_due(self.store, now=now, owner=self.config.owner, limit=free,
                                lease=self.config.lease)
            futures = []
            for item in claimed:
                with self._lock:
                    self._in_flight[item.id] = item
                futures.append(self._pool.submit(self._work, item))
            return futures

    def _catch_up(self, now: datetime) -> None:
        """Evergreen repeats that fell behind go to their next free slots, one by one, before
        anything is claimed or marked missed: after an outage they never go out in a batch."""
        moved = repeats.catch_up(self.store, now)
        if moved:
            log.warning("moved %d repeat(s) that fell behind to the next free slots: %s",
                        len(moved), _ids(moved))

    def housekeep(self, now: datetime) -> None:
        """Requeue deliveries of dead daemons and mark misses, reporting them."""
        self._catch_up(now)
        requeued = reap(self.store, now)
        if requeued:
            log.warning("requeued %d delivery(ies) whose daemon stopped mid-publish, to be "
                        "reconciled before any resend: %s", len(requeued), _ids(requeued))
        missed = sweep_missed(self.store, now)
        for delivery_id in missed:
            self.summary.add("missed", delivery_id)
        if missed:
            log.warning("missed %d delivery(ies), past their max lateness: %s "
                        "(`crier queue list --status missed`)", len(missed), _ids(missed))
            if self.tell is not None:
                self.tell(f"missed {len(missed)} delivery(ies) past their max lateness: "
                          f"{_ids(missed)}; `crier queue retry ID` sends one now")

    def heartbeat(self, now: datetime) -> None:
        with self._lock:
            held = list(self._in_flight.values())
        kept = renew(self.store, held, now, self.config.lease)
        with self._lock:  # a delivery finished since the list was taken was not lost
            still = set(self._in_flight)
        for item in held:
            if item.id not in kept and item.id in still:
                log.warning("delivery %d: lease lost; another daemon will reconcile it", item.id)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def publish(self, claimed: Claimed) -> str:
        """Publish one claimed delivery, part by part; returns the outcome for the attempt log."""
        delivery, live = inflight.load(self.store, claimed)
        snapshot = Snapshot(claimed.attempts, claimed.due_at, claimed.miss_after, len(live),
                            claimed.reconcile)
        try:
            try:
                publisher = self.registry.get(claimed.publisher)
            except NotConfigured as exc:
                # A bad setting does not mend itself by retrying: fail now, and say why.
                raise Permanent(f"the {claimed.publisher} publisher cannot start: {exc}") from None
            unsent = [p for p in delivery.parts if p.index not in live]
            if claimed.reconcile and unsent:
                first = unsent[0]
                if self._landed(publisher, delivery, first, live, claimed):
                    unsent.pop(0)
            snapshot = replace(snapshot, live_parts=len(live), reconcile=False)
            if states.is_late(snapshot, self.clock()):
                return self._finish(claimed, states.missed(snapshot, self.clock()))
            last: tuple[int, Sent] | None = None
            for part in unsent:
                if last is not None:  # committed before the next network call
                    inflight.record_part(self.store, claimed, *last, self.clock(),
                                         self.config.lease)
                sent = self._send(publisher, delivery, part, live.get(part.index - 1))
                if isinstance(sent, Pending):
                    # The checkpoint is committed with the move back to the queue, before the
                    # part is asked for again; the worker is free meanwhile.
                    move = states.pending(snapshot, sent.retry_at, self.clock(), sent.detail)
                    return self._finish(claimed, move, last, (part.index, sent.checkpoint))
                live[part.index] = sent
                last = (part.index, sent)
                if self._halting.is_set() and part is not unsent[-1]:
                    move = states.pending(snapshot, self.clock(), self.clock(),
                                          f"stopped after part {part.index + 1} by a second "
                                          "signal; the rest goes out at the next run")
                    return self._finish(claimed, move, last)
            # The last part is recorded with the move to published, in one transaction.
            return self._finish(claimed, states.published(snapshot, self.clock()), last)
        except RateLimited as exc:
            return self._finish(claimed, states.rate_limited(snapshot, exc.reset_at, self.clock()))
        except Reconnect as exc:
            return self._finish(claimed, states.reconnect(snapshot, str(exc)))
        except Permanent as exc:
            return self._finish(claimed, states.permanent(snapshot, str(exc)))
        except _Undecided as exc:
            return self._finish(claimed, states.undecided(snapshot, str(exc)))
        except Transient as exc:
            # Not sent (sent=False), or the lookup that was to decide could not be made: in
            # that case the next attempt must look again before sending.
            return self._finish(claimed, states.transient(
                snapshot, str(exc), self.clock(), self.rng, self.config.retry,
                reconcile=exc.sent))

    # -- the worker's steps ------------------------------------------------------------------

    def _landed(self, publisher: Publisher, delivery: OutgoingDelivery, part: OutgoingPart,
                live: dict[int, Sent], claimed: Claimed) -> bool:
        """Reconcile: did an earlier attempt put `part` on the network? Records it if so."""
        if not self.config.reconcile:
            return False  # the unsafe control run: resend without looking
        try:
            found = publisher.lookup(delivery, part)
        except Transient as exc:
            raise Transient(f"could not check whether part {part.index + 1} landed: {exc}",
                            sent=True) from None
        if found.found is Found.UNKNOWN or (found.found is Found.YES and found.sent is None):
            raise _Undecided(f"part {part.index + 1} may have been published; {found.detail}")
        if found.found is Found.YES and found.sent is not None:
            log.info("delivery %d part %d: already on the network (%s)",
                     delivery.id, part.index, found.detail)
            inflight.record_part(self.store, claimed, part.index, found.sent, self.clock(),
                                 self.config.lease)
            live[part.index] = found.sent
            return True
        return False

    def _send(self, publisher: Publisher, delivery: OutgoingDelivery, part: OutgoingPart,
              previous: Sent | None) -> Sent | Pending:
        try:
            return publisher.publish_part(delivery, part, previous)
        except (RateLimited, Permanent):
            raise
        except Transient as exc:
            if not exc.sent:
                raise
            why: Exception = exc
        except Exception as exc:  # UnknownOutcome, or a publisher bug after the request
            why = exc
        log.warning("delivery %d part %d: outcome unknown (%s); reconciling",
                    delivery.id, part.index, why)
        if not self.config.reconcile:
            raise Transient(f"outcome unknown: {why}", sent=False)
        try:
            found = publisher.lookup(delivery, part)
        except Transient as exc:
            raise Transient(f"outcome unknown ({why}) and the check failed: {exc}",
                            sent=True) from None
        if found.found is Found.YES and found.sent is not None:
            return found.sent
        if found.found is Found.NO:
            # Certainly not there: send it again, after a backoff, looking once more first.
            raise Transient(f"not published ({why}); {found.detail}", sent=True)
        raise _Undecided(f"part {part.index + 1}: outcome unknown ({why}); {found.detail}")

    def _finish(self, claimed: Claimed, move: Transition,
                part: tuple[int, Sent] | None = None,
                checkpoint: tuple[int, Mapping[str, Any]] | None = None) -> str:
        inflight.finish(self.store, claimed, move, self.clock(), part, checkpoint)
        level = logging.INFO if move.status is Status.PUBLISHED else logging.WARNING
        log.log(level, "delivery %d (%s): %s%s", claimed.id, claimed.platform, move.outcome,
                f": {move.error}" if move.error else "")
        if self.tell is not None and move.status in _TOLD:
            what = _TOLD[move.status]
            detail = f" ({claimed.parts} part{'s' * (claimed.parts != 1)})" \
                if move.status is Status.PUBLISHED else f": {move.error}" if move.error else ""
            self.tell(f"delivery {claimed.id} ({claimed.platform}) {what}{detail}")
        return move.outcome

    def _work(self, claimed: Claimed) -> str:
        outcome = "lost_lease"
        try:
            outcome = self.publish(claimed)
        except inflight.LostLease as exc:
            log.warning("%s; stopping work on it", exc)
        except StoreUnavailable as exc:
            # The lease will expire and the delivery come back to be reconciled.
            log.error("delivery %d: the database failed mid-publish: %s", claimed.id, exc)
            outcome = "store_unavailable"
        except Exception:
            log.exception("delivery %d: unexpected error; it will be reconciled", claimed.id)
            outcome = self._give_back(claimed)
        finally:
            with self._lock:
                self._in_flight.pop(claimed.id, None)
            self.summary.add(outcome, claimed.id)
            self._wake()  # a worker is free: claim again now
        return outcome

    def _give_back(self, claimed: Claimed) -> str:
        snapshot = Snapshot(claimed.attempts, claimed.due_at, claimed.miss_after)
        move = states.transient(snapshot, "unexpected error (see the daemon's log)",
                                self.clock(), self.rng, self.config.retry, reconcile=True)
        try:
            return self._finish(claimed, move)
        except Exception:
            log.exception("delivery %d: could not record the error", claimed.id)
            return "error"

    # -- APScheduler -------------------------------------------------------------------------

    def run(self, install_signals: bool = True) -> RunSummary:
        """Run until stopped (SIGTERM, SIGINT, `stop()`), or until idle if so configured."""
        # Its "job skipped: already running" warnings are the normal case here: a worker's
        # wake-up landing while the claim job runs.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        scheduler = BlockingScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._scheduler = scheduler
        now = utc_now()
        lease = self.config.lease.total_seconds()
        scheduler.add_job(self._reap_job, "interval", seconds=max(0.5, lease / 4), id="reap",
                          next_run_time=now)
        scheduler.add_job(self._claim_job, "interval", seconds=self.config.poll, id="claim",
                          next_run_time=now)
        scheduler.add_job(self._heartbeat_job, "interval", seconds=max(0.2, lease / 3),
                          id="heartbeat")
        # -- issue 13: watched feeds, looked at every minute (each feed's own interval decides
        # whether it is fetched); guarded, so a feed's trouble never stops publishing.
        if self.feed_poll is not None:
            scheduler.add_job(self._feed_job, "interval", seconds=FEED_LOOK_SECONDS,
                              id="feeds", next_run_time=now)
        if self.notifier is not None:  # issue 14
            scheduler.add_job(self._notify_job, "interval", seconds=NOTIFY_LOOK_SECONDS,
                              id="notify", next_run_time=now)
            if self.config.until_idle:
                self._accounts_job()  # before the first claim: it may exit at once
            else:
                scheduler.add_job(self._accounts_job, "interval", seconds=ACCOUNT_LOOK_SECONDS,
                                  id="accounts", next_run_time=now + timedelta(seconds=5))
        # Misses and dead daemons' deliveries first, so that a restart over a long outage marks
        # the misses in one statement instead of claiming them one by one. By the daemon's
        # clock (a test's), not the scheduler's wall time.
        self.housekeep(self.clock())
        previous = self._install_signals() if install_signals else {}
        log.info("daemon %s started: %d workers, lease %.0f s", self.config.owner,
                 self.config.workers, lease)
        try:
            scheduler.start()
        finally:
            self._stopping.set()
            self._pool.shutdown(wait=True)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self.summary

    def halt(self) -> None:
        """Stop claiming, and stop each delivery in flight after its current part (the rest
        of a thread stays queued for the next run)."""
        self._halting.set()
        self.stop()

    def stop(self) -> None:
        """Stop claiming; exit once the deliveries in flight are finished."""
        self._stopping.set()
        threading.Thread(target=self._wake, daemon=True).start()

    def _install_signals(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}

        def handle(signum: int, _frame: FrameType | None) -> None:
            if self._stopping.is_set():  # the second: do not wait for whole threads
                log.warning("signal %d again: stopping after the part in flight; the rest "
                            "stays queued", signum)
                self._halting.set()
                return
            log.warning("signal %d: finishing %d delivery(ies) in flight, then exiting (send "
                        "it again to stop after the part in flight)", signum, self.in_flight())
            self.stop()

        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, handle)
        return previous

    def _wake(self) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            return
        try:
            scheduler.modify_job("claim", next_run_time=utc_now())
        except Exception:  # the scheduler is shutting down: nothing to wake
            log.debug("claim job not rescheduled", exc_info=True)

    def _claim_job(self) -> None:
        scheduler = self._scheduler
        assert scheduler is not None
        if self._stopping.is_set():
            if self.in_flight() == 0:
                scheduler.shutdown(wait=False)
            return
        try:
            now = self.clock()
            # A read first: an idle queue costs no write lock, which other daemons would wait on.
            state = queue_state(self.store, now)
            started = self.claim(now) if state.due_now else []
        except StoreUnavailable as exc:
            log.error("cannot claim: %s", exc)
            if self.notifier is not None:
                self.notifier.database_down(str(exc), self.clock())
            return
        if self.notifier is not None:
            self.notifier.database_back()
        if (self.config.until_idle and not started and self.in_flight() == 0
                and state.due_now == 0 and state.in_flight == 0):
            log.info("idle: nothing due, nothing in flight")
            self.flush_notifications()
            self._stopping.set()
            scheduler.shutdown(wait=False)
            return
        # Wake exactly at the next due time when it comes before the next poll.
        if state.next_due is not None and now < state.next_due < now + timedelta(
                seconds=self.config.poll):
            try:
                scheduler.modify_job("claim", next_run_time=state.next_due)
            except Exception:
                log.debug("claim job not rescheduled", exc_info=True)

    def _reap_job(self) -> None:
        try:
            self.housekeep(self.clock())
        except StoreUnavailable as exc:
            log.error("cannot reap: %s", exc)

    def _feed_job(self) -> None:  # issue 13
        try:
            if self.feed_poll is not None and not self._stopping.is_set():
                self.feed_poll(self.clock())
        except Exception:
            log.exception("feed poll failed; publishing goes on")

    def _notify_job(self) -> None:  # issue 14
        if self.notifier is None or self._stopping.is_set():
            return
        try:
            self.notifier.tick(self.clock())
        except StoreUnavailable as exc:
            log.error("cannot send notifications: %s", exc)
        except Exception:
            log.exception("notification sender failed; it tries again, publishing goes on")

    def _accounts_job(self) -> None:  # issue 14
        if self.notifier is None or self._stopping.is_set():
            return
        try:
            for watched in self.notifier.watch_accounts(self.clock()):
                log.info("account %s checked: %s%s", watched.account,
                         "ok" if watched.ok else "NOT WORKING",
                         f"; told: {', '.join(watched.told)}" if watched.told else "")
        except StoreUnavailable as exc:
            log.error("cannot watch the accounts: %s", exc)
        except Exception:
            log.exception("account watch failed; publishing goes on")

    def flush_notifications(self) -> None:
        """Send every pending notification now (the grouping window is not waited out): the
        last thing `until_idle` does. What cannot be sent stays pending for the next run."""
        if self.notifier is None:
            return
        try:
            report = self.notifier.flush(self.clock())
        except Exception as exc:
            log.error("notifications not sent before exiting: %s; they stay pending", exc)
            return
        sent = sum(report.messages.values())
        if sent or report.retry or report.logged:
            log.info("notifications: %d message(s) sent for %d event(s), %d logged, %d pending",
                     sent, report.delivered, report.logged, report.retry)
        if self.tell is not None and (sent or report.retry):
            by = " and ".join(sorted(report.messages)) or "no channel"
            self.tell(f"notifications: {report.delivered} sent by {by}"
                      + (f"; {report.retry} could not be sent ({'; '.join(report.errors)}) "
                         "and wait for the next run (`crier notifications list`)"
                         if report.retry else ""))

    def _heartbeat_job(self) -> None:
        try:
            self.heartbeat(self.clock())
        except StoreUnavailable as exc:
            log.error("cannot renew leases: %s", exc)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _ids(ids: list[int]) -> str:
    shown = ", ".join(map(str, ids[:20]))
    return shown + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
