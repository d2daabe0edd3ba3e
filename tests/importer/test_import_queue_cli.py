"""An imported post queued through the CLI and published to the outbox carries the brand's
disclaimer exactly once per delivery (the page's own copy was left out), and the feeds
commands work end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from blogsite import Blog
from support import REPO, Result

from scheduler.config import load_brand


def _closing_count(texts: list[str]) -> int:
    brand = load_brand(REPO / "brand.toml")
    return sum(t.count(brand.disclaimer) + t.count(brand.disclaimer_short) for t in texts)


def test_an_imported_page_queued_and_published_has_the_disclaimer_once_per_delivery(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    result = crier("import", blog.url("/post/sleep-after-birth"), "--queue", "--now", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert len(report["queued"]) == 7  # every network of the brand
    run = crier("run", "--until-idle", "--poll", "0.05", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["queue"] == {"published": 7}
    for row in report["queued"]:
        shown = json.loads(crier("queue", "show", str(row["id"]), "--json").out)
        texts = [p["text"] for p in shown["part_list"]]
        assert _closing_count(texts) == 1, (row["platform"], texts)
        assert not any("Like, Share, Follow and Subscribe" in t and row["platform"] in
                       ("x", "bluesky", "mastodon", "threads") for t in texts)
        # What the network received (the outbox) is the same.
        folder = cli_env / "outbox" / row["platform"] / str(row["id"])
        sent = [f.read_text(encoding="utf-8") for f in sorted(folder.glob("part-*.txt"))]
        assert _closing_count(sent) == 1
        # The photos went with their alt text.
        alts = [i["alt"] for p in shown["part_list"] for i in p["images"]]
        assert alts == ["A parent rests on a sofa beside a bassinet in a dim nursery at dawn.",
                        "A sleep log kept for one week."], row["platform"]


def test_queue_needs_a_time_and_a_time_needs_queue(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    assert "needs a time" in crier("import", blog.url("/atom/"), "--queue").err
    assert "go with --queue" in crier("import", blog.url("/atom/"), "--now").err
    assert not (cli_env / "posts").exists()


def test_feeds_add_list_check_approve_remove(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    blog.grow(1)
    added = crier("feeds", "add", blog.url("/grow.xml"), "--platforms", "x", "--json")
    assert added.code == 0, added.err
    feed = json.loads(added.out)["feed"]
    assert feed["review"] is True and feed["items"] == {"seen": 1}
    again = crier("feeds", "add", blog.url("/grow.xml"))
    assert again.code == 1 and "already watched" in again.err
    blog.grow(1)
    checked = crier("feeds", "check", "--json")
    assert checked.code == 0, checked.err
    drafts = json.loads(crier("queue", "drafts", "--json").out)
    assert [d["title"] for d in drafts] == ["Post number 2"]
    assert crier("queue", "list", "--json").out.strip() == "[]"
    approved = crier("queue", "approve", str(drafts[0]["id"]), "--now", "--json")
    assert approved.code == 0, approved.err
    rows = json.loads(approved.out)["queued"]
    assert [r["platform"] for r in rows] == ["x"]
    listed = json.loads(crier("feeds", "list", "--json").out)
    assert listed[0]["items"] == {"seen": 1, "queued": 1}
    assert crier("feeds", "remove", str(feed["id"])).code == 0
    assert json.loads(crier("feeds", "list", "--json").out) == []
    assert len(json.loads(crier("queue", "list", "--json").out)) == 1  # stays queued


def test_feeds_check_reports_a_broken_feed_with_its_url(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    blog.grow(1)
    assert crier("feeds", "add", blog.url("/grow.xml")).code == 0
    blog.routes["/grow.xml"] = ("text/html", b"<html><body>maintenance</body></html>")
    checked = crier("feeds", "check")
    assert checked.code == 1
    assert blog.url("/grow.xml") in checked.err and "HTML page" in checked.err
