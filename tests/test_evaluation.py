from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bots import evaluation
from faq import labelled
from faq.matcher import Decision, Match, Matcher
from faq.model import KnowledgeBase, Labelled
from faq.normalize import fold
from handlers.hours import SupportHours
from handlers.intents import Intent, IntentRules
from handlers.messages import Reply
from handlers.responder import Answer, Responder
from tests.conftest import REPO, SHARED, TUE_1030

DEV_SET = SHARED / "eval" / "dev_queries.jsonl"
EXAMPLE_SETS = sorted((REPO / "faq" / "examples").glob("customer_phrasings_*.jsonl"))


def test_every_dev_query_is_right(responder: Responder) -> None:
    report = evaluation.evaluate(responder, labelled.read(DEV_SET), TUE_1030)
    assert [item.query for item, _ in report.misses] == []
    assert report.in_domain == 44 and report.out_of_domain == 6


def responder_over(kb: KnowledgeBase) -> Responder:
    return Responder(Matcher(kb, remember=0, compiled=False), SupportHours(), IntentRules.load())


# Floors a little under today's figures, as (in-domain, rejection): a guard against regressions,
# not the targets. Each set is scored by a bot that learnt from every other set but not from it,
# so the figures say how the bot does on phrasings it has never seen (bench/cross_validate.py);
# the phrasing model's few constants were chosen on these same figures, so they flatter it a
# little, and the blind first measurements are the honest estimate (README, "Measured").
# Sets 1 and 9 are heavy with near-miss traps (病院の電話番号, Gmailの二段階認証), set 11 with
# one-word and misspelt messages, set 12 with long ones, set 13 with English, set 14 half long,
# sets 15 and 16 with brand traps written without a possessive (Suicaにチャージ, 楽天証券で株の注文),
# set 17 with symptoms that avoid the topic's own words (機種変したら認証アプリのコードが見れない),
# set 18 with a third out of scope, mostly near misses (Binance withdrawal stuck, 銀行間の振込),
# sets 19 and 20 the plain mix the held-out set's README describes, set 21 a mix with 40% English
# and near misses about other services, set 22 a mix whose out-of-scope half names a wide range of
# other companies, set 23 the plain mix again, set 24 a plain mix with 30% English,
# set 25 a plain mix whose in-domain half avoids the topics' usual words, set 26 a plain mix, 25%
# English, with a tenth of it transfers whose direction decides the answer, set 27 a mix with a
# fifth of it two things at once (a transfer blocked by a forgotten password or a two-factor code),
# set 28 a mix of what phones type: kana, half-width katakana, full-width letters, typos (入近, 出勤,
# withdrawl, やっtてる), set 29 the plain mix again, set 30 a mix of length extremes: a third
# fragments of two to eight characters (ﾛｸﾞｲﾝ無理, BTC買えん), a third of two to five sentences,
# set 31 the plain mix with half its out-of-scope lines near misses (給料, PayPayで送った, 区役所の受付時間);
# set 32 how customers reach support and whether it is open, with other companies' desks as near misses,
# set 33 the plain mix again, written at the end of 2026-11-30, set 34 the plain mix again, with two lines of romaji,
# set 35 the plain mix as phones send it: voice input's wrong kanji (繁栄, 回蔵), flick slips (ハスワード), emoji,
# set 36 the plain mix again, with requests the bot cannot carry out (登録メールアドレス変えといてください),
# set 37 the plain mix again, its out-of-scope lines the held-out set's kinds (prices, tax, weather, greetings, noise),
# set 38 spelling: a third of the Japanese in hiragana alone, half-width kana (ﾆｭｳｷﾝ), full-width letters, typos,
# set 39 LINE's conversation: LINE named as the way in, whether anybody is there, bot or person, hours and handoff.
HELD_OUT_FLOORS = {
    "customer_phrasings_1.jsonl": (0.98, 0.93),
    "customer_phrasings_2.jsonl": (0.95, 0.96),
    "customer_phrasings_3.jsonl": (0.98, 0.96),
    "customer_phrasings_4.jsonl": (0.92, 0.98),
    "customer_phrasings_5.jsonl": (0.97, 0.94),
    "customer_phrasings_6.jsonl": (0.94, 0.96),
    "customer_phrasings_7.jsonl": (0.97, 0.92),
    "customer_phrasings_8.jsonl": (0.96, 0.93),
    "customer_phrasings_9.jsonl": (0.97, 0.80),
    "customer_phrasings_10.jsonl": (0.95, 0.92),
    "customer_phrasings_11.jsonl": (0.95, 0.94),
    "customer_phrasings_12.jsonl": (0.84, 0.88),
    "customer_phrasings_13.jsonl": (0.91, 0.80),
    "customer_phrasings_14.jsonl": (0.92, 0.93),
    "customer_phrasings_15.jsonl": (0.89, 0.84),
    "customer_phrasings_16.jsonl": (0.96, 0.75),
    "customer_phrasings_17.jsonl": (0.97, 0.94),
    "customer_phrasings_18.jsonl": (0.97, 0.86),
    "customer_phrasings_19.jsonl": (0.97, 0.92),
    "customer_phrasings_20.jsonl": (0.94, 0.97),
    "customer_phrasings_21.jsonl": (0.96, 0.91),
    "customer_phrasings_22.jsonl": (0.96, 0.85),
    "customer_phrasings_23.jsonl": (0.97, 0.95),
    "customer_phrasings_24.jsonl": (0.97, 0.90),
    "customer_phrasings_25.jsonl": (0.95, 0.95),
    "customer_phrasings_26.jsonl": (0.94, 0.96),
    "customer_phrasings_27.jsonl": (0.93, 0.90),
    "customer_phrasings_28.jsonl": (0.97, 0.95),
    "customer_phrasings_29.jsonl": (0.95, 0.97),
    "customer_phrasings_30.jsonl": (0.97, 0.91),
    "customer_phrasings_31.jsonl": (0.98, 0.96),
    "customer_phrasings_32.jsonl": (0.95, 0.93),
    "customer_phrasings_33.jsonl": (0.96, 0.94),
    "customer_phrasings_34.jsonl": (0.96, 0.98),
    "customer_phrasings_35.jsonl": (0.98, 0.92),
    "customer_phrasings_36.jsonl": (0.98, 0.90),
    "customer_phrasings_37.jsonl": (0.98, 0.95),
    "customer_phrasings_38.jsonl": (0.96, 0.98),
    "customer_phrasings_39.jsonl": (0.96, 0.98),
}
# The word ranker alone, as a knowledge file without examples gets it.
WORDS_ONLY_FLOORS = {
    "customer_phrasings_1.jsonl": (0.95, 0.85),
    "customer_phrasings_2.jsonl": (0.94, 0.95),
    "customer_phrasings_3.jsonl": (0.94, 0.90),
    "customer_phrasings_4.jsonl": (0.88, 0.96),
    "customer_phrasings_5.jsonl": (0.94, 0.90),
    "customer_phrasings_6.jsonl": (0.86, 0.92),
    "customer_phrasings_7.jsonl": (0.92, 0.78),
    "customer_phrasings_8.jsonl": (0.91, 0.83),
    "customer_phrasings_9.jsonl": (0.93, 0.74),
    "customer_phrasings_10.jsonl": (0.93, 0.90),
    "customer_phrasings_11.jsonl": (0.95, 0.90),
    "customer_phrasings_12.jsonl": (0.50, 0.88),
    "customer_phrasings_13.jsonl": (0.88, 0.78),
    "customer_phrasings_14.jsonl": (0.76, 0.95),
    "customer_phrasings_15.jsonl": (0.76, 0.92),
    "customer_phrasings_16.jsonl": (0.78, 0.80),
    "customer_phrasings_17.jsonl": (0.90, 0.86),
    "customer_phrasings_18.jsonl": (0.90, 0.78),
    "customer_phrasings_19.jsonl": (0.95, 0.85),
    "customer_phrasings_20.jsonl": (0.92, 0.87),
    "customer_phrasings_21.jsonl": (0.92, 0.89),
    "customer_phrasings_22.jsonl": (0.90, 0.87),
    "customer_phrasings_23.jsonl": (0.92, 0.90),
    "customer_phrasings_24.jsonl": (0.90, 0.85),
    "customer_phrasings_25.jsonl": (0.86, 0.95),
    "customer_phrasings_26.jsonl": (0.88, 0.88),
    "customer_phrasings_27.jsonl": (0.80, 0.84),
    "customer_phrasings_28.jsonl": (0.95, 0.88),
    "customer_phrasings_29.jsonl": (0.91, 0.95),
    "customer_phrasings_30.jsonl": (0.76, 0.86),
    "customer_phrasings_31.jsonl": (0.96, 0.74),
    "customer_phrasings_32.jsonl": (0.92, 0.91),
    "customer_phrasings_33.jsonl": (0.84, 0.85),
    "customer_phrasings_34.jsonl": (0.90, 0.96),
    "customer_phrasings_35.jsonl": (0.93, 0.90),
    "customer_phrasings_36.jsonl": (0.93, 0.86),
    "customer_phrasings_37.jsonl": (0.95, 0.93),
    "customer_phrasings_38.jsonl": (0.95, 0.86),
    "customer_phrasings_39.jsonl": (0.95, 0.95),
}


def assert_above(responder: Responder, path: Path, floors: tuple[float, float]) -> None:
    report = evaluation.evaluate(responder, labelled.read(path), TUE_1030)
    assert report.in_domain_right / report.in_domain >= floors[0]
    assert report.rejected / report.out_of_domain >= floors[1]


@pytest.mark.parametrize("path", EXAMPLE_SETS, ids=lambda p: p.name)
def test_each_set_held_out_of_learning_stays_above_its_floor(kb: KnowledgeBase, path: Path) -> None:
    held_out = {fold(item.query) for item in labelled.read(path)}
    others = tuple(item for item in kb.examples if fold(item.query) not in held_out)
    assert len(others) < len(kb.examples)
    assert_above(responder_over(dataclasses.replace(kb, examples=others)), path, HELD_OUT_FLOORS[path.name])


@pytest.mark.parametrize("path", EXAMPLE_SETS, ids=lambda p: p.name)
def test_the_word_ranker_alone_stays_above_its_floor(words_only: Responder, path: Path) -> None:
    assert_above(words_only, path, WORDS_ONLY_FLOORS[path.name])


@pytest.fixture(scope="module")
def words_only(kb: KnowledgeBase) -> Responder:
    return responder_over(dataclasses.replace(kb, examples=()))


def test_every_example_set_is_learnt_and_has_floors(kb: KnowledgeBase) -> None:
    names = {path.name for path in EXAMPLE_SETS}
    assert len(names) == 39 and names == set(HELD_OUT_FLOORS) == set(WORDS_ONLY_FLOORS)
    assert len(kb.examples) == sum(len(labelled.read(path)) for path in EXAMPLE_SETS)


@pytest.mark.parametrize(
    ("expect", "intent", "faq_id", "right"),
    [
        (["api-usage"], "faq", "api-usage", True),
        (["api-usage", "help-center"], "faq", "help-center", True),
        (["api-usage"], "faq", "help-center", False),
        (["@hours"], "hours", None, True),
        (["@hours"], "handoff", None, False),
        (["@none"], "fallback", None, True),
        (["@none"], "greeting", None, True),
        (["@none"], "faq", "api-usage", False),
        (["@none"], "hours", None, False),
    ],
)
def test_scoring_rule(expect: list[str], intent: str, faq_id: str | None, right: bool) -> None:
    answer = Answer("q", Intent(intent), "ja", Reply("t", intent=intent, faq_id=faq_id), Match((), Decision.NONE))
    assert evaluation.is_right(Labelled("q", tuple(expect)), answer) is right
