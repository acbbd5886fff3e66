from __future__ import annotations

import re
import time

import pytest

from handlers.intents import MIN_READING, IntentRules, _with_readings


def test_a_kanji_word_also_matches_as_read_aloud() -> None:
    assert _with_readings("担当者(に|と)", MIN_READING) == "(?:担当者|タントウシャ)(に|と)"
    assert _with_readings("受け付け", MIN_READING) == "(?:受け付け|ウケツケ)"  # okurigana belongs to the word


def test_character_classes_lookbehinds_and_short_readings_stay_as_written() -> None:
    pattern = "(?<![本理])(?<!族の)(人|ひと)[電話]"
    assert _with_readings(pattern, MIN_READING) == pattern  # 人 reads ヒト: too short to stand alone
    re.compile(_with_readings(r"(?<!どう)やって\w+問い合わせ", MIN_READING))  # still fixed-width lookbehinds


# Long runs (twice a LINE message) of what the patterns skip (question marks, commas, spaces, emoji) after the words they
# look for, ending in a letter that makes them fail: a pattern that backtracks takes seconds here.
RUNS = [
    "ボット" + "?" * 19_990 + "a",
    "人" + "？" * 19_990 + "あ",
    "ぼっと" + "？" * 19_990 + "あ",  # kana alone: the patterns that also read kanji aloud
    "電話" + "、" * 19_990 + "x",
    "今" + "、" * 19_990 + "チャット" + "、" * 5 + "対応中x",  # spaces would be folded to one
    "いま" + "、" * 19_990 + "ちゃっとたいおうちゅうx",  # kana alone
    "。" * 19_990 + "チャット対応中ですか" + "😅" * 100 + "x",
    "i need a person" + " please" * 2_500 + "x",
    "キャンペーン" + "あ" * 19_990,  # the places with hours of their own read the whole message twice
    "are you a bot" + "!" * 19_990 + "x",
    "ボットか" + "、" * 19_990 + "人間" + "😅" * 100 + "x",
    "LINE" * 5_000 + "の",  # the ways in, and the name cut out of each place it stands
    "LINE " * 4_000 + "support",
    "誰か" + "?" * 19_990 + "x",
    "土日に" + "送ったら" * 4_000 + "x",
    "週末に連絡したら返事" * 2_000 + "x",  # each a candidate: the read ahead is bounded
    "土日" * 10_000 + "返事くれるの",
    "can a staff member contact me " * 600 + "x",
]


@pytest.mark.parametrize("text", RUNS, ids=range(len(RUNS)))
def test_no_message_makes_the_patterns_backtrack(text: str) -> None:
    rules = IntentRules.load()
    rules.detect("たんとうしゃ")  # compiles the read-aloud patterns before the clock starts
    # Each takes a few milliseconds; one second is a wide margin on a slow machine.
    started = time.perf_counter()
    rules.detect(text)
    rules.about_the_bot(text)
    rules.about_support(text)
    rules.elsewhere(text)
    rules.ways_in(text)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("text", "names", "rest"),
    [
        ("LINEチャット対応中ですか?", {"line"}, " チャット対応中ですか?"),
        ("ＬＩＮＥの問い合わせは何時まで", {"line"}, " 問い合わせは何時まで"),  # full width, with its の
        ("L\u200bINEのチャットは何時まで", {"line"}, " チャットは何時まで"),  # an invisible space inside
        # Only the mention that is the way in is cut: the first LINE owns the password.
        (
            "LINEのパスワード忘れた、LINEのサポートは何時まで?",
            {"line"},
            "LINEのパスワード忘れた、 サポートは何時まで?",
        ),
        ("İ LINEの問い合わせは何時まで?", {"line"}, "İ  問い合わせは何時まで?"),  # İ lengthens when lower-cased
        (
            "法人LINEでの問い合わせとLINEのサポートは何時まで?",
            {"line"},
            "法人 問い合わせと サポートは何時まで?",
        ),
        ("このLINEデータ", {"line"}, "この データ"),  # no kana of the next word is cut
        # A name something owns stays: ニトリ's LINE desk is ニトリ's.
        ("ニトリのLINEチャットは何時まで?", {"line"}, "ニトリのLINEチャットは何時まで?"),
        ("LINE Payの営業時間", set(), "LINE Payの営業時間"),  # LINE Pay is no way in
        ("LINEのパスワード忘れた", set(), "LINEのパスワード忘れた"),
    ],
)
def test_a_company_named_only_as_the_way_in_is_found_and_cut_out(text: str, names: set[str], rest: str) -> None:
    assert IntentRules.load().ways_in(text) == (frozenset(names), rest)


@pytest.mark.parametrize("ways_in", [{"LINE": None}, ["line"], {"": ["line"]}, {"LINE": "line"}])
def test_a_malformed_ways_in_section_is_named_at_load(ways_in: object) -> None:
    with pytest.raises(ValueError, match="ways_in"):
        IntentRules({"handoff": ["人間"], "ways_in": ways_in})
