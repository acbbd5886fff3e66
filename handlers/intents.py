"""Conversational intents (handoff, hours, thanks, greeting) recognised by patterns kept in data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from faq.analyzer import reading_of
from faq.normalize import clean, fold, fold_clean


class Intent(StrEnum):
    """What a message asks for. The values are the `intent` of the JSON contract."""

    FAQ = "faq"
    HOURS = "hours"
    HANDOFF = "handoff"
    GREETING = "greeting"
    THANKS = "thanks"
    FALLBACK = "fallback"


# Asking for a person outranks asking about hours: "今日オペレーターと話せる?" wants a person.
_ORDER = (Intent.HANDOFF, Intent.HOURS, Intent.THANKS, Intent.GREETING)
SUPPORT_KEY = "about_support"
ELSEWHERE_KEY = "elsewhere"
BOT_KEY = "about_the_bot"
WAY_IN_KEY = "ways_in"
REMEMBERED_TEXTS = 4096
REMEMBERED_CHARS = 200  # what a button sends; longer texts are rarely repeated
# A word written in kanji in a pattern also matches its reading in kana (担当者: たんとうしゃ),
# when the reading is long enough not to turn up inside other words (人: ひと is not).
MIN_READING = 3
MIN_PLACE_READING = 4
# The kanji words of a pattern (with their okurigana: 受け付け), outside character classes and
# lookbehinds, which must keep their fixed width.
_WORD = re.compile(r"[\u4e00-\u9fff々\u3041-\u309f]*[\u4e00-\u9fff々][\u4e00-\u9fff々\u3041-\u309f]*")
_KANJI = re.compile(r"[\u4e00-\u9fff々]")
_KANA = re.compile(r"[\u30a1-\u30fa]")  # folded text has its hiragana as katakana
_KEPT = re.compile(r"\\.|\[(?:\\.|[^\]])*\]|\(\?<[!=](?:\\.|[^()])*\)")
_PARTICLE = re.compile(r"\s*(?:での|からの|への|の|で)")  # as written: the で of データ is katakana
# They point at us or say what about (出金についての, 初めての), they own nothing; 宛ての names an owner.
_NOT_OWNERS = ("この", "その", "あの", "どの", "こちらの", "そちらの", "ここの", "御社の", "貴社の", "ての")
_OWNERS = ("宛ての", "あての")
# Only these two may take a message that the FAQ can also answer.
DECISIVE = frozenset({Intent.HANDOFF, Intent.HOURS})


@dataclass(frozen=True, slots=True)
class _Patterns:
    """The rules compiled one way: as written, or with kanji words also read aloud."""

    intents: dict[Intent, list[re.Pattern[str]]]
    support: list[re.Pattern[str]]
    elsewhere: list[re.Pattern[str]]
    bot: list[re.Pattern[str]]
    ways_in: dict[str, list[re.Pattern[str]]]  # by folded name

    @classmethod
    def compile(cls, data: dict[str, Any], min_reading: int | None) -> _Patterns:
        """Compile the rules file's lists; `min_reading` None keeps the kanji words as written."""

        def compiled(items: list[str], shortest: int | None = min_reading) -> list[re.Pattern[str]]:
            return [re.compile(fold(item if shortest is None else _with_readings(item, shortest))) for item in items]

        rules = dict(data)
        support = compiled(rules.pop(SUPPORT_KEY, []))
        # A short place name read aloud turns up inside other words (医院: イイン in でもいいんです).
        elsewhere = compiled(rules.pop(ELSEWHERE_KEY, []), None if min_reading is None else MIN_PLACE_READING)
        bot = compiled(rules.pop(BOT_KEY, []))
        ways = rules.pop(WAY_IN_KEY, None) or {}
        if not isinstance(ways, dict) or not all(
            isinstance(name, str) and fold(name) and isinstance(items, list) for name, items in ways.items()
        ):
            raise ValueError(f"intents: {WAY_IN_KEY} must map a company's name to a list of patterns")
        ways_in = {fold(name): compiled(items) for name, items in ways.items()}
        intents = {Intent(name): compiled(items) for name, items in rules.items()}
        return cls(intents, support, elsewhere, bot, ways_in)


class IntentRules:
    """Compiled patterns per intent."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._written = _Patterns.compile(data, None)
        # For messages in kana alone (たんとうしゃとはなしたい), where a kanji word can only match
        # as read aloud; matching that way costs twice the time, so only they pay it, and the
        # patterns are compiled when the first one comes (reading them takes Sudachi 30 ms).
        self._read_aloud: _Patterns | None = None
        # Quick replies and menu buttons send the same texts again and again.
        self._detected: dict[str, tuple[Intent, ...]] = {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> IntentRules:
        """Read the rules file (the one shipped with the package when None)."""
        source = Path(path) if path else Path(str(resources.files("handlers").joinpath("intents.yaml")))
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        return cls(data)

    def about_support(self, text: str) -> bool:
        """Whether the message speaks of the support desk itself (its channels, staff, opening)."""
        folded = fold(text)
        return any(pattern.search(folded) for pattern in self._for(folded).support)

    def elsewhere(self, text: str) -> bool:
        """Whether the message names a place or business with hours of its own (郵便局, a bank)."""
        folded = fold(text)
        return any(pattern.search(folded) for pattern in self._for(folded).elsewhere)

    def about_the_bot(self, text: str) -> bool:
        """Whether the message asks what it is talking to (ボットですか?, "are you a human?")."""
        folded = fold(text)
        return any(pattern.search(folded) for pattern in self._for(folded).bot)

    def ways_in(self, text: str) -> tuple[frozenset[str], str]:
        """The other companies' names (folded) that the message names only as its way to us
        (LINEチャット), and the message (cleaned) with each such mention cut out."""
        cleaned = clean(text)
        folded = fold_clean(cleaned)
        spans: set[tuple[int, int]] = set()  # in `folded`
        names: set[str] = set()
        for name, patterns in self._for(folded).ways_in.items():
            for found in (found for pattern in patterns for found in pattern.finditer(folded)):
                at = folded.find(name, found.start(), found.end())
                if at >= 0:
                    names.add(name)
                    spans.add((at, at + len(name)))
        if not spans:
            return frozenset(), cleaned
        # Where each folded character stands in `cleaned`, one character at a time: lower-casing
        # may lengthen one (İ), which fold_origins gives up on.
        origins = [at for at, ch in enumerate(cleaned) for _ in range(len(fold_clean(ch)))]
        pieces, end = [], len(cleaned)
        for begin, stop in sorted(((origins[b], origins[e - 1] + 1) for b, e in spans), reverse=True):
            before = cleaned[:begin].rstrip()
            owned = before.endswith("の") and (before.endswith(_OWNERS) or not before.endswith(_NOT_OWNERS))
            if stop > end or owned:
                continue  # an overlap, already cut; or a name something owns (ニトリのLINEチャット is ニトリ's)
            # Its particle goes too, so that whatever stands before does not come to own what follows
            # (İ LINEの問い合わせ).
            if particle := _PARTICLE.match(cleaned, stop):
                stop = min(particle.end(), end)
            pieces.append(cleaned[stop:end])  # from the end, so earlier places stay put
            end = begin
        pieces.append(cleaned[:end])
        return frozenset(names), " ".join(reversed(pieces))

    def detect(self, text: str) -> tuple[Intent, ...]:
        """Every intent whose patterns match, most specific first."""
        found = self._detected.get(text)
        if found is None:
            folded = fold(text)
            patterns = self._for(folded).intents
            found = tuple(intent for intent in _ORDER if any(p.search(folded) for p in patterns.get(intent, ())))
            if len(text) <= REMEMBERED_CHARS:
                if len(self._detected) >= REMEMBERED_TEXTS:
                    self._detected.clear()
                self._detected[text] = found
        return found

    def _for(self, folded: str) -> _Patterns:
        if _KANJI.search(folded) or not _KANA.search(folded):
            return self._written
        if self._read_aloud is None:
            self._read_aloud = _Patterns.compile(self._data, MIN_READING)
        return self._read_aloud


def _with_readings(pattern: str, min_reading: int) -> str:
    """担当者 -> (?:担当者|タントウシャ), outside character classes and lookbehinds."""

    def either_spelling(word: re.Match[str]) -> str:
        reading = reading_of(word.group())
        if len(reading) < min_reading or reading == fold(word.group()):
            return word.group()
        return f"(?:{word.group()}|{reading})"

    out: list[str] = []
    position = 0
    for kept in [*_KEPT.finditer(pattern), None]:
        end = kept.start() if kept else len(pattern)
        out.append(_WORD.sub(either_spelling, pattern[position:end]))
        if kept:
            out.append(kept.group())
            position = kept.end()
    return "".join(out)
