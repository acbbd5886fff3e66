from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faq.loader import parse
from faq.matcher import Decision, Matcher
from handlers.hours import SupportHours
from handlers.intents import REMEMBERED_CHARS, REMEMBERED_TEXTS, Intent, IntentRules
from handlers.responder import INTENT_CHARS, REMEMBERED_ANSWERS, Responder
from tests.conftest import SAT_1100, TUE_1030

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
JAPANESE_ISH = st.text(
    alphabet=st.sampled_from("あいうえおかきくけこパスワード入金出金ｸｲｯｸＡＰＩ二段階認証 \n\t、。!?🙏\u200b"),
    max_size=60,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(ANY_TEXT, JAPANESE_ISH))
def test_any_text_gets_a_well_formed_answer(responder: Responder, text: str) -> None:
    answer = responder.answer(text, TUE_1030, top=3)
    assert answer.intent in Intent
    assert answer.lang in ("ja", "en")
    assert answer.reply.text.strip()
    assert len(answer.reply.quick_replies) <= 13
    assert len(answer.match.ranking) == 3
    assert all(0.0 <= c.score <= 1.0 for c in answer.match.ranking)
    if answer.intent is Intent.FAQ:
        assert answer.faq_id is not None and answer.score is not None
    else:
        assert answer.faq_id is None and answer.score is None


def test_intent_detection_remembers_short_texts_within_a_bound() -> None:
    rules = IntentRules.load()
    assert rules.detect("今電話つながる?") == rules.detect("今電話つながる?") == (Intent.HOURS,)
    for n in range(REMEMBERED_TEXTS + 10):
        rules.detect(f"質問{n}")
    assert len(rules._detected) <= REMEMBERED_TEXTS
    long_text = "オペレーターにつないで" + "あ" * REMEMBERED_CHARS
    assert rules.detect(long_text) == (Intent.HANDOFF,)
    assert long_text not in rules._detected


def test_answers_that_do_not_depend_on_the_moment_are_remembered_and_hours_never(responder: Responder) -> None:
    faq = responder.answer("パスワードを忘れた", TUE_1030)
    assert responder.answer("パスワードを忘れた", SAT_1100) is faq  # a button tapped again
    assert responder.answer("パスワードを忘れた", TUE_1030, top=5) is not faq  # another ranking asked for
    open_now = responder.answer("今電話つながる?", TUE_1030)
    closed = responder.answer("今電話つながる?", SAT_1100)
    assert open_now.intent is closed.intent is Intent.HOURS
    assert open_now.reply.text != closed.reply.text  # live, every time
    person = [responder.answer("オペレーターにつないで", at).reply.text for at in (TUE_1030, SAT_1100)]
    assert person[0] != person[1]
    for n in range(REMEMBERED_ANSWERS + 10):
        responder.answer(f"入金{n}", TUE_1030)
    assert len(responder._remembered) <= REMEMBERED_ANSWERS


def test_a_title_two_entries_share_is_left_to_the_ranking(responder: Responder) -> None:
    entries = [{"id": key, "questions": {"ja": ["送金の上限を知りたい"]}, "answer": {"ja": key}} for key in "ab"]
    twins = Responder(Matcher(parse(json.dumps({"entries": entries})), compiled=False), SupportHours(), responder.rules)
    answer = twins.answer("送金の上限を知りたい", TUE_1030)
    assert answer.match.decision is Decision.CLARIFY
    assert answer.faq_id == "a" and answer.score == 1.0  # the first of the two, with its score


def test_intents_read_a_long_message_to_its_request_but_not_without_end(responder: Responder) -> None:
    request = "オペレーターにつないでください"
    assert responder.answer("入金の件です。" * 600 + request, TUE_1030).intent is Intent.HANDOFF  # 4,200 characters
    assert responder.answer("あ" * INTENT_CHARS + request, TUE_1030).intent is not Intent.HANDOFF
