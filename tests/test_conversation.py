from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from faq.model import KnowledgeBase
from handlers.conversation import Conversation
from handlers.hours import TOKYO, SupportHours
from handlers.messages import ConversationKey, Incoming, Kind
from handlers.responder import Responder
from tests.conftest import SAT_1100, TUE_1030, Converse


async def test_faq_answer_carries_the_seed_facts(converse: Converse) -> None:
    [reply] = await converse("入金が反映されない")
    assert reply.intent == "faq" and reply.faq_id == "deposit-not-reflected"
    assert "振込明細" in reply.text and "スクリーンショット" in reply.text
    assert "お問い合わせフォーム" in reply.text
    labels = [q.label for q in reply.quick_replies]
    assert "受付時間" in labels and "オペレーターと話す" in labels
    assert len(reply.quick_replies) <= 13


async def test_english_question_gets_english_answer(converse: Converse) -> None:
    [reply] = await converse("I forgot my password")
    assert reply.faq_id == "forgot-password"
    assert "verification code" in reply.text
    assert "Support hours" in [q.label for q in reply.quick_replies]


async def test_hours_while_open(converse: Converse) -> None:
    [reply] = await converse("今電話つながる?", at=TUE_1030)
    assert reply.intent == "hours"
    assert "電話サポートは現在受付中です(17:00まで)" in reply.text
    assert "チャットサポートは現在受付中です(17:00まで)" in reply.text


async def test_hours_on_saturday_give_the_next_opening(converse: Converse) -> None:
    [reply] = await converse("今電話つながる?", at=SAT_1100)
    assert "本日は土曜日のため休業日です" in reply.text
    assert "電話サポートは現在受付時間外です。次の受付開始は11月30日(月) 9:00です" in reply.text
    assert "次の受付開始は11月30日(月) 10:00です" in reply.text


async def test_hours_on_a_holiday_name_it(converse: Converse) -> None:
    [reply] = await converse("受付時間を教えて", at=datetime(2026, 11, 23, 11, 0, tzinfo=TOKYO))
    assert "祝日(勤労感謝の日)" in reply.text
    assert "11月24日(火) 9:00" in reply.text


@pytest.mark.parametrize(
    ("day", "text", "said"),
    [
        (date(2026, 11, 23), "今電話つながる?", "本日は祝日(勤労感謝の日)のため休業日です。"),
        # A substitute or citizens' holiday is a day off by law, not a 祝日 of its own.
        (date(2026, 5, 6), "今電話つながる?", "本日は振替休日のため休業日です。"),
        (date(2026, 9, 22), "今電話つながる?", "本日は国民の休日のため休業日です。"),
        (date(2026, 12, 30), "今電話つながる?", "本日は休業日です。"),  # configured (SUPPORT_CLOSED_DATES)
        # In English, holidays have their English names.
        (
            date(2026, 11, 23),
            "is phone support open now?",
            "Today is a closing day (Japanese holiday: Labor Thanksgiving Day).",
        ),
        (
            date(2027, 3, 22),
            "is phone support open now?",
            "Today is a closing day (Japanese holiday: Substitute Holiday).",
        ),
        (date(2026, 12, 30), "is phone support open now?", "Today is a scheduled closing day."),
    ],
)
def test_a_closed_day_is_named_in_the_customers_language(responder: Responder, day: date, text: str, said: str) -> None:
    closing = SupportHours.with_closed_dates([date(2026, 12, 30)])
    answer = Responder(responder.matcher, closing, responder.rules).answer(text, datetime.combine(day, time(11), TOKYO))
    assert answer.reply.text.splitlines()[0] == said


async def test_hours_before_chat_opens(converse: Converse) -> None:
    [reply] = await converse("チャットは今開いてる?", at=datetime(2026, 11, 24, 9, 30, tzinfo=TOKYO))
    first, second = reply.text.splitlines()[:2]
    assert first == "チャットサポートは現在受付時間外です。次の受付開始は11月24日(火) 10:00です。"
    assert second == "電話サポートは現在受付中です(17:00まで)。"


async def test_hours_in_english(converse: Converse) -> None:
    [reply] = await converse("are you open now?", at=SAT_1100)
    assert reply.intent == "hours"
    assert "Phone support is closed now. It next opens Mon 30 Nov at 9:00 JST." in reply.text


async def test_handoff_request_explains_how_to_reach_a_person(converse: Converse) -> None:
    [reply] = await converse("オペレーターと話したい", at=TUE_1030)
    assert reply.intent == "handoff"
    assert "チャットアイコン" in reply.text
    [closed] = await converse("talk to a human", at=SAT_1100)
    assert closed.intent == "handoff"
    assert "closed now" in closed.text and "inquiry form" in closed.text


@pytest.mark.parametrize(
    ("text", "intent"),
    [("こんにちは", "greeting"), ("hello", "greeting"), ("ありがとう!", "thanks"), ("thanks", "thanks")],
)
async def test_small_talk(converse: Converse, text: str, intent: str) -> None:
    [reply] = await converse(text)
    assert reply.intent == intent
    assert reply.faq_id is None


@pytest.mark.parametrize(
    "text",
    [
        "are you a bot?",  # not the API entry, which trading bots pull towards
        "hi, are you a bot?",
        "are you a bot? 😅",
        "ボットですか？🤔",
        "すみません、これってボットですか？",
        "ボットですか笑",
        "これって人間が返信してる？",
        "AIなの？",
        "あなたは人間ですか",
        "人間ですか？",
        "人間の方ですか？",
        "これって本物の人？",
        "自動ですか？",
        "誰が返信してるの？",
        "人間が答えてるの？",
        "ボットか人間か",
        "am i talking to a robot",
        "am i talking to a human?",
        "is this a real person?",  # asks what this is; it does not ask for one
        "who am i talking to?",
        "bot or human?",
        "こんにちは、ボットですか？",
        "ボット？笑",
        "ボットじゃないよね？",
        "本当に人間ですか？",
        "あなたは誰？",
        "このチャットは有人ですか？",
        "にんげんのかたですか？",  # kana alone
        "you're a bot?",
        "is this chat automated?",
        "is this an automated reply?",
        "are you a bot or not?",
        "hi there, are you a bot?",
        "excuse me, are you human?",
        "AIと話してるの？",  # whom the customer is talking to
        "今ボットとやり取りしてる？",
        "人と話してるの？",
    ],
)
async def test_asked_what_it_is_the_bot_says_so_and_how_to_reach_a_person(converse: Converse, text: str) -> None:
    [reply] = await converse(text, at=TUE_1030)
    assert reply.intent == "greeting" and reply.faq_id is None
    assert "自動でお答えする" in reply.text or "answering automatically" in reply.text  # not the greeting's
    assert not reply.text.startswith(("はい", "Yes"))  # "are you human?" is not answered yes
    assert {"オペレーターと話す", "Talk to a person"} & {q.label for q in reply.quick_replies}


@pytest.mark.parametrize(
    ("text", "intent", "faq_id"),
    [
        ("APIでbot作れる？", "faq", "api-usage"),  # a trading bot
        ("自動売買botは使える？", "faq", "api-usage"),
        ("AIで自動売買したい", "faq", "api-usage"),
        ("bot", "faq", "api-usage"),  # a bare keyword is the API's, not a question about us
        ("botです", "faq", "api-usage"),  # not a question
        ("自動bot", "faq", "api-usage"),  # two bot words are not "bot or human?"
        ("AI bot", "fallback", None),
        ("チャットボット", "faq", "chat-support"),
        ("人に代わって", "handoff", None),
        ("ボットですか？人と話したい", "handoff", None),  # asks for a person as well
        ("is this a real person? I need help with a withdrawal", "handoff", None),
        ("are you open?", "hours", None),
        ("人です", "fallback", None),  # a statement, not a question
    ],
)
async def test_what_only_mentions_a_bot_or_a_person_is_answered_as_before(
    converse: Converse, text: str, intent: str, faq_id: str | None
) -> None:
    [reply] = await converse(text, at=TUE_1030)
    assert (reply.intent, reply.faq_id) == (intent, faq_id)


@pytest.mark.parametrize(
    "text", ["is this real?", "are you real?", "AI人", "自動の", "あの人ですか？", "誰か", "どなたか？"]
)
async def test_a_message_near_the_question_what_it_is_is_not_taken_for_it(converse: Converse, text: str) -> None:
    [reply] = await converse(text, at=TUE_1030)  # whether something is genuine; fragments; "somebody!"
    assert "自動でお答えする" not in reply.text and "answering automatically" not in reply.text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("ありがとうございました!", "thanks"),
        ("こんにちは、元気?", "greeting"),
        # A question inside: an answer or the menu, never "you're welcome".
        ("Hi, will it rain in Tokyo tomorrow? Thanks!", None),
        ("こんにちは、明日の東京の天気はどうですか?ありがとう", None),
    ],
)
async def test_thanks_or_greeting_around_a_question_is_not_small_talk(
    converse: Converse, text: str, intent: str | None
) -> None:
    [reply] = await converse(text)
    if intent is None:
        assert reply.intent in ("faq", "fallback")
    else:
        assert reply.intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("たんとうしゃ", "handoff"),  # one word, in hiragana
        ("オペレーターお願いします", "handoff"),
        ("担当の方におつなぎいただけますか", "handoff"),
        ("いまでんわ うけつけてる?", "hours"),
        ("open on national holidays?", "hours"),
        ("担当者の名前を教えて", "fallback"),  # about staff, not asking for one
        ("今電話やってる?", "hours"),
        ("いますぐ電話つながる?", "hours"),
        ("いまでんわつうじる？", "hours"),  # 通じる, in kana
        ("土日もチャット通じますか", "hours"),
        ("今の説明じゃ意味が通じないんだけど", "fallback"),  # a sense that does not get through, no channel
        ("電話って今通じますか", "hours"),
        ("チャットで英語は通じますか", "fallback"),  # whether English gets through, not the channel
        ("サポートに何度説明しても話が通じない", "fallback"),
        ("電話番号が通じないんですが", "faq"),  # the number, not whether the line is open
        ("電話は夜でも通じますか", "hours"),
        ("18時以降って電話まだ通じる？", "hours"),
        ("電話、今通じる？", "hours"),
        ("電話の担当者、日本語が通じない", "fallback"),
        # います of a polite ending is no "now", and "now" does not reach into the next sentence.
        ("自分で調べようと思っています。公式サイトを開いたけどヘルプの記事はどこ?", "faq"),
        ("今は自宅です。アプリを開いても二段階認証のコードが来ない", "faq"),
        ("でんわさぽーとどうやって使う", "faq"),  # how to use it, not whether it is open
        ("朝から何回やっても買い注文がエラーになる", "faq"),  # tried many times, not "are you open"
        ("日曜もやってない?", "hours"),
        ("ｻﾎﾟｰﾄ ｲﾏ ｴｲｷﾞｮｳﾁｭｳ?", "hours"),  # half-width kana of 営業中
        ("恐れ入りますが、係の方に代わっていただけますでしょうか。", "handoff"),
        ("stop the bot, get me a staff member", "handoff"),
        ("transfer me to a customer service rep", "handoff"),
        ("operatorにつないでplease", "handoff"),
        ("can i call you now?", "hours"),
        ("business hours", "hours"),
        ("今から電話したらまだ間に合いますか?", "hours"),
        ("when does the chat open?", "hours"),
        ("電話あいてる?", "hours"),  # 開いてる written in kana
        ("えいぎょうじかんおしえて", "hours"),
        ("r u open now", "hours"),
        ("チャットっていつから?", "hours"),  # the channel first, then when
        ("でんわ いつまで", "hours"),
        ("今から電話して出てくれる?", "hours"),  # will someone answer if I call now
        ("17時過ぎたらもうチャット無理?", "hours"),  # a clock time, then the channel
        ("18時以降でも電話できる?", "hours"),
        ("17時過ぎに入金したのに反映されない", "faq"),  # a clock time, no channel: not our hours
        ("17時過ぎに出金したのにまだ対応されていない", "faq"),
        ("10時過ぎにチャットで問い合わせたけど返事がない", "faq"),  # an inquiry sent then, not our hours
        ("is someone working on my case today? my withdrawal is still pending", "faq"),
        ("I need to speak with a manager at my company before opening a corporate account", "fallback"),
        ("should I escalate this to my bank's support team?", "fallback"),
        ("escalate this to staff please", "handoff"),
        ("let me speak to your manager", "handoff"),
        ("real human please", "handoff"),
        ("can i get an agent? this bot isn't helping", "handoff"),
        ("can I get an agent's referral code for signing up?", "fallback"),  # a thing of an agent's, not a person
        ("can we get a human to look at this withdrawal?", "handoff"),
        ("can I have a staff discount?", "fallback"),  # a thing of the staff's, not a person
        ("can i get a human readable export of my trades", "fallback"),
        ("can I get a person to person transfer", "faq"),
        ("can i get an agent-assisted account opening", "faq"),
        ("could I speak to a representative please", "handoff"),
        ("Can I have a person look at my account?", "handoff"),
        ("can I have a staff member call me", "handoff"),
        ("Can I get an agent about my locked account", "handoff"),
        ("can I get an agent code for the affiliate program", "fallback"),
        ("can we have a human review process for withdrawals?", "faq"),  # a process, not a person now
        ("Can I get a rep for my referral code", "faq"),
        ("Can I get an agent for help with my withdrawal?", "handoff"),
        ("can I have a person review my account?", "handoff"),
        ("I need a person", "handoff"),
        ("human or bot? I need a person", "handoff"),
        ("need human help", "handoff"),
        ("do I need a person present for the video check?", "fallback"),  # a question, not a request
        ("Do I need a person to witness the KYC video?", "fallback"),
        ("I need a person to co-sign", "fallback"),  # a third party, not our staff
        ("we want an agent to list our token", "fallback"),
        ("we need an agent code", "fallback"),
        ("Need an agent pls", "handoff"),
        ("I need a person not a bot", "handoff"),
        ("no human help needed, thanks", "thanks"),
        ("real people reviews of this exchange?", "fallback"),
        ("is anyone there right now", "hours"),
        ("is anyone there", "handoff"),  # no when: not our hours, but somebody wanted (as 誰かいますか)
        ("今日はまだ担当者が対応できますか", "hours"),  # staff as the subject is still our hours
        ("can i call right now", "hours"),
        ("human pls", "handoff"),
        ("今から電話しても大丈夫ですか", "hours"),  # may I call now
        ("受付ってもう終わった？", "hours"),  # closed for the day already?
        ("今日はもう電話おわった？", "hours"),  # the day first, then the channel
        ("今日はもう入金の処理終わった?", "faq"),  # a deposit processed yet (the deposit entry), not our desk
        ("キャンペーンはもう受付終了ですか?", "fallback"),  # a campaign's applications, not our desk
        ("友達紹介キャンペーンってまだやってる?", "fallback"),  # a campaign's period, not our hours
        ("is the promo still running today?", "fallback"),
        ("キャンペーン中も電話サポートやってる?", "hours"),  # our channel, during a campaign
        ("キャンペーン期間中って土日も営業してますか?", "hours"),  # our business, during a campaign
        ("what are your hours during the campaign?", "hours"),
        ("年末セールってまだやってる?", "fallback"),
        ("is the airdrop still open today?", "fallback"),
        ("キャンセルしたいんだけど今日何時まで対応してる?", "hours"),  # キャンセル is not a sale (セール folds to セル)
        ("IEOの抽選、もう受付終わったの?", "fallback"),
        ("アプリの更新もう終わった?", "fallback"),  # something else finished, not our desk
        ("今から電話番号を変えてもいい?", "faq"),  # changing a number, not calling us
        ("電話はもうしましたがまだ入金が反映されません", "faq"),  # already called: not asking our hours
        ("チャットはもう終わりで大丈夫です", "fallback"),  # done chatting
        ("今チャットで聞いてもいいですか", "faq"),  # asking here, not whether chat is open
        ("電話の受付はもう終了しましたか", "hours"),
        ("お昼休みもチャット対応してる？", "hours"),
        ("いま チャット 対応中？", "hours"),  # a channel, then 対応中 as a question: open now?
        ("電話って対応中ですか", "hours"),
        ("チャットって今対応中？", "hours"),
        ("電話対応中でしょうか", "hours"),
        ("チャット、対応中？", "hours"),
        ("今日チャット対応中ですか？", "hours"),
        ("サポート対応中から変わりません", "fallback"),  # から is no question
        ("問い合わせ、今サポート対応中ですか？", "faq"),  # the inquiry's status, not the channel
        ("問い合わせしました。サポート対応中ですか？", "faq"),  # the status, in the next sentence
        ("チャット対応中ですか😅", "hours"),
        ("チャットの問い合わせがまだ対応中です", "fallback"),  # an inquiry still handled, not the channel
        ("問い合わせのステータスがサポート対応中", "fallback"),  # an inquiry's status
        ("先週問い合わせたのにまだサポート対応中？", "faq"),
        ("まだサポート対応中ですか？もう3日経ってます", "fallback"),
        ("昼休みも電話つながる?", "hours"),
        ("お昼に問い合わせフォームから送ったけど返事が来ない", "faq"),  # at lunch, not about lunch hours
        # A complaint about a contact at lunch: tips on contacting us (support-tips), not lunch hours.
        ("昼休みにサポートに連絡したのに対応してもらえない", "faq"),
        ("土日は電話番号にかけても出ない?", "hours"),  # calling the number, at the weekend
        ("問い合わせはいつまでに返事が来る?", "fallback"),  # by when, a reply: not our hours
        ("夜に問い合わせたけど返事がない", "fallback"),  # sent at night: about the reply, not our hours
        ("土日に問い合わせしたのに返信が来ない", "faq"),  # the inquiry form's answer
        ("土日に問い合わせしたら返事はいつ来る?", "hours"),
        ("夜も問い合わせできますか", "hours"),
        ("夜に問い合わせしましたが返事がない", "fallback"),  # polite past
        ("週末に問い合わせてますが返事がない", "fallback"),  # already waiting on one
        ("土日に問い合わせたら返事はいつ来る?", "hours"),  # if I write at the weekend: as したら
        ("サポートの方に引き継いでもらえますか", "handoff"),
        ("担当者とやり取りさせてください", "handoff"),
        ("もう機械はいいので人に対応してもらいたい", "handoff"),
        ("サポートの人とやり取りする時に気をつけることある?", "faq"),  # no request for a person
        ("my app crashes when I open it, how do I fix this?", "fallback"),  # not our opening
        ("I'd like a human", "handoff"),
        ("I’d like a real person please", "handoff"),
        ("I'd like a person-to-person transfer", "fallback"),  # a kind of transfer, not a person
        ("誰かいますか?", "handoff"),  # is anybody there: a person is wanted
        ("だれもいないの？", "handoff"),
        ("同じ症状の人誰かいますか", "fallback"),  # asking other customers, not for staff
        # LINE before one of our channels is the way in, not a company whose hours are asked.
        ("LINEチャット対応中ですか?", "hours"),
        ("LINEの問い合わせは土日もやってる？", "hours"),
        ("ＬＩＮＥの問い合わせは何時まで", "hours"),
        ("LINE support hours?", "hours"),
        ("LINEのチャットで三井住友の営業時間", "fallback"),  # through LINE, but a bank's hours
        ("LINE Payの営業時間", "fallback"),  # LINE Pay's hours
        ("LINEで週末に送ったら返事は月曜になる?", "hours"),  # LINE as the medium of a message
        ("誰かいませんか?助けてください", "handoff"),  # asked first, then more said
        ("スタッフの方いますか?困ってます", "handoff"),
        ("is anybody there? I need help", "handoff"),
        ("is anyone there right now?", "hours"),  # with "right now" it asks whether we are open
        ("can a staff member help me?", "handoff"),
        ("can a staff discount apply?", "fallback"),
        ("夜中でも返事くれるの?", "hours"),  # whether an answer comes at night
        ("振替休日もお休みですか", "hours"),
        ("年末年始の受付はどうなってますか", "hours"),  # New Year owns nothing: our desk's hours
        ("祝日って休み？", "hours"),
        ("土日は取引お休み?", "fallback"),  # trading, not our desk
        ("can I call at 8am?", "hours"),
        ("can I call you before 9am?", "hours"),
        ("does the LINE support reply at night?", "hours"),
        # Near them, and not about our desk's hours or a person:
        ("Is trading available at night?", "faq"),  # trading, at night
        ("Can I contact support at 2 different emails?", "faq"),  # a number, not a clock time
        ("週末に連絡したら返事来なかったんだけど", "fallback"),  # a reply that did not come
        ("土日も審査の回答来るの?", "fallback"),  # the review's answer, not our desk's
        ("Would an agent contact me asking for my password?", "fallback"),  # about scams
        ("LINEのパスワード忘れた、LINEのサポートは何時まで?", "fallback"),  # LINE's own desk
        ("出金先の銀行から振込が確認できないと言われた", "fallback"),  # a withdrawal's bank, not a deposit
        ("出金先に登録した銀行から振込が確認できないと言われた", "fallback"),
        ("Thank you! Is trading available at night?", "fallback"),  # "you" in another sentence
        ("Can you help? Is trading available at night?", "faq"),
        ("週末に連絡したら返事は来ませんでした", "fallback"),
        ("土日もKYCの回答来るの?", "faq"),
        ("Could an agent contact us please?", "handoff"),
        ("Can one of your agents help me?", "handoff"),
        ("İ LINEの問い合わせは何時まで?", "hours"),  # İ lengthens when lower-cased: the cut still holds
        ("法人LINEでの問い合わせとLINEのサポートは何時まで?", "hours"),
        ("週末に連絡したら返事はもらえませんか?", "hours"),  # a question, though negative
        ("週末に連絡したら返事なしですか?", "hours"),
        ("週末に連絡したら返信が3日経っても来ない", "fallback"),  # a complaint, further on
        ("Thank you, is trading available at night?", "fallback"),
        ("Can an agent help me for my withdrawal?", "handoff"),
        ("Can a person contact me if they know my wallet address?", "fallback"),  # about scams
        ("Could your staff contact me pretending to be support?", "faq"),
        ("Could an agent call me and request my password?", "fallback"),
        ("出金用の銀行から送金したのに反映されない", "faq"),  # sent from that bank: a deposit
        ("出金先のネットバンキングから振込が確認できないと言われた", "fallback"),
        ("ニトリのLINEチャットは何時まで?", "fallback"),  # another company's LINE desk
        ("三井住友のLINEで問い合わせできるのは何時まで?", "fallback"),
        ("Is Nitori LINE support open on weekends?", "fallback"),
        ("週末に連絡したら返事がない", "fallback"),  # a complaint
        ("友だち登録したんですけど、土日も返事くれるの?", "hours"),  # a lead-in clause does not stop it
        ("出金について聞きたいんですが、土日も返事もらえるの?", "hours"),
        ("Can your staff contact me via LINE to ask for my seed phrase?", "fallback"),  # a scam, further on
        ("Can a human call me?", "handoff"),
        ("What can an agent help me with?", "fallback"),
        ("出金した銀行から送金が確認できないと言われた", "faq"),  # the bank a withdrawal went to
        ("御社のLINEの問い合わせは何時まで?", "hours"),  # 御社の points at us, it owns nothing
        ("そちらのLINEの問い合わせは土日もやってる?", "hours"),
        ("出金についてのLINEの問い合わせは土日もやってる?", "hours"),
        ("Can a staff member call me, I forgot my password", "handoff"),  # asks to be called
        ("Can an agent call me about my withdrawal request?", "handoff"),
        ("週末に連絡したら返事が 来ない", "fallback"),  # a complaint, past a space
        ("Can an agent call me asking my password?", "fallback"),  # about scams
        ("Could your staff contact me on Telegram for my seed phrase?", "fallback"),
        ("ニトリ宛てのLINEの問い合わせは何時まで?", "fallback"),  # addressed to ニトリ: theirs
        ("初めてのLINEの問い合わせですが土日もやってる?", "hours"),  # 初めての owns nothing
        ("出金に対してのLINEの問い合わせは土日もやってる?", "hours"),
        ("Can an agent call me for a password reset?", "handoff"),  # help, not a scam
        ("Could an agent call me for help with my 2FA?", "handoff"),
        ("Can an agent call me for my 2FA code?", "faq"),  # for my code: a scam question
        ("出金先のゆうちょから連絡がない", "faq"),  # the withdrawal's bank: a withdrawal
    ],
)
async def test_requests_for_a_person_and_for_hours_in_their_spellings(
    converse: Converse, text: str, intent: str
) -> None:
    replies = await converse(text, at=TUE_1030)
    assert replies[0].intent == intent


async def test_greeting_with_a_question_answers_the_question(converse: Converse) -> None:
    [reply] = await converse("こんにちは、パスワードを忘れました")
    assert reply.faq_id == "forgot-password"


async def test_ambiguous_question_offers_candidates(converse: Converse) -> None:
    [reply] = await converse("お金")
    assert reply.text.startswith("もしかして")
    assert len([q for q in reply.quick_replies if q.label not in ("受付時間", "オペレーターと話す")]) >= 2


async def test_tapping_a_suggestion_answers_that_entry(converse: Converse) -> None:
    [reply] = await converse("お金")
    [tapped] = await converse(reply.quick_replies[1].text)
    assert (tapped.intent, tapped.faq_id) == ("faq", "deposit-not-reflected")
    assert reply.quick_replies[1].label == "入金が反映されない"


@pytest.mark.parametrize("text", ["", "   ", "🙏🙏", "\x00\x01", "?!", "あ" * 10_000, "zzzz"])
async def test_odd_input_gets_a_polite_fallback(converse: Converse, text: str) -> None:
    [reply] = await converse(text)
    assert reply.intent in ("fallback", "greeting")
    assert reply.text
    assert reply.quick_replies


async def test_every_menu_title_reaches_its_entry(converse: Converse, kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        for lang in ("ja", "en"):
            [reply] = await converse(entry.title_in(lang))
            assert (reply.intent, reply.faq_id) == ("faq", entry.id), (lang, entry.title_in(lang))


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("My withdrawal has been pending for 48 hours", "withdrawal-delayed"),
        ("何時までに出金申請すれば当日着金しますか", "withdrawal-delayed"),
        ("my deposit has been stuck for hours", "deposit-not-reflected"),  # a duration, not opening hours
        # Something else of the channel's that will not open is a problem, not a question of hours.
        ("チャットのアイコンがあいてない", "chat-support"),
        ("チャットの画面が開いてないみたい", "chat-support"),
        # The number and the form are things, whenever they are asked for.
        ("朝から問い合わせフォームを探してるんだけどどこ?", "contact-form"),
        ("週末の電話番号を教えて", "phone-support"),
    ],
)
async def test_a_time_in_a_question_about_something_else_is_not_an_hours_question(
    converse: Converse, text: str, faq_id: str
) -> None:
    [reply] = await converse(text)
    assert (reply.intent, reply.faq_id) == ("faq", faq_id)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("にんげんにたいおうしてほしい", "handoff"),
        ("なかのひといますか", "handoff"),
        ("せきにんしゃをだして", "handoff"),
        ("たんとうのかたにかわってもらえますか", "handoff"),
        ("きょうはえいぎょうしてますか", "hours"),
        ("まどぐちはいまあいてる?", "hours"),
        ("ほんじつはたいおうしてますか", "hours"),
        ("ねんまつねんしのたいおうは?", "hours"),
        ("ぎんこうのまどぐちってなんじまで?", "fallback"),  # a bank's hours, in kana too
        ("よるでもいいんですけど、でんわのうけつけじかんは?", "hours"),  # いいん is not 医院
        ("土日もやっtてる?", "hours"),  # a romaji leftover (っt) does not hide the question
        ("おぺれーたーにつないdでください", "handoff"),
    ],
)
async def test_requests_and_hours_written_all_in_kana(converse: Converse, text: str, intent: str) -> None:
    [reply] = await converse(text, at=TUE_1030)
    assert reply.intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "サポートの方に相談する時のコツは?",  # about support's people, not asking for one
        "サポートの方から連絡が来ない",
        "口座開設は本人に対応してもらう必要がありますか",  # 本人, not a person to talk to
        "代理人に対応してもらえますか",
        "文字で担当の方とその場でやり取りできる方法はありますか",  # asks for the chat, a channel
    ],
)
async def test_people_named_in_a_question_are_not_a_request_for_one(converse: Converse, text: str) -> None:
    [reply] = await converse(text, at=TUE_1030)
    assert reply.intent != "handoff"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("郵便局の営業時間", "fallback"),
        ("佐川の荷物、不在票きてたけど電話何時まで?", "fallback"),  # names another company (others:)
        ("近くのセブンの営業時間", "fallback"),
        ("市役所の窓口って何時まで開いてる?", "fallback"),
        # A place with hours of its own, named without a possessive.
        ("区役所って土曜も開いてる?", "fallback"),
        ("病院って何時まで?", "fallback"),
        ("東証って何時から?", "fallback"),
        ("is the bank open on saturday?", "fallback"),
        ("Kraken help center link", "fallback"),  # a name, then a phrase the synonyms know
        # Ours: the same words with no stranger owning them.
        ("電話サポートの営業時間", "hours"),
        ("窓口って何時まで開いてる?", "hours"),
        ("土曜もチャットやってる?", "hours"),
        ("is phone support open on saturday?", "hours"),
    ],
)
async def test_someone_elses_opening_hours_are_not_ours(converse: Converse, text: str, intent: str) -> None:
    [reply] = await converse(text)
    assert reply.intent == intent


async def test_a_closure_without_end_in_sight_still_gets_an_answer(responder: Responder) -> None:
    long_closure = SupportHours.with_closed_dates(date(2026, 11, 24) + timedelta(days=n) for n in range(400))
    closed = Responder(responder.matcher, long_closure, responder.rules)
    reply = closed.answer("今電話つながる?", TUE_1030).reply
    assert "再開日はまだ決まっていません" in reply.text


@pytest.mark.parametrize(
    ("payload", "intent", "faq_id", "snippet"),
    [
        ("faq:two-factor-auth", "faq", "two-factor-auth", "二段階認証"),
        ("faq:two-factor-auth@en", "faq", "two-factor-auth", "two-factor"),
        ("hours", "hours", None, "電話サポートは現在受付中です"),
        ("hours@en", "hours", None, "Phone support is open now"),
        ("handoff", "handoff", None, "担当者"),
        ("menu", "greeting", None, "サポートボット"),
        ("faq:no-such-entry", "greeting", None, "サポートボット"),
        ("", "greeting", None, "サポートボット"),
    ],
)
async def test_actions(responder: Responder, payload: str, intent: str, faq_id: str | None, snippet: str) -> None:
    conversation = Conversation(responder)
    key = ConversationKey("test", "c", "u")
    [reply] = await conversation.handle(Incoming(key, payload, TUE_1030, Kind.ACTION))
    assert (reply.intent, reply.faq_id) == (intent, faq_id)
    assert snippet in reply.text


@pytest.mark.parametrize(("kind", "snippet"), [(Kind.FOLLOW, "サポートボット"), (Kind.MEDIA, "文字で")])
async def test_follow_and_media(responder: Responder, kind: Kind, snippet: str) -> None:
    [reply] = await Conversation(responder).handle(Incoming(ConversationKey("t", "c", "u"), "", TUE_1030, kind))
    assert snippet in reply.text and reply.quick_replies


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("出金用の銀行から送金したのに反映されない", "deposit-not-reflected"),  # sent from that bank: a deposit
        ("出金した銀行から送金が確認できないと言われた", "withdrawal-delayed"),
        ("Could your staff contact me pretending to be support?", "support-tips"),
        ("Can you help? Is trading available at night?", "cannot-trade"),
        ("銀行から送金したけど日本円が口座に入ってこない", "deposit-not-reflected"),
        ("出金用の銀行から振り込みましたが口座に反映されない", "deposit-not-reflected"),
        ("出金した銀行から入金が確認できないと言われた", "withdrawal-delayed"),  # the veto sets no direction
        ("出金先のネットバンクから通知がこない", "withdrawal-delayed"),
    ],
)
async def test_near_the_new_patterns_the_entry_still_answers(converse: Converse, text: str, faq_id: str) -> None:
    [reply, *_] = await converse(text, at=TUE_1030)
    assert (reply.intent, reply.faq_id) == ("faq", faq_id)
