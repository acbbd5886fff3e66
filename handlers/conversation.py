"""The one entry point every channel calls with a customer's message."""

from __future__ import annotations

from handlers.messages import Incoming, Kind, Reply
from handlers.responder import Responder

# Action payloads a platform may send back (LINE postbacks, Slack buttons, rich menus).
ACTION_FAQ = "faq:"
ACTION_HOURS = "hours"
ACTION_HANDOFF = "handoff"
ACTION_MENU = "menu"


class Conversation:
    """Turns an Incoming message into the Replies to send back.

    Stateless for now; the handoff work keeps per-conversation state behind this same call.
    """

    def __init__(self, responder: Responder) -> None:
        self.responder = responder

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message."""
        responder = self.responder
        if incoming.kind is Kind.FOLLOW:
            return [responder.menu("ja", "greeting")]
        if incoming.kind is Kind.MEDIA:
            return [responder.menu("ja", "media")]
        if incoming.kind is Kind.ACTION:
            return [self._action(incoming)]
        return [responder.answer(incoming.text, incoming.at).reply]

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
