"""Normalisation: the comparison keys that the index and the query side share."""

from __future__ import annotations

import pytest

from faq.normalize import clean, fold, fold_origins


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("ｱｶｳﾝﾄ", "アカウント"),  # half-width katakana
        ("ＡＰＩ　キー", "API キー"),  # full-width letters and space
        ("パスワ-ド", "パスワード"),  # a hyphen after kana is a long-vowel mark
        ("入金\u200bした\tのに", "入金した のに"),  # a zero-width space goes, a tab is a space
        # A lone small letter between kana is what romaji input left behind.
        ("土日もやっtてる?", "土日もやってる?"),
        ("おねがいsします", "おねがいします"),
        ("ログインでｋきない", "ログインできない"),  # full-width, folded first
        # Laughter after Japanese goes (w, ww, ｗｗｗ), a word that starts with w stays.
        ("作れないw", "作れない"),
        ("草ｗｗｗ", "草"),
        ("出金ww?", "出金?"),
        ("入金walletに", "入金walletに"),
        ("口座Wi-Fi", "口座Wi-Fi"),
        ("サイトwww.example.jpから", "サイトwww.example.jpから"),  # an address
        ("プランWの", "プランWの"),  # a capital W is a name
        ("出金w/oメール", "出金w/oメール"),
        # Letters that are words stay: a capital, two letters, a letter next to kanji or at an end.
        ("AランクのAPI", "AランクのAPI"),
        ("てすとabてすと", "てすとabてすと"),
        ("入金x反映", "入金x反映"),
        ("はいTです", "はいTです"),
    ],
)
def test_clean(text: str, cleaned: str) -> None:
    assert clean(text) == cleaned


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ぱすわーど", "パスワード"),
        ("ﾊﾟｽﾜｰﾄﾞ", "ぱすわーど"),
        ("ＰＡＳＳＷＯＲＤ", "password"),
        ("にだんかいにんしょう", "ニダンカイニンショウ"),
        ("やっtてる", "やってる"),
    ],
)
def test_spellings_fold_to_one_key(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_fold_origins_point_back_past_dropped_long_vowels() -> None:
    assert fold("パスワード変更") == "パスワド変更"
    assert fold_origins("パスワード変更") == [0, 1, 2, 4, 5, 6]  # ー (3) is dropped
    assert fold_origins("İ") is None  # lower-casing makes it two characters
