"""Robustness to context: does a question keep its answer when a customer adds when, where, how
much or how they feel?

Run: .venv/bin/python bench/rewordings.py [QUERIES] [--show 20]

Takes the in-scope questions of a labelled set (the dev set by default) that the bot answers
right, adds words that change nothing about what is asked (さっき, 3万円の, iPhoneで, 至急, "since
yesterday", "pls help"), and counts the rewordings whose answer (intent and entry) differs from
the plain question's.
A time put first (今朝から, 10時ごろ, 金曜に) may rightly turn a question about the phone or the chat
into an hours question, so those are counted apart.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bots.core import build_responder  # noqa: E402
from bots.evaluation import is_right  # noqa: E402
from bots.settings import Settings  # noqa: E402
from faq.labelled import read  # noqa: E402
from handlers.language import detect  # noqa: E402
from handlers.responder import Responder  # noqa: E402

# A Monday at 11:00 in Tokyo, when both channels are open.
AT = datetime(2026, 11, 30, 11, tzinfo=timezone(timedelta(hours=9)))
WHEN = ["さっき", "昨日", "今朝から", "先週", "金曜に", "11月29日に", "10時ごろ", "ずっと", "本日"]
HOW_MUCH = ["3万円の", "5000円", "1BTCの", "2回目の", "何度やっても"]
WHERE = ["スマホで", "アプリで", "PCから", "iPhoneで"]
MANNER = ["急ぎで", "初めてで", "すみません、", "あの、"]
TAILS = [
    "",
    "です",
    "んだけど",
    "。どうすれば?",
    "…",
    "!!",
    "んですが、どうしたらいいですか",
    "。至急",
    " 助けて",
    "😭",
    "w",
]
CONTEXT = {
    "ja": ([*WHEN, *HOW_MUCH, *WHERE, *MANNER], [*TAILS, "？？"]),
    "en": (
        ["", "hi, ", "yesterday ", "since this morning ", "on my iphone ", "sorry, ", "urgent: ", "again "],
        ["", " pls help", "!!", " :(", " asap", " since yesterday", " on the app", "??"],
    ),
}


def main() -> None:
    """Print how many rewordings change the answer, and which."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", nargs="?", type=Path, default=REPO.parent / "shared/eval/dev_queries.jsonl")
    parser.add_argument("--show", type=int, default=20, help="how many changed rewordings to list")
    args = parser.parse_args()
    responder = build_responder(Settings())
    items = [i for i in read(args.queries) if not i.out_of_domain and is_right(i, responder.answer(i.query, AT))]
    changed: list[str] = []
    hours = 0
    total = 0
    by_context: Counter[str] = Counter()
    for item in items:
        plain = item.query
        prefixes, suffixes = CONTEXT[detect(plain)]
        expected = _outcome(responder, plain)
        for prefix in prefixes:
            # English goes on in lower case after a prefix: a capital mid-sentence reads as a name.
            body = plain[0].lower() + plain[1:] if prefix and prefix.isascii() else plain
            for suffix in suffixes:
                if not prefix and not suffix:
                    continue
                text = prefix + body + suffix
                total += 1
                got = _outcome(responder, text)
                if got == expected:
                    continue
                if got == "hours" and prefix in WHEN:
                    hours += 1
                    continue
                changed.append(f"{text!r}: {expected} -> {got}")
                by_context.update(part.strip() for part in (prefix, suffix) if part.strip())
    print(f"{len(items)} questions answered right, {total} rewordings of them")
    print(f"answer changed: {len(changed)} ({100 * len(changed) / total:.1f}%)")
    print(f"a time put first turned into an hours question (counted apart): {hours}")
    print("most disruptive context:", ", ".join(f"{c!r} {n}" for c, n in by_context.most_common(8)))
    for line in changed[: args.show]:
        print(" ", line)


def _outcome(responder: Responder, text: str) -> str:
    answer = responder.answer(text, AT)
    return f"{answer.intent.value}:{answer.faq_id}" if answer.faq_id else str(answer.intent.value)


if __name__ == "__main__":
    main()
