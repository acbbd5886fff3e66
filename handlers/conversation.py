"""The one entry point every channel calls with a customer's message."""

from __future__ import annotations

from handlers.messages import Incoming, Reply
from handlers.responder import Responder


class Conversation:
    """Turns an Incoming message into the Replies to send back.

    Stateless for now; the handoff work keeps per-conversation state behind this same call.
    """

    def __init__(self, responder: Responder) -> None:
        self.responder = responder

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message."""
        return [self.responder.answer(incoming.text, incoming.at).reply]
