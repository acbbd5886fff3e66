"""A knowledge base's start-up work, done ahead of time and kept beside its knowledge file.

Starting the matcher means reading every synonym, question, keyword and answer with Sudachi,
and learning the phrasing model from every labelled example: about half a second, and some
80 MB of the dictionary's pages that a running bot never needs again. `knowledge.compiled.json`
beside `knowledge.yaml` holds the result (the synonyms' readings, the index and what the model
learnt) with a fingerprint of everything that went into it: the knowledge base's content, the
code of the `faq` package and the Sudachi versions. A file whose fingerprint differs is ignored
and the work is done at start-up as before, so a stale file costs time, never answers.

Refresh it after changing the knowledge base, its examples or the analyser:
    python -m faq.compiled [KNOWLEDGE_FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from faq import index as index_module
from faq import phrasings
from faq.index import Index
from faq.model import KnowledgeBase
from faq.phrasings import PhrasingModel

log = logging.getLogger(__name__)

# 3: the phrasing model numbers a fourth kind of unknown word (another company's name) first.
FORMAT = 3
SUFFIX = ".compiled.json"


@dataclass(frozen=True, slots=True)
class Compiled:
    """What start-up takes from a compiled file instead of working it out."""

    readings: dict[str, str]  # each synonym spelling, read aloud
    index: Index
    phrasings: PhrasingModel | None  # None when the base has too few labelled examples


def path_for(kb: KnowledgeBase) -> Path | None:
    """Where the compiled file of a knowledge base read from a file lives (None if from memory)."""
    source = Path(kb.source)
    if source.suffix not in (".yaml", ".yml", ".json") or source.name.endswith(SUFFIX):
        return None  # a compiled file is never a knowledge file's own compiled file
    return source.with_suffix(SUFFIX)


def fingerprint(kb: KnowledgeBase) -> str:
    """A digest of everything the compiled file depends on."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    # What turns text into terms besides our code: the dictionary, the stemmer (snowballstemmer
    # uses PyStemmer when it is there), numpy's arithmetic and Python's Unicode tables (NFKC).
    for package in ("sudachipy", "sudachidict-core", "snowballstemmer", "pystemmer", "numpy"):
        digest.update(f"{package} {_version(package)}\n".encode())
    digest.update(f"python {sys.version_info[:2]} unicode {unicodedata.unidata_version}\n".encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\n" + module.read_bytes())
    content = (
        kb.entries,
        kb.synonyms,
        sorted(kb.stopwords),
        kb.examples,
        kb.directions,
        kb.others,
        kb.others_as_written,
    )
    digest.update(repr(content).encode())
    return digest.hexdigest()


def status(kb: KnowledgeBase) -> str:
    """Whether the compiled file of `kb` is "current", "out of date" or "absent"."""
    path = path_for(kb)
    if path is None or not path.is_file():
        return "absent"
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return "out of date"
    current = isinstance(data, dict) and data.get("fingerprint") == fingerprint(kb)
    return "current" if current else "out of date"


def read(kb: KnowledgeBase) -> Compiled | None:
    """The compiled start-up work of `kb` if its file is there and current, else None."""
    path = path_for(kb)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("fingerprint") != fingerprint(kb):
            log.warning(
                "%s is out of date; analysing the knowledge base at start-up (python -m faq.compiled)", path.name
            )
            return None
        readings = data["readings"]
        if not isinstance(readings, dict) or not all(isinstance(v, str) for v in readings.values()):
            raise ValueError("readings are not text")
        index = index_module.from_state(data["index"], tuple(entry.id for entry in kb.entries))
        model = None if data["model"] is None else PhrasingModel.from_state(data["model"], index.terms)
        if (model is None) == phrasings.enough(kb.examples):
            raise ValueError("the phrasing model does not match the examples")
        return Compiled(readings, index, model)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s cannot be used (%s); analysing the knowledge base at start-up", path.name, type(exc).__name__)
        return None


def write(kb: KnowledgeBase, readings: Mapping[str, str], index: Index, model: PhrasingModel | None) -> Path:
    """Save the start-up work of `kb` as its compiled file; return the file written."""
    path = path_for(kb)
    if path is None:
        raise ValueError("a knowledge base read from memory has no place for a compiled file")
    data: dict[str, Any] = {
        "format": FORMAT,
        "fingerprint": fingerprint(kb),
        "readings": dict(readings),
        "index": index_module.state(index),
        "model": None if model is None else model.state(),
    }
    # Written aside and moved into place, so a server starting meanwhile never reads half a file.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def main(argv: list[str] | None = None) -> int:
    """Analyse a knowledge file (the built-in one by default) and save the work as its compiled file."""
    from faq.loader import load
    from faq.matcher import Matcher

    parser = argparse.ArgumentParser(prog="python -m faq.compiled", description=main.__doc__)
    parser.add_argument("knowledge", nargs="?", help="knowledge file (default: the built-in one)")
    args = parser.parse_args(argv)
    kb = load(args.knowledge)
    if path_for(kb) is None:
        print(f"{kb.source}: not a knowledge file; nothing written", file=sys.stderr)
        return 1
    matcher = Matcher(kb, remember=0, compiled=False)
    path = write(kb, matcher.analyzer.readings, matcher.index, matcher.phrasings)
    model = "with" if matcher.phrasings is not None else "without (too few labelled examples)"
    print(f"wrote {path} ({path.stat().st_size:,} bytes), {model} a phrasing model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
