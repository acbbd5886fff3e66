"""Labelled customer phrasings: the JSON-lines format of DESIGN.md's query sets.

One object a line, `{"q": "...", "expect": [...]}`. The same files score the bot
(`supportbot eval`) and, listed under a knowledge file's `examples`, teach its phrasing model.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from faq.model import NONE_LABEL, KnowledgeError, Labelled


def read(path: Path, known: Collection[str] | None = None) -> list[Labelled]:
    """Read a JSON-lines query set; every bad line is reported at once."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(str(path), [f"cannot read: {exc}"]) from exc
    return parse(text, str(path), known)


def parse(text: str, source: str = "<memory>", known: Collection[str] | None = None) -> list[Labelled]:
    """Parse JSON-lines text, labels checked against `known` when given; raise KnowledgeError listing every bad line."""
    items: list[Labelled] = []
    problems: list[str] = []
    # Lines end at \n alone: JSON strings may hold U+2028 or U+0085, where splitlines() would cut.
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: invalid JSON: {exc.msg}")
            continue
        query, expect = (data.get("q"), data.get("expect")) if isinstance(data, dict) else (None, None)
        if not isinstance(query, str) or not isinstance(expect, list) or not expect:
            problems.append(f'line {number}: needs {{"q": str, "expect": [non-empty list]}}')
            continue
        problem = _label_problem(expect, known)
        if problem:
            problems.append(f"line {number}: {problem}")
            continue
        items.append(Labelled(query, tuple(expect)))
    if problems:
        raise KnowledgeError(source, problems)
    return items


def _label_problem(expect: list[Any], known: Collection[str] | None) -> str | None:
    if not all(isinstance(label, str) and label for label in expect):
        return "labels must be non-empty strings"
    if len(set(expect)) != len(expect):
        return "a label is listed twice"
    if NONE_LABEL in expect and len(expect) > 1:
        return f"{NONE_LABEL} stands alone: a message cannot be both out of scope and answerable"
    unknown = [label for label in expect if known is not None and label not in known]
    return f"unknown id {', '.join(unknown)}" if unknown else None
