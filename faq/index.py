"""Inverted index over a knowledge base: term and n-gram postings as numpy arrays."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faq.analyzer import Analysis, Analyzer
from faq.model import Entry, KnowledgeBase

# How much a term found in each field says about the entry. Questions and keywords name the
# topic; an answer mentions many things in passing.
FIELD_WEIGHTS = {"questions": 1.0, "keywords": 0.9, "answer": 0.4}
# Length normalisation of the answer field (BM25's b): a long answer's words count for less.
ANSWER_B = 0.75
# An entry whose answer alone holds a term counts as this fraction of a document for idf.
ANSWER_DF = 0.3
_FULL_STRENGTH_WEIGHT = 0.6

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Postings:
    """The entries holding one term, with the term's strength in each (0..1]."""

    docs: IntArray
    strength: FloatArray
    idf: float


@dataclass(frozen=True, slots=True)
class Index:
    """Everything the matcher needs, built once per knowledge base."""

    ids: tuple[str, ...]
    terms: dict[str, Postings]
    ngrams: dict[str, Postings]
    unknown_term_idf: float
    unknown_ngram_idf: float

    @property
    def size(self) -> int:
        """Number of entries."""
        return len(self.ids)


def _idf(n_docs: int, df: float) -> float:
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def _topic_text(entry: Entry) -> list[str]:
    texts = [q for questions in entry.questions.values() for q in questions]
    texts += list(entry.title.values())
    return texts


def _keywords(entry: Entry) -> list[str]:
    return [keyword for keywords in entry.keywords.values() for keyword in keywords]


def build(kb: KnowledgeBase, analyzer: Analyzer) -> Index:
    """Analyse every entry and lay out the postings."""
    n_docs = len(kb.entries)
    term_strength: dict[str, dict[int, float]] = defaultdict(dict)
    term_df: dict[str, float] = defaultdict(float)
    ngram_docs: dict[str, list[int]] = defaultdict(list)
    answers = [analyzer.analyze("\n".join(e.answer.values()), ngrams=False) for e in kb.entries]
    avg_answer = max(1.0, sum(len(a.terms) for a in answers) / max(1, n_docs))

    for doc, entry in enumerate(kb.entries):
        questions = _merge(analyzer.analyze(text) for text in _topic_text(entry))
        keywords = _merge(analyzer.analyze(k) for k in _keywords(entry))
        answer = answers[doc]
        answer_norm = min(1.0, 1.0 / (1.0 - ANSWER_B + ANSWER_B * len(answer.terms) / avg_answer))
        fields = (
            (questions.terms, FIELD_WEIGHTS["questions"]),
            (keywords.terms, FIELD_WEIGHTS["keywords"]),
            (answer.terms, FIELD_WEIGHTS["answer"] * answer_norm),
        )
        strengths: dict[str, float] = {}
        for field_terms, field_weight in fields:
            for term, weight in field_terms.items():
                value = field_weight * min(1.0, weight / _FULL_STRENGTH_WEIGHT)
                strengths[term] = max(strengths.get(term, 0.0), value)
        for term, value in strengths.items():
            term_strength[term][doc] = value
            in_topic = term in questions.terms or term in keywords.terms
            term_df[term] += 1.0 if in_topic else ANSWER_DF
        for gram in questions.ngrams | keywords.ngrams:
            ngram_docs[gram].append(doc)

    terms = {
        term: Postings(
            docs=np.fromiter(by_doc.keys(), dtype=np.int32, count=len(by_doc)),
            strength=np.fromiter(by_doc.values(), dtype=np.float32, count=len(by_doc)),
            idf=_idf(n_docs, term_df[term]),
        )
        for term, by_doc in term_strength.items()
    }
    ngrams = {
        gram: Postings(
            docs=np.asarray(docs, dtype=np.int32),
            strength=np.ones(len(docs), dtype=np.float32),
            idf=_idf(n_docs, len(docs)),
        )
        for gram, docs in ngram_docs.items()
    }
    return Index(
        ids=tuple(entry.id for entry in kb.entries),
        terms=terms,
        ngrams=ngrams,
        unknown_term_idf=_idf(n_docs, 0.0),
        unknown_ngram_idf=_idf(n_docs, 0.0),
    )


def _merge(analyses: Iterable[Analysis]) -> Analysis:
    terms: dict[str, float] = {}
    grams: set[str] = set()
    for analysis in analyses:
        for term, weight in analysis.terms.items():
            terms[term] = max(terms.get(term, 0.0), weight)
        grams |= analysis.ngrams
    return Analysis(terms=terms, ngrams=frozenset(grams))
