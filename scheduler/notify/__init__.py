"""Notifications: telling the author, once and in words she can act on, when something needs her.

- `kinds`: what can happen (a delivery failed, was missed or needs her; a token expires soon or
  stopped working; a feed broke; the database is unreachable; the daily digest).
- `scheduler.store.notifications`: events are rows, written in the transaction of the change
  that causes them, so none is lost to a crash.
- `messages`: an event, or a burst of them, as a short subject, a plain-text body and fields.
- `channels`: email over SMTP and a webhook (JSON, ntfy, Slack, Discord); the log always.
- `sender`: the daemon's job that delivers pending events at least once, with retries.
- `digest` and `accounts`: the daily digest and the account watch, both daemon jobs.
- `notifier`: the one object the daemon holds.

This package's `__init__` imports nothing: the store imports `kinds`, and the rest imports the
store.
"""
