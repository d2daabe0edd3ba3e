"""Time X's weighted length (content.counting.x) against twitter-text-parser on a mixed corpus.

The corpus is deterministic (a seeded generator): ASCII prose, URLs with and without protocol,
emoji (ZWJ families, flags, skin tones, keycaps, tag flags), CJK, Arabic and Hebrew, accented
Latin (some decomposed, so NFC has work to do) and texts over 280. Every text is first checked
field by field against twitter-text-parser's `parse_tweet`; any difference fails the bench.

The corpus avoids, on purpose, the three places where we knowingly differ from the port (see
content/counting/x.py): "\\r\\n", emoji sequences newer than Emoji 12.0 or outside the
recommended list, and the empty text.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence

import twitter_text

from bench.timing import best_of
from content.counting.x import parse_tweet, weighted_length

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


def main() -> int:
    corpus = build_corpus()
    mismatches = []
    for text in corpus:
        ref = twitter_text.parse_tweet(text).asdict()
        ours = parse_tweet(text).as_twitter_text()
        if ours != ref or weighted_length(text) != ref["weightedLength"]:
            mismatches.append((text, ours, ref))
    for text, ours, ref in mismatches[:5]:
        print(f"MISMATCH {text!r}\n  ours {ours}\n  ref  {ref}")

    ours_s = best_of(7, lambda: [weighted_length(t) for t in corpus])
    parse_s = best_of(5, lambda: [parse_tweet(t) for t in corpus])
    ref_s = best_of(3, lambda: [twitter_text.parse_tweet(t).weightedLength for t in corpus])
    same = not mismatches
    print(
        f"x weighted length: {len(corpus)} texts, ours {ours_s * 1000:.1f} ms, "
        f"twitter-text-parser {ref_s * 1000:.0f} ms, ratio {ref_s / ours_s:.1f}x faster "
        f"(identical results: {'yes' if same else f'NO, {len(mismatches)} differ'})"
    )
    print(
        f"x parse_tweet (all fields): ours {parse_s * 1000:.1f} ms, "
        f"ratio {ref_s / parse_s:.1f}x faster"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
