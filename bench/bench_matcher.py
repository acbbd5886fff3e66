"""Matcher benchmark: per-query latency, start-up time and peak memory.

Run: .venv/bin/python bench/bench_matcher.py [--entries 10000] [--rounds 20]

Prints, for the built-in knowledge base and for a generated one of --entries entries in the
minimal form (one question, a long answer, no keywords or synonyms): median and p99 latency
of Matcher.match, build time, and top-1 accuracy on perturbed questions of the generated base.
Start-up time and peak RSS are measured in fresh interpreters so imports count.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import faq  # noqa: E402
from faq.loader import load, parse  # noqa: E402
from faq.matcher import Matcher  # noqa: E402
from faq.model import KnowledgeBase  # noqa: E402

BUILTIN_QUERIES = [
    "入金が反映されない",
    "ぱすわーどわすれた",
    "ｸｲｯｸ入金",
    "ＡＰＩの使い方",
    "出勤が遅い",
    "2FAの設定",
    "I forgot my login password",
    "withdrawl delayed",
    "今日のビットコイン相場",
    "zzzz",
    "口座を作れない",
    "本人確認の審査が終わらない",
    "注文が通らない",
    "フィッシングメールに気をつけたい",
    "サポートの電話番号",
    "チャットで質問する方法",
    "問い合わせのときに書くべき情報",
    "hello",
    "振込したのに残高に入っていない",
    "二段階認証を解除する方法",
]

KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボパピプペポ"
TOPIC_NOUNS = [
    "口座",
    "入金",
    "出金",
    "残高",
    "注文",
    "取引",
    "送金",
    "手数料",
    "本人確認",
    "書類",
    "審査",
    "パスワード",
    "ログイン",
    "認証",
    "設定",
    "解除",
    "アプリ",
    "画面",
    "通知",
    "メール",
    "住所",
    "氏名",
    "電話番号",
    "銀行",
    "カード",
    "ポイント",
    "キャンペーン",
    "レポート",
    "明細",
    "履歴",
    "上限",
    "制限",
    "エラー",
    "契約",
    "解約",
]
VERBS = ["できない", "したい", "を変更したい", "が表示されない", "がわからない", "が届かない", "を確認したい", "が遅い"]
FILLERS = ["について", "の方法", "の手順", "はどこ", "の期限", "の条件"]


def _pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(KANA) for _ in range(rng.randint(3, 6)))


def generate(n_entries: int, seed: int = 7) -> tuple[KnowledgeBase, list[tuple[str, str]]]:
    """A minimal-form base of `n_entries` and (query, expected id) pairs of perturbed questions."""
    rng = random.Random(seed)
    products = [_pseudo_word(rng) for _ in range(n_entries // 4 + 1)]
    entries = []
    for i in range(n_entries):
        product = products[i // 4]
        noun = TOPIC_NOUNS[i % len(TOPIC_NOUNS)]
        question = f"{product}の{noun}{rng.choice(VERBS)}{rng.choice(FILLERS)}"
        sentences = [
            f"{rng.choice(products)}の{rng.choice(TOPIC_NOUNS)}は{rng.choice(TOPIC_NOUNS)}から確認できます。"
            for _ in range(rng.randint(10, 30))
        ]
        entries.append({"id": f"e{i}", "questions": {"ja": [question]}, "answer": {"ja": "".join(sentences)}})
    kb = parse(json.dumps({"entries": entries}, ensure_ascii=False), source=f"<generated {n_entries}>")
    queries = []
    for entry in rng.sample(kb.entries, min(500, n_entries)):
        product, rest = entry.questions["ja"][0].split("の", 1)
        # Customers type the product name in hiragana, drop the particle and the polite tail.
        hiragana = "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in product)
        tail = next((f for f in FILLERS if rest.endswith(f)), "")
        queries.append((f"{hiragana} {rest.removesuffix(tail)}", entry.id))
    return kb, queries


def latencies(matcher: Matcher, queries: list[str], rounds: int) -> list[float]:
    """Seconds per call of matcher.match, each query timed on its own."""
    for query in queries:
        matcher.match(query)  # warm caches
    timings = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            matcher.match(query)
            timings.append(time.perf_counter() - start)
    return timings


def summary(timings: list[float]) -> str:
    """Median and p99 in microseconds."""
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(ordered) * 1e6:7.1f} µs   p99 {p99 * 1e6:7.1f} µs   (n={len(ordered)})"


def fresh_process(code: str) -> dict[str, float]:
    """Run `code` in a new interpreter; it prints a JSON object of figures."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, cwd=REPO, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


STARTUP = """
import time, json, resource
t0 = time.perf_counter()
from bots.core import build_responder
from bots.settings import Settings
responder = build_responder(Settings())
responder.answer("入金が反映されない", __import__("datetime").datetime.now().astimezone())
t1 = time.perf_counter()
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
anon = int(status["RssAnon"].split()[0]) / 1024
print(json.dumps({"startup": t1 - t0, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "anon_mb": anon}))
"""

WORKING = """
import datetime, json, resource
from bots.core import build_responder
from bots.settings import Settings
responder = build_responder(Settings())
now = datetime.datetime.now().astimezone()
texts = [example.query for example in responder.matcher.kb.examples]
for text in texts:
    responder.answer(text, now)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
anon = int(status["RssAnon"].split()[0]) / 1024
print(json.dumps({"texts": len(texts), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "anon_mb": anon}))
"""

LARGE = """
import json, resource, sys, time
sys.path.insert(0, "bench")
from bench_matcher import generate
from faq.matcher import Matcher
kb, _ = generate({n})
t0 = time.perf_counter()
Matcher(kb, remember=0)
t1 = time.perf_counter()
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
anon = int(status["RssAnon"].split()[0]) / 1024
print(json.dumps({{"build": t1 - t0, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "anon_mb": anon}}))
"""


def main() -> None:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    # The timing loop runs before the fresh interpreters: just after them, its median was anywhere
    # from the same to twice as much (84-178 µs where 84-90 µs is usual on this machine).
    print(f"matcher: {'compiled (mypyc)' if faq.native() else 'pure Python'}")
    builtin = Matcher(load(), remember=0)  # every query analysed: no cached answers
    print(
        f"built-in base ({len(builtin.kb.entries)} entries), Matcher.match: "
        f"{summary(latencies(builtin, BUILTIN_QUERIES, args.rounds))}"
    )

    start = fresh_process(STARTUP)
    print(f"start-up (imports + load + index + first answer): {start['startup'] * 1000:.0f} ms")
    print(
        f"peak RSS, built-in base:                          {start['rss_mb']:.0f} MB "
        f"(private {start['anon_mb']:.0f} MB; the rest is Sudachi's memory-mapped dictionary, shared)"
    )

    working = fresh_process(WORKING)
    print(
        f"peak RSS after answering {working['texts']:.0f} labelled examples: {working['rss_mb']:.0f} MB "
        f"(private {working['anon_mb']:.0f} MB; the words customers write bring in more of the dictionary)"
    )

    kb, pairs = generate(args.entries)
    t0 = time.perf_counter()
    large = Matcher(kb, remember=0)
    build = time.perf_counter() - t0
    queries = [q for q, _ in pairs]
    print(
        f"generated base ({args.entries} entries), build {build:.1f} s, Matcher.match: "
        f"{summary(latencies(large, queries, max(1, args.rounds // 10)))}"
    )
    top1 = sum(1 for q, expected in pairs if (m := large.match(q)).best and m.best.entry.id == expected)
    print(
        f"generated base top-1 on {len(pairs)} reworded questions (hiragana name, no particle or tail): {100.0 * top1 / len(pairs):.1f}%"
    )
    peak = fresh_process(LARGE.format(n=args.entries))
    print(
        f"peak RSS, generated base ({args.entries} entries):      {peak['rss_mb']:.0f} MB "
        f"(private {peak['anon_mb']:.0f} MB at the end)"
    )


if __name__ == "__main__":
    main()
