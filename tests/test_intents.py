from __future__ import annotations

import re

from handlers.intents import MIN_READING, _with_readings


def test_a_kanji_word_also_matches_as_read_aloud() -> None:
    assert _with_readings("担当者(に|と)", MIN_READING) == "(?:担当者|タントウシャ)(に|と)"
    assert _with_readings("受け付け", MIN_READING) == "(?:受け付け|ウケツケ)"  # okurigana belongs to the word


def test_character_classes_lookbehinds_and_short_readings_stay_as_written() -> None:
    pattern = "(?<![本理])(?<!族の)(人|ひと)[電話]"
    assert _with_readings(pattern, MIN_READING) == pattern  # 人 reads ヒト: too short to stand alone
    re.compile(_with_readings(r"(?<!どう)やって\w+問い合わせ", MIN_READING))  # still fixed-width lookbehinds
