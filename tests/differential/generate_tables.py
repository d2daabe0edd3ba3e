"""Regenerate the data tables Crier's counters take from the reference packages (dev time only).

    .venv/bin/python tests/differential/generate_tables.py

It installs the pinned packages (install.sh), asks Node for the tables as the packages hold
them, and writes, in content/counting/:

- twitter_text_emoji.py  twemoji-parser 11.0.2's emoji pattern (what twitter-text's
                 parseTweet counts as one emoji), turned from UTF-16 surrogate notation
                 into code points for Python's `re`; alternatives keep their order, which decides the match.
- twitter_text_tlds.py  twitter-text 3.1.0's generic and country-code TLDs, as its URL
                 pattern lists them.
- twitter_text_url_chars.py  the characters each one-character piece of twitter-text's
                 URL pattern takes.
- grapheme_stand_ins.py  code points whose segmentation differs between `regex` and Node's ICU.
- richtext_tlds.py  the npm `tlds` list @atproto/api checks a bare domain or a handle against.
- TWEMOJI_LICENSE, TWITTER_TEXT_TLDS_LICENSE, RICHTEXT_TLDS_LICENSE: the packages' licences.

Only data crosses over: no JavaScript is translated. The generated files are committed; CI does
not run this script (the differential tests show whether the tables still agree).
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from diff_reference import install  # noqa: E402

OUT = HERE.parent.parent / "content" / "counting"

_DUMP = r"""
const { createRequire } = require('node:module')
const req = createRequire(process.cwd() + '/')
const emoji = req('twemoji-parser/dist/lib/regex.js').default
// The TLD patterns are a plain alternation inside "(?:(?:" ... ")(?=[^0-9a-z@+\-]|$))".
const names = (re) => {
  const s = re.source
  const body = s.slice(s.indexOf('(?:(?:') + 6, s.indexOf(')(?='))
  return body.split('|')
}
// Which BMP code units a one-character piece of twitter-text's URL pattern matches, tested with
// the reference's own regular expression and flags (case-insensitive without the `u` flag
// folds case its own way: "\u212a" KELVIN SIGN is no "k", "\u1c80" is a Cyrillic "в").
const tt = (name) => req('twitter-text/dist/regexp/' + name + '.js')
const accents = tt('latinAccentChars').source
const pieces = {
  before: tt('validUrlPrecedingChars'),
  domainChar: tt('validDomainChars'),
  pathChar: tt('validGeneralUrlPathChars'),
  pathEndChar: tt('validUrlPathEndingChars'),
  queryChar: tt('validUrlQueryChars'),
  queryEndChar: tt('validUrlQueryEndingChars'),
  asciiDomainChar: new RegExp('[\\-a-z0-9' + accents + ']', 'i'),
}
const classes = {}
for (const [name, re] of Object.entries(pieces)) {
  const flags = name === 'before' || name === 'domainChar' ? 'i' : re.flags.replace('g', '')
  const one = new RegExp('^(?:' + re.source + ')$', flags)
  const units = []
  for (let u = 0; u < 0x10000; u++) if (one.test(String.fromCharCode(u))) units.push(u)
  classes[name] = units
}
// The characters each TLD letter (and "x", "n", "h", "t", "p", "s") matches under the `i` flag.
const letters = new Set('xnhtps')
for (const name of [...names(tt('validGTLD')), ...names(tt('validCCTLD'))]) {
  for (const ch of name) letters.add(ch)
}
const variants = {}
for (const ch of letters) {
  const one = new RegExp('^' + ch.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&') + '$', 'i')
  const units = []
  for (let u = 0; u < 0x10000; u++) if (one.test(String.fromCharCode(u))) units.push(u)
  if (units.length !== 1 || units[0] !== ch.charCodeAt(0)) variants[ch] = units
}
// Code points unassigned for V8 (its Unicode version, the one Intl.Segmenter and so
// @atproto/api's graphemeLength use), as ranges.
const unassigned = []
for (let cp = 0; cp < 0x110000; cp++) {
  if (cp >= 0xd800 && cp < 0xe000) continue
  if (/^\p{Cn}$/u.test(String.fromCodePoint(cp))) unassigned.push(cp)
}
console.log(JSON.stringify({
  unassigned,
  classes,
  variants,
  emoji: emoji.source,
  emojiFlags: emoji.flags,
  gtld: names(req('twitter-text/dist/regexp/validGTLD.js')),
  cctld: names(req('twitter-text/dist/regexp/validCCTLD.js')),
  tlds: req('tlds/index.json'),
  icu: process.versions.icu,
  unicode: process.versions.unicode,
  versions: {
    'twemoji-parser': req('twemoji-parser/package.json').version,
    'twitter-text': req('twitter-text/package.json').version,
    tlds: req('tlds/package.json').version,
  },
}))
"""


# How a code point segments next to others, in 9 probes: after "a" (extends?), before "a"
# (prepends?), before a combining mark (a control?), after an emoji and ZWJ (pictographic?),
# after a consonant and virama (Indic conjunct?), around Hangul jamo, and doubled (RI pairs).
_PROBES = (
    "a{c}", "{c}a", "{c}\u0301", "\U0001f600\u200d{c}", "\u0915\u094d{c}", "\u1100{c}",
    "{c}\u1161", "{c}\u11a8", "{c}{c}",
)  # fmt: skip
_NODE_PROBE = r"""
const seg = new Intl.Segmenter()
const probes = JSON.parse(process.argv[1])
const cps = JSON.parse(require('node:fs').readFileSync(0, 'utf8'))
const count = (s) => { let k = 0; for (const _ of seg.segment(s)) k++; return k }
console.log(JSON.stringify(cps.map((cp) => {
  const c = String.fromCodePoint(cp)
  return probes.map((p) => count(p.replaceAll('{c}', c))).join('')
})))
"""


def _signatures_node(directory: Path, cps: list[int]) -> list[str]:
    out = subprocess.run(
        ["node", "-e", _NODE_PROBE, json.dumps(list(_PROBES))],
        cwd=directory,
        input=json.dumps(cps),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sigs: list[str] = json.loads(out)
    return sigs


def _signatures_python(cps: list[int]) -> list[str]:
    import regex

    grapheme = regex.compile(r"\X")
    return [
        "".join(str(len(grapheme.findall(p.replace("{c}", chr(cp))))) for p in _PROBES)
        for cp in cps
    ]


# Candidates to stand in for a code point the two Unicode versions disagree on.
_STAND_IN_CANDIDATES = (0xE000, 0x1FAFF, 0x1F02C, 0x0378)


def grapheme_stand_ins(directory: Path, unassigned: list[int]) -> dict[int, int]:
    """Code points `regex` segments differently from V8, each mapped to one it agrees on.

    The two carry different Unicode versions; the code points either side has assigned and
    the other has not are probed, and each one that segments differently gets a stand-in that
    both segment as V8 segments it.
    """
    import regex

    v8 = set(unassigned)
    py = {
        cp
        for cp in range(0x110000)
        if not 0xD800 <= cp < 0xE000 and regex.match(r"\p{Cn}", chr(cp))
    }
    candidates = sorted(v8 ^ py)
    node_sigs = _signatures_node(directory, candidates + list(_STAND_IN_CANDIDATES))
    py_sigs = _signatures_python(candidates + list(_STAND_IN_CANDIDATES))
    options = {
        n: cp
        for cp, n, p in reversed(
            list(zip(candidates + list(_STAND_IN_CANDIDATES), node_sigs, py_sigs, strict=True))
        )
        if n == p and cp in _STAND_IN_CANDIDATES
    }
    stand_ins: dict[int, int] = {}
    for cp, n, p in zip(candidates, node_sigs, py_sigs, strict=False):
        if n != p:
            assert n in options, f"no stand-in segments like U+{cp:04X} ({n})"
            stand_ins[cp] = options[n]
    return stand_ins


def _dump(directory: Path) -> dict[str, object]:
    out = subprocess.run(
        ["node", "-e", _DUMP], cwd=directory, capture_output=True, text=True, check=True
    ).stdout
    data: dict[str, object] = json.loads(out)
    return data


# --- the emoji pattern: UTF-16 units to code points ---------------------------------------------


def _units(source: str) -> list[tuple[str, int | str]]:
    """Tokens of a JS pattern: ("cu", code unit) for a literal, ("op", text) for syntax."""
    tokens: list[tuple[str, int | str]] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            nxt = source[i + 1]
            if nxt == "u":
                tokens.append(("cu", int(source[i + 2 : i + 6], 16)))
                i += 6
                continue
            tokens.append(("cu", ord(nxt)))  # an escaped literal such as \* or \#
            i += 2
            continue
        if ch in "[]()|?-^*+{}":
            if ch == "(" and source.startswith("(?:", i):
                tokens.append(("op", "(?:"))
                i += 3
                continue
            if ch == "(" and source.startswith("(?!", i):
                tokens.append(("op", "(?!"))
                i += 3
                continue
            tokens.append(("op", ch))
            i += 1
            continue
        tokens.append(("cu", ord(ch)))
        i += 1
    return tokens


def _is_high(unit: int) -> bool:
    return 0xD800 <= unit <= 0xDBFF


def _is_low(unit: int) -> bool:
    return 0xDC00 <= unit <= 0xDFFF


def _char(cp: int) -> str:
    if cp < 0x80 and not chr(cp).isalnum():
        return "\\" + chr(cp) if chr(cp) in r"\^-[]{}()|?*+.$#&~ " else chr(cp)
    if cp < 0x80:
        return chr(cp)
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def _class_ranges(tokens: list[tuple[str, int | str]], i: int) -> tuple[list[tuple[int, int]], int]:
    """Parse a class body starting after "[", return its ranges and the index after "]"."""
    ranges: list[tuple[int, int]] = []
    assert tokens[i] != ("op", "^"), "negated classes are not expected in the emoji pattern"

    def literal(token: tuple[str, int | str]) -> int:
        # Inside a class "*", "#" and the like are plain characters.
        kind, value = token
        if kind == "op":
            assert len(str(value)) == 1, token
            return ord(str(value))
        return int(value)

    while tokens[i] != ("op", "]"):
        lo = literal(tokens[i])
        if tokens[i + 1] == ("op", "-") and tokens[i + 2] != ("op", "]"):
            hi = literal(tokens[i + 2])
            ranges.append((lo, hi))
            i += 3
        else:
            ranges.append((lo, lo))
            i += 1
    return ranges, i + 1


def _class(ranges: list[tuple[int, int]]) -> str:
    body = "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in ranges)
    return f"[{body}]"


def convert_emoji_pattern(source: str) -> str:
    """The same pattern over code points: "\\ud83c[\\udffb-\\udfff]" becomes one astral class.

    Everywhere in twemoji's pattern a high surrogate is a literal followed by a low surrogate
    literal or a class of low surrogates; anything else is refused, so a new pattern shape
    cannot be converted wrongly in silence.
    """
    tokens = _units(source)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "op":
            if value == "[":
                ranges, i = _class_ranges(tokens, i + 1)
                assert not any(_is_high(lo) or _is_low(hi) for lo, hi in ranges), ranges
                out.append(_class(ranges))
                continue
            out.append(str(value))
            i += 1
            continue
        unit = int(value)
        if _is_high(unit):
            nkind, nvalue = tokens[i + 1]
            base = 0x10000 + ((unit - 0xD800) << 10) - 0xDC00
            if nkind == "cu":
                assert _is_low(int(nvalue)), (i, tokens[i : i + 2])
                out.append(_char(base + int(nvalue)))
                i += 2
                continue
            assert nvalue == "[", (i, tokens[i : i + 2])
            ranges, i = _class_ranges(tokens, i + 2)
            assert all(_is_low(lo) and _is_low(hi) for lo, hi in ranges), ranges
            out.append(_class([(base + lo, base + hi) for lo, hi in ranges]))
            continue
        assert not _is_low(unit), f"a lone low surrogate at token {i}"
        out.append(_char(unit))
        i += 1
    return "".join(out)


# --- writing --------------------------------------------------------------------------------------


def _width(text: str) -> int:
    # As ruff measures a line: wide and full-width characters take two columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _packed(names: list[str], indent: str = "    ") -> str:
    lines: list[str] = []
    line = indent
    for name in names:
        item = json.dumps(name, ensure_ascii=False) + ", "
        if _width(line) + _width(item) > 99:
            lines.append(line.rstrip())
            line = indent
        line += item
    lines.append(line.rstrip())
    return "\n".join(lines)


def _chunks(text: str, width: int = 88) -> str:
    return "\n".join(f"    {text[i : i + width]!r}" for i in range(0, len(text), width))


def _esc(unit: int) -> str:
    return f"\\u{unit:04x}" if unit <= 0xFFFF else f"\\U{unit:08x}"


def _pattern_code_points(pattern: str) -> list[int]:
    """Every code point a converted pattern names, in a literal or in a class range."""
    import re

    escaped = r"\\u[0-9a-f]{4}|\\U[0-9a-f]{8}|\\.|[^\\]"
    points: set[int] = set()
    for m in re.finditer(rf"(?P<lo>{escaped})(?:-(?P<hi>{escaped}))?", pattern):
        lo, hi = m.group("lo"), m.group("hi") or m.group("lo")

        def value(token: str) -> int:
            return int(token[2:], 16) if token[:2] in ("\\u", "\\U") else ord(token[-1])

        if len(lo) == 1 and lo in "()[]|?:!-^" and m.group("hi") is None:
            continue  # syntax, not a character
        points.update(range(value(lo), value(hi) + 1))
    return sorted(points)


def _class_body(units: list[int]) -> str:
    """A regex class body (no brackets) matching exactly `units`, as ranges."""
    parts: list[str] = []
    units = sorted(units)
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1] == units[j] + 1:
            j += 1
        lo, hi = units[i], units[j]
        parts.append(_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}")
        i = j + 1
    return "".join(parts)


def _complement(units: list[int]) -> list[int]:
    present = set(units)
    return [u for u in range(0x10000) if u not in present]


def write(data: dict[str, object], directory: Path) -> None:
    versions = data["versions"]
    assert isinstance(versions, dict)
    classes = data["classes"]
    variants = data["variants"]
    assert isinstance(classes, dict) and isinstance(variants, dict)
    # The two negated pieces are written as what they exclude (a short list) instead.
    before_excluded = _complement(classes["before"])
    domain_excluded = _complement(classes["domainChar"])
    lines = [
        f"BEFORE_EXCLUDED = (\n{_chunks(_class_body(before_excluded), 84)}\n)",
        f"DOMAIN_EXCLUDED = (\n{_chunks(_class_body(domain_excluded), 84)}\n)",
        f"PATH_CHARS = (\n{_chunks(_class_body(classes['pathChar']), 84)}\n)",
        f"PATH_END_CHARS = (\n{_chunks(_class_body(classes['pathEndChar']), 84)}\n)",
        f"QUERY_CHARS = (\n{_chunks(_class_body(classes['queryChar']), 84)}\n)",
        f"QUERY_END_CHARS = (\n{_chunks(_class_body(classes['queryEndChar']), 84)}\n)",
        f"ASCII_DOMAIN_CHARS = (\n{_chunks(_class_body(classes['asciiDomainChar']), 84)}\n)",
        "CASE_VARIANTS: dict[str, str] = {",
        *(f"    {ch!r}: {_class_body(units)!r}," for ch, units in sorted(variants.items())),
        "}",
    ]
    body = "\n".join(lines)
    (OUT / "twitter_text_url_chars.py").write_text(
        f'''"""Which characters each one-character piece of twitter-text's URL pattern takes.

(Generated data, no logic.)

Generated by tests/differential/generate_tables.py from npm twitter-text {versions["twitter-text"]}
(Apache License 2.0, (c) Twitter, Inc.; licence in TWITTER_TEXT_TLDS_LICENSE) by testing every
BMP code unit against the reference's own regular expressions, with their flags. The
reference matches case-insensitively without the `u` flag, which folds case its own way (U+212A KELVIN SIGN is
no "k", U+1C80 is a Cyrillic "в", U+0345 is an iota): Python's IGNORECASE would not agree, so
the classes are spelled out. Each value is a regex class body; astral characters, two code
units in JavaScript, match none of them. Do not edit: regenerate.
"""

# fmt: off
{body}
''',
        encoding="utf-8",
    )
    emoji = convert_emoji_pattern(str(data["emoji"]))
    assert data["emojiFlags"] == "g", data["emojiFlags"]
    (OUT / "twitter_text_emoji.py").write_text(
        f'''"""What twitter-text counts as one emoji: twemoji-parser's pattern (generated data).

Generated by tests/differential/generate_tables.py from npm twemoji-parser
{versions["twemoji-parser"]} (dist/lib/regex.js, MIT licence, (c) Twitter, Inc.; the licence
is in TWEMOJI_LICENSE next to this file). The JavaScript pattern is written in UTF-16 surrogate
pairs; this is the same pattern over code points, its alternatives in the same order (the first
that matches at a position wins, as in JavaScript). Do not edit: regenerate.
"""

# fmt: off
EMOJI_PATTERN = (
{_chunks(emoji)}
)

# Every code point the pattern mentions: a match lies within a run of these.
EMOJI_CHARS = (
{_chunks(_class_body(_pattern_code_points(emoji)), 84)}
)
''',
        encoding="utf-8",
    )

    gtld, cctld = list(data["gtld"]), list(data["cctld"])  # type: ignore[call-overload]
    (OUT / "twitter_text_tlds.py").write_text(
        f'''"""Top-level domains twitter-text accepts at the end of a URL host (generated data).

Generated by tests/differential/generate_tables.py from npm twitter-text {versions["twitter-text"]}
(dist/regexp/validGTLD.js and validCCTLD.js, Apache License 2.0, (c) Twitter, Inc.; the
licence is in TWITTER_TEXT_TLDS_LICENSE next to this file). The names are in the
reference's own order.
A TLD missing here makes a bare "example.tld" count as plain text. Do not edit: regenerate.
"""

# Kept packed, several names a line, rather than one name per line.
# fmt: off
# {len(gtld)} generic TLDs.
GENERIC_TLDS: tuple[str, ...] = (
{_packed(gtld)}
)

# {len(cctld)} country-code TLDs.
COUNTRY_TLDS: tuple[str, ...] = (
{_packed(cctld)}
)
''',
        encoding="utf-8",
    )

    tlds = list(data["tlds"])  # type: ignore[call-overload]
    (OUT / "richtext_tlds.py").write_text(
        f'''"""The TLDs @atproto/api's RichText accepts for a handle or a bare link (generated).

Generated by tests/differential/generate_tables.py from npm tlds {versions["tlds"]}
(index.json, MIT licence, (c) Stephen Mathieson and Richie Bendall; the licence is in
RICHTEXT_TLDS_LICENSE next to this file), the list the reference client checks against. It is
IANA's root zone with internationalized TLDs in Unicode form ("рф", not "xn--p1ai"), as the
package has them. Do not edit: regenerate.
"""

# fmt: off
# {len(tlds)} TLDs.
TLDS: tuple[str, ...] = (
{_packed(tlds)}
)
''',
        encoding="utf-8",
    )

    stand_ins = grapheme_stand_ins(directory, list(data["unassigned"]))  # type: ignore[call-overload]
    entries = "\n".join(f"    0x{k:05X}: 0x{v:05X}," for k, v in sorted(stand_ins.items()))
    (OUT / "grapheme_stand_ins.py").write_text(
        f'''"""Code points to segment as the AT Protocol reference client (ICU) does, not as `regex`
would (generated).

Generated by tests/differential/generate_tables.py. The reference client counts graphemes with
Node's Intl.Segmenter (ICU {data["icu"]}, Unicode {data["unicode"]}); the `regex` module here
carries a newer Unicode, in which these code points are assigned and segment differently (a new
combining mark extends the letter before it; for ICU it is unassigned and stands alone). Each
maps to a code point both segment the way ICU segments the original, so substituting it before
segmenting gives ICU's clusters at the same offsets. Do not edit: regenerate.
"""

# fmt: off
STAND_INS: dict[int, int] = {{
{entries}
}}
''',
        encoding="utf-8",
    )

    modules = directory / "node_modules"
    (OUT / "TWEMOJI_LICENSE").write_text(
        "twitter_text_emoji.py holds data taken from twemoji-parser "
        f"{versions['twemoji-parser']} (https://github.com/twitter/twemoji-parser).\n\n"
        + (modules / "twemoji-parser" / "LICENSE.md").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    (OUT / "TWITTER_TEXT_TLDS_LICENSE").write_text(
        f"twitter_text_tlds.py holds data taken from twitter-text {versions['twitter-text']} "
        "(https://github.com/twitter/twitter-text).\n\n"
        + (modules / "twitter-text" / "LICENSE").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    (OUT / "RICHTEXT_TLDS_LICENSE").write_text(
        f"richtext_tlds.py holds data taken from tlds {versions['tlds']} "
        "(https://github.com/stephenmathieson/node-tlds).\n\n"
        + (modules / "tlds" / "LICENSE").read_text(encoding="utf-8"),
        encoding="utf-8",
    )


def main() -> int:
    directory = install()
    write(_dump(directory), directory)
    print("wrote twitter_text_emoji.py, twitter_text_tlds.py, richtext_tlds.py and their "
          f"licences into {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
