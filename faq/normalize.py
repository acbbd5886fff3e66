"""Text normalisation shared by the index and the query side."""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 1000

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KANA_OFFSET = 0x60
# Long-vowel marks and the wave dashes people type in their place.
_LONG_VOWELS = "ー〜～~‐－―"
_SPACE_RE = re.compile(r"\s+")
# After NFKC, a hyphen or dash that follows kana is a long-vowel mark typed on the wrong key.
_KANA_DASH_RE = re.compile(r"(?<=[\u3041-\u30ff])[-\u2010-\u2015\u2212]")
# A lone small Latin letter between two kana is what romaji input left behind (やっtてる,
# おねがいsします): the kana after it is the one that was meant.
_ROMAJI_LEFTOVER_RE = re.compile(r"(?<=[\u3041-\u30ff])[a-z](?=[\u3041-\u30ff])")
# Laughter (笑): w, ww, www after Japanese text, where a word ends.
_LAUGHTER_RE = re.compile(r"(?<=[\u3041-\u30ff\u4e00-\u9fff])w+(?![A-Za-z0-9./:@-])")


_KANA_TABLE: dict[int, int | None] = {code: code + _KANA_OFFSET for code in range(_HIRAGANA_START, _HIRAGANA_END + 1)}
_FOLD_TABLE = {**_KANA_TABLE, **{ord(mark): None for mark in _LONG_VOWELS}}


def _strip_controls(text: str) -> str:
    # Control and format characters (zero-width spaces, BOMs, bidi marks) carry no meaning
    # and break tokenisers; tabs and newlines become spaces.
    if text.isprintable():
        return text
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\t\n\r\v\f":
            out.append(" ")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def clean(text: str) -> str:
    """NFKC-fold widths, drop control characters, romaji leftovers and laughter (w), and collapse spaces."""
    text = unicodedata.normalize("NFKC", _strip_controls(text))
    text = _LAUGHTER_RE.sub("", _ROMAJI_LEFTOVER_RE.sub("", _SPACE_RE.sub(" ", text)))
    return _KANA_DASH_RE.sub("ー", text).strip()


def fold(text: str) -> str:
    """Full comparison key: cleaned, lower-cased, kana-folded, long-vowel marks dropped."""
    return fold_clean(clean(text))


def kana_fold(text: str) -> str:
    """Lower case and hiragana as katakana, keeping every character in place."""
    return text.lower().translate(_KANA_TABLE)


def fold_clean(text: str) -> str:
    """`fold` for text already through `clean`: ぱすわーど and パスワード both give パスワド."""
    return text.lower().translate(_FOLD_TABLE)


def is_latin_word(token: str) -> bool:
    """True for ASCII letters and digits (an English word, a code, a number)."""
    return token.isascii() and any(ch.isalnum() for ch in token)


def fold_origins(text: str) -> list[int] | None:
    """For each character of `fold_clean(text)`, where it stands in `text`; None in the rare case
    that lower-casing changes the length (İ)."""
    origins = [i for i, ch in enumerate(text) if ch not in _LONG_VOWELS]
    return origins if len(origins) == len(fold_clean(text)) else None
