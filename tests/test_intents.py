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
    assert time.perf_counter() - started < 1.0
