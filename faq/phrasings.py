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
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faq.analyzer import Analysis
from faq.model import Labelled

# Additive smoothing of feature counts (Lidstone), and the temperature that tempers naive Bayes'
# overconfident evidence; both chosen by leave-one-set-out evaluation.
SMOOTHING = 0.1
TEMPERATURE = 4.0
# Fewer labelled examples than this, or none out of scope, teach too little: the words decide
# alone (two @none examples on the built-in base made it worse than none at all).
MIN_EXAMPLES = 200
TERM_PREFIX, GRAM_PREFIX = "t:", "g:"
UNKNOWN_LATIN, UNKNOWN_NOUN, UNKNOWN_VERBAL = "?latin", "?noun", "?verbal"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def features(analysis: Analysis, known: Container[str] = ()) -> dict[str, float]:
    """The counted features of a text: weighted terms, reading n-grams, unknown words by kind."""
    # Unknown words say what no single word can: a brand the base has never seen (Gmail, Netflix,
    # メルカリ) is a new word every time, but "a Latin name we do not know" is one feature, which
    # the out-of-scope examples teach.
    found = {TERM_PREFIX + term: weight for term, weight in analysis.terms.items()}
    found.update(dict.fromkeys((GRAM_PREFIX + gram for gram in analysis.ngrams), 1.0))
    if known:
        for term, weight in analysis.terms.items():
            if term not in known:
                kind = UNKNOWN_LATIN if term.isascii() else UNKNOWN_VERBAL if term in analysis.verbal else UNKNOWN_NOUN
                found[kind] = found.get(kind, 0.0) + weight
    return found


def enough(examples: Collection[Labelled]) -> bool:
    """Whether a knowledge base's examples are enough to learn a phrasing model from."""
    return len(examples) >= MIN_EXAMPLES and any(example.out_of_domain for example in examples)


@dataclass(frozen=True, slots=True)
class _Feature:
    """The classes that saw one feature, with log((count + a) / a) for each."""

    classes: IntArray
    gain: FloatArray


class PhrasingModel:
    """P(entry | text) for `n_entries` entries; class `n_entries` means "none of them"."""

    def __init__(
        self, n_entries: int, examples: Iterable[tuple[Analysis, Sequence[int]]], known: Container[str] = ()
    ) -> None:
        # An example labelled with several classes (either entry answers it) counts a share to
        # each. `known` is the knowledge base's vocabulary, against which words count as unknown.
        self.n_entries = n_entries
        self._known = known
        n_classes = n_entries + 1
        counts: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        documents = np.zeros(n_classes)
        for analysis, labels in examples:
            if not labels or not all(0 <= label < n_classes for label in labels):
                raise ValueError(f"labels must be classes 0..{n_entries}, not {tuple(labels)!r}")
            share = 1.0 / len(labels)
            found = features(analysis, known)
            for label in labels:
                documents[label] += share
                for feature, weight in found.items():
                    counts[feature][label] += weight * share
        if not documents.any():
            raise ValueError("a phrasing model needs at least one example")
        totals = np.zeros(n_classes)
        for by_class in counts.values():
            for label, count in by_class.items():
                totals[label] += count
        vocabulary = len(counts)
        self._features = {
            feature: _Feature(
                classes=np.fromiter(by_class.keys(), dtype=np.intp, count=len(by_class)),
                gain=np.log1p(np.fromiter(by_class.values(), dtype=np.float64, count=len(by_class)) / SMOOTHING),
            )
            for feature, by_class in counts.items()
        }
        with np.errstate(divide="ignore"):
            # A class without a single example can never be predicted.
            self._prior = np.log(documents / documents.sum())
        # What one seen feature costs each class before its own counts are added back.
        self._per_feature = math.log(SMOOTHING) - np.log(totals + SMOOTHING * max(1, vocabulary))

    def probabilities(self, analysis: Analysis) -> FloatArray:
        """P(entry | text) for every entry; what is left to 1 is P(none)."""
        log_odds = np.zeros_like(self._prior)
        seen = 0.0
        classes: list[IntArray] = []
        gains: list[FloatArray] = []
        for feature, weight in features(analysis, self._known).items():
            found = self._features.get(feature)
            if found is None:
                continue  # a feature no example had says nothing about any class
            seen += weight
            classes.append(found.classes)
            gains.append(found.gain * weight if weight != 1.0 else found.gain)
        if classes:
            log_odds += seen * self._per_feature
            log_odds += np.bincount(np.concatenate(classes), np.concatenate(gains), minlength=log_odds.size)
        # The temperature tempers the evidence of the words, not how common each class is.
        log_odds /= TEMPERATURE
        log_odds += self._prior
        log_odds -= log_odds.max()
        odds: FloatArray = np.exp(log_odds)
        share: FloatArray = odds[: self.n_entries] / odds.sum()
        return share
