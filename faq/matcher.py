"""Rank knowledge entries for a query and decide whether to answer, ask, or fall back.

An entry's score is how much of the query it explains, on two signals:
- words: the idf-weighted share of the query's content words (and synonym groups) that the
  entry holds, each discounted by the field it sits in;
- sounds: the idf-weighted share of the query's reading n-grams found in the entry's
  questions and keywords, which survives kana spellings, typos and unknown words.
Words the knowledge base has never seen count against every entry, which is what keeps
questions about prices, taxes or the weather from being answered with the nearest entry.
Both shares lie in [0, 1], so the blend is comparable across queries and one set of
thresholds decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from faq import index as index_module
from faq.analyzer import Analysis, Analyzer
from faq.model import Entry, KnowledgeBase
from faq.normalize import MAX_QUERY_CHARS

WORD_SHARE = 0.6
# Words never seen in the knowledge base weigh this fraction of a maximally rare word:
# enough to sink an off-topic question, not so much that one colloquial word sinks a real one.
UNKNOWN_WORD_FACTOR = 0.8
ANSWER_AT = 0.40
SUGGEST_AT = 0.25
# Two candidates closer than this (and both answerable) make the bot ask which one was meant.
CLOSE_MARGIN = 0.06


class Decision(StrEnum):
    """What the matcher recommends doing with a query."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked entry with its score in [0, 1]."""

    entry: Entry
    score: float


@dataclass(frozen=True, slots=True)
class Match:
    """The ranking for a query and the decision taken on it."""

    ranking: tuple[Candidate, ...]
    decision: Decision

    @property
    def best(self) -> Candidate | None:
        """The top candidate, if any entry scored at all."""
        return self.ranking[0] if self.ranking else None

    @property
    def close(self) -> tuple[Candidate, ...]:
        """Candidates worth offering as "did you mean" choices."""
        if not self.ranking:
            return ()
        if self.decision is Decision.NONE:
            return tuple(c for c in self.ranking if c.score >= SUGGEST_AT)
        top = self.ranking[0].score
        return tuple(c for c in self.ranking if c.score >= ANSWER_AT and top - c.score < CLOSE_MARGIN)


class Matcher:
    """A ranking engine over one knowledge base. Pure and synchronous."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.analyzer = Analyzer(kb.synonyms, kb.stopwords)
        self.index = index_module.build(kb, self.analyzer)

    def match(self, query: str, top: int = 3) -> Match:
        """Rank the entries for `query` and return the `top` best with a decision."""
        analysis = self.analyzer.analyze(query[:MAX_QUERY_CHARS])
        scores = self.scores(analysis)
        ranking = self._top(scores, max(top, 2))
        decision = self._decide(ranking)
        return Match(ranking=ranking[:top] if top > 0 else (), decision=decision)

    def scores(self, analysis: Analysis) -> np.ndarray:
        """Score every entry for an analysed query."""
        index = self.index
        words = _share(analysis.terms, index.terms, index.unknown_term_idf * UNKNOWN_WORD_FACTOR, index.size)
        sounds = _share(dict.fromkeys(analysis.ngrams, 1.0), index.ngrams, index.unknown_ngram_idf, index.size)
        return WORD_SHARE * words + (1.0 - WORD_SHARE) * sounds

    def _top(self, scores: np.ndarray, k: int) -> tuple[Candidate, ...]:
        if k <= 0 or scores.size == 0:
            return ()
        picked = np.argpartition(-scores, k - 1)[:k] if scores.size > k else np.arange(scores.size)
        order = picked[np.argsort(-scores[picked], kind="stable")]
        entries = self.kb.entries
        return tuple(Candidate(entries[i], round(float(scores[i]), 4)) for i in order)

    @staticmethod
    def _decide(ranking: tuple[Candidate, ...]) -> Decision:
        if not ranking or ranking[0].score < ANSWER_AT:
            return Decision.NONE
        if len(ranking) > 1 and ranking[1].score >= ANSWER_AT and ranking[0].score - ranking[1].score < CLOSE_MARGIN:
            return Decision.CLARIFY
        return Decision.ANSWER


def _share(
    weights: dict[str, float], postings: dict[str, index_module.Postings], unknown_idf: float, size: int
) -> np.ndarray:
    """Per entry, the idf-weighted share of `weights` that the entry holds."""
    total = 0.0
    docs: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for item, weight in weights.items():
        found = postings.get(item)
        if found is None:
            total += weight * unknown_idf
            continue
        mass = weight * found.idf
        total += mass
        docs.append(found.docs)
        values.append(found.strength * mass)
    if not docs or total <= 0:
        return np.zeros(size, dtype=np.float64)
    summed = np.bincount(np.concatenate(docs), weights=np.concatenate(values), minlength=size)
    return summed / total
