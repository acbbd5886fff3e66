"""Mask what customers must never send (passwords, codes, keys, seed phrases, card numbers,
My Number) before a message is stored, logged or shown to staff."""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from mnemonic import Mnemonic

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
    r"(?:\s*(?P<joint>は|が|:|=|\bis\b|→)\s*[「『“‘（【]?(?P<said>[\x21-\x7e]{4,})"
    r"|\s*(?P<shaped>(?=[\x21-\x7e]*[0-9!@#$%^&*_\-+=?])[\x21-\x7e]{4,}))",
    re.IGNORECASE,
)
# After "is" (or は, が) a plain word may say what state a secret is in rather than what it is
# ("my password is wrong", "the code is then sent"): a stopword, a participle or an adverb (-ed,
# -ing, -ly), or one of these. After ':' or '=' whatever follows is the value.
_COPULAS = frozenset({"is", "は", "が"})
_STATES = frozenset(
    "wrong incorrect invalid correct right valid different weak strong short long empty blank "
    "unknown lost gone stolen broken ok okay fine reset case sensitive".split()
)
_STATE_ENDINGS = ("ed", "ing", "ly")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL)
# Unlabelled shapes that are secrets whatever surrounds them. Their edges are ASCII letters and
# digits, not \b: kana and kanji are word characters too, so カード番号は4111… has no \b before 4.
_START = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
_SHAPES = (
    re.compile(rf"{_START}(?:xprv|xpub|tprv)[1-9A-HJ-NP-Za-km-z]{{50,}}{_END}"),  # extended keys
    re.compile(rf"{_START}(?:0x)?[0-9a-fA-F]{{64}}{_END}"),  # raw private keys
    re.compile(r"(?<![0-9A-Za-z+/_\-])[A-Za-z0-9+/_\-]{32,}={0,2}"),  # API keys and secrets
    re.compile(rf"{_START}(?:\d[ -]?){{12,18}}\d{_END}"),  # card numbers (and other long digit runs)
    re.compile(rf"{_START}\d{{4}}[ -]?\d{{4}}[ -]?\d{{4}}{_END}"),  # My Number (12 digits)
    re.compile(r"(?<![\d¥$,.])\d{6}(?![\d,.]|\s*(?:円|yen|jpy))", re.IGNORECASE),  # one-time codes, not amounts
)
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
    """Hide secrets in `text`; `hidden` tells whether to warn the customer."""
    normalized = unicodedata.normalize("NFKC", text)
    out = _PEM.sub(MASK, normalized)
    out = _LABELLED.sub(_hide_secret, out)
    out = _SEED_PHRASE.sub(MASK, out)
    out = _hide_word_runs(out)
    out = _SPLIT_CODE.sub(lambda found: found.group()[: found.start("code") - found.start()] + MASK, out)
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
    if group == "said" and match.group("joint").lower() in _COPULAS and _is_state(match.group("said")):
        return match.group(0)
    return match.group(0)[: match.start(group) - match.start()] + MASK


def _is_state(value: str) -> bool:
    """Whether a word after "is" says what state a secret is in (wrong, expired) rather than what it is."""
    word = value.rstrip(".,!?;:)'\"」』”’）】").lower()
    return (
        word.isalpha()
        and word.isascii()
        and (word in ENGLISH_STOPWORDS or word in _STATES or word.endswith(_STATE_ENDINGS))
    )
