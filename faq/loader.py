"""Load and validate a knowledge file (YAML, or JSON as its subset)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from faq import labelled
from faq.model import INTENT_LABELS, LANGS, Entry, KnowledgeBase, KnowledgeError, Labelled
from faq.normalize import clean, fold

BUILTIN_NAME = "knowledge.yaml"
TOP_LEVEL_KEYS = (
    "entries",
    "synonyms",
    "stopwords",
    "version",
    "examples",
    "directions",
    "others",
    "others_as_written",
)
# libyaml's loader when PyYAML was built with it: five times faster on a large file.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ENTRY_KEYS = ("id", "questions", "answer", "keywords", "title", "category", "related", "staff_note")


def builtin_path() -> Path:
    """Path of the knowledge file shipped with the package."""
    return Path(str(resources.files("faq").joinpath(BUILTIN_NAME)))


def load(path: str | Path | None = None) -> KnowledgeBase:
    """Read, validate and return the knowledge base at `path` (the built-in one when None)."""
    file = Path(path) if path else builtin_path()
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise KnowledgeError(str(file), [f"cannot read file: {exc.strerror or exc}"]) from exc
    return parse(raw, source=str(file), folder=file.parent)


def parse(raw: bytes | str, source: str = "<memory>", folder: Path | None = None) -> KnowledgeBase:
    """Parse knowledge text (example files relative to `folder`); raise KnowledgeError listing every problem."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(source, [f"not UTF-8 text (byte {exc.start})"]) from exc
    try:
        data = _json(text)
        if data is None:
            data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader: CSafeLoader or SafeLoader
    except yaml.YAMLError as exc:
        raise KnowledgeError(source, [_yaml_problem(exc)]) from exc
    except RecursionError as exc:
        raise KnowledgeError(source, ["invalid YAML: nested too deeply"]) from exc
    problems: list[str] = []
    kb = _build(data, source, problems, folder)
    if problems or kb is None:
        raise KnowledgeError(source, problems)
    return kb


def _json(text: str) -> Any:
    """`text` read as JSON when it is JSON, else None (for YAML to read).

    JSON is read by the JSON parser, not as YAML: YAML keeps a \\ud83c\\udf81 escape as two
    lone surrogates instead of one character, and refuses the tabs JSON may be indented with.
    """
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:  # YAML's flow style ({entries: [...]}) is not JSON
        return None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {problem}"
    return f"invalid YAML: {problem}"


def _build(data: Any, source: str, problems: list[str], folder: Path | None) -> KnowledgeBase | None:
    if not isinstance(data, Mapping):
        problems.append("top level must be a mapping with an 'entries' list")
        return None
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        problems.append("'entries' must be a non-empty list")
        return None
    entries: list[Entry] = []
    seen: dict[str, int] = {}  # every id written, whether or not its entry is valid
    relations: list[tuple[str, list[Any]]] = []  # each entry's related ids, a broken entry's too
    for position, raw in enumerate(raw_entries, start=1):
        written = raw.get("id") if isinstance(raw, Mapping) else None
        written = written.strip() if isinstance(written, str) else None
        if written and written in seen:
            problems.append(f"entry {position}: duplicate id '{written}' (first used by entry {seen[written]})")
        entry = _entry(raw, f"entry {position}", problems)
        if written and written in seen:
            continue  # reported as one, its related ids with the first
        if written:
            seen[written] = position
            if entry is not None:
                entries.append(entry)
        if isinstance(raw, Mapping) and isinstance(raw.get("related"), list):
            relations.append((f"entry '{written}'" if written else f"entry {position}", raw["related"]))
    # After every id is known, so one run of check reports them all.
    for name, related_ids in relations:
        for related in related_ids:
            if isinstance(related, str) and related.strip() and related.strip() not in seen:
                problems.append(f"{name}: related id '{related.strip()}' does not exist")
    unknown = sorted(str(key) for key in data if key not in TOP_LEVEL_KEYS)
    if unknown:
        problems.append(f"unknown top-level field {', '.join(unknown)} (known: {', '.join(TOP_LEVEL_KEYS)})")
    synonyms = _synonyms(data.get("synonyms"), problems)
    directions = _directions(data.get("directions"), synonyms, problems)
    stopwords = _string_list(data.get("stopwords", []), "stopwords", problems)
    others = _string_list(data.get("others", []), "others", problems)
    as_written = _string_list(data.get("others_as_written", []), "others_as_written", problems)
    ours = {fold(member) for group in synonyms for member in group}
    for key, names in (("others", others), ("others_as_written", as_written)):
        for name in names:
            if fold(name) in ours:
                problems.append(f"{key}: {name!r} is also a synonym of ours")
    version = data.get("version", "unversioned")
    if not isinstance(version, (str, int, float)) or isinstance(version, bool):
        problems.append("version must be a string")
    return KnowledgeBase(
        entries=tuple(entries),
        synonyms=synonyms,
        stopwords=frozenset(stopwords),
        version=str(version),
        source=source,
        examples=_examples(data.get("examples"), folder, set(seen), problems),
        directions=directions,
        others=tuple(others),
        others_as_written=tuple(as_written),
        warnings=tuple(
            f"entry '{entry.id}': {field}.{lang}: {text!r} has no letters or digits, so nothing can match it"
            for entry in entries
            for field, texts in (("questions", entry.questions), ("keywords", entry.keywords))
            for lang, items in texts.items()
            for text in items
            if not any(ch.isalnum() for ch in clean(text))
        ),
    )


def _examples(value: Any, folder: Path | None, ids: set[str], problems: list[str]) -> tuple[Labelled, ...]:
    """The labelled phrasings of every listed file, each label checked against the entries."""
    names = _string_list(value, "examples", problems)
    if not names:
        return ()
    if folder is None:
        problems.append("examples: files are named relative to the knowledge file; load it from a file")
        return ()
    found: list[Labelled] = []
    for name in names:
        try:
            found.extend(labelled.read(folder / name, known=ids | INTENT_LABELS))
        except KnowledgeError as exc:
            problems.extend(f"examples {name}: {problem}" for problem in exc.problems)
    return tuple(found)


def _entry(raw: Any, where: str, problems: list[str]) -> Entry | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a mapping")
        return None
    entry_id = raw.get("id")
    if entry_id is None or entry_id == "":
        problems.append(f"{where}: missing 'id'")
        return None
    if not isinstance(entry_id, str) or not entry_id.strip():
        problems.append(f"{where}: id must be a non-empty string, not {entry_id!r}")
        return None
    where = f"entry '{entry_id}'"
    count = len(problems)
    unknown = sorted(str(key) for key in raw if key not in ENTRY_KEYS)
    if unknown:
        problems.append(f"{where}: unknown field {', '.join(unknown)} (known: {', '.join(ENTRY_KEYS)})")
    questions = _per_lang_lists(raw.get("questions"), f"{where}: questions", problems, required=True)
    keywords = _per_lang_lists(raw.get("keywords", {}), f"{where}: keywords", problems, required=False)
    answer = _per_lang_texts(raw.get("answer"), f"{where}: answer", problems, required=True)
    title = _per_lang_texts(raw.get("title", {}), f"{where}: title", problems, required=False)
    related = _string_list(raw.get("related", []), f"{where}: related", problems)
    category = raw.get("category")
    if category is not None and not isinstance(category, str):
        problems.append(f"{where}: category must be a string")
    note = raw.get("staff_note")
    if note is not None and not isinstance(note, str):
        problems.append(f"{where}: staff_note must be a string")
    if len(problems) > count:
        return None
    return Entry(
        id=entry_id.strip(),
        questions=questions,
        answer=answer,
        keywords=keywords,
        title=title,
        category=category,
        related=tuple(related),
        staff_note=note,
    )


def _check_langs(value: Mapping[Any, Any], where: str, problems: list[str]) -> bool:
    unknown = [str(key) for key in value if key not in LANGS]
    if unknown:
        problems.append(f"{where}: unsupported language {', '.join(unknown)} (use {' / '.join(LANGS)})")
    return not unknown


def _per_lang_lists(value: Any, where: str, problems: list[str], required: bool) -> dict[str, tuple[str, ...]]:
    if value is None and required:
        problems.append(f"{where}: missing")
        return {}
    if isinstance(value, list):
        # A bare list (of questions or keywords) is read as Japanese.
        value = {"ja": value}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: must map a language (ja, en) to a list of strings")
        return {}
    if not _check_langs(value, where, problems):
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for lang, items in value.items():
        if items is None:
            items = []
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            problems.append(f"{where}.{lang}: must be a list of strings")
            continue
        cleaned = tuple(item.strip() for item in items if item.strip())
        if cleaned:
            out[lang] = cleaned
    if required and not out and not any(p.startswith(where) for p in problems):
        problems.append(f"{where}: empty question list")
    return out


def _per_lang_texts(value: Any, where: str, problems: list[str], required: bool) -> dict[str, str]:
    if value is None or value == {}:
        if required:
            problems.append(f"{where}: missing")
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: must map a language (ja, en) to a text")
        return {}
    if not _check_langs(value, where, problems):
        return {}
    out: dict[str, str] = {}
    wrong = False
    for lang, text in value.items():
        if not isinstance(text, str):
            problems.append(f"{where}.{lang}: must be a text")
            wrong = True
        elif text.strip():
            out[lang] = text.strip()
    if required and not out and not wrong:
        problems.append(f"{where}: empty")
    return out


def _string_list(value: Any, where: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(f"{where}: must be a list of strings")
        return []
    return [item.strip() for item in value if item.strip()]


def _directions(
    value: Any, synonyms: tuple[tuple[str, ...], ...], problems: list[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Direction patterns per synonym member; each must name a member and compile."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        problems.append("directions: must map a synonym (入金) to a list of patterns")
        return ()
    members = {fold(member) for group in synonyms for member in group}
    found: list[tuple[str, tuple[str, ...]]] = []
    for word, raw in value.items():
        patterns = _string_list(raw, f"directions {word}", problems)
        if not isinstance(word, str) or fold(word) not in members:
            problems.append(f"directions: {word!r} is not a member of any synonym group")
            continue
        for pattern in patterns:
            try:
                re.compile(fold(pattern))
            except re.error as exc:
                problems.append(f"directions {word}: invalid pattern {pattern!r}: {exc}")
        found.append((word, tuple(patterns)))
    return tuple(found)


def _synonyms(value: Any, problems: list[str]) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append("synonyms: must be a list of groups (lists of strings)")
        return ()
    groups: list[tuple[str, ...]] = []
    for position, group in enumerate(value, start=1):
        members = _string_list(group, f"synonyms group {position}", problems)
        if len(members) < 2:
            problems.append(f"synonyms group {position}: needs at least two members")
            continue
        groups.append(tuple(members))
    return tuple(groups)
