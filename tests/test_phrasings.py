from __future__ import annotations

import json

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
    return PhrasingModel.learn(2, [(analyzer.analyze(text), labels) for text, labels in TAUGHT]), analyzer


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


def test_a_text_of_unseen_words_gets_the_priors() -> None:
    analyzer = Analyzer()
    taught = [(analyzer.analyze(text), (0,)) for text in ("入金が反映されない", "振り込んだ", "入金が遅い")]
    model = PhrasingModel.learn(2, [*taught, (analyzer.analyze("パスワードを忘れた"), (1,))])
    assert np.allclose(model.probabilities(analyzer.analyze("zzzz")), [0.75, 0.25])


def test_an_example_with_two_labels_counts_a_share_to_each() -> None:
    # Priors from 1.5 and 0.5 examples; full counts for both labels would give 2/3 and 1/3.
    analyzer = Analyzer()
    model = PhrasingModel.learn(
        2, [(analyzer.analyze("ログインできない"), (0, 1)), (analyzer.analyze("パスワード"), (0,))]
    )
    assert np.allclose(model.probabilities(analyzer.analyze("zzzz")), [0.75, 0.25])


@pytest.mark.parametrize("labels", [(), (3,), (-1,)])
def test_labels_outside_the_classes_are_refused(labels: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"labels must be classes 0\.\.2"):
        PhrasingModel.learn(2, [(Analyzer().analyze("入金"), labels)])


def test_a_model_needs_an_example() -> None:
    with pytest.raises(ValueError, match="at least one example"):
        PhrasingModel.learn(2, [])


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
    model = PhrasingModel.learn(1, taught, known)
    blind = PhrasingModel.learn(1, taught)
    gmail = analyzer.analyze("Gmailのパスワード忘れた")
    assert model.probabilities(gmail)[0] < 0.5 < blind.probabilities(gmail)[0]
    assert model.probabilities(analyzer.analyze("パスワード忘れた"))[0] > 0.5


def test_other_companies_names_are_one_kind_learnt_from_any_of_them() -> None:
    # Names on the knowledge file's others list are each a new term, but "another company named"
    # is one feature: taught on PayPay and Suica, it tells against a name never seen (nanaco)
    # more than an unknown Japanese noun does.
    analyzer = Analyzer(others=["PayPay", "Suica", "nanaco"])
    known = {*analyzer.analyze("チャージしたのに反映されない").terms}
    taught = [
        (analyzer.analyze("チャージしたのに反映されない"), (0,)),
        (analyzer.analyze("銀行からチャージしたのに反映されない"), (0,)),
        (analyzer.analyze("PayPayにチャージしたのに反映されない"), (1,)),
        (analyzer.analyze("Suicaにチャージしたのに反映されない"), (1,)),
    ]
    model = PhrasingModel.learn(1, taught, known)
    named = model.probabilities(analyzer.analyze("nanacoにチャージしたのに反映されない"))[0]
    unnamed = model.probabilities(analyzer.analyze("財布にチャージしたのに反映されない"))[0]
    assert named < 0.5 < unnamed


def test_many_classes_keep_sparse_rows_and_agree_with_the_dense_matrix() -> None:
    analyzer = Analyzer()
    known = {*analyzer.analyze("パスワードを忘れた").terms}
    taught = [(analyzer.analyze(text), labels) for text, labels in [*TAUGHT, ("Gmailのパスワード", (2,))]]
    dense = PhrasingModel.learn(2, taught, known)
    sparse = PhrasingModel.learn(2, taught, known, dense_up_to=0)
    for text in ("入金したのに反映されてない", "Netflixのパスワード", "zzzz", "ログインできません"):
        analysis = analyzer.analyze(text)
        assert np.allclose(dense.probabilities(analysis), sparse.probabilities(analysis))


@pytest.mark.parametrize("dense_up_to", [256, 0])
def test_a_saved_state_gives_back_the_same_model(dense_up_to: int) -> None:
    analyzer = Analyzer()
    known = {*analyzer.analyze("パスワードを忘れた").terms}
    taught = [(analyzer.analyze(text), labels) for text, labels in [*TAUGHT, ("Gmailのパスワード", (2,))]]
    learnt = PhrasingModel.learn(2, taught, known)
    restored = PhrasingModel.from_state(json.loads(json.dumps(learnt.state())), known, dense_up_to=dense_up_to)
    for text in ("入金したのに反映されてない", "Netflixのパスワード", "zzzz", "ログインできません"):
        analysis = analyzer.analyze(text)
        assert np.allclose(learnt.probabilities(analysis), restored.probabilities(analysis), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_entries", "two"),
        ("documents", [1.0, 1.0]),
        ("documents", [0.0, 0.0, 0.0]),
        ("counts", [[0, 1], [0], [1.0]]),
        ("counts", [[99_999], [0], [1.0]]),
        ("counts", [[3], [7], [1.0]]),
        ("terms", ["not", "a", "mapping"]),
        ("kinds", None),
    ],
)
def test_a_malformed_state_is_refused(field: str, value: object) -> None:
    analyzer = Analyzer()
    state = PhrasingModel.learn(2, [(analyzer.analyze(text), labels) for text, labels in TAUGHT]).state()
    with pytest.raises(ValueError):
        PhrasingModel.from_state({**state, field: value})
    with pytest.raises(ValueError):
        PhrasingModel.from_state({key: v for key, v in state.items() if key != field})
