"""Composition of the platform-neutral core from settings."""

from __future__ import annotations

from bots.settings import Settings
from faq.loader import load
from faq.matcher import Matcher
from handlers.conversation import Conversation
from handlers.hours import SupportHours
from handlers.intents import IntentRules
from handlers.responder import Responder


def build_responder(settings: Settings) -> Responder:
    """Load the knowledge base and wire the matcher, hours and intent rules together."""
    kb = load(settings.faq_path)
    hours = SupportHours.with_closed_dates(settings.support_closed_dates)
    return Responder(Matcher(kb), hours, IntentRules.load())


def build_conversation(settings: Settings) -> Conversation:
    """The conversation core every channel calls."""
    return Conversation(build_responder(settings))
