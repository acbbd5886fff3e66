"""Decide what to say to one message: intents first, then the FAQ, then a fallback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from faq.analyzer import OTHER_PREFIX
from faq.matcher import Candidate, Decision, Match, Matcher
from faq.model import Entry
from faq.normalize import fold
from handlers import language, texts
from handlers.hours import SupportHours
from handlers.intents import DECISIVE, REMEMBERED_CHARS, Intent, IntentRules
from handlers.messages import QuickReply, Reply

MAX_QUICK_REPLIES = 13
MENU_SIZE = 8
# Longer than this, a message with a question mark is a question even if it greets or thanks.
SMALL_TALK_CHARS = 20
# Answers that do not depend on the moment (all but hours and handoff) are kept for the short
# texts (REMEMBERED_CHARS, as for intents) that quick replies and menu buttons send again and
# again; an Answer is immutable.
REMEMBERED_ANSWERS = 4096
TIMELY = frozenset({Intent.HOURS, Intent.HANDOFF})
# How much of a message the intents read (the matcher reads less: faq.normalize.MAX_QUERY_CHARS).
INTENT_CHARS = 10_000
# The fixed texts of small talk, with the intent each reply carries; any other is a fallback's.
BOT_TEXT = "about_bot"
SMALL_TALK = {
    Intent.GREETING.value: Intent.GREETING.value,
    Intent.THANKS.value: Intent.THANKS.value,
    BOT_TEXT: Intent.GREETING.value,  # what it is talking to: the greeting's introduction, said as an answer
}


@dataclass(frozen=True, slots=True)
class Answer:
    """The full outcome for one message: the reply plus what led to it."""

    query: str
    intent: Intent
    lang: str
    reply: Reply
    match: Match

    @property
    def faq_id(self) -> str | None:
        """The answered entry, when the intent is faq."""
        return self.reply.faq_id

    @property
    def score(self) -> float | None:
        """Score of the answered entry, when the intent is faq."""
        return self.match.score_of(self.faq_id) if self.intent is Intent.FAQ and self.faq_id else None


class Responder:
    """Pure, synchronous answering: text and a moment in, an Answer out."""

    def __init__(self, matcher: Matcher, hours: SupportHours, rules: IntentRules) -> None:
        self.matcher = matcher
        self.hours = hours
        self.rules = rules
        # A tapped suggestion sends an entry's title back: it must reach that entry, always.
        # A title two entries share (a minimal file's first questions may) is left to the ranking.
        titles: dict[str, list[Entry]] = {}
        for entry in matcher.kb.entries:
            for title in dict.fromkeys(fold(entry.title_in(lang)) for lang in ("en", "ja")):
                titles.setdefault(title, []).append(entry)
        self._titles = {title: entries[0] for title, entries in titles.items() if len(entries) == 1}
        self._remembered: dict[tuple[str, int], Answer] = {}

    def answer(self, query: str, at: datetime, top: int = 3) -> Answer:
        """Answer `query` as of `at`, ranking the `top` best entries whatever the intent."""
        key = (query, top)
        found = self._remembered.get(key)
        if found is None:
            found = self._answer(query, at, top)
            if found.intent not in TIMELY and len(query) <= REMEMBERED_CHARS:
                if len(self._remembered) >= REMEMBERED_ANSWERS:
                    self._remembered.clear()
                self._remembered[key] = found
        return found

    def _answer(self, query: str, at: datetime, top: int) -> Answer:
        # Twice LINE's longest message: the intent patterns would take seconds over megabytes.
        text = query[:INTENT_CHARS]
        lang = language.detect(text)
        match = self.matcher.match(text, top=top)
        if not text.strip() or not any(ch.isalnum() for ch in text):
            return Answer(query, Intent.FALLBACK, lang, self.menu(lang, "empty"), match)
        if self.rules.about_the_bot(text):
            # A whole message asking what this is: before the FAQ ("are you a bot?" is not about
            # trading bots and the API) and before a request for a person ("is this a real person?").
            return Answer(query, Intent.GREETING, lang, self.menu(lang, BOT_TEXT), match)
        intents = self.rules.detect(text)
        decisive = [intent for intent in intents if intent in DECISIVE and not self._yields(intent, text, match)]
        if decisive:
            intent = decisive[0]
            reply = self._hours_reply(lang, at, text) if intent is Intent.HOURS else self._handoff_reply(lang, at)
            return Answer(query, intent, lang, reply, match)
        tapped = self._titles.get(fold(text))
        if tapped is not None:
            return Answer(query, Intent.FAQ, lang, self._faq_reply(lang, tapped), match)
        if match.decision is Decision.ANSWER and match.best is not None:
            return Answer(query, Intent.FAQ, lang, self._faq_reply(lang, match.best.entry), match)
        if match.decision is Decision.CLARIFY and match.best is not None:
            return Answer(query, Intent.FAQ, lang, self._clarify_reply(lang, match), match)
        if not _asks_more(text):
            for intent in (Intent.THANKS, Intent.GREETING):
                if intent in intents:
                    return Answer(query, intent, lang, self.menu(lang, intent.value), match)
        return Answer(query, Intent.FALLBACK, lang, self._fallback_reply(lang, match), match)

    def _yields(self, intent: Intent, query: str, match: Match) -> bool:
        """An hours pattern yields in a question about someone else's hours (郵便局の営業時間,
        銀行って何時まで, or naming another company: 佐川の荷物、電話何時まで?), and to a confident FAQ answer about something else ("pending for 48
        hours") unless the message speaks of our support itself."""
        if intent is not Intent.HOURS:
            return False
        ways_in, rest = self.rules.ways_in(query) if match.others else (frozenset(), query)
        others = [name for name in match.others if name.removeprefix(OTHER_PREFIX) not in ways_in]
        stranger = match.stranger
        if match.others and not others and stranger < 1.0:
            # What the way in seems to own (LINEの問い合わせ) is ours: ask again without those
            # mentions of it, so that anything else a stranger owns still counts (LINEで三井住友の
            # 営業時間, or LINE's own password in LINEのパスワード忘れた、LINEのサポートは何時まで?).
            stranger = self.matcher.match(rest).stranger
        if stranger < 1.0 or others or self.rules.elsewhere(query):
            return True
        best = match.best
        return (
            best is not None
            and match.decision is Decision.ANSWER
            and best.score >= match.thresholds.confident
            and not self.rules.about_support(query)
        )

    def entry_reply(self, entry_id: str, lang: str) -> Reply | None:
        """The answer of one entry, for a tapped menu item or a staff lookup."""
        entry = self.matcher.kb.get(entry_id)
        return self._faq_reply(lang, entry) if entry else None

    def _faq_reply(self, lang: str, entry: Entry) -> Reply:
        related = [self.matcher.kb.get(rid) for rid in entry.related]
        buttons = [_entry_button(lang, e) for e in related if e is not None]
        return Reply(entry.answer_in(lang), self._with_staples(lang, buttons), Intent.FAQ.value, entry.id)

    def _clarify_reply(self, lang: str, match: Match) -> Reply:
        choices = match.close
        lines = [texts.text(lang, "clarify"), *(f"・{c.entry.title_in(lang)}" for c in choices)]
        buttons = [_entry_button(lang, c.entry) for c in choices]
        best = match.best
        assert best is not None
        return Reply("\n".join(lines), self._with_staples(lang, buttons), Intent.FAQ.value, best.entry.id)

    def _fallback_reply(self, lang: str, match: Match) -> Reply:
        suggestions: tuple[Candidate, ...] = match.close
        if suggestions:
            lines = [texts.text(lang, "suggest"), *(f"・{c.entry.title_in(lang)}" for c in suggestions)]
            buttons = [_entry_button(lang, c.entry) for c in suggestions]
            return Reply("\n".join(lines), self._with_staples(lang, buttons), Intent.FALLBACK.value)
        return self.menu(lang, "fallback")

    def menu(self, lang: str, key: str) -> Reply:
        """A fixed text (greeting, media, fallback...) with the topic menu."""
        menu = [_entry_button(lang, entry) for entry in self.matcher.kb.entries[:MENU_SIZE]]
        intent = SMALL_TALK.get(key, Intent.FALLBACK.value)
        quick = () if key == "thanks" else self._with_staples(lang, menu)
        return Reply(texts.text(lang, key), quick, intent)

    def _hours_reply(self, lang: str, at: datetime, query: str) -> Reply:
        folded = fold(query)
        chat_first = any(w in folded for w in ("チャット", "chat")) and not any(
            w in folded for w in ("電話", "デンワ", "phone", "call")
        )
        text = texts.hours_text(lang, self.hours, at, first="chat" if chat_first else None)
        return Reply(text, self._with_staples(lang, [], hours=False), Intent.HOURS.value)

    def _handoff_reply(self, lang: str, at: datetime) -> Reply:
        chat = self.hours.status(self.hours.channel("chat"), at)
        phone = self.hours.status(self.hours.channel("phone"), at)
        lines = [texts.text(lang, "handoff_intro"), *texts.status_lines(lang, [chat, phone])]
        if chat.open:
            lines.append(texts.text(lang, "handoff_chat_open"))
        if phone.open:
            lines.append(texts.text(lang, "handoff_phone_open"))
        lines.append(texts.text(lang, "handoff_form"))
        forms = [e for e in (self.matcher.kb.get("contact-form"), self.matcher.kb.get("phone-support")) if e]
        quick = self._with_staples(lang, [_entry_button(lang, e) for e in forms], handoff=False)
        return Reply("\n".join(lines), quick, Intent.HANDOFF.value)

    @staticmethod
    def _with_staples(
        lang: str, buttons: list[QuickReply], hours: bool = True, handoff: bool = True
    ) -> tuple[QuickReply, ...]:
        staples = []
        if hours:
            staples.append(QuickReply(texts.text(lang, "menu_hours"), texts.text(lang, "menu_hours")))
        if handoff:
            staples.append(QuickReply(texts.text(lang, "menu_handoff"), texts.text(lang, "menu_handoff")))
        unique = list(dict.fromkeys([*buttons[: MAX_QUICK_REPLIES - len(staples)], *staples]))
        return tuple(unique)


def _asks_more(query: str) -> bool:
    """A question around a greeting or thanks ("Hello, my account was hacked, what should I do?
    Thank you"): it wants an answer, or the menu, not "you're welcome"."""
    return len(query) > SMALL_TALK_CHARS and any(mark in query for mark in "?？")


def _entry_button(lang: str, entry: Entry) -> QuickReply:
    title = entry.title_in(lang)
    return QuickReply(title, title)
