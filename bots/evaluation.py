"""Scoring of labelled query sets (`supportbot eval`), with the rules of DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from faq.labelled import read
from faq.model import INTENT_LABELS, Labelled
from handlers.intents import Intent
from handlers.responder import Answer, Responder

ANSWERING = frozenset({Intent.FAQ, Intent.HOURS, Intent.HANDOFF})


@dataclass(slots=True)
class Report:
    """Counts and misses of one evaluation run."""

    in_domain: int = 0
    in_domain_right: int = 0
    out_of_domain: int = 0
    rejected: int = 0
    misses: list[tuple[Labelled, Answer]] = field(default_factory=list)


def is_right(item: Labelled, answer: Answer) -> bool:
    """The scoring rule of DESIGN.md."""
    if item.out_of_domain:
        return answer.intent not in ANSWERING
    if answer.intent is Intent.FAQ:
        return answer.faq_id in item.expect
    return answer.intent in (Intent.HOURS, Intent.HANDOFF) and f"@{answer.intent.value}" in item.expect


def evaluate(responder: Responder, items: list[Labelled], at: datetime) -> Report:
    """Answer every query and count."""
    report = Report()
    for item in items:
        answer = responder.answer(item.query, at)
        right = is_right(item, answer)
        if item.out_of_domain:
            report.out_of_domain += 1
            report.rejected += right
        else:
            report.in_domain += 1
            report.in_domain_right += right
        if not right:
            report.misses.append((item, answer))
    return report


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100.0 * part / whole:.1f}%)" if whole else "0/0 (n/a)"


def run(responder: Responder, path: Path, at: datetime, out: TextIO) -> int:
    """`supportbot eval FILE`: print accuracy, rejection and each miss."""
    known = {entry.id for entry in responder.matcher.kb.entries} | INTENT_LABELS
    report = evaluate(responder, read(path, known=known), at)
    out.write(f"in-domain top-1 accuracy: {_percent(report.in_domain_right, report.in_domain)}\n")
    out.write(f"out-of-domain rejection:  {_percent(report.rejected, report.out_of_domain)}\n")
    out.write(f"misses: {len(report.misses)}\n")
    for item, answer in report.misses:
        out.write(f"  {describe_miss(item, answer)}\n")
    return 0


def describe_miss(item: Labelled, answer: Answer) -> str:
    """One miss as a line: the message, what was expected, what the bot did and its ranking."""
    got = answer.faq_id if answer.intent is Intent.FAQ else f"@{answer.intent.value}"
    ranking = ", ".join(f"{c.entry.id} {c.score:.2f}" for c in answer.match.ranking)
    return f"{item.query!r}: expected {'/'.join(item.expect)}, got {got} [{ranking}]"
