"""The one entry point every channel calls with a customer's message."""

from __future__ import annotations

import logging

from handlers import texts
from handlers.handoff import HandoffService, is_cancel, rating_of, rating_reply
from handlers.intents import Intent
from handlers.language import detect
from handlers.masking import mask
from handlers.messages import ConversationKey, Incoming, Kind, QuickReply, Reply
from handlers.ratelimit import RateLimit
from handlers.records import ConversationState
from handlers.responder import Responder

log = logging.getLogger("supportbot.conversation")

# Action payloads a platform may send back (LINE postbacks, Slack buttons, rich menus).
ACTION_FAQ = "faq:"
ACTION_HOURS = "hours"
ACTION_HANDOFF = "handoff"
ACTION_MENU = "menu"
# What sets the count of a customer's lines to staff apart from that of the bot's answers.
RELAY_SUFFIX = "/handoff"
# After this many unanswered messages in a row the bot offers a person (it does not force one).
FALLBACKS_BEFORE_OFFER = 2
# What the replies that answer nothing are tagged with (Reply.intent), so that metrics and logs
# count an unanswered question once: the rate limit's notice, the warning about a hidden secret,
# and the offer of a person after repeated fallbacks.
NOTICE = "notice"
WARNING = "warning"
OFFER = "offer"
PENDING_MESSAGE = "message"
PENDING_RATING = "rating:"


class Conversation:
    """Turns an Incoming message into the Replies to send back.

    Without a HandoffService it is stateless (the CLI); with one, it remembers each
    conversation in storage and routes customers to staff.
    """

    def __init__(
        self,
        responder: Responder,
        handoffs: HandoffService | None = None,
        limiter: RateLimit | None = None,
        relay_limiter: RateLimit | None = None,
    ) -> None:
        # relay_limiter: a generous limit on what a customer sends staff in a handoff, counted
        # apart from the bot's answers: a person typing never meets it, sticker spam does.
        self.responder = responder
        self.handoffs = handoffs
        self.limiter = limiter
        self.relay_limiter = relay_limiter

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message."""
        if self.handoffs is None:
            limited = await self._limited(incoming)
            return limited if limited is not None else [self._stateless(incoming)]
        return await self._with_state(incoming, self.handoffs)

    async def _limited(self, incoming: Incoming, relay: bool = False) -> list[Reply] | None:
        """The replies to a message over the rate limit (one notice, then nothing), else None;
        with `relay`, over the limit on lines for staff."""
        limiter = self.relay_limiter if relay else self.limiter
        if limiter is None or incoming.kind not in (Kind.TEXT, Kind.MEDIA, Kind.ACTION):
            return None
        key = incoming.key
        if relay:  # counted apart from the bot's answers
            key = ConversationKey(f"{key.platform}{RELAY_SUFFIX}", key.channel_id, key.user_id)
        try:
            verdict = await limiter.check(key, incoming.at)
        except Exception:
            # The limit guards against floods; losing a customer's answer to a failed count is worse.
            log.warning("rate limit check failed; answering anyway", exc_info=True)
            return None
        if verdict == "drop":
            return []
        if verdict == "notice":
            notice = "handoff_slow_down" if relay else "slow_down"
            return [Reply(texts.text(detect(incoming.text), notice), intent=NOTICE)]
        return None

    def _stateless(self, incoming: Incoming) -> Reply:
        responder = self.responder
        if incoming.kind is Kind.FOLLOW:
            return responder.menu("ja", "greeting")
        if incoming.kind is Kind.MEDIA:
            return responder.menu("ja", "media")
        if incoming.kind is Kind.ACTION:
            return self._action(incoming)
        return responder.answer(incoming.text, incoming.at).reply

    async def _with_state(self, incoming: Incoming, handoffs: HandoffService) -> list[Reply]:
        storage = handoffs.storage
        key, at = incoming.key, incoming.at
        state = await storage.load_state(key)
        # The customer's message before may be a secret's label, this one its value (パスワードは / Hunter2024).
        said_before = next((line for author, line in reversed(state.history) if author == "customer"), "")
        masked = mask(incoming.text, said_before)
        warning = [Reply(texts.text(detect(incoming.text), "masked_warning"), intent=WARNING)] if masked.hidden else []
        text = masked.text
        active = await storage.active_handoff(key)
        lang = detect(text) if text.strip() else (active.lang if active else "ja")

        if active is not None and incoming.kind is not Kind.FOLLOW:
            if is_cancel(text):
                await handoffs.cancel_by_customer(active, at)
                state.pending = f"{PENDING_RATING}{active.id}"
                await storage.save_state(key, state, at)
                return [*warning, rating_reply(active.lang, "handoff_customer_ended")]
            limited = await self._limited(incoming, relay=True)
            if limited is not None:
                return [*warning, *limited]
            if not await handoffs.from_customer(active, text or "(media)", at):
                return [*warning, Reply(texts.text(active.lang, "handoff_not_delivered"), intent="handoff")]
            if text:  # for the next message's masking, and the card of a later handoff
                state.remember("customer", text)
                await storage.save_state(key, state, at)
            return warning  # staff answer in the thread; the bot stays quiet
        # The bot's own answers are limited here (lines to staff have their own limit, above); a
        # rating or a message left out of hours always goes through.
        if not state.pending:
            limited = await self._limited(incoming)
            if limited is not None:
                return limited

        replies = await self._pending(incoming, text, lang, state, handoffs)
        if replies is None:
            reply = self._stateless(Incoming(key, text, at, incoming.kind))
            replies = [reply]
            if reply.intent == Intent.HANDOFF.value:
                replies = await self._start_handoff(incoming, lang, state, handoffs, reply)
            elif reply.intent == Intent.FALLBACK.value and incoming.kind is Kind.TEXT:
                state.fallbacks += 1
                if state.fallbacks >= FALLBACKS_BEFORE_OFFER:
                    offer = QuickReply(texts.text(lang, "menu_handoff"), texts.text(lang, "menu_handoff"))
                    replies.append(Reply(texts.text(lang, "handoff_offer"), (offer,), intent=OFFER))
                    state.fallbacks = 0
            else:
                state.fallbacks = 0
        if text:
            state.remember("customer", text)
        state.remember("bot", replies[-1].text[:200] if replies else "")
        await storage.save_state(key, state, at)
        return [*warning, *replies]

    async def _pending(
        self, incoming: Incoming, text: str, lang: str, state: ConversationState, handoffs: HandoffService
    ) -> list[Reply] | None:
        """Finish what the bot was waiting for (a rating, a message left out of hours), if anything."""
        pending = state.pending
        if not pending or incoming.kind is Kind.FOLLOW:
            return None
        state.pending = None
        if pending.startswith(PENDING_RATING):
            rating = rating_of(text)
            if rating is None:
                return None  # not a rating: treat it as a new question
            await handoffs.storage.rate(int(pending.removeprefix(PENDING_RATING)), rating)
            return [Reply(texts.text(lang, "handoff_rated"), intent="thanks")]
        if pending == PENDING_MESSAGE and incoming.kind is Kind.TEXT:
            if is_cancel(text) or not text.strip():
                return [Reply(texts.text(lang, "handoff_leave_cancelled"), intent=Intent.HANDOFF.value)]
            if await handoffs.start(incoming.key, lang, incoming.at, state.history, None, first_message=text) is None:
                return [Reply(texts.text(lang, "handoff_unavailable"), intent="handoff")]
            return [Reply(texts.text(lang, "handoff_left"), intent="handoff")]
        return None

    async def _start_handoff(
        self, incoming: Incoming, lang: str, state: ConversationState, handoffs: HandoffService, info: Reply
    ) -> list[Reply]:
        at = incoming.at
        if not incoming.key.one_to_one:
            # Staff replies would go to the whole group, and a member's next lines without a
            # mention never reach the bot: a person is only offered in a one-to-one chat.
            return [Reply(texts.text(lang, "handoff_one_to_one"), intent="handoff")]
        if handoffs.chat_open(at):
            suggestion = next((t for a, t in reversed(state.history) if a == "bot"), None)
            if await handoffs.start(incoming.key, lang, at, state.history, suggestion) is None:
                return [Reply(texts.text(lang, "handoff_unavailable"), intent="handoff")]
            cancel = QuickReply(texts.text(lang, "cancel"), "終了" if lang == "ja" else "cancel")
            return [Reply(texts.text(lang, "handoff_started"), (cancel,), intent="handoff")]
        # Chat support is closed: hours, next opening, the form and phone hours, and a message may be left.
        state.pending = PENDING_MESSAGE
        cancel = QuickReply(texts.text(lang, "cancel"), "キャンセル" if lang == "ja" else "cancel")
        return [
            Reply(info.text, intent="handoff"),
            Reply(texts.text(lang, "handoff_leave"), (cancel,), intent="handoff"),
        ]

    def _action(self, incoming: Incoming) -> Reply:
        payload, _, lang = incoming.text.partition("@")
        lang = lang if lang in ("ja", "en") else "ja"
        if payload.startswith(ACTION_FAQ):
            reply = self.responder.entry_reply(payload.removeprefix(ACTION_FAQ), lang)
            if reply is not None:
                return reply
        if payload == ACTION_HOURS:
            return self.responder.answer("受付時間" if lang == "ja" else "support hours", incoming.at).reply
        if payload == ACTION_HANDOFF:
            return self.responder.answer(
                "オペレーターと話す" if lang == "ja" else "talk to a person", incoming.at
            ).reply
        return self.responder.menu(lang, "greeting")
