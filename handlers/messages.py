"""Platform-neutral messages that flow between the adapters and the core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Who is talking where: `platform` is the only trace of which adapter a message came from."""

    platform: str
    channel_id: str
    user_id: str

    @property
    def one_to_one(self) -> bool:
        """Whether the conversation is with this person alone: adapters give a one-to-one chat
        the person's own id as its channel, a group its group's id."""
        return self.channel_id == self.user_id


class Kind(StrEnum):
    """What arrived: a typed message, a new friend, a tapped action, or media the bot cannot read."""

    TEXT = "text"
    FOLLOW = "follow"
    ACTION = "action"
    MEDIA = "media"


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a customer or staff member, already converted from the platform.

    For an ACTION, `text` is the action's payload (see handlers.conversation for the forms).
    """

    key: ConversationKey
    text: str
    at: datetime
    kind: Kind = Kind.TEXT


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
