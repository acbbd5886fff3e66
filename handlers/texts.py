"""The bot's own wording in Japanese and English (FAQ answers come from the knowledge base)."""

from __future__ import annotations

from datetime import datetime

from handlers.hours import ChannelStatus, SupportHours

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
        "menu_hours": "受付時間",
        "menu_handoff": "オペレーターと話す",
        "open_now": "{name}は現在受付中です({close}まで)。",
        "closed_now": "{name}は現在受付時間外です。次の受付開始は{next}です。",
        "closed_unknown": "{name}は現在受付時間外です。再開日は公式サイトのお知らせをご確認ください。",
        "closed_today": "本日は{reason}のため休業日です。",
    },
    "en": {
        "greeting": (
            "Hello, this is the support bot. I can help with account opening, deposits and withdrawals, "
            "trading, passwords, two-factor authentication, the API, security, and how to contact us. "
            "What would you like to know?"
        ),
        "thanks": "You're welcome. If anything else is unclear, just ask.",
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
        "menu_hours": "Support hours",
        "menu_handoff": "Talk to a person",
        "open_now": "{name} is open now (until {close} JST).",
        "closed_now": "{name} is closed now. It next opens {next} JST.",
        "closed_unknown": "{name} is closed now. Please check the official website for when it reopens.",
        "closed_today": "Today is a closing day ({reason}).",
    },
}

HOLIDAY_REASON_EN = {"土曜日": "Saturday", "日曜日": "Sunday", "休業日": "scheduled closing day"}


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
        lines.append(closed_day_line(lang, reason))
    lines.extend(channel_line(lang, status) for status in statuses)
    return lines


def hours_text(lang: str, hours: SupportHours, at: datetime, first: str | None = None) -> str:
    """The live status of every channel plus the standing hours; `first` names a channel to lead."""
    statuses = sorted(hours.statuses(at), key=lambda s: s.channel.name != first)
    return "\n".join([*status_lines(lang, statuses), text(lang, "hours_rules")])


def closed_day_line(lang: str, reason: str) -> str:
    """Why today is closed, holidays named."""
    if lang == "en":
        reason = HOLIDAY_REASON_EN.get(reason, f"Japanese public holiday: {reason}")
    elif reason not in ("土曜日", "日曜日", "休業日"):
        reason = f"祝日({reason})"
    return text(lang, "closed_today").format(reason=reason)
