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
from stdnum import bitcoin, luhn
from stdnum.jp import in_ as my_number

from faq.stopwords import ENGLISH as ENGLISH_STOPWORDS

MASK = "[伏せ字]"

# Codes that are no secret and that staff need: an error code above all (エラーコード -208).
_NOT_SECRET_JA = "".join(
    f"(?<!{word})" for word in ("エラー", "ステータス", "qr", "招待", "紹介", "クーポン", "プロモ", "郵便", "商品")
)
_NOT_SECRET_EN = "".join(
    f"(?<!{word} )(?<!{word})"
    for word in ("error", "status", "promo", "referral", "invite", "invitation", "zip", "postal")
)
# Labels of a secret. A strong one may stand before its value with only a space (認証コード 123456,
# PW qwerty99); a weak one, also a plain word (pass a step, a hotkey, 鍵マーク), only with は, :, = or is.
_JA_LABELS = (
    r"パスワード|ぱすわーど|ログインパス|暗証番号|認証コード|確認コード|ワンタイムパスワード|二段階認証(?:の)?コード"
    rf"|{_NOT_SECRET_JA}コード|apiキー|シークレット(?:キー)?|秘密鍵|プライベートキー|セットアップキー|アクセストークン|トークン"
)
_JA_WEAK_LABELS = r"パス(?![ァ-ヺー])|鍵"
_EN_LABELS = (
    rf"(?<![a-z])(?:pass(?:word|wd|code|phrase)|pwd?|pin|otp|2fa|{_NOT_SECRET_EN}codes?|api\s*key|secret(?:\s*key)?"
    r"|private\s*key|setup\s*key|access\s*token|token)(?![a-z])"
)
_EN_WEAK_LABELS = r"(?<![a-z])(?:pass|key)(?![a-z])"
# What joins a label to its value. Spaces are bounded: a run of thousands must not make the
# pattern try every way of sharing them out (a message could stall the server).
_JOINT = r"(?P<joint>は|が|:|=|\b(?:is|was)\b(?:[ \t]{0,3}(?:[:=]|-+>?|[—–→]|\.{2,}|…)(?!\S))?|→)"
_AFTER_JOINT = r"[\s、,]{0,4}[「『“‘（【]?[ \t　]{0,3}"
_VALUE = r"[\x21-\x7e]{4,200}"
# A labelled secret: the label stays so staff see what kind of thing was sent. After an explicit
# は / : / = / is anything printable counts; after a mere space only something with a digit or
# a symbol does, so "2FA code not arriving" and "password reset" stay readable.
_LABELLED = re.compile(
    rf"(?:{_JA_LABELS}|{_EN_LABELS})"
    rf"(?:[ \t　]{{0,4}}{_JOINT}{_AFTER_JOINT}(?P<said>{_VALUE})"
    rf"|[ \t　]{{0,4}}(?P<shaped>(?=[\x21-\x7e]{{0,200}}[0-9!@#$%^&*_\-+=?])[\x21-\x7e]{{4,200}}))",
    re.IGNORECASE,
)
_LABELLED_WEAK = re.compile(
    rf"(?:{_JA_WEAK_LABELS}|{_EN_WEAK_LABELS})[ \t　]{{0,4}}{_JOINT}{_AFTER_JOINT}(?P<said>{_VALUE})", re.IGNORECASE
)
# What a value looks like after "was": with a digit or a symbol (a PIN, a password), not a word.
_PASSWORD_SHAPE = re.compile(r"(?=.*[0-9!@#$%^&*_\-+=?]).{4,}")
# A message that ends with a secret's label, and the next that is nothing but the value.
_LABEL_AT_END = re.compile(
    rf"(?:{_JA_LABELS}|{_EN_LABELS}|{_JA_WEAK_LABELS}|{_EN_WEAK_LABELS})[ \t　]{{0,4}}(?P<joint>は|が|:|=|\bis\b)?[\s、,。.…]{{0,6}}$",
    re.IGNORECASE,
)
_LONE_VALUE = re.compile(
    r"[ \t　]{0,4}[「『“‘（【]?[ \t　]{0,3}(?P<value>[\x21-\x7e]{4,200}?)[ \t　]{0,3}[」』”’）】]?[ \t　]{0,3}(?:です|でした)?[。.!]?[ \t　]{0,4}"
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
# Unlabelled shapes that are secrets whatever surrounds them. Their edges are ASCII letters and
# digits, not \b: Japanese puts a key right after kana or kanji (メタマスクの鍵4c08…), where \b
# finds no edge.
_EXTENDED_KEY = re.compile(r"(?<![0-9A-Za-z])(?:xprv|xpub|tprv)[1-9A-HJ-NP-Za-km-z]{50,}(?![0-9A-Za-z])")
_HEX_64 = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{64}(?![0-9A-Za-z])")  # a private key, or a tx hash
_LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{32,}={0,2}")  # API keys and secrets (WIF, Solana)
_SIX_DIGITS = re.compile(r"(?<![\d¥$,.])\d{6}(?![\d,.]|\s*(?:円|yen|jpy))", re.IGNORECASE)  # one-time codes
# What staff need and is public: a wallet address (an Ethereum one; a Bitcoin one whose checksum
# holds; any after a label naming an address), and a transaction hash after its label or in a
# block explorer's link. A private key of the same shape comes with a label of its own, which
# the labelled pass has hidden already.
_ETH_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_ADDRESS_LABEL = re.compile(r"アドレス|宛先|送金先|送付先|入金先|address|addr(?![a-z])", re.IGNORECASE)
# A web address running up to a match, however its text began (こちらhttps://…).
_LINK_SO_FAR = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+;=%-]*$", re.IGNORECASE)
_LINK_REACH = 300
_LINK_PASSWORD = re.compile(r"(?<=://)[^/\s:@]{1,100}:(?P<password>[^\s/]{1,200})@(?=[^@\s/]{1,253}(?:[/:?#\s]|$))")
_LINK_SEGMENT = 24
# A link given as where to go (パスワードは https://…/reset から), not as the secret itself.
_PLAIN_LINK = re.compile(r"https?://[A-Za-z0-9.\-]+(?::\d+)?(?:/[A-Za-z0-9._~%/\-]*)?(?:\?[A-Za-z0-9._~%&=\-]*)?", re.I)
# ... unless a secret's own name is nearer still (アドレスと秘密鍵: …, txが反映されないので秘密鍵を送ります).
_SECRET_NEARBY = re.compile(
    r"秘密鍵|プライベートキー|シークレット|secret|private|seed|シード|復元|パスワード|password|key(?![a-z])|キー",
    re.IGNORECASE,
)
# A Base58 address is 25 to 44 characters; a WIF key has 51 or 52, a Solana secret key 87 or 88.
# (A Bech32 address, longer, passes by its checksum.)
_ADDRESS_LENGTH = range(25, 45)
_HASH_LABEL = re.compile(r"(?<![a-z])tx(?:id|hash)?(?![a-z])|hash|ハッシュ|トランザクション|取引id", re.IGNORECASE)
_EXPLORER_PATH = re.compile(r"/(?:tx|txs|transaction|transactions|address)/", re.IGNORECASE)
_EXPLORER_BEFORE = re.compile(r"/(?:tx|txs|transaction|transactions)/(?:[a-z]{2,5}/)?$", re.IGNORECASE)
# Six digits after these are no code: a destination tag, an amount, an order, a block.
_NAMED_RIGHT_BEFORE = re.compile(
    r"(?:タグ|tag|memo|メモ|金額|額|注文\s?(?:番号|id|no)?|取引\s?id|受付番号|問い合わせ番号|電話番号|口座番号|order(?:\s*(?:no|number|id))?"
    r"|ticket|チケット(?:番号)?|ブロック(?:高さ?)?|block(?:\s*height)?|高さ|height|エラー(?:コード)?|error(?:\s*code)?)"
    r"(?:[(（](?:memo|メモ|tag|タグ)[)）])?[ \t　]{0,2}(?:は|:|=|#|no\.?)?[ \t　、,]{0,2}[「『(（]?$",
    re.IGNORECASE,
)
_LABEL_REACH_SHAPE = 20
# A card number (13-19 digits) or a My Number (12), as Japanese writes them too: right after kana
# or kanji, where \b finds no edge (カード番号は4111…). Hidden when its check digit holds, or after
# a label saying what it is; an order or receipt number of that length is left readable.
# Between groups: a space or a dash, as a Japanese keyboard types them too (ー, ‐, ・).
_CARD = re.compile(r"(?<![0-9A-Za-z])(?:\d[ \-ー‐‑–—・]?){12,18}\d(?![0-9A-Za-z])")
_MY_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{4}[ \-ー‐‑–—・]?\d{4}[ \-ー‐‑–—・]?\d{4}(?![0-9A-Za-z])")
# A card's security code, three or four digits after its name.
_CVV = re.compile(
    r"(?:cvv2?|cvc2?|セキュリティコード|security\s*code)[^\d\n]{0,8}?(?<!\d)(?P<code>\d{3,4})(?!\d)", re.I
)
# Backup codes come several to a line: everything after their label, to the line's end.
_BACKUP_CODES = re.compile(
    r"(?:(?:backup|recovery)[ \t]{0,2}codes?|バックアップコード|リカバリーコード)[ \t　]{0,4}(?:は|:|=|are|is)?[ \t　]{0,4}"
    r"(?P<codes>(?=[^\n]{0,300}?\d)[^\n]{1,300})",
    re.I,
)
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


def mask(text: str, previous: str = "") -> Masked:
    """Hide secrets in `text`; `hidden` tells whether to warn the customer. `previous` is the
    customer's message before (masked), whose label may name what this one is (パスワードは / Hunter2024).

    NUL characters go too: everything stored passes through here, and PostgreSQL refuses them.
    """
    normalized = unicodedata.normalize("NFKC", text).replace("\x00", "")
    out = _value_after(previous, normalized)
    out = _PEM.sub(MASK, out)
    out = _LINK_PASSWORD.sub(lambda found: _masked_group(found, "password"), out)
    out = _BACKUP_CODES.sub(lambda found: _masked_group(found, "codes"), out)
    out = _LABELLED.sub(_hide_secret, out)
    out = _LABELLED_WEAK.sub(_hide_secret, out)
    out = _CVV.sub(lambda found: _masked_group(found, "code"), out)
    out = _SEED_PHRASE.sub(MASK, out)
    out = _hide_word_runs(out)
    out = _SPLIT_CODE.sub(lambda found: found.group()[: found.start("code") - found.start()] + MASK, out)
    out = _CARD.sub(lambda found: _hide_number(found, luhn.is_valid), out)
    out = _MY_NUMBER.sub(lambda found: _hide_number(found, my_number.is_valid), out)
    out = _EXTENDED_KEY.sub(MASK, out)
    out = _HEX_64.sub(_hide_hex, out)
    out = _LONG_TOKEN.sub(_hide_token, out)
    out = _SIX_DIGITS.sub(_hide_code, out)
    return Masked(out, out != normalized)


def _value_after(previous: str, text: str) -> str:
    """`text` with its value hidden when it is one word and the message before ended with a
    secret's label: after は / : / is, any word; after the label alone, one with a digit or symbol."""
    label = _LABEL_AT_END.search(unicodedata.normalize("NFKC", previous)) if previous else None
    value = _LONE_VALUE.fullmatch(text) if label else None
    if label is None or value is None:
        return text
    word = value.group("value").rstrip(".,!?;:)")  # "thanks!!" is a word and its feeling
    if label.group("joint"):
        # After は / : / is: any word, but a state ("wrong", "sorry") or an English stopword.
        plain = word.isalpha() and (word.lower() in _STATES or word.lower() in ENGLISH_STOPWORDS)
        return text if plain or len(word) < 4 else text[: value.start("value")] + MASK + text[value.end("value") :]
    # After the label alone: only what is shaped like a password, letters with digits or symbols
    # (not a time, a year or a word: "reset my password" / "10:30").
    if not (re.search(r"[A-Za-z]", word) and re.search(r"[0-9!@#$%^&*_\-+=?]", word)):
        return text
    return text[: value.start("value")] + MASK + text[value.end("value") :]


def _masked_group(found: re.Match[str], group: str) -> str:
    """The match with one named group replaced by the mask."""
    return (
        found.group()[: found.start(group) - found.start()] + MASK + found.group()[found.end(group) - found.start() :]
    )


def _named_before(found: re.Match[str], label: re.Pattern[str], reach: int = _LABEL_REACH_SHAPE) -> bool:
    """Whether `label` occurs in the `reach` characters before a match."""
    return label.search(found.string, max(0, found.start() - reach), found.start()) is not None


def _hide_hex(found: re.Match[str]) -> str:
    """64 hex digits: a private key, unless a label or a link says it is a transaction's hash."""
    return found.group() if _a_hash(found) else MASK


def _a_hash(found: re.Match[str]) -> bool:
    """Whether 64 hex digits follow an explorer's /tx/, or a hash's label with no secret's name nearby."""
    before = found.string[max(0, found.start() - 20) : found.start()]
    if _EXPLORER_BEFORE.search(before):
        return True
    return _named_before(found, _HASH_LABEL) and not _named_before(found, _SECRET_NEARBY)


def _hide_token(found: re.Match[str]) -> str:
    """A long token: a key or secret, unless it is a wallet address, a transaction's hash
    (kept by _hide_hex), or a block explorer's path to either."""
    token = found.group()
    labelled_address = (
        len(token) in _ADDRESS_LENGTH
        and _named_before(found, _ADDRESS_LABEL)
        and not _named_before(found, _SECRET_NEARBY)
    )
    public = (
        _ETH_ADDRESS.fullmatch(token)
        or bitcoin.is_valid(token)
        or labelled_address
        or (_HEX_64.fullmatch(token) and _a_hash(found))
        or _EXPLORER_PATH.search(token)
        or _in_link(found)
    )
    return token if public else MASK


def _link_up_to(text: str, position: int) -> str | None:
    """The web address that runs up to `position` in `text` (however its text began), if one does."""
    found = _LINK_SO_FAR.search(text, max(0, position - _LINK_REACH), position)
    return found.group() if found else None


def _in_link(found: re.Match[str]) -> bool:
    """Whether a match lies in a web address's path (a help center article, a ticket page), made
    of short segments: a long one, a value after = in its query, or a user's password in it may
    be a credential (a webhook's token, a bot token), which is hidden."""
    link = _link_up_to(found.string, found.start())
    if link is None or link.endswith("="):
        return False
    return all(len(segment) < _LINK_SEGMENT for segment in re.split(r"[/.?&#_@-]", found.group()))


def _hide_code(found: re.Match[str]) -> str:
    """Six digits: a one-time code, unless named as something else right before them (宛先タグは,
    入金額, 注文番号) or part of a web address."""
    before = found.string[max(0, found.start() - 16) : found.start()]
    return found.group() if _NAMED_RIGHT_BEFORE.search(before) or _in_link(found) else MASK


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
    if not 3 <= len(word) <= 9 or not word.isascii():  # BIP39 words have 3 to 8 letters
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
    # After "is" (or "is -", "is…"), a word may be a state; after "is:" as after ":", whatever
    # follows is the value.
    joint = (match.group("joint") or "").lower().rstrip(" -—–→>.…")
    if group == "said" and joint == "is" and _is_state(match):
        return match.group(0)
    # "was" says what happened to a secret far more often (the code was sent): only a value
    # shaped like a password counts after it.
    if group == "said" and joint == "was" and not _PASSWORD_SHAPE.fullmatch(match.group("said").rstrip(".,!?")):
        return match.group(0)
    link = _link_up_to(match.string, match.start())
    if link is not None and not link.endswith(("=", "?", "&", "#", ";")):
        return match.group(0)  # a word of a link's path (…/help/pin-reset), not a label
    if _PLAIN_LINK.fullmatch(match.group(group).rstrip(".,)」")):
        return match.group(0)  # a link to where it is reset (パスワードは https://… から), not the secret
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
    if _in_link(found):
        return found.group()  # an article's or a ticket's number in a link
    digits = "".join(ch for ch in found.group() if ch.isdigit())
    labelled = _NUMBER_LABEL.search(found.string, max(0, found.start() - _LABEL_BEFORE), found.start())
    return MASK if labelled or valid(digits) else found.group()
