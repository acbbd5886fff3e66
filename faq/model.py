"""The knowledge base as immutable values."""

from __future__ import annotations

from dataclasses import dataclass, field

LANGS = ("ja", "en")
NONE_LABEL = "@none"
INTENT_LABELS = frozenset({"@hours", "@handoff", NONE_LABEL})


class KnowledgeError(Exception):
    """A knowledge or query file that cannot be used; `problems` lists every reason at once."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class Entry:
    """One FAQ entry: phrasings, keywords and an answer per language."""

    id: str
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    title: dict[str, str] = field(default_factory=dict)
    category: str | None = None
    related: tuple[str, ...] = ()
    staff_note: str | None = None

    def answer_in(self, lang: str) -> str:
        """The answer in `lang`, else in the other language the entry has."""
        return self.answer.get(lang) or next(text for text in self.answer.values() if text)

    def title_in(self, lang: str) -> str:
        """A short label for menus: the title, else the first question, in `lang` where possible."""
        if self.title.get(lang):
            return self.title[lang]
        questions = self.questions.get(lang) or next(q for q in self.questions.values() if q)
        return questions[0]


@dataclass(frozen=True, slots=True)
class Labelled:
    """One customer message and the answers that count as right: entry ids or an intent label."""

    query: str
    expect: tuple[str, ...]

    @property
    def out_of_domain(self) -> bool:
        """True for a message that must get no FAQ, hours or handoff answer."""
        return self.expect == (NONE_LABEL,)


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """All entries plus the language resources the matcher reads from the data."""

    entries: tuple[Entry, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    stopwords: frozenset[str] = frozenset()
    version: str = "unversioned"
    source: str = "<memory>"
    # Labelled customer phrasings that teach the phrasing model (faq/phrasings.py).
    examples: tuple[Labelled, ...] = ()
    # Per synonym member (入金), patterns saying a message goes that way (外部ウォレットから送った).
    directions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Names of other companies' services (コインチェック, Binance): what they own is not ours.
    others: tuple[str, ...] = ()
    # Such names that are also ordinary words in another case (LINE, line): matched only as written.
    others_as_written: tuple[str, ...] = ()
    # What `supportbot check` should mention without refusing the file (a question with no words).
    warnings: tuple[str, ...] = field(default=(), compare=False)
    _by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {entry.id: entry for entry in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None."""
        return self._by_id.get(entry_id)
