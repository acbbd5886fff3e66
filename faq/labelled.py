"""Labelled customer phrasings: the JSON-lines format of DESIGN.md's query sets.

One object a line, `{"q": "...", "expect": [...]}`. The same files score the bot
(`supportbot eval`) and, listed under a knowledge file's `examples`, teach its phrasing model.
"""

from __future__ import annotations

import json
from pathlib import Path

from faq.model import KnowledgeError, Labelled


def read(path: Path) -> list[Labelled]:
    """Read a JSON-lines query set; every bad line is reported at once."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(str(path), [f"cannot read: {exc}"]) from exc
    return parse(text, str(path))


def parse(text: str, source: str = "<memory>") -> list[Labelled]:
    """Parse JSON-lines text; raise KnowledgeError listing every bad line."""
    items: list[Labelled] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
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
        items.append(Labelled(query, tuple(str(label) for label in expect)))
    if problems:
        raise KnowledgeError(source, problems)
    return items
