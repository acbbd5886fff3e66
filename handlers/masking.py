"""Mask what customers must never send (passwords, codes, keys, seed phrases, card numbers,
My Number) before a message is stored, logged or shown to staff."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
    r"(?:\s*(?:は|が|:|=|\bis\b|→)\s*(?P<said>[\x21-\x7e]{4,})"
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
)
# Twelve or more lower-case English words in a row look like a wallet's recovery phrase.
_SEED_PHRASE = re.compile(r"\b(?:[a-z]{3,8}\s+){11,23}[a-z]{3,8}\b")
_SEED_LABEL = re.compile(
    r"(シードフレーズ|リカバリーフレーズ|復元フレーズ|seed\s*phrase|recovery\s*phrase|mnemonic)", re.I
)


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
    if _SEED_LABEL.search(out) or _SEED_PHRASE.search(out):
        out = _SEED_PHRASE.sub(MASK, out)
    for shape in _SHAPES:
        out = shape.sub(MASK, out)
    return Masked(out, out != normalized)


def _hide_secret(match: re.Match[str]) -> str:
    group = "said" if match.group("said") is not None else "shaped"
    return match.group(0)[: match.start(group) - match.start()] + MASK
