"""The bot's own wording in Japanese and English (FAQ answers come from the knowledge base)."""

from __future__ import annotations

from datetime import date, datetime

from handlers.hours import CITIZENS, SUBSTITUTE, ChannelStatus, SupportHours, holiday_name

WEEKDAYS = {"ja": "月火水木金土日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}

CHANNEL_NAMES = {
    "ja": {"phone": "電話サポート", "chat": "チャットサポート"},
    "en": {"phone": "Phone support", "chat": "Chat support"},
}

TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "greeting": (
            "こんにちは。サポートボットです。口座開設、入出金、取引、パスワード、二段階認証、API、"
            "セキュリティ、お問い合わせ方法についてお答えします。ご質問をどうぞ。"
        ),
        "thanks": "どういたしまして。ほかにご不明な点があれば、いつでもお気軽にどうぞ。",
        "about_bot": (
            "こちらは自動でお答えするサポートボットです。口座開設、入出金、取引、パスワード、二段階認証、API、"
            "セキュリティ、お問い合わせ方法についてお答えします。担当者と話したい場合は「オペレーターと話す」を押してください。"
        ),
        "fallback": (
            "申し訳ありません。ご質問に合う回答が見つかりませんでした。"
            "言い換えてお試しいただくか、下のメニューからお選びください。"
        ),
        "empty": "ご質問を入力してください。例:「入金が反映されない」「パスワードを忘れた」",
        "media": "スタンプや画像などにはお答えできません。ご質問を文字で送っていただくか、下のメニューからお選びください。",
        "suggest": "申し訳ありません。はっきりとはわかりませんでした。もしかして、次のご質問ですか?",
        "clarify": "もしかして、次のどれかについてのご質問ですか?",
        "hours_rules": "受付時間: 電話 平日9:00〜17:00 / チャット 平日10:00〜17:00(土日祝日・当社指定の休業日は休み)",
        "handoff_intro": "担当者とのやり取りをご希望ですね。",
        "handoff_chat_open": "公式サイトの画面右下のチャットアイコンから、担当者とリアルタイムでお話しいただけます。",
        "handoff_phone_open": "お急ぎの場合は電話サポートもご利用いただけます(公式サイト画面下部「ヘルプ」→「電話でのお問い合わせ」)。",
        "handoff_form": "お問い合わせフォーム(公式サイト画面下部「ヘルプ」→「お問い合わせ」)からもご連絡いただけます。",
        "handoff_started": (
            "担当者におつなぎします。チャットサポートの担当者から、このトークで順番にご返信します。"
            "このままお待ちいただき、続けてご用件をお送りください。やめる場合は「終了」と送ってください。"
        ),
        "handoff_leave": (
            "メッセージを残していただければ、受付開始後に担当者が確認してご返信します。"
            "ご用件を1通でお送りください(やめる場合は「キャンセル」)。"
        ),
        "handoff_left": "メッセージを承りました。受付開始後に担当者からご連絡します。",
        "handoff_requeued": "ただいま担当者がつかまりませんでした。お預かりしているメッセージには、担当者から順次ご連絡します。",
        "handoff_slow_down": "メッセージが続いたため、担当者への転送を少しの間止めています。少し時間をおいてからお送りください。",
        "handoff_one_to_one": (
            "担当者とのやり取りは、公式アカウントとの1対1のトークでお願いします。"
            "トーク画面で「オペレーターと話す」とお送りください。"
        ),
        "handoff_not_delivered": "申し訳ありません。担当者にメッセージを届けられませんでした。少し時間をおいて、もう一度お送りください。",
        "handoff_unavailable": (
            "申し訳ありません。ただいま担当者におつなぎできません。お問い合わせフォーム(公式サイト画面下部「ヘルプ」→"
            "「お問い合わせ」)か、電話サポート(平日9:00〜17:00)をご利用ください。"
        ),
        "handoff_leave_cancelled": "メッセージの受付を取り消しました。ほかにご質問があればどうぞ。",
        "handoff_claimed": "担当者が確認しています。少々お待ちください。",
        "handoff_resolved": "お問い合わせありがとうございました。今回の対応はいかがでしたか? 1〜5でお選びください。",
        "handoff_customer_ended": "担当者との会話を終了しました。お問い合わせありがとうございました。今回の対応はいかがでしたか? 1〜5でお選びください。",
        "handoff_expired": (
            "申し訳ありません。ただいま担当者がすぐに対応できない状況です。"
            "お手数ですが、お問い合わせフォーム(公式サイト画面下部「ヘルプ」→「お問い合わせ」)からご連絡ください。"
        ),
        "handoff_rated": "ご評価ありがとうございました。",
        "handoff_offer": "うまくお答えできず申し訳ありません。担当者とお話しになる場合は「オペレーターと話す」を押してください。",
        "masked_warning": (
            "⚠ パスワード・認証コード・秘密鍵・カード番号などは、サポートを含めて誰にも送らないでください。"
            "フィッシング詐欺にご注意ください。送信された内容は伏せて記録しました。"
        ),
        "slow_down": "メッセージを続けて受け取りました。少し時間をおいてから、もう一度お送りください。",
        "cancel": "キャンセル",
        "menu_hours": "受付時間",
        "menu_handoff": "オペレーターと話す",
        "open_now": "{name}は現在受付中です({close}まで)。",
        "closed_now": "{name}は現在受付時間外です。次の受付開始は{next}です。",
        "closed_unknown": "{name}は現在受付時間外で、再開日はまだ決まっていません。お問い合わせフォームをご利用ください。",
        "closed_today": "本日は{reason}のため休業日です。",
        "closed_today_scheduled": "本日は休業日です。",
    },
    "en": {
        "greeting": (
            "Hello, this is the support bot. I can help with account opening, deposits and withdrawals, "
            "trading, passwords, two-factor authentication, the API, security, and how to contact us. "
            "What would you like to know?"
        ),
        "thanks": "You're welcome. If anything else is unclear, just ask.",
        "about_bot": (
            "This is the support bot, answering automatically. I can help with account opening, deposits and "
            "withdrawals, trading, passwords, two-factor authentication, the API, security, and how to contact us. "
            'To talk to a person, tap "Talk to a person".'
        ),
        "fallback": ("Sorry, I could not find an answer to that. Please try rephrasing, or pick a topic below."),
        "empty": 'Please type your question, for example "deposit not showing" or "forgot password".',
        "media": "I cannot read stickers, images or other media. Please type your question, or pick a topic below.",
        "suggest": "Sorry, I am not sure what you mean. Did you mean one of these?",
        "clarify": "Did you mean one of these?",
        "hours_rules": (
            "Hours (JST): phone weekdays 9:00-17:00, chat weekdays 10:00-17:00; "
            "closed on weekends, Japanese public holidays and other announced closing days."
        ),
        "handoff_intro": "You would like to talk to a person.",
        "handoff_chat_open": "Click the chat icon at the bottom right of the official website to chat with an agent in real time.",
        "handoff_phone_open": (
            'If it is urgent, phone support is available too (official website, "ヘルプ" (Help) at the '
            'bottom of the page, then "電話でのお問い合わせ").'
        ),
        "handoff_form": (
            'You can also write to us through the inquiry form (official website, "ヘルプ" (Help) at the '
            'bottom of the page, then "お問い合わせ").'
        ),
        "handoff_started": (
            "Connecting you to our support staff. An agent will reply here in turn; please stay and send "
            'the details of your question. To stop, send "cancel".'
        ),
        "handoff_leave": (
            "You can leave a message and an agent will reply once support opens. Please send it as one "
            'message (or "cancel").'
        ),
        "handoff_left": "Thank you, we have your message. An agent will contact you once support opens.",
        "handoff_requeued": "No agent was free just now. An agent will still reply to the message you left, in turn.",
        "handoff_slow_down": "Many messages came in a row, so passing them to the agent is paused for a moment. Please wait a little before sending more.",
        "handoff_one_to_one": (
            'To talk with an agent, please message our official account one to one and send "Talk to a person" there.'
        ),
        "handoff_not_delivered": "Sorry, your message could not reach the agent. Please wait a moment and send it again.",
        "handoff_unavailable": (
            "Sorry, we cannot connect you to an agent right now. Please use the inquiry form (official website, "
            '"ヘルプ" (Help) at the bottom of the page, then "お問い合わせ") or phone support (weekdays 9:00-17:00 JST).'
        ),
        "handoff_leave_cancelled": "No message was left. Ask me anything else.",
        "handoff_claimed": "An agent is looking at your question. Please wait a moment.",
        "handoff_resolved": "Thank you for contacting us. How was our support? Please rate it 1-5.",
        "handoff_customer_ended": "You have ended the conversation with our agent. Thank you. How was our support? Please rate it 1-5.",
        "handoff_expired": (
            "Sorry, no agent can take your question right now. Please write to us through the inquiry form "
            '(official website, "ヘルプ" (Help) at the bottom of the page, then "お問い合わせ").'
        ),
        "handoff_rated": "Thank you for your rating.",
        "handoff_offer": 'Sorry I could not help. To talk to a person, tap "Talk to a person".',
        "masked_warning": (
            "⚠ Never send passwords, verification codes, private keys or card numbers to anyone, support included. "
            "Watch out for phishing. What you sent was hidden before it was recorded."
        ),
        "slow_down": "I have received many messages in a row. Please wait a moment, then send your message again.",
        "cancel": "Cancel",
        "menu_hours": "Support hours",
        "menu_handoff": "Talk to a person",
        "open_now": "{name} is open now (until {close} JST).",
        "closed_now": "{name} is closed now. It next opens {next} JST.",
        "closed_unknown": "{name} is closed now, and when it reopens is not set yet. Please use the inquiry form.",
        "closed_today": "Today is a closing day ({reason}).",
        "closed_today_scheduled": "Today is a scheduled closing day.",
    },
}

WEEKEND_EN = {"土曜日": "Saturday", "日曜日": "Sunday"}


def text(lang: str, key: str) -> str:
    """The bot's wording for `key` in `lang` (Japanese when the language is unknown)."""
    return TEXTS.get(lang, TEXTS["ja"])[key]


def when(lang: str, moment: datetime) -> str:
    """A next-opening time as customers read it: 11月30日(月) 9:00 / Mon 30 Nov at 9:00."""
    day = moment.weekday()
    if lang == "en":
        return f"{WEEKDAYS['en'][day]} {moment.day} {moment:%b} at {moment.hour}:{moment:%M}"
    return f"{moment.month}月{moment.day}日({WEEKDAYS['ja'][day]}) {moment.hour}:{moment:%M}"


def channel_line(lang: str, status: ChannelStatus) -> str:
    """One sentence on one channel's status."""
    name = CHANNEL_NAMES.get(lang, CHANNEL_NAMES["ja"])[status.channel.name]
    if status.open and status.closes_at is not None:
        return text(lang, "open_now").format(name=name, close=f"{status.closes_at.hour}:{status.closes_at:%M}")
    if status.opens_at is None:
        return text(lang, "closed_unknown").format(name=name)
    return text(lang, "closed_now").format(name=name, next=when(lang, status.opens_at))


def status_lines(lang: str, statuses: list[ChannelStatus]) -> list[str]:
    """Why today is closed (if it is), then one line a channel."""
    lines = []
    reason = statuses[0].closed_reason if statuses else None
    if reason:
        lines.append(closed_day_line(lang, reason, statuses[0].at.date()))
    lines.extend(channel_line(lang, status) for status in statuses)
    return lines


def hours_text(lang: str, hours: SupportHours, at: datetime, first: str | None = None) -> str:
    """The live status of every channel plus the standing hours; `first` names a channel to lead."""
    statuses = sorted(hours.statuses(at), key=lambda s: s.channel.name != first)
    return "\n".join([*status_lines(lang, statuses), text(lang, "hours_rules")])


def closed_day_line(lang: str, reason: str, day: date) -> str:
    """Why `day` is closed: a weekend day, a holiday by its name, or a closing day of our own."""
    if reason == "休業日":  # a closed date the operator configured
        return text(lang, "closed_today_scheduled")
    if lang == "en":
        reason = WEEKEND_EN.get(reason) or f"Japanese holiday: {holiday_name(day, 'en') or reason}"
    elif reason not in ("土曜日", "日曜日", SUBSTITUTE, CITIZENS):
        reason = f"祝日({reason})"  # 振替休日 and 国民の休日 are days off by law, not 祝日 of their own
    return text(lang, "closed_today").format(reason=reason)
