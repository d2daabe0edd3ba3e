"""The hard pieces the differential tests build their texts from, and the text strategy.

Each piece is something a counter has to get exactly right and that ordinary prose rarely
holds: emoji of every kind and Unicode version, URLs glued to letters of every script and to
punctuation, mentions, tags and cashtags in every position, full-width forms, combining marks,
directional marks and odd whitespace. Texts are pieces concatenated without separators (the
separators are pieces too), so every piece gets glued to every other.
"""

from __future__ import annotations

from hypothesis import strategies as st

ZWJ = "\u200d"
VS16 = "\ufe0f"


def _tag_flag(letters: str) -> str:
    """U+1F3F4 followed by tag letters and CANCEL TAG (England is "gbeng")."""
    return "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in letters) + "\U000e007f"


# fmt: off
# ZWJ sequences, a few from every Unicode emoji version that introduced some (2.0 to 15.1), plus
# joins no list has (and so are counted piece by piece by a list-based parser).
ZWJ_SEQUENCES = (
    "👨‍👩‍👧‍👦", "👩‍👩‍👦", "👁‍🗨", "👁️‍🗨️", "👩‍❤️‍👨", "👨‍❤️‍💋‍👨",  # 2.0
    "👩‍⚕️", "👨‍🌾", "🏃‍♀️", "🏃🏽‍♀️", "🏳️‍🌈", "👩🏽‍💻", "👮‍♂️",  # 4.0
    "🧙‍♂️", "🧝🏿‍♀️", "🧖‍♀️",  # 5.0
    "🏴‍☠️", "👨‍🦰", "🦸‍♀️", "👩🏻‍🦳",  # 11.0
    "🧑‍🤝‍🧑", "🐕‍🦺", "🧏‍♂️", "👨‍🦯", "👩🏾‍🤝‍👨🏻",  # 12.0
    "🧑‍⚕️", "🧑🏽‍🦰", "🧑‍🤝‍🧑🏿",  # 12.1
    "🐈‍⬛", "🐻‍❄️", "🏳️‍⚧️", "👩‍🍼", "🧑‍🎄", "🧑🏼‍🍼",  # 13.0
    "❤️‍🔥", "❤️‍🩹", "😮‍💨", "😵‍💫", "🧔‍♀️", "🧑🏻‍❤️‍🧑🏼", "👩🏽‍❤️‍💋‍👨🏿",  # 13.1
    "🫱🏻‍🫲🏼",  # 14.0
    "🐦‍⬛",  # 15.0
    "🐦‍🔥", "🍋‍🟩", "🍄‍🟫", "⛓️‍💥", "🙂‍↔️", "🙂‍↕️", "🧑‍🧑‍🧒", "🚶‍➡️", "🧑🏽‍🦯‍➡️",  # 15.1
    "🐱‍👤", "😀‍😀", "👍‍🏽",  # joins of nothing recommended
)

# Single emoji from Emoji 1.0 to 17.0, unassigned code points in emoji blocks, and text-default
# pictographs with and without U+FE0F / U+FE0E.
SINGLE_EMOJI = (
    '😷', '🔥', '🤪', '🥰', '🫠', '🥹', '\U0001fae8', '\U0001fa77', '\U0001face', '\U0001fabf',
    '\U0001fae9', '\U0001fac6', '\U0001fabe', '\U0001fadc', '\U0001fa89', '\U0001fa8f',
    '\U0001fadf', '\U0001fac8', '\U0001faea', '\U0001f6d8', '\U0001fa7f', '🛟', '❤', '❤️', '❤︎',
    '☺', '☺️', '☀', '☀️', '☀︎', '©', '©️', '®', '®️', '™', '™️', '♟', '♟️', '‼️', '↔️', '〰️',
    '⌚', '⌚️', '✌', '✌️', '✌🏽', '☝🏻', '♀', '♂️', '⚕️', '\ue50a',
)
SKIN_TONES = (
    '👋🏽', '👍🏿', '🏽', '🏻🏻', '👋🏽🏽', '🤝🏼', '🫃🏾', '👯🏽',
)
FLAGS = (
    '🇫🇷', '🇺🇸', '🇯🇵', '🇨🇶', '🇺🇳', '🇦🇦', '🇫', '🇫🇷🇩', '🇪🇺🇪🇺',
    '🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f',
    '🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f',
    '🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f',
    '🏴\U000e0075\U000e0073\U000e0063\U000e0061\U000e007f', '\U000e0067\U000e007f', '🏴',
)
KEYCAPS = (
    '1️⃣', '#️⃣', '*️⃣', '0⃣', '9⃣', '🔟', '#⃣',
)
LONE = (
    '️', '\u200d', '︎', '⃣', '⃢', '\u200d\u200d', '️️', '\U000e007f',
)
# Letters of every script, and Latin letters that case-fold oddly (ſ, ı, İ, Kelvin, Ångström).
SCRIPTS = (
    'abc', 'Zed', 'é', 'ß', 'ſ', 'ı', 'İ', 'K', 'Å', 'ᲀ', 'שלום', 'א', 'مرحبا', 'ب', '日本語',
    '中', 'あ', 'カ', '한', 'пример', 'Ж', 'ελ', 'ก่', 'ｅｘａｍｐｌｅ', 'ＡＢＣ', '１２', '0',
    '42', '_', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    '日日日日日日日日日日日日日日日日日日日日日日日日日日日日日日',
)
HOSTS = (
    'example.com', 'EXAMPLE.COM', 'Example.Com', 'www.example.org', 'a.co', 't.co', 'x.com',
    'bsky.app', 'blog.example.co.uk', 'foo.bar', 'foo.jpg', 'example.comx', 'example.c0m',
    'sub.domain.example.net', 'foo-bar.io', 'a_b.com', '-a.com', '1.2.3', '127.0.0.1', '例え.jp',
    'пример.рф', 'пример.РФ', 'münchen.de', 'xn--mnchen-3ya.de', 'xn--p1ai', 'example.xn--p1ai',
    'example.рус', 'example.삼성', 'example.中国', 'example.닷컴', 'café.fr', '🙂.ws',
    'a。b.com', 'a．com', 'ｅｘａｍｐｌｅ．ｃｏｍ',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com', 'example.museum',
    'localhost', 'e.g', 'httpbin.org',
)
SCHEMES = (
    'http://', 'https://', 'HTTPS://', 'Http://', 'ftp://', 'https:/', 'https://www.', '//',
)
PATHS = (
    '/', '/path', '/a/b.html', '/wiki/Foo_(bar)', '/(x)', '/x)', '/x(', '/p?q=1&r=2', '?q=1',
    '#frag', ':8080', ':8080/x', '/@user/', '/@user', '/ü/ñ', '/путь', '/%E2%9C%93', '/~a-b_c',
    '/x.', '/x..', '/x!?', '/x,', '/x;', '/x:', '/a–b', '/日本', "/x'", '/x"', '/a|b', '/[x]',
    '/t.co/abc', '/abcdefghij0123456789abcdefghij0123456789abc',
)
AT_AND_HASH = (
    '@', '＠', '#', '＃', '$', '@alice', '@alice.bsky.social', '@bob.test', '@BOB.TEST',
    '@alice.com.', '@a_b.com', '@-x.com', '@alice@example.social', '@x', '#tag', '#Tag1', '#1',
    '#2024!', '#tag!!', '#tag...', '#a_b', '＃タグ', '#日本', '#⃣', '#️',
    '#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '#🦋', '##x', '#a(',
    '$aapl', '$AAPL', '$GOOGLE', '$1a', '$a.', "$a'", '$a’', '$a-b',
)
PUNCTUATION = (
    ' ', ' ', ' ', '.', '..', '...', ',', ';', ':', '!', '!!', '?', '?!', '(', ')', '()', '[',
    ']', '{', '}', '<', '>', "'", '"', '`', '*', '/', '\\', '-', '--', '_', '~', '|', '&', '=',
    '+', '%', '^', '，', '。', '、', '！', '？', '（', '）', '「', '」', '«', '»', '“', '”', '‘',
    '’', '…', '–', '—', '·', '•', '§',
)
# Combining marks; U+0345, iota and U+1FBE case-fold into a URL path character for twitter-text;
# U+1AEF, U+0B53, U+05C8 and U+1F7DA are newer than Unicode 17, which ICU segments by.
MARKS = (
    'é', 'ä́', '́', '̈', '̀', 'ְ', 'ً', 'ก่', 'ͅ', 'ι', 'ι', '\u1aef', '\u0b53', '\u05c8',
    '\U0001f7da',
)
DIRECTIONAL = (
    '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067',
    '\u2068', '\u2069', '\u061c',
)
WHITESPACE = (
    '\n', '\n\n', '\r\n', '\r', '\t', '\x0b', '\x0c', '\x85', '\xa0', '\u1680', '\u180e',
    '\u2000', '\u2009', '\u200a', '\u200b', '\u200c', '\u2028', '\u2029', '\u202f', '\u205f',
    '\u3000', '\ufeff', '\ufffe', '\uffff', '\x00', '\x1f', '\x7f',
)
# fmt: on

ALL_PIECES: tuple[str, ...] = (
    ZWJ_SEQUENCES + SINGLE_EMOJI + SKIN_TONES + FLAGS + KEYCAPS + LONE + SCRIPTS + HOSTS
    + SCHEMES + PATHS + AT_AND_HASH + PUNCTUATION + MARKS + DIRECTIONAL + WHITESPACE
)  # fmt: skip

_url = st.builds(
    lambda scheme, host, path: scheme + host + path,
    st.sampled_from(("",) + SCHEMES),
    st.sampled_from(HOSTS),
    st.sampled_from(("",) + PATHS),
)
# A piece is mostly a whole URL or any single piece; now and then a few random characters,
# so that what the list does not foresee still turns up.
_piece = st.one_of(
    st.sampled_from(ALL_PIECES),
    st.sampled_from(ALL_PIECES),
    _url,
    st.text(min_size=1, max_size=3),
)
texts = st.lists(_piece, max_size=14).map("".join)


def batches(size: int) -> st.SearchStrategy[list[str]]:
    """Lists of exactly `size` texts: one reference round trip checks them all."""
    return st.lists(texts, min_size=size, max_size=size)
