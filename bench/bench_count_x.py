"""Time X's weighted length (content.counting.twitter_text) against twitter-text itself and
the Python port.

Two deterministic corpora (seeded generators): a mixed one (ASCII prose, URLs with and without
protocol, emoji of every kind, CJK, Arabic and Hebrew, accented Latin, some decomposed so NFC
has work to do, texts over 280) and one heavy in URLs and emoji (every text several links,
bare and with protocol, and several emoji sequences). Every text is first checked field by
field against twitter-text 3.1.0's `parseTweet`, run in Node (tests/differential/harness.mjs);
any difference fails the bench. Then:

- against the reference: `parseTweet` over the same texts, timed inside Node with
  process.hrtime around the loop (process start and the pipe are not in the figure), against
  our `parse_tweet` (the same fields) and `weighted_length`; the ratio is ours / reference,
  so at most 1.0 means at least as fast;
- against twitter-text-parser (the Python port, the baseline before there was a reference
  run): its `parse_tweet`, and how many texts it counts differently from twitter-text.

Without Node the reference part is skipped, saying so, and only the port is timed.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import twitter_text

from bench.timing import best_of
from content.counting.twitter_text import clear_caches, parse_tweet, weighted_length

SEED = 20240229
PER_KIND = 300

# fmt: off
_WORDS = (
    "the", "a", "an", "of", "to", "and", "in", "is", "it", "that", "for", "on", "with", "as",
    "was", "at", "by", "this", "be", "from", "or", "have", "not", "are", "scheduler", "post",
    "thread", "draft", "queue", "publish", "network", "weighted", "length", "limit", "character",
    "count", "morning", "evening", "launch", "release", "notes", "feedback", "bug", "fix", "ship",
    "review", "coffee", "team", "meeting", "why", "how", "what", "when", "where", "who", "really",
    "quite", "simply", "nearly", "always", "never",
)
_HOSTS = (
    "example.com", "www.example.org", "blog.example.co.uk", "docs.python.org", "github.com",
    "news.ycombinator.com", "t.co", "example.io", "sub.domain.example.net", "example.jp",
    "café.example.fr", "例え.jp", "пример.рф", "xn--80ak6aa92e.com", "localhost.localdomain",
)
_PATHS = ("", "/", "/path", "/blog/2024/03/post-title", "/a/b/c.html", "/wiki/Foo_(bar)",
          "/search?q=weighted+length&lang=en", "/@user/", "/index.php?id=12#top", "/ü/ñ",
          "/%E2%9C%93")
_EMOJI = (
    "😷", "😂", "🔥", "💩", "👾", "🤪", "🧕", "🥰", "🐱", "🎉", "🚀",
    "👨\u200d👩\u200d👧\u200d👦", "👩\u200d💻", "👨\u200d🎤", "🏳\ufe0f\u200d🌈", "🏃\u200d♀\ufe0f",
    "👁\ufe0f\u200d🗨\ufe0f", "👩\u200d❤\ufe0f\u200d👨", "🏴\u200d☠\ufe0f", "👩🏽\u200d💻",
    "👋🏽", "👍🏿", "🧕🏾", "💃🏾", "🙋🏽",
    "🇫🇷", "🇯🇵", "🇺🇸", "🇩🇪", "🇧🇷",
    "1\ufe0f\u20e3", "#\ufe0f\u20e3", "*\ufe0f\u20e3", "1\u20e3",
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "❤\ufe0f", "☺\ufe0f", "✌\ufe0f", "☀\ufe0f", "©\ufe0f", "®\ufe0f", "™\ufe0f",
    "©", "®", "™", "☺", "♥",
)
# fmt: on
_CJK = (
    "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。",
    "今日はいい天気ですね。明日の予定を確認しましょう。",
    "あいうえおかきくけこさしすせそ",
    "오늘 날씨가 정말 좋네요. 내일 만나요!",
    "日本語のテキストとカタカナのテキスト",
)
_RTL = (
    "مرحبا بكم في عالمنا الجميل",
    "هذا نص عربي للاختبار مع أرقام ١٢٣",
    "שלום עולם, זהו טקסט בעברית",
)
_ACCENTED = (
    "Crème brûlée à la française",
    "déjà vu, naïve café, façade",
    "Ærøskøbing og Ødegård",
    "Żółć gęślą jaźń",
    "“Quoted” text — with dashes – and ellipsis…",
    "São Paulo, Bogotá, Zürich, Kraków",
)


def _prose(rng: random.Random, n_words: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n_words)]
    out = []
    for i, w in enumerate(words):
        out.append(w)
        r = rng.random()
        if i < len(words) - 1:
            out.append(". " if r < 0.08 else ", " if r < 0.14 else " ")
    text = "".join(out)
    return text[:1].upper() + text[1:] + rng.choice((".", "!", "?", "", " e.g. this.", "..."))


def _url(rng: random.Random, protocol: bool) -> str:
    host = rng.choice(_HOSTS)
    path = rng.choice(_PATHS)
    if host == "t.co":
        path = "/" + "".join(rng.choice("abcdefghXYZ0123456789") for _ in range(10))
    scheme = rng.choice(("http://", "https://", "HTTPS://")) if protocol else ""
    return f"{scheme}{host}{path}"


def _join(rng: random.Random, parts: Sequence[str]) -> str:
    seps = (" ", " ", " ", "\n", ", ", " — ", "", "\n\n")
    out = [parts[0]]
    for p in parts[1:]:
        out.append(rng.choice(seps))
        out.append(p)
    return "".join(out)


def build_corpus(seed: int = SEED, per_kind: int = PER_KIND) -> list[str]:
    """A deterministic list of mixed post texts (per_kind of each of eight kinds)."""
    rng = random.Random(seed)
    kinds: list[Callable[[], str]] = [
        lambda: _prose(rng, rng.randint(3, 45)),
        lambda: _join(
            rng,
            [
                _prose(rng, rng.randint(2, 12)),
                _url(rng, True),
                _prose(rng, rng.randint(0, 8)) or "ok",
            ],
        ),
        lambda: _join(
            rng,
            [
                _prose(rng, rng.randint(2, 12)),
                _url(rng, False),
                rng.choice(("and", "or see")),
                _url(rng, rng.random() < 0.5),
            ],
        ),
        lambda: _join(
            rng,
            [_prose(rng, rng.randint(1, 10))]
            + [rng.choice(_EMOJI) for _ in range(rng.randint(1, 8))],
        ),
        lambda: _join(
            rng,
            [rng.choice(_CJK) for _ in range(rng.randint(1, 4))]
            + ([rng.choice(_EMOJI)] if rng.random() < 0.3 else []),
        ),
        lambda: _join(
            rng,
            [rng.choice(_RTL), rng.choice(_ACCENTED)]
            + ([_url(rng, True)] if rng.random() < 0.3 else []),
        ),
        lambda: unicodedata.normalize(
            rng.choice(("NFC", "NFD")), _join(rng, [rng.choice(_ACCENTED) for _ in range(3)])
        ),
        # Over the limit: several of everything, 300 to 1200 characters.
        lambda: _join(
            rng,
            [
                rng.choice(_CJK),
                _prose(rng, rng.randint(20, 90)),
                _url(rng, rng.random() < 0.5),
                rng.choice(_EMOJI),
                rng.choice(_ACCENTED),
                _prose(rng, rng.randint(20, 90)),
                rng.choice(_RTL),
            ],
        ),
    ]
    return [kind() for kind in kinds for _ in range(per_kind)]


def build_heavy_corpus(seed: int = SEED + 1, count: int = PER_KIND * 8) -> list[str]:
    """Texts heavy in URLs and emoji: 2 to 5 links and 2 to 6 emoji sequences each."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = [_prose(rng, rng.randint(1, 6))]
        parts += [_url(rng, rng.random() < 0.5) for _ in range(rng.randint(2, 5))]
        parts += [rng.choice(_EMOJI) for _ in range(rng.randint(2, 6))]
        rng.shuffle(parts)
        texts.append(_join(rng, parts))
    return texts


def _reference_module() -> ModuleType:
    """tests/differential/diff_reference.py, which starts the Node harness."""
    path = Path(__file__).resolve().parent.parent / "tests" / "differential" / "diff_reference.py"
    spec = importlib.util.spec_from_file_location("diff_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["diff_reference"] = module
    spec.loader.exec_module(module)
    return module


_FIELDS = (
    "weightedLength", "valid", "permillage", "validRangeStart", "validRangeEnd",
    "displayRangeStart", "displayRangeEnd",
)  # fmt: skip


def _differences(corpus: list[str], reference: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    found = []
    for text, theirs in zip(corpus, reference, strict=True):
        expected = {k: theirs[k] for k in _FIELDS}
        ours = parse_tweet(text).as_twitter_text()
        if ours != expected or weighted_length(text) != expected["weightedLength"]:
            found.append((text, ours, expected))
    return found


def _against_reference(name: str, corpus: list[str], ref: Any) -> bool:
    mismatches = _differences(corpus, ref.x(corpus))
    for text, ours, expected in mismatches[:5]:
        print(f"MISMATCH {text!r}\n  ours {ours}\n  ref  {expected}")
    # Runs alternate between Node and us, so both see the same load on a shared machine; the
    # best of each is kept. Every run of ours starts with empty caches: it gains only from what
    # recurs within the corpus (as links and emoji recur in one author's posts).
    # Wall time is what was asked for; CPU time (process.cpuUsage in Node, process_time here)
    # is shown beside it because the machine is shared and waiting for a core is not work.
    js: list[float] = []
    js_cpu: list[float] = []
    ours: list[float] = []
    ours_cpu: list[float] = []
    parse: list[float] = []
    parse_cpu: list[float] = []
    ref.bench_x(corpus, 2)  # warm up V8's JIT as our first run warms nothing
    for _ in range(9):
        run = ref.bench_x(corpus, 1)
        js.append(run["best_ns"] / 1e9)
        js_cpu.append(run["best_cpu_ns"] / 1e9)
        for count, wall, cpu in (
            (weighted_length, ours, ours_cpu),
            (parse_tweet, parse, parse_cpu),
        ):
            clear_caches()
            started, started_cpu = time.perf_counter(), time.process_time()
            for text in corpus:
                count(text)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    js_s, ours_s, parse_s = min(js), min(ours), min(parse)
    js_c, ours_c, parse_c = min(js_cpu), min(ours_cpu), min(parse_cpu)
    same = "yes" if not mismatches else f"NO, {len(mismatches)} differ"
    print(
        f"x {name}: {len(corpus)} texts, twitter-text parseTweet in Node {js_s * 1000:.1f} ms; "
        f"ours parse_tweet {parse_s * 1000:.1f} ms (ratio {parse_s / js_s:.2f}), "
        f"weighted_length {ours_s * 1000:.1f} ms (ratio {ours_s / js_s:.2f}) "
        f"[ours / reference, wall; identical results: {same}]\n"
        f"  CPU time: Node {js_c * 1000:.1f} ms; parse_tweet {parse_c * 1000:.1f} ms "
        f"(ratio {parse_c / js_c:.2f}), weighted_length {ours_c * 1000:.1f} ms "
        f"(ratio {ours_c / js_c:.2f})"
    )
    return not mismatches


def main() -> int:
    corpus = build_corpus()
    heavy = build_heavy_corpus()
    status = 0
    reference_results: list[dict[str, Any]] | None = None
    diff_reference = _reference_module()
    try:
        ref = diff_reference.Reference()
    except diff_reference.ReferenceUnavailable as exc:
        print(f"x vs twitter-text: skipped, the reference is unavailable ({exc})")
    else:
        with ref:
            for name, texts in (("mixed corpus", corpus), ("URL- and emoji-heavy corpus", heavy)):
                if not _against_reference(name, texts, ref):
                    status = 1
            reference_results = ref.x(corpus)

    ours_s = best_of(7, lambda: (clear_caches(), [weighted_length(t) for t in corpus]))
    parse_s = best_of(5, lambda: (clear_caches(), [parse_tweet(t) for t in corpus]))
    port_s = best_of(3, lambda: [twitter_text.parse_tweet(t).weightedLength for t in corpus])
    port_note = ""
    if reference_results is not None:
        port_differs = sum(
            twitter_text.parse_tweet(t).asdict() != {k: r[k] for k in _FIELDS}
            for t, r in zip(corpus, reference_results, strict=True)
        )
        port_note = f"; the port differs from twitter-text on {port_differs} of them"
    print(
        f"x weighted length vs twitter-text-parser: {len(corpus)} mixed texts, "
        f"ours {ours_s * 1000:.1f} ms, twitter-text-parser {port_s * 1000:.0f} ms, "
        f"ratio {port_s / ours_s:.1f}x faster{port_note}"
    )
    print(
        f"x parse_tweet (all fields) vs twitter-text-parser: ours {parse_s * 1000:.1f} ms, "
        f"ratio {port_s / parse_s:.1f}x faster"
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
