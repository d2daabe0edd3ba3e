"""`crier notify test` (a test message on every channel) and `crier notifications list`
(what the author was told, or is about to be)."""

from __future__ import annotations

import argparse
import json

from scheduler.cli.queue import Sub
from scheduler.cli.tables import short, table
from scheduler.service import Service


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    notify = sub.add_parser("notify", help="notification channels: send a test message",
                            description="Email (CRIER_SMTP_URL, CRIER_NOTIFY_EMAIL) and a "
                            "webhook (CRIER_NOTIFY_WEBHOOK_URL); see .env.example.")
    cmds = notify.add_subparsers(dest="notify_command", required=True, metavar="ACTION")
    test = cmds.add_parser("test", help="send a test message on every configured channel "
                           "and say what happened")
    test.set_defaults(func=test_channels)

    listing = sub.add_parser("notifications", help="what Crier told you, or will",
                             description="Every event (failed, missed, needs attention, "
                             "tokens, feeds, the digest), newest first, with where it stands.")
    cmds = listing.add_subparsers(dest="notifications_command", required=True,
                                  metavar="ACTION")
    ls = cmds.add_parser("list", help="the latest notifications, newest first")
    ls.add_argument("--status", help="only these, comma-separated: pending, sent, logged, "
                    "skipped")
    ls.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_notifications)


def test_channels(args: argparse.Namespace, service: Service) -> int:
    results = service.notify_test()
    if not results:
        print("No notification channel is configured: events go only to the daemon's log and "
              "`crier notifications list`. Set CRIER_SMTP_URL with CRIER_NOTIFY_EMAIL, or "
              "CRIER_NOTIFY_WEBHOOK_URL (see .env.example).")
        return 1
    failed = 0
    for where, error in results:
        if error is None:
            print(f"sent: {where}")
        else:
            failed += 1
            print(f"FAILED: {where}: {error}")
    return 1 if failed else 0


def list_notifications(args: argparse.Namespace, service: Service) -> int:
    status = [s.strip() for s in (args.status or "").split(",") if s.strip()]
    events = service.notifications(status=status, limit=args.limit)
    if args.json:
        print(json.dumps([e.to_json() for e in events], indent=2))
        return 0
    if not events:
        print("No notifications.")
        return 0
    wording = service.notification_wording()
    rows = []
    for event in events:
        headline = (str(event.data.get("subject", event.title or "digest"))
                    if event.kind.value == "digest" else wording.told(event).headline)
        state = event.status
        if event.status == "pending" and event.attempts:
            state += f" ({event.attempts} failed: {short(event.last_error or '', 50)})"
        rows.append([str(event.id), wording.when(event.happened_at), event.kind.value,
                     short(headline, 60), state])
    print(table(["id", "when", "kind", "what", "status"], rows))
    return 0
