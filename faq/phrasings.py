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
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faq.analyzer import Analysis

# Additive smoothing of feature counts (Lidstone); chosen by leave-one-set-out evaluation.
SMOOTHING = 0.1
TEMPERATURE = 4.0
TERM_PREFIX, GRAM_PREFIX = "t:", "g:"
UNKNOWN_LATIN, UNKNOWN_NOUN, UNKNOWN_VERBAL = "?latin", "?noun", "?verbal"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def features(analysis: Analysis, known: Container[str] = ()) -> dict[str, float]:
    """The counted features of one text: its weighted terms, its reading n-grams, and how many of
    its words the knowledge base does not know, by kind.

    The last say what no single word can: a brand the base has never seen (Gmail, Netflix,
    メルカリ) is a new word every time, but "a Latin name we do not know" is a feature the
    out-of-scope examples teach.
    """
    found = {TERM_PREFIX + term: weight for term, weight in analysis.terms.items()}
    found.update(dict.fromkeys((GRAM_PREFIX + gram for gram in analysis.ngrams), 1.0))
    if known:
        for term, weight in analysis.terms.items():
            if term not in known:
                kind = UNKNOWN_LATIN if term.isascii() else UNKNOWN_VERBAL if term in analysis.verbal else UNKNOWN_NOUN
                found[kind] = found.get(kind, 0.0) + weight
    return found


@dataclass(frozen=True, slots=True)
class _Feature:
    """The classes that saw one feature, with log((count + a) / a) for each."""

    classes: IntArray
    gain: FloatArray


class PhrasingModel:
    """P(entry | text) for `n_entries` entries, with class `n_entries` meaning "none of them".

    An example labelled with several classes (either entry answers it) counts a share to each.
    `known` is the knowledge base's vocabulary, against which words count as unknown.
    """

    def __init__(
        self, n_entries: int, examples: Iterable[tuple[Analysis, Sequence[int]]], known: Container[str] = ()
    ) -> None:
        self.n_entries = n_entries
        self._known = known
        n_classes = n_entries + 1
        counts: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        documents = np.zeros(n_classes)
        for analysis, labels in examples:
            share = 1.0 / len(labels)
            found = features(analysis, known)
            for label in labels:
                documents[label] += share
                for feature, weight in found.items():
                    counts[feature][label] += weight * share
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
            self._prior = np.log(documents / max(1.0, documents.sum()))
        # What one seen feature costs each class before its own counts are added back.
        self._per_feature = math.log(SMOOTHING) - np.log(totals + SMOOTHING * max(1, vocabulary))
        self.examples = int(documents.sum())

    def probabilities(self, analysis: Analysis) -> FloatArray:
        """P(entry | text) for every entry; what is left to 1 is P(none)."""
        log_odds = self._prior.copy()
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
        log_odds /= TEMPERATURE
        log_odds -= log_odds.max()
        odds: FloatArray = np.exp(log_odds)
        share: FloatArray = odds[: self.n_entries] / odds.sum()
        return share
