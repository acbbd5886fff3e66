"""Inverted index over a knowledge base: term and n-gram postings as numpy arrays."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Postings:
    """The documents holding one term, with the term's strength in each (0..1]."""

    docs: IntArray
    strength: FloatArray
    idf: float
    mass: FloatArray  # strength * idf, what one unit of query weight earns in each document


@dataclass(frozen=True, slots=True)
class Exemplars:
    """Each question, title and keyword of every entry on its own, for nearest-phrasing scores.

    `starts[i]` is the first exemplar of entry i (an entry's exemplars are contiguous); the
    masses are each exemplar's idf-weighted size.
    """

    term_mass: FloatArray
    ngram_mass: FloatArray
    starts: IntArray


@dataclass(frozen=True, slots=True)
class Index:
    """Everything the matcher needs, built once per knowledge base.

    Postings address one space of documents: entries first (0 .. size-1), then exemplars
    (size ..), so that a single pass over a query's postings scores both.
    """

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
    answers = [analyzer.analyze("\n".join(e.answer.values()), ngrams=False, read_phrases=False) for e in kb.entries]
    avg_answer = max(1.0, sum(len(a.terms) for a in answers) / max(1, n_docs))
    exemplars: list[Analysis] = []
    starts: list[int] = []

    for doc, entry in enumerate(kb.entries):
        starts.append(len(exemplars))
        n_questions = sum(len(q) for q in entry.questions.values()) + len(entry.title)
        analysed = [analyzer.analyze(text, read_phrases=False) for text in _exemplar_texts(entry)]
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

    entry_terms = {term: (list(by_doc), list(by_doc.values())) for term, by_doc in term_strength.items()}
    idf = {term: _idf(n_docs, df) for term, df in term_df.items()}
    gram_idf = {gram: _idf(n_docs, len(docs)) for gram, docs in ngram_docs.items()}
    ex_terms, ex_grams, exemplar_index = _exemplar_index(exemplars, starts, idf, gram_idf)
    return Index(
        ids=tuple(entry.id for entry in kb.entries),
        terms={
            term: _postings(docs, strengths, ex_terms.get(term, ([], [])), n_docs, idf[term])
            for term, (docs, strengths) in entry_terms.items()
        },
        ngrams={
            gram: _postings(docs, [1.0] * len(docs), ex_grams.get(gram, ([], [])), n_docs, gram_idf[gram])
            for gram, docs in ngram_docs.items()
        },
        unknown_term_idf=_idf(n_docs, 0.0),
        unknown_ngram_idf=_idf(n_docs, 0.0),
        exemplars=exemplar_index,
    )


Hits = tuple[list[int], list[float]]


def _postings(docs: list[int], strengths: list[float], exemplar: Hits, offset: int, idf: float) -> Postings:
    strength = np.asarray(strengths + exemplar[1], dtype=np.float64)
    return Postings(
        docs=np.asarray(docs + [offset + number for number in exemplar[0]], dtype=np.intp),
        strength=strength,
        idf=idf,
        mass=strength * idf,
    )


def _exemplar_index(
    exemplars: list[Analysis], starts: list[int], idf: dict[str, float], gram_idf: dict[str, float]
) -> tuple[dict[str, Hits], dict[str, Hits], Exemplars]:
    term_hits: dict[str, Hits] = defaultdict(lambda: ([], []))
    gram_hits: dict[str, Hits] = defaultdict(lambda: ([], []))
    term_mass = np.zeros(len(exemplars), dtype=np.float64)
    ngram_mass = np.zeros(len(exemplars), dtype=np.float64)
    for number, analysis in enumerate(exemplars):
        # In sorted order, so that the sums do not depend on string hashing and the index saved
        # by faq.compiled is the same on every run.
        for term, weight in sorted(analysis.terms.items()):
            term_hits[term][0].append(number)
            term_hits[term][1].append(_strength(weight))
            term_mass[number] += idf[term] * _strength(weight)
        for gram in sorted(analysis.ngrams):
            gram_hits[gram][0].append(number)
            gram_hits[gram][1].append(1.0)
            ngram_mass[number] += gram_idf[gram]
    starts_array = np.asarray(starts, dtype=np.intp)
    return term_hits, gram_hits, Exemplars(term_mass=term_mass, ngram_mass=ngram_mass, starts=starts_array)


def state(index: Index) -> dict[str, Any]:
    """The index as JSON data that `from_state` turns back into an equal index."""

    def postings(table: dict[str, Postings]) -> dict[str, list[Any]]:
        return {key: [p.docs.tolist(), p.strength.tolist(), p.idf] for key, p in sorted(table.items())}

    ex = index.exemplars
    return {
        "ids": list(index.ids),
        "terms": postings(index.terms),
        "ngrams": postings(index.ngrams),
        "unknown_idf": [index.unknown_term_idf, index.unknown_ngram_idf],
        "exemplars": [ex.term_mass.tolist(), ex.ngram_mass.tolist(), ex.starts.tolist()],
    }


def from_state(data: dict[str, Any], ids: tuple[str, ...]) -> Index:
    """The index `state()` described, for entries `ids`; ValueError if malformed or for other entries."""
    try:
        if tuple(data["ids"]) != ids:
            raise ValueError("the index is of other entries")
        term_mass, ngram_mass, starts = (np.asarray(column) for column in data["exemplars"])
        n_exemplars = term_mass.size
        if not (term_mass.shape == ngram_mass.shape and starts.shape == (len(ids),) and term_mass.ndim == 1):
            raise ValueError("exemplar columns do not match")
        # Each entry's exemplars start after the last one's, all within the exemplars.
        if starts.size and not (starts[0] == 0 and (np.diff(starts) > 0).all() and starts[-1] < term_mass.size):
            raise ValueError("exemplar starts are out of order or out of range")
        size = len(ids) + n_exemplars

        def postings(table: dict[str, list[Any]]) -> dict[str, Postings]:
            found = {}
            for key, (docs, strengths, idf) in table.items():
                docs_array = np.asarray(docs, dtype=np.intp)
                strength = np.asarray(strengths, dtype=np.float64)
                if docs_array.shape != strength.shape or (
                    docs_array.size and not 0 <= docs_array.min() <= docs_array.max() < size
                ):
                    raise ValueError(f"postings of {key!r} do not match the documents")
                found[str(key)] = Postings(docs_array, strength, float(idf), strength * float(idf))
            return found

        unknown_term_idf, unknown_ngram_idf = (float(value) for value in data["unknown_idf"])
        return Index(
            ids=ids,
            terms=postings(data["terms"]),
            ngrams=postings(data["ngrams"]),
            unknown_term_idf=unknown_term_idf,
            unknown_ngram_idf=unknown_ngram_idf,
            exemplars=Exemplars(
                term_mass=term_mass.astype(np.float64),
                ngram_mass=ngram_mass.astype(np.float64),
                starts=starts.astype(np.intp),
            ),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not an index state: {exc!r}") from exc


def _merge(analyses: Iterable[Analysis]) -> Analysis:
    terms: dict[str, float] = {}
    grams: set[str] = set()
    for analysis in analyses:
        for term, weight in analysis.terms.items():
            terms[term] = max(terms.get(term, 0.0), weight)
        grams |= analysis.ngrams
    return Analysis(terms=terms, ngrams=frozenset(grams))
