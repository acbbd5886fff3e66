from __future__ import annotations

import numpy as np
import pytest

from faq.analyzer import Analyzer
from faq.phrasings import PhrasingModel

# Entries 0 (deposits) and 1 (passwords); label 2 is "none of ours".
TAUGHT = [
    ("入金が反映されない", (0,)),
    ("振り込んだのに残高が増えない", (0,)),
    ("パスワードを忘れた", (1,)),
    ("ログインできない", (1,)),
    ("ビットコインの価格は", (2,)),
    ("確定申告のやり方", (2,)),
]


@pytest.fixture(scope="module")
def model() -> tuple[PhrasingModel, Analyzer]:
    analyzer = Analyzer()
    return PhrasingModel(2, [(analyzer.analyze(text), labels) for text, labels in TAUGHT]), analyzer


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("入金したのに反映されてない", 0),
        ("ぱすわーどわすれた", 1),
        ("ログインできません", 1),
    ],
)
def test_phrasings_point_at_their_entry(model: tuple[PhrasingModel, Analyzer], text: str, entry: int) -> None:
    phrasings, analyzer = model
    probabilities = phrasings.probabilities(analyzer.analyze(text))
    assert probabilities.shape == (2,)
    assert int(np.argmax(probabilities)) == entry and probabilities[entry] > 0.5


def test_what_is_not_ours_leaves_the_entries_little(model: tuple[PhrasingModel, Analyzer]) -> None:
    phrasings, analyzer = model
    assert phrasings.probabilities(analyzer.analyze("ビットコインの価格を知りたい")).sum() < 0.5


def test_a_text_of_unseen_words_falls_back_to_the_priors(model: tuple[PhrasingModel, Analyzer]) -> None:
    phrasings, analyzer = model
    probabilities = phrasings.probabilities(analyzer.analyze("zzzz"))
    assert np.allclose(probabilities, [2 / 6, 2 / 6])


def test_an_example_with_two_labels_counts_half_to_each() -> None:
    analyzer = Analyzer()
    either = PhrasingModel(2, [(analyzer.analyze("ログインできない"), (0, 1))])
    probabilities = either.probabilities(analyzer.analyze("ログインできない"))
    assert probabilities[0] == pytest.approx(probabilities[1]) and probabilities.sum() == pytest.approx(1.0)
    assert either.examples == 1


def test_words_the_base_does_not_know_teach_what_is_not_ours() -> None:
    # Every brand is a new word, but "a name the base does not know" is one feature, learnt once.
    analyzer = Analyzer()
    known = {*analyzer.analyze("パスワードを忘れた").terms, *analyzer.analyze("forgot password").terms}
    taught = [
        (analyzer.analyze("パスワードを忘れた"), (0,)),
        (analyzer.analyze("forgot password"), (0,)),
        (analyzer.analyze("Netflixのパスワードを忘れた"), (1,)),
        (analyzer.analyze("Instagram password forgot"), (1,)),
    ]
    model = PhrasingModel(1, taught, known)
    blind = PhrasingModel(1, taught)
    gmail = analyzer.analyze("Gmailのパスワード忘れた")
    assert model.probabilities(gmail)[0] < 0.5 < blind.probabilities(gmail)[0]
    assert model.probabilities(analyzer.analyze("パスワード忘れた"))[0] > 0.5
