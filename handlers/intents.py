"""Conversational intents (handoff, hours, thanks, greeting) recognised by patterns kept in data."""

from __future__ import annotations

import re
from enum import StrEnum
from importlib import resources
from pathlib import Path

import yaml

from faq.analyzer import reading_of
from faq.normalize import fold


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
REMEMBERED_TEXTS = 4096
REMEMBERED_CHARS = 200  # what a button sends; longer texts are rarely repeated
# A word written in kanji in a pattern also matches its reading in kana (担当者: たんとうしゃ),
# when the reading is long enough not to turn up inside other words (人: ひと is not).
MIN_READING = 3
MIN_PLACE_READING = 4
# The kanji words of a pattern (with their okurigana: 受け付け), outside character classes and
# lookbehinds, which must keep their fixed width.
_WORD = re.compile(r"[\u4e00-\u9fff々\u3041-\u309f]*[\u4e00-\u9fff々][\u4e00-\u9fff々\u3041-\u309f]*")
_KEPT = re.compile(r"\\.|\[(?:\\.|[^\]])*\]|\(\?<[!=](?:\\.|[^()])*\)")
# Only these two may take a message that the FAQ can also answer.
DECISIVE = frozenset({Intent.HANDOFF, Intent.HOURS})


class IntentRules:
    """Compiled patterns per intent."""

    def __init__(
        self,
        patterns: dict[Intent, list[re.Pattern[str]]],
        support: list[re.Pattern[str]],
        elsewhere: list[re.Pattern[str]] | None = None,
    ) -> None:
        self._patterns = patterns
        self._support = support
        self._elsewhere = elsewhere or []
        # Quick replies and menu buttons send the same texts again and again.
        self._detected: dict[str, tuple[Intent, ...]] = {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> IntentRules:
        """Read the rules file (the one shipped with the package when None)."""
        source = Path(path) if path else Path(str(resources.files("handlers").joinpath("intents.yaml")))
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        support = [_compile(item) for item in data.pop(SUPPORT_KEY, [])]
        # A short place name read aloud turns up inside other words (医院: イイン in でもいいんです).
        elsewhere = [_compile(item, MIN_PLACE_READING) for item in data.pop(ELSEWHERE_KEY, [])]
        patterns = {Intent(name): [_compile(item) for item in items] for name, items in data.items()}
        return cls(patterns, support, elsewhere)

    def about_support(self, text: str) -> bool:
        """Whether the message speaks of the support desk itself (its channels, staff, opening)."""
        folded = fold(text)
        return any(pattern.search(folded) for pattern in self._support)

    def elsewhere(self, text: str) -> bool:
        """Whether the message names a place or business with hours of its own (郵便局, a bank)."""
        folded = fold(text)
        return any(pattern.search(folded) for pattern in self._elsewhere)

    def detect(self, text: str) -> tuple[Intent, ...]:
        """Every intent whose patterns match, most specific first."""
        found = self._detected.get(text)
        if found is None:
            folded = fold(text)
            found = tuple(intent for intent in _ORDER if any(p.search(folded) for p in self._patterns.get(intent, ())))
            if len(text) <= REMEMBERED_CHARS:
                if len(self._detected) >= REMEMBERED_TEXTS:
                    self._detected.clear()
                self._detected[text] = found
        return found


def _compile(pattern: str, min_reading: int = MIN_READING) -> re.Pattern[str]:
    """A pattern over folded text whose kanji words also match as read aloud, for all-kana messages."""
    return re.compile(fold(_with_readings(pattern, min_reading)))


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
