"""Accuracy on phrasings the bot has not learnt from: leave-one-set-out over the built-in examples.

Run: .venv/bin/python bench/cross_validate.py [--misses] [UNSEEN.jsonl ...]

For each labelled file in faq/examples/, the phrasing model learns from every other file (less any
phrasing the held-out file also has, in any width or kana) and the held-out one is scored with the rules of `supportbot eval`, next to the word ranker alone (no
examples). Files given on the command line are scored with every example learnt and with none:
they are sets the bot has never seen.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bots import evaluation  # noqa: E402
from faq import labelled  # noqa: E402
from faq.loader import load  # noqa: E402
from faq.matcher import Matcher  # noqa: E402
from faq.model import KnowledgeBase, Labelled  # noqa: E402
from faq.normalize import fold  # noqa: E402
from handlers.hours import TOKYO, SupportHours  # noqa: E402
from handlers.intents import IntentRules  # noqa: E402
from handlers.responder import Responder  # noqa: E402

EXAMPLES = REPO / "faq" / "examples"
# A Tuesday morning, when every channel is open: the answers do not depend on the hour.
AT = datetime(2026, 11, 24, 10, 30, tzinfo=TOKYO)


def score(kb: KnowledgeBase, items: list[Labelled]) -> evaluation.Report:
    """Evaluate `items` against a responder over `kb`."""
    responder = Responder(Matcher(kb, remember=0, compiled=False), SupportHours(), IntentRules.load())
    return evaluation.evaluate(responder, items, AT)


def row(name: str, words: evaluation.Report, learnt: evaluation.Report) -> str:
    """One table row: in-domain and out-of-domain, words only and with the phrasing model."""

    def pct(part: int, whole: int) -> str:
        return f"{100.0 * part / whole:5.1f}%" if whole else "  n/a "

    return (
        f"| {name} | {pct(words.in_domain_right, words.in_domain)} / {pct(words.rejected, words.out_of_domain)} "
        f"| {pct(learnt.in_domain_right, learnt.in_domain)} / {pct(learnt.rejected, learnt.out_of_domain)} |"
    )


def add(total: evaluation.Report, part: evaluation.Report) -> None:
    """Accumulate counts (misses are not kept)."""
    total.in_domain += part.in_domain
    total.in_domain_right += part.in_domain_right
    total.out_of_domain += part.out_of_domain
    total.rejected += part.rejected


def main() -> None:
    """Print the leave-one-set-out table, then the unseen sets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("unseen", nargs="*", type=Path)
    parser.add_argument("--misses", action="store_true", help="after the table, list every held-out miss")
    args = parser.parse_args()
    base = load()
    paths = sorted(EXAMPLES.glob("*.jsonl"), key=lambda path: (len(path.stem), path.stem))  # 2 before 10
    files = {path.name: labelled.read(path) for path in paths}
    words_only = dataclasses.replace(base, examples=())
    print("| held-out set | words only: in-domain / rejection | with phrasing model |")
    print("|---|---|---|")
    total_words, total_learnt = evaluation.Report(), evaluation.Report()
    misses: list[str] = []
    for name, items in files.items():
        # A phrasing that two sets share, in any width or kana, is held out of both.
        held_out = {fold(item.query) for item in items}
        others = tuple(item for rest in files.values() for item in rest if fold(item.query) not in held_out)
        words = score(words_only, items)
        learnt = score(dataclasses.replace(base, examples=others), items)
        add(total_words, words)
        add(total_learnt, learnt)
        misses += [f"{name}: {evaluation.describe_miss(item, answer)}" for item, answer in learnt.misses]
        print(row(name, words, learnt))
    print(row("all, each held out", total_words, total_learnt))
    for path in args.unseen:
        items = labelled.read(path)
        learnt = score(base, items)
        misses += [f"{path.name}: {evaluation.describe_miss(item, answer)}" for item, answer in learnt.misses]
        print(row(f"{path.name} (unseen)", score(words_only, items), learnt))
    if args.misses:
        print("\nmisses with the phrasing model:", *misses, sep="\n")


if __name__ == "__main__":
    main()
