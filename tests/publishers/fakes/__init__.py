"""Test servers that speak the networks' real HTTP APIs on 127.0.0.1 and enforce their rules.

- `base`: the shared plumbing (threaded HTTP server on port 0, request log, fault switches,
  a clock that tests control, fixed-window rate limits).
- `x_server`: X API v2 (tweets, users, media upload and metadata) with OAuth 1.0a checks, the
  weighted 280 counted by the independent `twitter-text-parser`, duplicate 403s and 429s; plus
  `route_to`, which points a tweepy `Client.session` at the fake.
- `mastodon_server`: the Mastodon REST API (instance, credentials, media, statuses) with bearer
  auth, grapheme counting, Idempotency-Key and 429s.
- `pds`: runs the real Bluesky reference PDS (`@atproto/dev-env`, see `tests/pds/`).

No fake imports the project's own code: each enforces the rules from the platforms' documents on
its own, so a contract test that passes against them checks our code against an independent
reading of the rules.
"""
