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
class Exemplars:
    """Each question, title and keyword of every entry on its own, for nearest-phrasing scores.

    Postings point at exemplars; `starts[i]` is the first exemplar of entry i (they are
    contiguous), and the masses are each exemplar's idf-weighted size.
    """

    terms: dict[str, Postings]
    ngrams: dict[str, Postings]
    term_mass: FloatArray
    ngram_mass: FloatArray
    starts: IntArray


@dataclass(frozen=True, slots=True)
class Index:
    """Everything the matcher needs, built once per knowledge base."""

    ids: tuple[str, ...]
    terms: dict[str, Postings]
    ngrams: dict[str, Postings]
    unknown_term_idf: float
    unknown_ngram_idf: float
    exemplars: Exemplars

    @property
    def size(self) -> int:
        """Number of entries."""
        return len(self.ids)


def _idf(n_docs: int, df: float) -> float:
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def _exemplar_texts(entry: Entry) -> list[str]:
    texts = [q for questions in entry.questions.values() for q in questions]
    texts += list(entry.title.values())
    return texts + [keyword for keywords in entry.keywords.values() for keyword in keywords]


def _strength(weight: float) -> float:
    return min(1.0, weight / _FULL_STRENGTH_WEIGHT)


def build(kb: KnowledgeBase, analyzer: Analyzer) -> Index:
    """Analyse every entry and lay out the postings."""
    n_docs = len(kb.entries)
    term_strength: dict[str, dict[int, float]] = defaultdict(dict)
    term_df: dict[str, float] = defaultdict(float)
    ngram_docs: dict[str, list[int]] = defaultdict(list)
    answers = [analyzer.analyze("\n".join(e.answer.values()), ngrams=False) for e in kb.entries]
    avg_answer = max(1.0, sum(len(a.terms) for a in answers) / max(1, n_docs))
    exemplars: list[Analysis] = []
    starts: list[int] = []

    for doc, entry in enumerate(kb.entries):
        starts.append(len(exemplars))
        n_questions = sum(len(q) for q in entry.questions.values()) + len(entry.title)
        analysed = [analyzer.analyze(text) for text in _exemplar_texts(entry)]
        exemplars.extend(analysed)
        questions = _merge(analysed[:n_questions])
        keywords = _merge(analysed[n_questions:])
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
                strengths[term] = max(strengths.get(term, 0.0), field_weight * _strength(weight))
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
    ngrams = {gram: _binary_postings(docs, _idf(n_docs, len(docs))) for gram, docs in ngram_docs.items()}
    return Index(
        ids=tuple(entry.id for entry in kb.entries),
        terms=terms,
        ngrams=ngrams,
        unknown_term_idf=_idf(n_docs, 0.0),
        unknown_ngram_idf=_idf(n_docs, 0.0),
        exemplars=_exemplar_index(exemplars, starts, terms, ngrams),
    )


def _binary_postings(docs: list[int], idf: float) -> Postings:
    return Postings(np.asarray(docs, dtype=np.int32), np.ones(len(docs), dtype=np.float32), idf)


def _exemplar_index(
    exemplars: list[Analysis], starts: list[int], terms: dict[str, Postings], ngrams: dict[str, Postings]
) -> Exemplars:
    term_hits: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    ngram_hits: dict[str, list[int]] = defaultdict(list)
    term_mass = np.zeros(len(exemplars), dtype=np.float32)
    ngram_mass = np.zeros(len(exemplars), dtype=np.float32)
    for number, analysis in enumerate(exemplars):
        for term, weight in analysis.terms.items():
            docs, strengths = term_hits[term]
            docs.append(number)
            strengths.append(_strength(weight))
            term_mass[number] += terms[term].idf * _strength(weight)
        for gram in analysis.ngrams:
            ngram_hits[gram].append(number)
            ngram_mass[number] += ngrams[gram].idf
    return Exemplars(
        terms={
            term: Postings(np.asarray(d, dtype=np.int32), np.asarray(w, dtype=np.float32), terms[term].idf)
            for term, (d, w) in term_hits.items()
        },
        ngrams={gram: _binary_postings(d, ngrams[gram].idf) for gram, d in ngram_hits.items()},
        term_mass=term_mass,
        ngram_mass=ngram_mass,
        starts=np.asarray(starts, dtype=np.int32),
    )


def _merge(analyses: Iterable[Analysis]) -> Analysis:
    terms: dict[str, float] = {}
    grams: set[str] = set()
    for analysis in analyses:
        for term, weight in analysis.terms.items():
            terms[term] = max(terms.get(term, 0.0), weight)
        grams |= analysis.ngrams
    return Analysis(terms=terms, ngrams=frozenset(grams))
