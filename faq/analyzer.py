"""Turn text into the terms and character n-grams the index stores.

Japanese goes through Sudachi: content words by their normalised form (so 振込/振り込み and
出来る/できる meet), compounds also by their short units, and the whole text as a katakana
reading for n-grams, which is what lets ぱすわーどわすれた find パスワードを忘れた and keeps
typos and words the dictionary lacks within reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from sudachipy import Dictionary, SplitMode

from faq import stopwords
from faq.normalize import clean, fold, is_latin_word

# Topic-bearing parts of speech, with how much a match on each says about the topic.
_POS_WEIGHT = {"名詞": 1.0, "形状詞": 0.7, "動詞": 0.6, "形容詞": 0.6}
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_SYNONYM_PREFIX = "≡"
_MIN_READING_SYNONYM = 3
_CHUNK_CHARS = 8000


@dataclass(frozen=True, slots=True)
class Analysis:
    """Terms with their weights, plus the n-grams of the text's reading.

    A term's weight says how much it tells about the topic (a noun more than a verb); the
    short units of a compound get half their compound's weight.
    """

    terms: dict[str, float]
    ngrams: frozenset[str]


@lru_cache(maxsize=1)
def _tokenizer() -> object:
    return Dictionary(dict="core").tokenizer(SplitMode.C)


class Analyzer:
    """Analyses text with the synonyms and stopwords of one knowledge base."""

    def __init__(self, synonyms: Iterable[Iterable[str]] = (), extra_stopwords: Iterable[str] = ()) -> None:
        self._tokenizer = _tokenizer()
        self._stemmer = snowballstemmer.stemmer("english")
        self._stop_ja = frozenset(fold(word) for word in stopwords.JAPANESE)
        extra = {fold(word) for word in extra_stopwords}
        self._stop = self._stop_ja | extra
        self._stop_en = stopwords.ENGLISH | {w for w in extra if w.isascii()}
        self._synonyms = self._compile_synonyms(synonyms)

    def analyze(self, text: str) -> Analysis:
        """Analyse one text (a question, keyword, answer or query)."""
        text = clean(text)
        terms: dict[str, float] = {}
        readings: list[str] = []
        # Sudachi refuses inputs over ~49 KB, so long answers are read in chunks.
        for start in range(0, len(text), _CHUNK_CHARS):
            for morpheme in self._tokenizer.tokenize(text[start : start + _CHUNK_CHARS]):  # type: ignore[attr-defined]
                self._add_morpheme(morpheme, terms, readings)
        folded = fold(text)
        reading = " ".join(readings)
        for group in self._synonym_groups(folded, reading):
            terms[group] = max(terms.get(group, 0.0), 1.0)
        return Analysis(terms=terms, ngrams=frozenset(_ngrams(readings)))

    def _add_morpheme(self, morpheme: object, terms: dict[str, float], readings: list[str]) -> None:
        surface: str = morpheme.surface()  # type: ignore[attr-defined]
        pos: tuple[str, ...] = morpheme.part_of_speech()  # type: ignore[attr-defined]
        if is_latin_word(surface):
            for word in _LATIN_WORD.findall(surface.lower()):
                readings.append(word)
                if word not in self._stop_en and word not in self._stop:
                    terms[self._stemmer.stemWord(word)] = 1.0
            return
        if pos[0] in ("補助記号", "空白", "記号"):
            readings.append("")
            return
        reading = morpheme.reading_form() or surface  # type: ignore[attr-defined]
        readings.append(fold(reading))
        weight = _POS_WEIGHT.get(pos[0])
        if weight is None or pos[1] in ("数詞", "非自立可能") and pos[0] == "名詞":
            return
        self._add_term(fold(morpheme.normalized_form()), weight, terms)  # type: ignore[attr-defined]
        parts = morpheme.split(SplitMode.A)  # type: ignore[attr-defined]
        if len(parts) > 1:
            for part in parts:
                part_pos = part.part_of_speech()
                if part_pos[0] in _POS_WEIGHT:
                    self._add_term(fold(part.normalized_form()), weight * 0.5, terms)

    def _add_term(self, term: str, weight: float, terms: dict[str, float]) -> None:
        if term and term not in self._stop and len(term) > 0:
            terms[term] = max(terms.get(term, 0.0), weight)

    def _compile_synonyms(self, groups: Iterable[Iterable[str]]) -> list[tuple[re.Pattern[str], str]]:
        compiled: list[tuple[re.Pattern[str], str]] = []
        for group in groups:
            members = list(group)
            name = _SYNONYM_PREFIX + fold(members[0])
            spellings: set[str] = set()
            for member in members:
                spellings.add(fold(member))
                reading = self._reading(member)
                if len(reading) >= _MIN_READING_SYNONYM and not reading.isascii():
                    spellings.add(reading)
            alternatives = "|".join(
                _bounded(spelling) for spelling in sorted(spellings, key=len, reverse=True) if spelling
            )
            compiled.append((re.compile(alternatives), name))
        return compiled

    def _reading(self, text: str) -> str:
        readings: list[str] = []
        for morpheme in self._tokenizer.tokenize(clean(text)):  # type: ignore[attr-defined]
            surface = morpheme.surface()
            if is_latin_word(surface):
                readings.append(surface.lower())
            elif morpheme.part_of_speech()[0] not in ("補助記号", "空白", "記号"):
                readings.append(fold(morpheme.reading_form() or surface))
        return "".join(readings)

    def _synonym_groups(self, folded: str, reading: str) -> list[str]:
        compact = reading.replace(" ", "")
        return [
            name for pattern, name in self._synonyms if pattern.search(folded) or pattern.search(compact)
        ]


def _bounded(spelling: str) -> str:
    escaped = re.escape(spelling)
    # Latin spellings must match whole words ("pw" is not inside "upward"); kana and kanji
    # have no word boundaries to respect.
    if spelling[:1].isascii() and spelling[:1].isalnum():
        escaped = r"(?<![a-z0-9])" + escaped
    if spelling[-1:].isascii() and spelling[-1:].isalnum():
        escaped = escaped + r"(?![a-z0-9])"
    return escaped


def _ngrams(readings: list[str]) -> Iterable[str]:
    """Bigrams of each run of Japanese readings; boundary-marked trigrams of Latin words."""
    run: list[str] = []
    for piece in [*readings, ""]:
        if piece and not piece.isascii():
            run.append(piece)
            continue
        if run:
            joined = "".join(run)
            yield from (joined[i : i + 2] for i in range(len(joined) - 1))
            run = []
        if piece:
            marked = f"<{piece}>"
            if len(piece) <= 2:
                yield marked
            else:
                yield from (marked[i : i + 3] for i in range(len(marked) - 2))
