"""Platform-neutral messages that flow between the adapters and the core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Who is talking where: `platform` is the only trace of which adapter a message came from."""

    platform: str
    channel_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a customer or staff member, already converted from the platform."""

    key: ConversationKey
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class QuickReply:
    """A suggested follow-up: `label` on the button, `text` sent back when it is tapped."""

    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: text, suggested follow-ups, and why (intent and entry) for logs and staff."""

    text: str
    quick_replies: tuple[QuickReply, ...] = ()
    intent: str = "fallback"
    faq_id: str | None = None
