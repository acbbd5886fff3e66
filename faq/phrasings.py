"""A phrasing model: which entry, if any, customers mean when they write like this.

Multinomial naive Bayes over the analyzer's terms and reading n-grams, learnt from an entry's
questions and titles and from labelled customer phrasings, with one more class for messages
that belong to no entry. The word ranker measures how much of a message an entry explains;
this model has seen how customers actually write ("ログインできん", "my depost isnt showing up")
and what they write that is not ours ("Gmailのパスワード"), which is what a long, chatty
message or a trap needs. Training is counting, so it happens at start-up in milliseconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Container, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from faq.analyzer import DIRECTION_WEIGHT, OTHER_PREFIX, Analysis
from faq.model import Labelled

# Additive smoothing of feature counts (Lidstone), and the temperature that tempers naive Bayes'
# overconfident evidence; both chosen by leave-one-set-out evaluation.
SMOOTHING = 0.1
TEMPERATURE = 4.0
# Fewer labelled examples than this, or none out of scope, teach too little: the words decide
# alone (two @none examples on the built-in base made it worse than none at all).
MIN_EXAMPLES = 200
# The kinds of word the knowledge base does not know, numbered as the first features.
_UNKNOWN_KINDS = ("latin", "noun", "verbal", "other company")
_OTHER_COMPANY = _UNKNOWN_KINDS.index("other company")
# Up to this many classes, the model keeps a dense matrix of feature gains.
DENSE_CLASSES = 256

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def enough(examples: Collection[Labelled]) -> bool:
    """Whether a knowledge base's examples are enough to learn a phrasing model from."""
    return len(examples) >= MIN_EXAMPLES and any(example.out_of_domain for example in examples)


class PhrasingModel:
    """P(entry | text) for `n_entries` entries; class `n_entries` means "none of them".

    `learn` counts a model from labelled texts and `from_state` reads a saved one; both give the
    constructor what was counted: the numbered features, the documents of each class and the
    counts as (feature, class, count) columns.
    """

    def __init__(
        self,
        n_entries: int,
        vocabulary: Vocabulary,
        documents: FloatArray,
        counts: tuple[IntArray, IntArray, FloatArray],
        dense_up_to: int = DENSE_CLASSES,
    ) -> None:
        self.n_entries = n_entries
        self._vocabulary = vocabulary
        self._build(documents, *counts, dense_up_to)

    @classmethod
    def learn(
        cls,
        n_entries: int,
        examples: Iterable[tuple[Analysis, Sequence[int]]],
        known: Container[str] = (),
        dense_up_to: int = DENSE_CLASSES,
    ) -> PhrasingModel:
        """The model of labelled texts: an example labelled with several classes (either entry
        answers it) counts a share to each; `known` is the knowledge base's vocabulary, against
        which words count as unknown."""
        vocabulary = Vocabulary(known)
        n_classes = n_entries + 1
        counts: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        documents = np.zeros(n_classes)
        for analysis, labels in examples:
            if not labels or not all(0 <= label < n_classes for label in labels):
                raise ValueError(f"labels must be classes 0..{n_entries}, not {tuple(labels)!r}")
            share = 1.0 / len(labels)
            ids, weights = vocabulary.features(analysis, grow=True)
            for label in labels:
                documents[label] += share
                for feature, weight in zip(ids, weights, strict=True):
                    counts[feature][label] += weight * share
        if not documents.any():
            raise ValueError("a phrasing model needs at least one example")
        # Like any feature no example had, a kind of unknown word never seen says nothing.
        vocabulary.kinds = frozenset(kind for kind in vocabulary.kinds if kind in counts)
        cells = [(feature, label, count) for feature, by_class in counts.items() for label, count in by_class.items()]
        features, classes, values = zip(*cells, strict=True) if cells else ((), (), ())
        columns = (
            np.array(features, dtype=np.intp),
            np.array(classes, dtype=np.intp),
            np.array(values, dtype=np.float64),
        )
        return cls(n_entries, vocabulary, documents, columns, dense_up_to)

    def state(self) -> dict[str, Any]:
        """What the model learnt, as JSON data that `from_state` turns back into this model."""
        return {
            "n_entries": self.n_entries,
            "terms": self._vocabulary.terms,
            "grams": self._vocabulary.grams,
            "kinds": sorted(self._vocabulary.kinds),
            "documents": self._documents.tolist(),
            "counts": [self._features_counted.tolist(), self._classes_counted.tolist(), self._counted.tolist()],
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], known: Container[str] = (), dense_up_to: int = DENSE_CLASSES
    ) -> PhrasingModel:
        """The model `state()` described, with the same vocabulary `known`; ValueError if malformed."""
        try:
            n_entries = int(state["n_entries"])
            vocabulary = Vocabulary(known)
            vocabulary.terms = {str(term): int(number) for term, number in state["terms"].items()}
            vocabulary.grams = {str(gram): int(number) for gram, number in state["grams"].items()}
            vocabulary.kinds = frozenset(int(kind) for kind in state["kinds"])
            documents = np.array(state["documents"], dtype=np.float64)
            features, classes, values = (np.array(column) for column in state["counts"])
            if documents.shape != (n_entries + 1,) or not documents.any():
                raise ValueError("documents do not match the classes")
            if not features.shape == classes.shape == values.shape or features.ndim != 1:
                raise ValueError("count columns differ in length")
            if features.size and not (features.min() >= 0 and features.max() < vocabulary.size):
                raise ValueError("a count names an unknown feature")
            if classes.size and not (classes.min() >= 0 and classes.max() <= n_entries):
                raise ValueError("a count names an unknown class")
            columns = (features.astype(np.intp), classes.astype(np.intp), values.astype(np.float64))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a phrasing model state: {exc!r}") from exc
        return cls(n_entries, vocabulary, documents, columns, dense_up_to)

    def _build(
        self, documents: FloatArray, features: IntArray, classes: IntArray, values: FloatArray, dense_up_to: int
    ) -> None:
        """The gains, priors and per-feature costs from the counts (feature, class, count)."""
        self._documents = documents
        self._features_counted, self._classes_counted, self._counted = features, classes, values
        n_classes = self.n_entries + 1
        totals = np.bincount(classes, values, minlength=n_classes)
        size = self._vocabulary.size
        # The temperature tempers the evidence of the words, not how common each class is: it
        # divides the gains and the per-feature costs, and not the priors.
        gains = np.log1p(values / SMOOTHING) / TEMPERATURE
        # log((count + a) / a) per feature and class: a dense matrix while there are few classes
        # (one row per feature, summed in one product), else one short row per feature.
        self._dense: FloatArray | None = None
        self._sparse: list[tuple[IntArray, FloatArray]] = []
        if n_classes <= dense_up_to:
            self._dense = np.zeros((size, n_classes))
            self._dense[features, classes] = gains
        else:
            empty = (np.zeros(0, dtype=np.intp), np.zeros(0))
            self._sparse = [empty] * size
            order = np.argsort(features, kind="stable")
            starts = np.flatnonzero(np.diff(features[order], prepend=-1))
            for rows in np.split(order, starts[1:]):
                if rows.size:
                    self._sparse[int(features[rows[0]])] = (classes[rows], gains[rows])
        with np.errstate(divide="ignore"):
            # A class without a single example can never be predicted.
            self._prior = np.log(documents / documents.sum())
        # What one seen feature costs each class before its own counts are added back.
        seen_features = max(1, np.unique(features).size)
        self._per_feature = (math.log(SMOOTHING) - np.log(totals + SMOOTHING * seen_features)) / TEMPERATURE
        # Two more rows for the dense product, after every feature's: the per-feature cost, weighed
        # by the features' total weight, and the priors, so that one product sums all three.
        self._costs_row = size
        if self._dense is not None:
            self._dense = np.vstack([self._dense, self._per_feature, self._prior])

    def probabilities(self, analysis: Analysis) -> FloatArray:
        """P(entry | text) for every entry; what is left to 1 is P(none)."""
        ids, weights = self._vocabulary.features(analysis, grow=False)
        log_odds: list[float]
        if self._dense is not None:
            # One product: the features' gains, their cost and the priors. take() and dot() skip
            # the generic indexing and matmul machinery, a few µs a message.
            ids += [self._costs_row, self._costs_row + 1]
            weights += [sum(weights), 1.0]
            log_odds = np.dot(np.asarray(weights), self._dense.take(ids, axis=0)).tolist()
        elif ids:
            seen = np.asarray(weights)
            rows = [self._sparse[feature] for feature in ids]
            lengths = [classes.size for classes, _ in rows]
            gains = np.concatenate([gain for _, gain in rows]) * np.repeat(seen, lengths)
            counted = np.bincount(np.concatenate([c for c, _ in rows]), gains, minlength=self._prior.size)
            log_odds = (counted + self._per_feature * sum(weights) + self._prior).tolist()
        else:
            log_odds = self._prior.tolist()
        # A softmax over a dozen numbers costs less in Python than in numpy's calls.
        top = max(log_odds)
        odds = [math.exp(value - top) for value in log_odds]
        share: FloatArray = np.array(odds[: self.n_entries])
        share /= math.fsum(odds)
        return share


class Vocabulary:
    """The numbered features of a phrasing model: the kinds of unknown word first (_UNKNOWN_KINDS),
    then terms and reading n-grams as they were first seen. A word counts as unknown against
    `known`, the knowledge base's vocabulary."""

    def __init__(self, known: Container[str] = ()) -> None:
        self.known = known
        self.terms: dict[str, int] = {}
        self.grams: dict[str, int] = {}
        self.kinds: frozenset[int] = frozenset(range(len(_UNKNOWN_KINDS)))

    @property
    def size(self) -> int:
        """How many features there are."""
        return len(_UNKNOWN_KINDS) + len(self.terms) + len(self.grams)

    def features(self, analysis: Analysis, grow: bool) -> tuple[list[int], list[float]]:
        """The numbered features of a text with their weights: terms, reading n-grams and unknown
        words by kind; while learning (`grow`), new terms and n-grams get numbers."""
        # Unknown words say what no single word can: a brand the base has never seen (Gmail,
        # Netflix, メルカリ) is a new word every time, but "a Latin name we do not know" is one
        # feature, which the out-of-scope examples teach.
        ids: list[int] = []
        weights: list[float] = []
        unknown = [0.0] * len(_UNKNOWN_KINDS)
        known = self.known
        # In a fixed order while learning, so the numbers (and a saved state) do not depend on hashing.
        for term, weight in sorted(analysis.terms.items()) if grow else analysis.terms.items():
            feature = self._number(self.terms, term) if grow else self.terms.get(term)
            if feature is not None:
                ids.append(feature)
                weights.append(weight * DIRECTION_WEIGHT if term in analysis.directed else weight)
            if known and term not in known:
                unknown[_unknown_kind(term, analysis)] += weight
        # In one order whatever the hash seed, learning or not.
        if grow:
            ids += [self._number(self.grams, gram) for gram in sorted(analysis.ngrams)]
        else:
            grams = self.grams
            ids += [grams[gram] for gram in sorted(analysis.ngrams) if gram in grams]
        weights += [1.0] * (len(ids) - len(weights))
        for feature, weight in enumerate(unknown):
            if weight and feature in self.kinds:
                ids.append(feature)
                weights.append(weight)
        return ids, weights

    def _number(self, numbers: dict[str, int], key: str) -> int:
        """The number of a term or n-gram, given the next free one when it is new."""
        found = numbers.get(key)
        if found is None:
            found = numbers[key] = self.size
        return found


def _unknown_kind(term: str, analysis: Analysis) -> int:
    """Which of _UNKNOWN_KINDS an unknown term is: another company's name (≠PayPay) is one kind
    of its own, since what such a name says is learnt from every message naming any of them."""
    if term.startswith(OTHER_PREFIX):
        return _OTHER_COMPANY
    return 0 if term.isascii() else 2 if term in analysis.verbal else 1
