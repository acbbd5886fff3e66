"""Mask what customers must never send (passwords, codes, keys, seed phrases, card numbers,
My Number) before a message is stored, logged or shown to staff."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from mnemonic import Mnemonic

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
    r"(?:\s*(?:は|が|:|=|\bis\b|→)\s*[「『“‘（【]?(?P<said>[\x21-\x7e]{4,})"
    r"|\s*(?P<shaped>(?=[\x21-\x7e]*[0-9!@#$%^&*_\-+=?])[\x21-\x7e]{4,}))",
    re.IGNORECASE,
)
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL)
# Unlabelled shapes that are secrets whatever surrounds them.
_SHAPES = (
    re.compile(r"\b(?:xprv|xpub|tprv)[1-9A-HJ-NP-Za-km-z]{50,}\b"),  # extended keys
    re.compile(r"\b(?:0x)?[0-9a-fA-F]{64}\b"),  # raw private keys
    re.compile(r"\b[A-Za-z0-9+/_\-]{32,}={0,2}"),  # API keys and secrets
    re.compile(r"\b(?:\d[ -]?){13,19}\b"),  # card numbers (and other long digit runs)
    re.compile(r"\b\d{4}[ -]?\d{4}[ -]?\d{4}\b"),  # My Number (12 digits)
    re.compile(r"(?<![\d¥$,.])\d{6}(?![\d,.]|\s*(?:円|yen|jpy))", re.IGNORECASE),  # one-time codes, not amounts
    re.compile(r"(?<![\d¥$,.\-])\d{3}[ -]\d{3}(?![\d,.\-]|\s*(?:円|yen|jpy))", re.IGNORECASE),  # 123 456
)
# Twelve or more lower-case English words in a row look like a wallet's recovery phrase (older
# wallets have lists of their own).
_SEED_PHRASE = re.compile(r"\b(?:[a-z]{3,8}\s+){11,23}[a-z]{3,8}\b")
_SEED_LABEL = re.compile(
    r"(シードフレーズ|リカバリーフレーズ|復元フレーズ|秘密のフレーズ|seed\s*phrase|recovery\s*phrase|secret\s*phrase|mnemonic)",
    re.I,
)
# BIP39 words, in any case, and what may stand between them: spaces, commas, line breaks and
# numbering (1. abandon, 2) ability). Twelve in a row are a recovery phrase; after a label, six.
_WORD = re.compile(r"[A-Za-z]+|[ぁ-ゖー]+")
_BETWEEN = re.compile(r"[\s,、，・.)(（）:：\-]*(?:\d{1,2}[.):：]?[\s,、]*)?")
_SEED_WORDS = 12
_SEED_WORDS_LABELLED = 6


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
    labelled = _SEED_LABEL.search(out) is not None
    if labelled or _SEED_PHRASE.search(out):
        out = _SEED_PHRASE.sub(MASK, out)
    out = _hide_word_runs(out, _SEED_WORDS_LABELLED if labelled else _SEED_WORDS)
    for shape in _SHAPES:
        out = shape.sub(MASK, out)
    return Masked(out, out != normalized)


@cache
def _bip39_words() -> frozenset[str]:
    # The lists are stored decomposed (NFKD, as BIP39 says); messages are compared composed.
    lists = Mnemonic("english").wordlist + Mnemonic("japanese").wordlist
    return frozenset(unicodedata.normalize("NFKC", word) for word in lists)


def _hide_word_runs(text: str, shortest: int) -> str:
    """`text` with every run of at least `shortest` BIP39 words masked."""
    words = _bip39_words()
    runs: list[tuple[int, int]] = []
    start = end = count = 0
    for found in _WORD.finditer(text):
        if found.group().lower() not in words:
            if count >= shortest:
                runs.append((start, end))
            count = 0
            continue
        if count and _BETWEEN.fullmatch(text, end, found.start()):
            count += 1
        else:
            if count >= shortest:
                runs.append((start, end))
            start, count = found.start(), 1
        end = found.end()
    if count >= shortest:
        runs.append((start, end))
    for begin, finish in reversed(runs):
        text = text[:begin] + MASK + text[finish:]
    return text


def _hide_secret(match: re.Match[str]) -> str:
    group = "said" if match.group("said") is not None else "shaped"
    return match.group(0)[: match.start(group) - match.start()] + MASK
