"""Mask what customers must never send (passwords, codes, keys, seed phrases, card numbers,
My Number) before a message is stored, logged or shown to staff."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from mnemonic import Mnemonic
from stdnum import luhn
from stdnum.jp import in_ as my_number

from faq.stopwords import ENGLISH as ENGLISH_STOPWORDS

MASK = "[伏せ字]"

_JA_LABELS = (
    r"パスワード|暗証番号|認証コード|確認コード|ワンタイムパスワード|二段階認証(?:の)?コード|コード|apiキー"
    r"|シークレット(?:キー)?|秘密鍵|アクセストークン|トークン"
)
_EN_LABELS = (
    r"(?:pass(?:word|wd|code)?|pw|pin|otp|2fa|code|api\s*key|secret(?:\s*key)?|private\s*key|access\s*token|token)"
    r"(?![a-z])"
)
# A labelled secret: the label stays so staff see what kind of thing was sent. After an explicit
# は / : / = / is anything printable counts; after a mere space only something with a digit or
# a symbol does, so "2FA code not arriving" and "password reset" stay readable.
_LABELLED = re.compile(
    rf"(?:{_JA_LABELS}|{_EN_LABELS})"
    r"(?:\s*(?P<joint>は|が|:|=|\bis\b(?:\s*[:=-](?!\S))?|→)\s*[「『“‘（【]?(?P<said>[\x21-\x7e]{4,})"
    r"|\s*(?P<shaped>(?=[\x21-\x7e]*[0-9!@#$%^&*_\-+=?])[\x21-\x7e]{4,}))",
    re.IGNORECASE,
)
# After "is", a plain word may say what state a secret is in rather than what it is ("my password
# is wrong", "the code is then sent"): an English stopword, or one of these words when nothing but
# punctuation, a stopword or another of them follows ("correct horse battery staple" is a value).
# After は / が, ':' or '=' whatever follows is the value: a state is written in Japanese there.
_STATES = frozenset(
    "wrong incorrect invalid correct right valid expired revoked locked blocked disabled enabled "
    "changed rejected required needed missing working compromised leaked stolen lost gone broken "
    "reset different weak strong short long empty blank unknown ok okay fine case sensitive "
    "definitely apparently probably surely".split()
)
_NEXT_WORD = re.compile(r"\s*([A-Za-z]*)")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL)
# Unlabelled shapes that are secrets whatever surrounds them.
_SHAPES = (
    re.compile(r"\b(?:xprv|xpub|tprv)[1-9A-HJ-NP-Za-km-z]{50,}\b"),  # extended keys
    re.compile(r"\b(?:0x)?[0-9a-fA-F]{64}\b"),  # raw private keys
    re.compile(r"\b[A-Za-z0-9+/_\-]{32,}={0,2}"),  # API keys and secrets
    re.compile(r"(?<![\d¥$,.])\d{6}(?![\d,.]|\s*(?:円|yen|jpy))", re.IGNORECASE),  # one-time codes, not amounts
)
# A card number (13-19 digits) or a My Number (12), as Japanese writes them too: right after kana
# or kanji, where \b finds no edge (カード番号は4111…). Hidden when its check digit holds, or after
# a label saying what it is; an order or receipt number of that length is left readable.
_CARD = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
_MY_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{4}[ -]?\d{4}[ -]?\d{4}(?![0-9A-Za-z])")
_NUMBER_LABEL = re.compile(r"カード|クレジット|デビット|card|マイナンバー|個人番号|my\s*number", re.IGNORECASE)
_LABEL_BEFORE = 20
# A code typed in two halves (481 902), only after a code's label: alone, it is as likely an
# order number, an amount (500 000) or a phone number (0120 123 456).
_SPLIT_CODE = re.compile(
    r"(?:認証コード|確認コード|ワンタイムパスワード|コード|暗証番号|\b(?:code|otp|pin|passcode|2fa)\b)"
    r"[^\d\n]{0,12}?(?<![\d])(?P<code>\d{3}[ -]\d{3})(?![\d,.]|\s*(?:円|yen|jpy))",
    re.IGNORECASE,
)
# Twelve or more lower-case English words in a row look like a wallet's recovery phrase (older
# wallets have lists of their own).
_SEED_PHRASE = re.compile(r"\b(?:[a-z]{3,8}\s+){11,23}[a-z]{3,8}\b")
_SEED_LABEL = re.compile(
    r"シード(?:フレーズ)?|リカバリーフレーズ|復元フレーズ|秘密のフレーズ|ニーモニック|(?:12|24)(?:個の)?単語"
    r"|(?:seed|recovery|secret)\s*(?:phrase|words?)|mnemonic|(?:12|24|twelve)[\s-]*words?",
    re.I,
)
# BIP39 words, in any case, and what may stand between them: anything short without a letter
# (spaces, commas, quotes, brackets, bullets, numbering: 1. abandon, "ability", • able).
_WORD = re.compile(r"[A-Za-z]+|[ぁ-ゖー]+")
_BETWEEN = re.compile(r"[^A-Za-zぁ-ゖァ-ヺ一-龯]{0,8}")
# Twelve in a row are a recovery phrase; six right after a label (within this many characters).
_SEED_WORDS = 12
_SEED_WORDS_LABELLED = 6
_LABEL_REACH = 40


@dataclass(frozen=True, slots=True)
class Masked:
    """The masked text and whether anything was hidden."""

    text: str
    hidden: bool


def mask(text: str) -> Masked:
    """Hide secrets in `text`; `hidden` tells whether to warn the customer.

    NUL characters go too: everything stored passes through here, and PostgreSQL refuses them.
    """
    normalized = unicodedata.normalize("NFKC", text).replace("\x00", "")
    out = _PEM.sub(MASK, normalized)
    out = _LABELLED.sub(_hide_secret, out)
    out = _SEED_PHRASE.sub(MASK, out)
    out = _hide_word_runs(out)
    out = _SPLIT_CODE.sub(lambda found: found.group()[: found.start("code") - found.start()] + MASK, out)
    out = _CARD.sub(lambda found: _hide_number(found, luhn.is_valid), out)
    out = _MY_NUMBER.sub(lambda found: _hide_number(found, my_number.is_valid), out)
    for shape in _SHAPES:
        out = shape.sub(MASK, out)
    return Masked(out, out != normalized)


@cache
def _bip39_words() -> frozenset[str]:
    # The lists are stored decomposed (NFKD, as BIP39 says); messages are compared composed.
    lists = Mnemonic("english").wordlist + Mnemonic("japanese").wordlist
    return frozenset(unicodedata.normalize("NFKC", word) for word in lists)


def _hide_word_runs(text: str) -> str:
    """`text` with every run of BIP39 words long enough to be (part of) a recovery phrase masked.

    A run may hold one mistyped word (abandn); a label's own words (seed phrase) are no part of it.
    """
    words = _bip39_words()
    labels = [(found.start(), found.end()) for found in _SEED_LABEL.finditer(text)]
    runs: list[tuple[int, int, int]] = []  # start, end, how many words
    start = end = count = 0
    typo = False  # the run holds its one mistyped word
    label = 0  # the first label that does not end before the word at hand (both in text order)
    for found in _WORD.finditer(text):
        while label < len(labels) and labels[label][1] <= found.start():
            label += 1
        word = found.group().lower()
        on_list = word in words
        if (label < len(labels) and labels[label][0] <= found.start()) or not (on_list or _mistyped(word)):
            _close(runs, start, end, count)
            count = 0
            continue
        joined = count > 0 and _BETWEEN.fullmatch(text, end, found.start()) is not None
        if not joined or (typo and not on_list):
            _close(runs, start, end, count)
            start, count, typo = found.start(), 0, False
        count += 1
        typo = typo or not on_list
        end = found.end()
    _close(runs, start, end, count)
    ends = [e for _, e in labels]
    for begin, finish, found_words in reversed(runs):
        nearest = bisect.bisect_right(ends, begin) - 1  # the last label that ends before the run
        after_label = nearest >= 0 and begin - ends[nearest] <= _LABEL_REACH
        if found_words >= _SEED_WORDS or (after_label and found_words >= _SEED_WORDS_LABELLED):
            text = text[:begin] + MASK + text[finish:]
    return text


def _mistyped(word: str) -> bool:
    """Whether an English word off the list is one of its words mistyped: BIP39 words are told
    apart by their first four letters, and a shorter slip is one letter missing, extra or wrong."""
    if len(word) < 3 or not word.isascii():
        return False
    english, prefixes, shortened = _typo_index()
    if word[:4] in prefixes or word in shortened:
        return True
    cut = [word[:i] + word[i + 1 :] for i in range(len(word))]
    return any(w in english or w in shortened for w in cut)


@cache
def _typo_index() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The English list, its words' first four letters, and its words with one letter left out."""
    english = Mnemonic("english").wordlist
    shortened = frozenset(w[:i] + w[i + 1 :] for w in english for i in range(len(w)))
    return frozenset(english), frozenset(w[:4] for w in english if len(w) >= 4), shortened


def _close(runs: list[tuple[int, int, int]], start: int, end: int, count: int) -> None:
    if count:
        runs.append((start, end, count))


def _hide_secret(match: re.Match[str]) -> str:
    group = "said" if match.group("said") is not None else "shaped"
    # Only after a bare "is": after "is:" as after ":", whatever follows is the value.
    if group == "said" and match.group("joint").lower() == "is" and _is_state(match):
        return match.group(0)
    return match.group(0)[: match.start(group) - match.start()] + MASK


def _is_state(match: re.Match[str]) -> bool:
    """Whether the word after "is" says what state a secret is in (wrong, expired) rather than what it is."""
    said = match.group("said")
    word = said.rstrip(".,!?;:)'\"」』”’）】").lower()
    if not (word.isalpha() and word.isascii()):
        return False
    if word in ENGLISH_STOPWORDS:
        return True
    after = _NEXT_WORD.match(match.string, match.end()) if word == said.lower() else None  # no punctuation
    following = after.group(1).lower() if after else ""
    return word in _STATES and (not following or following in ENGLISH_STOPWORDS or following in _STATES)


def _hide_number(found: re.Match[str], valid: Callable[[str], bool]) -> str:
    """A card number or My Number hidden when its check digit holds or a label names it."""
    digits = "".join(ch for ch in found.group() if ch.isdigit())
    labelled = _NUMBER_LABEL.search(found.string, max(0, found.start() - _LABEL_BEFORE), found.start())
    return MASK if labelled or valid(digits) else found.group()
