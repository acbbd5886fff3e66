"""Block Kit rendering of the core's answers for staff in Slack."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from faq.model import Entry, KnowledgeBase
from handlers.handoff import Card
from handlers.hours import TOKYO
from handlers.records import Handoff, State
from handlers.responder import Answer

Block = dict[str, Any]

ACTION_SHOW = "faq_show"
ACTION_POST = "faq_post"
MAX_SECTION = 3000  # Slack's limit for a section's text
MAX_BUTTON_TEXT = 75


_LINK = re.compile(r"<(?P<target>[^>|]+)(?:\|(?P<label>[^>]*))?>")


def escape(text: str) -> str:
    """Customer text as inert Slack mrkdwn: no <!channel> pings, no disguised links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_plain(text: str) -> str:
    """Staff's Slack text as a customer should read it: links spelled out, mentions dropped."""

    def plain(match: re.Match[str]) -> str:
        target, label = match.group("target"), match.group("label")
        if target.startswith(("@", "!", "#")):
            return ""  # user, group and channel mentions mean nothing to a customer
        if target.startswith("mailto:"):
            target = target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target

    text = _LINK.sub(plain, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": _cut(text, MAX_BUTTON_TEXT)},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def entry_value(entry_id: str, lang: str) -> str:
    """A button value naming an entry and the language to show it in."""
    return f"{entry_id}@{lang}"


def parse_value(value: str) -> tuple[str, str]:
    """The entry id and language of a button value."""
    entry_id, _, lang = value.partition("@")
    return entry_id, lang if lang in ("ja", "en") else "ja"


def entry_blocks(entry: Entry, lang: str, score: float | None, others: list[Entry]) -> list[Block]:
    """One entry's answer for staff: id and confidence, the answer, runner-ups, and a post button."""
    confidence = f" · confidence {score:.2f}" if score is not None else ""
    blocks = [
        _section(f"*{entry.title_in(lang)}*"),
        _context(f"`{entry.id}`{confidence} · {lang}"),
        _section(entry.answer_in(lang)),
    ]
    buttons = [
        _button(
            "チャンネルに投稿" if lang == "ja" else "Post to channel",
            ACTION_POST,
            entry_value(entry.id, lang),
            "primary",
        )
    ]
    buttons += [
        _button(other.title_in(lang), f"{ACTION_SHOW}_{n}", entry_value(other.id, lang))
        for n, other in enumerate(others[:4])
    ]
    blocks.append({"type": "actions", "elements": buttons})
    return blocks


def answer_blocks(answer: Answer, kb: KnowledgeBase) -> tuple[str, list[Block]]:
    """The reply to `/faq <question>`: the matched entry, or what the bot would say instead."""
    best = answer.match.best
    chosen = kb.get(answer.faq_id) if answer.faq_id else None
    others = [c.entry for c in answer.match.candidates if c.entry.id != answer.faq_id and c.score > 0][:4]
    if chosen is not None:
        return chosen.answer_in(answer.lang), entry_blocks(chosen, answer.lang, answer.score, others)
    note = "該当するFAQはありません" if answer.lang == "ja" else "No FAQ entry fits"
    header = f"{note} (intent: `{answer.intent.value}`)"
    if best is not None:
        header += f" · best `{best.entry.id}` {best.score:.2f}"
    blocks = [_context(header), _section(answer.reply.text)]
    if others:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    _button(o.title_in(answer.lang), f"{ACTION_SHOW}_{n}", entry_value(o.id, answer.lang))
                    for n, o in enumerate(others)
                ],
            }
        )
    return answer.reply.text, blocks


def catalogue_blocks(kb: KnowledgeBase, lang: str = "ja") -> list[Block]:
    """`/faq` alone: every entry, grouped by category."""
    groups: dict[str, list[Entry]] = {}
    for entry in kb.entries:
        groups.setdefault(entry.category or "other", []).append(entry)
    blocks: list[Block] = [_section("*FAQ一覧* (`/faq 質問` で回答を表示)")]
    for category, entries in groups.items():
        lines = "\n".join(f"• {e.title_in(lang)} `{e.id}`" for e in entries)
        blocks.append(_section(f"*{category}*\n{lines}"))
    return blocks


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


AUTHOR_LABELS = {"customer": "お客様", "bot": "ボット", "staff": "担当者", "note": "メモ"}
ACTION_CLAIM = "handoff_claim"
ACTION_RESOLVE = "handoff_resolve"


def handoff_card(card: Card) -> tuple[str, list[Block]]:
    """The card a handoff starts in the staff channel, with 担当する / 解決済み buttons."""
    handoff = card.handoff
    queued = handoff.state is State.QUEUED
    title = f"{'📨 時間外メッセージ' if queued else '🙋 有人対応の依頼'} #{handoff.id}"
    since = handoff.created_at.astimezone(TOKYO).strftime("%m/%d %H:%M")
    facts = f"*お客様*: {escape(handoff.customer_name)}　*言語*: {handoff.lang}　*受付*: {since} JST　*経路*: {handoff.key.platform}"
    blocks: list[Block] = [_section(f"*{title}*"), _context(facts)]
    if card.recent:
        lines = "\n".join(f"> *{AUTHOR_LABELS.get(a, a)}*: {escape(t[:300])}" for a, t in card.recent)
        blocks.append(_section(f"*直近のやり取り*\n{lines}"))
    if card.suggestion:
        blocks.append(_context(f"ボットの直前の案内: {escape(card.suggestion[:200])}"))
    if card.first_message:
        blocks.append(_section(f"*お客様のメッセージ*\n> {escape(card.first_message[:1500])}"))
    blocks.append(_context("このスレッドへの返信はお客様に届きます。`note:` で始まる行は社内メモとして残ります。"))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                _button("担当する", ACTION_CLAIM, str(handoff.id), "primary"),
                _button("解決済み", ACTION_RESOLVE, str(handoff.id)),
            ],
        }
    )
    return f"{title}: {escape(handoff.customer_name)}", blocks


def handoff_list(handoffs: list[Handoff], now: datetime) -> str:
    """`/handoffs`: open and queued handoffs with their age and owner."""
    if not handoffs:
        return "対応待ちのハンドオフはありません。"
    lines = ["*対応中・対応待ちのハンドオフ*"]
    for handoff in handoffs:
        minutes = int((now - handoff.created_at).total_seconds() // 60)
        owner = f"<@{handoff.claimed_by}>" if handoff.claimed_by else "未担当"
        lines.append(f"• #{handoff.id} {handoff.state.value} {escape(handoff.customer_name)} ({minutes}分前) {owner}")
    return "\n".join(lines)
