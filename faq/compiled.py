"""The phrasing model counted ahead of time and kept beside its knowledge file.

Learning the model means analysing every labelled example with Sudachi: at start-up that is
about 0.3 s and 20 MB more of the dictionary's pages. `knowledge.phrasings.json` beside
`knowledge.yaml` holds what the model learnt, with a fingerprint of everything that went into
it: the knowledge base's content, the code of the `faq` package and the Sudachi versions. A file
whose fingerprint differs is ignored and the model is learnt as before, so a stale file costs
time, never answers.

Refresh it after changing the knowledge base, its examples or the analyser:
    python -m faq.compiled [KNOWLEDGE_FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from collections.abc import Container
from importlib import metadata
from pathlib import Path

from faq.model import KnowledgeBase
from faq.phrasings import PhrasingModel

log = logging.getLogger(__name__)

FORMAT = 1
SUFFIX = ".phrasings.json"


def path_for(kb: KnowledgeBase) -> Path | None:
    """Where the compiled model of a knowledge base read from a file lives (None if from memory)."""
    source = Path(kb.source)
    return source.with_suffix(SUFFIX) if source.suffix in (".yaml", ".yml") else None


def fingerprint(kb: KnowledgeBase) -> str:
    """A digest of everything the model depends on."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    for package in ("sudachipy", "sudachidict-core"):
        digest.update(f"{package} {_version(package)}\n".encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\n" + module.read_bytes())
    content = (kb.entries, kb.synonyms, sorted(kb.stopwords), kb.examples, kb.directions)
    digest.update(repr(content).encode())
    return digest.hexdigest()


def status(kb: KnowledgeBase) -> str:
    """Whether the compiled model of `kb` is "current", "out of date" or "absent"."""
    path = path_for(kb)
    if path is None or not path.is_file():
        return "absent"
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return "out of date"
    current = isinstance(data, dict) and data.get("fingerprint") == fingerprint(kb)
    return "current" if current else "out of date"


def read(kb: KnowledgeBase, known: Container[str]) -> PhrasingModel | None:
    """The compiled model of `kb` if its file is there and current, else None."""
    path = path_for(kb)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("fingerprint") != fingerprint(kb):
            log.warning("%s is out of date; learning the phrasing model (python -m faq.compiled)", path.name)
            return None
        return PhrasingModel.from_state(data["model"], known)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s cannot be used (%s); learning the phrasing model", path.name, type(exc).__name__)
        return None


def write(kb: KnowledgeBase, model: PhrasingModel) -> Path:
    """Save `model` as the compiled model of `kb`; return the file written."""
    path = path_for(kb)
    if path is None:
        raise ValueError("a knowledge base read from memory has no place for a compiled model")
    data = {"format": FORMAT, "fingerprint": fingerprint(kb), "model": model.state()}
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def main(argv: list[str] | None = None) -> int:
    """Learn the phrasing model of a knowledge file (the built-in one by default) and save it."""
    from faq.loader import load
    from faq.matcher import Matcher

    parser = argparse.ArgumentParser(prog="python -m faq.compiled", description=main.__doc__)
    parser.add_argument("knowledge", nargs="?", help="knowledge file (default: the built-in one)")
    args = parser.parse_args(argv)
    kb = load(args.knowledge)
    model = Matcher(kb, remember=0, compiled=False).phrasings
    if model is None:
        print(f"{kb.source}: too few labelled examples for a phrasing model; nothing written", file=sys.stderr)
        return 1
    path = write(kb, model)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
