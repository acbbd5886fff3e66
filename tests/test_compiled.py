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


def test_the_shipped_compiled_model_is_current() -> None:
    assert compiled.status(load()) == "current", "refresh it: python -m faq.compiled"


def test_the_compiled_model_answers_exactly_as_learning_does() -> None:
    kb = load()
    shipped = compiled.read(kb, Matcher(kb, remember=0, compiled=False).index.terms)
    learning = Matcher(kb, remember=0, compiled=False)
    assert shipped is not None and learning.phrasings is not None
    queries = [json.loads(line)["q"] for line in DEV.read_text("utf-8").splitlines() if line.strip()]
    queries += [example.query for example in kb.examples[::10]]
    for query in queries:
        analysis = learning.analyzer.analyze(query)
        assert np.array_equal(shipped.probabilities(analysis), learning.phrasings.probabilities(analysis)), query


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The built-in knowledge file and its examples in a folder of their own, without a compiled model."""
    source = builtin_path()
    shutil.copy(source, tmp_path / source.name)
    shutil.copytree(source.parent / "examples", tmp_path / "examples")
    return tmp_path / source.name


def test_compiling_writes_a_model_that_start_up_takes(copy: Path) -> None:
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
        written.append(copy.with_suffix(".phrasings.json").read_bytes())
    assert written[0] == written[1]
    assert compiled.status(kb) == "current"
    assert compiled.read(kb, Matcher(kb, compiled=False).index.terms) is not None


def test_a_stale_or_broken_file_is_ignored_and_the_model_learnt(copy: Path, caplog: pytest.LogCaptureFixture) -> None:
    kb = load(copy)
    learnt = Matcher(kb, remember=0, compiled=False)
    assert learnt.phrasings is not None
    compiled.write(kb, learnt.phrasings)
    examples = copy.parent / "examples" / "customer_phrasings_1.jsonl"
    examples.write_text(
        examples.read_text("utf-8") + '{"q": "口座が作れない", "expect": ["account-opening"]}\n', "utf-8"
    )
    changed = load(copy)
    assert compiled.status(changed) == "out of date"
    path = copy.with_suffix(".phrasings.json")
    good = json.loads(path.read_text("utf-8"))
    broken_model = {**good, "fingerprint": compiled.fingerprint(changed), "model": {**good["model"], "kinds": None}}
    for content in ("{not json", json.dumps(broken_model), json.dumps([1, 2])):
        path.write_text(content, "utf-8")
        with caplog.at_level(logging.WARNING, logger="faq.compiled"):
            caplog.clear()
            matcher = Matcher(changed, remember=0)
        assert matcher.phrasings is not None  # learnt at start-up instead
        assert any(path.name in record.getMessage() for record in caplog.records), content[:20]
    path.write_text(json.dumps(good), "utf-8")
    assert compiled.status(changed) == "out of date"
    assert compiled.read(changed, learnt.index.terms) is None


def test_a_base_from_memory_or_without_enough_examples_has_no_compiled_model(tmp_path: Path) -> None:
    small = tmp_path / "small.yaml"
    small.write_text(
        "entries:\n  - id: a\n    questions: {ja: [入金]}\n    answer: {ja: 入金の答え}\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "faq.compiled", str(small)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 1 and "too few labelled examples" in done.stderr
    assert not small.with_suffix(".phrasings.json").exists()
    in_memory = parse(small.read_text("utf-8"))
    assert compiled.path_for(in_memory) is None and compiled.status(in_memory) == "absent"
