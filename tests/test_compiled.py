from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from faq import compiled
from faq.loader import builtin_path, load, parse
from faq.matcher import Matcher

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared/eval/dev_queries.jsonl"


def test_the_shipped_compiled_file_is_current() -> None:
    assert compiled.status(load()) == "current", "refresh it: python -m faq.compiled"


def test_the_compiled_file_holds_exactly_what_start_up_would_work_out() -> None:
    kb = load()
    shipped = compiled.read(kb)
    working = Matcher(kb, remember=0, compiled=False)
    assert shipped is not None and shipped.phrasings is not None and working.phrasings is not None
    assert shipped.readings == working.analyzer.readings
    built, read = working.index, shipped.index
    assert read.ids == built.ids
    assert (read.unknown_term_idf, read.unknown_ngram_idf) == (built.unknown_term_idf, built.unknown_ngram_idf)
    for field in ("term_mass", "ngram_mass", "starts"):
        assert np.array_equal(getattr(read.exemplars, field), getattr(built.exemplars, field)), field
    for table in ("terms", "ngrams"):
        built_postings, read_postings = getattr(built, table), getattr(read, table)
        assert read_postings.keys() == built_postings.keys()
        for key, postings in built_postings.items():
            other = read_postings[key]
            assert other.idf == postings.idf, key
            assert all(np.array_equal(getattr(other, f), getattr(postings, f)) for f in ("docs", "strength", "mass")), (
                key
            )
    queries = [json.loads(line)["q"] for line in DEV.read_text("utf-8").splitlines() if line.strip()]
    queries += [example.query for example in kb.examples[::10]]
    started = Matcher(kb, remember=0)
    for query in queries:
        analysis = working.analyzer.analyze(query)
        assert np.array_equal(shipped.phrasings.probabilities(analysis), working.phrasings.probabilities(analysis)), (
            query
        )
        assert started.match(query) == working.match(query), query


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The built-in knowledge file and its examples in a folder of their own, without a compiled file."""
    source = builtin_path()
    shutil.copy(source, tmp_path / source.name)
    shutil.copytree(source.parent / "examples", tmp_path / "examples")
    return tmp_path / source.name


def test_compiling_writes_a_file_that_start_up_takes(copy: Path) -> None:
    kb = load(copy)
    assert compiled.status(kb) == "absent"
    written = []
    for seed in ("1", "2"):  # the file must not depend on string hashing, or every refresh is a diff
        done = subprocess.run(
            [sys.executable, "-m", "faq.compiled", str(copy)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert done.returncode == 0, done.stderr
        assert "wrote" in done.stdout
        written.append(copy.with_suffix(".compiled.json").read_bytes())
    assert written[0] == written[1]
    assert compiled.status(kb) == "current"
    shipped = compiled.read(kb)
    assert shipped is not None and shipped.phrasings is not None


def test_a_stale_or_broken_file_is_ignored_and_the_work_done(copy: Path, caplog: pytest.LogCaptureFixture) -> None:
    kb = load(copy)
    learnt = Matcher(kb, remember=0, compiled=False)
    assert learnt.phrasings is not None
    compiled.write(kb, learnt.analyzer.readings, learnt.index, learnt.phrasings)
    examples = copy.parent / "examples" / "customer_phrasings_1.jsonl"
    examples.write_text(
        examples.read_text("utf-8") + '{"q": "口座が作れない", "expect": ["account-opening"]}\n', "utf-8"
    )
    changed = load(copy)
    assert compiled.status(changed) == "out of date"
    path = copy.with_suffix(".compiled.json")
    good = json.loads(path.read_text("utf-8"))
    current = {**good, "fingerprint": compiled.fingerprint(changed)}
    out_of_range = {key: [[10_000], [1.0], 1.0] for key in good["index"]["terms"]}
    starts = good["index"]["exemplars"][2][::-1]  # out of order: every query would fail, not the load
    broken = [
        "{not json",
        json.dumps([1, 2]),
        json.dumps({**current, "model": {**good["model"], "kinds": None}}),
        json.dumps({**current, "model": None}),  # enough examples, so there must be a model
        json.dumps({**current, "readings": ["a"]}),
        json.dumps({**current, "index": {**good["index"], "terms": out_of_range}}),
        json.dumps({**current, "index": {**good["index"], "ids": ["other"]}}),
        json.dumps({**current, "index": {**good["index"], "exemplars": [[1.0], [], [0]]}}),
        json.dumps({**current, "index": {**good["index"], "exemplars": [*good["index"]["exemplars"][:2], starts]}}),
    ]
    for content in broken:
        path.write_text(content, "utf-8")
        with caplog.at_level(logging.WARNING, logger="faq.compiled"):
            caplog.clear()
            matcher = Matcher(changed, remember=0)
        assert matcher.phrasings is not None  # learnt at start-up instead
        assert matcher.match("入金が反映されない").best.entry.id == "deposit-not-reflected"  # type: ignore[union-attr]
        assert any(path.name in record.getMessage() for record in caplog.records), content[:60]
    path.write_text(json.dumps(good), "utf-8")
    assert compiled.status(changed) == "out of date"
    assert compiled.read(changed) is None


def test_a_base_without_enough_examples_is_compiled_without_a_model_and_one_from_memory_not(tmp_path: Path) -> None:
    small = tmp_path / "small.yaml"
    small.write_text(
        "entries:\n  - id: a\n    questions: {ja: [入金]}\n    answer: {ja: 入金の答え}\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "faq.compiled", str(small)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0 and "without (too few labelled examples)" in done.stdout, done.stderr
    kb = load(small)
    shipped = compiled.read(kb)
    assert shipped is not None and shipped.phrasings is None and shipped.index.ids == ("a",)
    best = Matcher(kb).match("にゅうきん").best
    assert best is not None and best.entry.id == "a"
    in_memory = parse(small.read_text("utf-8"))
    assert compiled.path_for(in_memory) is None and compiled.status(in_memory) == "absent"


def test_a_json_knowledge_file_is_compiled_beside_it(tmp_path: Path) -> None:
    entries = [{"id": "a", "questions": {"ja": ["入金"]}, "answer": {"ja": "入金の答え"}}]
    source = tmp_path / "faq.json"
    source.write_text(json.dumps({"entries": entries}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "faq.compiled", str(source)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "faq.compiled.json").is_file() and compiled.status(load(source)) == "current"
    # A compiled file read as a knowledge file would be its own compiled file: it has none.
    assert compiled.path_for(parse(json.dumps({"entries": entries}), source="x.compiled.json")) is None
