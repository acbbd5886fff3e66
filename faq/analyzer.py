"""Turn text into the terms and character n-grams the index stores.

Japanese goes through Sudachi: content words by their normalised form (so 振込/振り込み and
出来る/できる meet), compounds also by their short units, and the whole text as a katakana
reading for n-grams, which is what lets ぱすわーどわすれた find パスワードを忘れた and keeps
typos and words the dictionary lacks within reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick
import snowballstemmer
from sudachipy import Dictionary, SplitMode

from faq import stopwords
from faq.normalize import clean, fold, fold_clean, is_latin_word

# Topic-bearing parts of speech, with how much a match on each says about the topic.
_POS_WEIGHT = {"名詞": 1.0, "形状詞": 0.7, "動詞": 0.6, "形容詞": 0.6}
_SEPARATOR_POS = frozenset({"補助記号", "空白", "記号"})
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_SYNONYM_PREFIX = "≡"
# Readings shorter than this are too ambiguous to stand for a synonym (ニ, カイ, ...).
_MIN_READING_SYNONYM = 3
# Sudachi refuses inputs over ~49 KB, so long answers are read in chunks.
_CHUNK_CHARS = 8000
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class Analysis:
    """Terms with their weights, plus the n-grams of the text's reading.

    A term's weight says how much it tells about the topic (a noun more than a verb); the
    short units of a compound get half their compound's weight.
    """

    terms: dict[str, float]
    ngrams: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Token:
    """What one dictionary word contributes, cached by surface and part of speech."""

    reading: str
    terms: tuple[tuple[str, float], ...]
    latin: bool


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    return Dictionary(dict="core").tokenizer(SplitMode.C)


class Analyzer:
    """Analyses text with the synonyms and stopwords of one knowledge base."""

    def __init__(self, synonyms: Iterable[Iterable[str]] = (), extra_stopwords: Iterable[str] = ()) -> None:
        self._tokenizer = _tokenizer()
        self._stemmer = snowballstemmer.stemmer("english")
        extra = {fold(word) for word in extra_stopwords}
        self._stop = frozenset(fold(word) for word in stopwords.JAPANESE) | extra
        self._stop_en = stopwords.ENGLISH | {word for word in extra if word.isascii()}
        self._tokens: dict[tuple[str, int], _Token] = {}
        self._synonyms = self._compile_synonyms(synonyms)

    def analyze(self, text: str, ngrams: bool = True) -> Analysis:
        """Analyse one text (a question, keyword, answer or query); n-grams only when asked."""
        text = clean(text)
        terms: dict[str, float] = {}
        readings: list[str] = []
        for token in self._tokens_of(text):
            readings.append(token.reading)
            for term, weight in token.terms:
                if weight > terms.get(term, 0.0):
                    terms[term] = weight
        for group in self._synonyms_in(fold_clean(text), "".join(readings).replace(" ", "")):
            terms[group] = 1.0
        return Analysis(terms=terms, ngrams=frozenset(_ngrams(readings)) if ngrams else frozenset())

    def _tokens_of(self, text: str) -> Iterator[_Token]:
        for start in range(0, len(text), _CHUNK_CHARS):
            for morpheme in self._tokenizer.tokenize(text[start : start + _CHUNK_CHARS]):
                key = (morpheme.surface(), morpheme.part_of_speech_id())
                token = self._tokens.get(key)
                if token is None:
                    token = self._token(morpheme)
                    if len(self._tokens) < _CACHE_LIMIT:
                        self._tokens[key] = token
                yield token

    def _token(self, morpheme: Any) -> _Token:
        surface: str = morpheme.surface()
        pos: tuple[str, ...] = morpheme.part_of_speech()
        if is_latin_word(surface):
            words = _LATIN_WORD.findall(surface.lower())
            terms = tuple(
                (self._stemmer.stemWord(word), 1.0)
                for word in words
                if word not in self._stop_en and word not in self._stop
            )
            return _Token(" ".join(words), terms, latin=True)
        if pos[0] in _SEPARATOR_POS:
            return _Token("", (), latin=False)
        reading = fold_clean(morpheme.reading_form() or surface)
        weight = _POS_WEIGHT.get(pos[0])
        if weight is None or (pos[0] == "名詞" and pos[1] in ("数詞", "非自立可能")):
            return _Token(reading, (), latin=False)
        found: dict[str, float] = {}
        self._add_term(fold_clean(morpheme.normalized_form()), weight, found)
        parts = morpheme.split(SplitMode.A)
        if len(parts) > 1:
            for part in parts:
                if part.part_of_speech()[0] in _POS_WEIGHT:
                    self._add_term(fold_clean(part.normalized_form()), weight * 0.5, found)
        return _Token(reading, tuple(found.items()), latin=False)

    def _add_term(self, term: str, weight: float, terms: dict[str, float]) -> None:
        if term and term not in self._stop and weight > terms.get(term, 0.0):
            terms[term] = weight

    def _compile_synonyms(self, groups: Iterable[Iterable[str]]) -> ahocorasick.Automaton | None:
        """One automaton over every spelling (and its reading); each maps to its group."""
        automaton = ahocorasick.Automaton()
        members_of: dict[str, set[str]] = {}
        for group in groups:
            members = list(group)
            name = _SYNONYM_PREFIX + fold(members[0])
            for member in members:
                members_of.setdefault(fold(member), set()).add(name)
                reading = self._reading(member)
                if len(reading) >= _MIN_READING_SYNONYM and not reading.isascii():
                    members_of.setdefault(reading, set()).add(name)
        members_of.pop("", None)
        if not members_of:
            return None
        for spelling, names in members_of.items():
            automaton.add_word(spelling, (spelling, frozenset(names)))
        automaton.make_automaton()
        return automaton

    def _reading(self, text: str) -> str:
        return "".join(token.reading.replace(" ", "") for token in self._tokens_of(clean(text)))

    def _synonyms_in(self, folded: str, reading: str) -> set[str]:
        found: set[str] = set()
        if self._synonyms is None:
            return found
        for source in (folded, reading):
            for end, (spelling, names) in self._synonyms.iter(source):
                if _whole_word(source, end + 1 - len(spelling), end + 1):
                    found |= names
        return found


def _whole_word(text: str, start: int, end: int) -> bool:
    """Latin spellings must match whole words ("pw" is not inside "upward"); kana and kanji
    have no word boundaries to respect."""
    if text[start].isascii() and text[start].isalnum() and start > 0 and _is_latin_char(text[start - 1]):
        return False
    last = text[end - 1]
    return not (last.isascii() and last.isalnum() and end < len(text) and _is_latin_char(text[end]))


def _is_latin_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _ngrams(readings: list[str]) -> Iterator[str]:
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
        for word in piece.split():
            marked = f"<{word}>"
            if len(word) <= 2:
                yield marked
            else:
                yield from (marked[i : i + 3] for i in range(len(marked) - 2))
