from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from faq.loader import load, parse
from faq.model import KnowledgeBase, KnowledgeError

CONTRACT_IDS = {
    "account-opening",
    "deposit-not-reflected",
    "withdrawal-delayed",
    "cannot-trade",
    "forgot-password",
    "two-factor-auth",
    "api-usage",
    "security-tips",
    "help-center",
    "contact-form",
    "phone-support",
    "chat-support",
    "support-tips",
}


def test_builtin_base_has_exactly_the_contract_ids(kb: KnowledgeBase) -> None:
    assert {entry.id for entry in kb.entries} == CONTRACT_IDS


def test_builtin_entries_are_bilingual_and_linked(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        assert len(entry.questions["ja"]) >= 4, entry.id
        assert len(entry.questions["en"]) >= 3, entry.id
        assert entry.answer["ja"] and entry.answer["en"], entry.id
        assert entry.related, entry.id
        assert entry.keywords, entry.id


@pytest.mark.parametrize(
    ("entry_id", "facts"),
    [
        (
            "help-center",
            ["公式サイト", "画面下部の「ヘルプ」", "検索窓", "カテゴリ", "口座開設", "トラブルシューティング"],
        ),
        ("contact-form", ["「お問い合わせ」", "カテゴリ", "スクリーンショット", "メールアドレス", "ユーザーID"]),
        ("phone-support", ["「電話でのお問い合わせ」", "平日9:00〜17:00", "本人確認", "混み合う"]),
        ("chat-support", ["画面右下のチャットアイコン", "平日10:00〜17:00", "本人確認", "リアルタイム"]),
        ("account-opening", ["本人確認書類", "入力した情報", "審査", "アップロード", "お問い合わせフォーム"]),
        ("deposit-not-reflected", ["入金方法", "振込明細", "スクリーンショット", "お問い合わせフォーム"]),
        ("withdrawal-delayed", ["混雑", "セキュリティチェック", "銀行の営業時間内", "お問い合わせフォーム"]),
        ("cannot-trade", ["残高", "取引制限", "システムエラー", "お問い合わせフォーム"]),
        ("forgot-password", ["再設定", "メールアドレス", "認証コード"]),
        ("two-factor-auth", ["ヘルプセンター", "「二段階認証」と検索"]),
        ("api-usage", ["APIドキュメント", "認証方法", "エラーコード"]),
        ("security-tips", ["複雑", "二段階認証", "フィッシング詐欺"]),
        ("support-tips", ["メールアドレス", "ユーザーID", "スクリーンショット", "丁寧", "同時", "指示"]),
    ],
)
def test_answers_carry_the_seed_facts(kb: KnowledgeBase, entry_id: str, facts: list[str]) -> None:
    entry = kb.get(entry_id)
    assert entry is not None
    for fact in facts:
        assert fact in entry.answer["ja"], (entry_id, fact)


def test_minimal_json_form_loads() -> None:
    minimal = {"entries": [{"id": "x", "questions": {"ja": ["質問"]}, "answer": {"ja": "回答"}}]}
    kb = parse(json.dumps(minimal, ensure_ascii=False))
    assert kb.entries[0].id == "x"
    assert kb.entries[0].answer_in("en") == "回答"


def test_the_minimal_entry_loads_word_for_word() -> None:
    # DESIGN.md's example, placeholders and all: a question with no words loads, with a warning.
    kb = parse('{"entries": [{"id": "x", "questions": {"ja": ["..."]}, "answer": {"ja": "..."}}]}')
    assert kb.entries[0].answer_in("ja") == "..."
    assert kb.warnings == ("entry 'x': questions.ja: '...' has no letters or digits, so nothing can match it",)
    keyworded = parse(
        '{"entries": [{"id": "x", "questions": {"ja": ["質問"]}, "keywords": {"en": ["???"]}, "answer": {"ja": "回答"}}]}'
    )
    assert keyworded.warnings == ("entry 'x': keywords.en: '???' has no letters or digits, so nothing can match it",)


@pytest.mark.parametrize(
    "dump",
    [
        lambda data: json.dumps(data),  # ensure_ascii: 🎁 as a \ud83c\udf81 surrogate pair
        lambda data: json.dumps(data, ensure_ascii=False, indent="\t"),  # tabs, which YAML refuses
        lambda data: "\ufeff" + json.dumps(data, ensure_ascii=False),  # a byte order mark
    ],
)
def test_any_valid_json_loads_as_json(dump: Callable[[object], str]) -> None:
    data = {"entries": [{"id": "gift", "questions": {"ja": ["ギフトを使いたい 🎁"]}, "answer": {"ja": "こちら 🎁"}}]}
    kb = parse(dump(data).encode("utf-8"))
    assert kb.entries[0].questions["ja"] == ("ギフトを使いたい 🎁",)
    assert kb.entries[0].answer_in("ja").encode("utf-8") == "こちら 🎁".encode()


def test_a_broken_entry_still_counts_for_duplicates_and_related_ids() -> None:
    text = """
entries:
  - id: a
    questions: {ja: [質問]}
    answer: {ja: 回答}
    related: [c]
  - id: c
    questions: {ja: [質問]}
  - id: c
    questions: {ja: [質問]}
    related: [nowhere]
  - id: d
    questions: {ja: []}
    answer: {ja: 回答}
    related: [nowhere]
"""
    with pytest.raises(KnowledgeError) as caught:
        parse(text)
    assert caught.value.problems == [
        "entry 'c': answer: missing",
        "entry 3: duplicate id 'c' (first used by entry 2)",
        "entry 'c': answer: missing",
        "entry 'd': questions: empty question list",
        "entry 'd': related id 'nowhere' does not exist",  # reported with the rest, not after a fix
    ]


def test_every_problem_is_reported_at_once() -> None:
    text = """
entries:
  - id: a
    questions: {ja: [質問]}
    answer: {ja: 回答}
    related: [nowhere]
  - id: a
    questions: {ja: [もう一つ]}
    answer: {ja: 回答}
  - id: b
    questions: {ja: []}
    answer: {ja: 回答}
  - id: c
    questions: {ja: [質問]}
"""
    with pytest.raises(KnowledgeError) as caught:
        parse(text, source="bad.yaml")
    problems = "\n".join(caught.value.problems)
    assert "duplicate id 'a'" in problems
    assert "entry 'b': questions: empty question list" in problems
    assert "entry 'c': answer: missing" in problems
    assert "related id 'nowhere' does not exist" in problems
    assert len(caught.value.problems) == 4


def test_bad_yaml_reports_its_line() -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse("entries:\n  - id: a\n    questions: [unclosed\n  - id: b\n", source="broken.yaml")
    assert caught.value.problems[0].startswith("line ")
    assert "invalid YAML" in caught.value.problems[0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[]", "top level must be a mapping"),
        ("entries: []", "'entries' must be a non-empty list"),
        ("entries: [42]", "entry 1: must be a mapping"),
        ("entries: [{questions: {ja: [q]}, answer: {ja: a}}]", "entry 1: missing 'id'"),
        ("entries: [{id: x, questions: {fr: [q]}, answer: {ja: a}}]", "unsupported language fr"),
        ("entries: [{id: x, questions: {ja: q}, answer: {ja: a}}]", "must be a list of strings"),
        ("synonyms: [[only]]\nentries: [{id: x, questions: {ja: [q]}, answer: {ja: a}}]", "at least two"),
    ],
)
def test_shape_errors_are_pointed(text: str, problem: str) -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse(text)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="cannot read"):
        load(tmp_path / "missing.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("entries: [{id: x, questions: {ja: [caf\xe9]}, answer: {ja: a}}]".encode("latin-1"))
    with pytest.raises(KnowledgeError, match="not UTF-8"):
        load(latin1)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: " + "[" * 5000, "nest"),  # nested too deeply / exceeded maximum nesting depth (libyaml)
        ("entries: [{id: 5, questions: {ja: [q]}, answer: {ja: a}}]", "id must be a non-empty string, not 5"),
        ("entries: [{id: x, questions: {ja: [q]}, answer: {ja: a}, relatd: [y]}]", "unknown field relatd"),
        ("entris: []\nentries: [{id: x, questions: {ja: [q]}, answer: {ja: a}}]", "unknown top-level field entris"),
        ("version: [1]\nentries: [{id: x, questions: {ja: [q]}, answer: {ja: a}}]", "version must be a string"),
        ("others: コインチェック\nentries: [{id: x, questions: {ja: [q]}, answer: {ja: a}}]", "others: must be a list"),
        (
            "synonyms: [[入金, kraken]]\nothers: [Kraken]\nentries: [{id: x, questions: {ja: [q]}, answer: {ja: a}}]",
            "others: 'Kraken' is also a synonym of ours",
        ),
        (
            "synonyms: [[チャット, line]]\nothers_as_written: [LINE]\nentries: [{id: x, questions: {ja: [q]}, answer: {ja: a}}]",
            "others_as_written: 'LINE' is also a synonym of ours",
        ),
    ],
)
def test_mistakes_a_writer_makes_are_named(text: str, problem: str) -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse(text)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_a_wrongly_typed_answer_is_reported_once() -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse("entries: [{id: x, questions: {ja: [q]}, answer: {ja: [not, text]}}]")
    assert caught.value.problems == ["entry 'x': answer.ja: must be a text"]


MINIMAL_WITH_EXAMPLES = """
entries:
  - {id: a, questions: {ja: [入金が反映されない]}, answer: {ja: 入金の答え}}
  - {id: b, questions: {ja: [パスワードを忘れた]}, answer: {ja: パスワードの答え}}
examples: [phrasings.jsonl]
"""


def test_examples_are_read_next_to_the_knowledge_file(tmp_path: Path) -> None:
    (tmp_path / "kb.yaml").write_text(MINIMAL_WITH_EXAMPLES, encoding="utf-8")
    (tmp_path / "phrasings.jsonl").write_text(
        '{"q": "お金が来ない", "expect": ["a"]}\n\n{"q": "今日の天気", "expect": ["@none"]}\n', encoding="utf-8"
    )
    kb = load(tmp_path / "kb.yaml")
    assert [(e.query, e.expect) for e in kb.examples] == [("お金が来ない", ("a",)), ("今日の天気", ("@none",))]


def test_the_builtin_base_learns_from_its_customer_phrasings(kb: KnowledgeBase) -> None:
    assert len(kb.examples) > 1000
    assert any(example.out_of_domain for example in kb.examples)


@pytest.mark.parametrize(
    ("phrasings", "problem"),
    [
        (None, "examples phrasings.jsonl: cannot read"),
        ('{"q": "x", "expect": ["c"]}\n', "examples phrasings.jsonl: line 1: unknown id c"),
        ('{"q": "x", "expect": ["@none", "a"]}\n', "examples phrasings.jsonl: line 1: @none stands alone"),
        ('{"q": "x", "expect": ["a", "a"]}\n', "examples phrasings.jsonl: line 1: a label is listed twice"),
        ('{"q": "x", "expect": [1]}\n', "examples phrasings.jsonl: line 1: labels must be non-empty strings"),
        ('{"q": "x"}\nnot json\n', "examples phrasings.jsonl: line 1: needs"),
        ('{"q": "x"}\nnot json\n', "examples phrasings.jsonl: line 2: invalid JSON"),
    ],
)
def test_bad_examples_are_reported(tmp_path: Path, phrasings: str | None, problem: str) -> None:
    (tmp_path / "kb.yaml").write_text(MINIMAL_WITH_EXAMPLES, encoding="utf-8")
    if phrasings is not None:
        (tmp_path / "phrasings.jsonl").write_text(phrasings, encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        load(tmp_path / "kb.yaml")
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_examples_need_a_file_to_be_found_from() -> None:
    # In-memory text has no folder; the working directory is no stand-in for one.
    with pytest.raises(KnowledgeError) as raised:
        parse(MINIMAL_WITH_EXAMPLES)
    assert raised.value.problems == ["examples: files are named relative to the knowledge file; load it from a file"]


MINIMAL_ENTRIES = """
entries:
  - id: deposit
    questions: {ja: [入金が反映されない]}
    answer: {ja: 入金の答え}
  - id: withdrawal
    questions: {ja: [出金が遅い]}
    answer: {ja: 出金の答え}
synonyms:
  - [入金, 振込]
  - [出金, 送金]
"""


def test_other_services_load_as_names() -> None:
    assert parse(MINIMAL_ENTRIES + "others: [コインチェック, Kraken, '  ']\n").others == ("コインチェック", "Kraken")
    assert parse(MINIMAL_ENTRIES + "others_as_written: [LINE]\n").others_as_written == ("LINE",)


def test_directions_load_with_their_patterns() -> None:
    kb = parse(MINIMAL_ENTRIES + "directions:\n  入金: ['外部から.{0,9}送']\n  出金: ['外部に.{0,9}送']\n")
    assert kb.directions == (("入金", ("外部から.{0,9}送",)), ("出金", ("外部に.{0,9}送",)))


@pytest.mark.parametrize(
    ("directions", "problem"),
    [
        ("directions: [入金]\n", "directions: must map a synonym"),
        ("directions:\n  着金: [から送]\n", "'着金' is not a member of any synonym group"),
        ("directions:\n  入金: ['から(送']\n", "directions 入金: invalid pattern"),
        ("directions:\n  入金: から送\n", "directions 入金"),
    ],
)
def test_bad_directions_are_reported(directions: str, problem: str) -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse(MINIMAL_ENTRIES + directions)
    assert any(problem in found for found in caught.value.problems), caught.value.problems
