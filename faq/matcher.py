"""Rank knowledge entries for a query and decide whether to answer, ask, or fall back.

An entry's score is how much of the query it explains, on two signals:
- words: the idf-weighted share of the query's content words (and synonym groups) that the
  entry holds, each discounted by the field it sits in;
- sounds: the idf-weighted share of the query's reading n-grams found in the entry's
  questions and keywords, which survives kana spellings, typos and unknown words.
Words the knowledge base has never seen count against every entry, which is what keeps
questions about prices, taxes or the weather from being answered with the nearest entry.
Both shares lie in [0, 1], so the blend is comparable across queries and one set of
thresholds decides.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from rapidfuzz import distance, process

from faq import compiled as compiled_model
from faq import index as index_module
from faq import phrasings
from faq.analyzer import DIRECTION_WEIGHT, OTHER_PREFIX, Analysis, Analyzer
from faq.model import Entry, KnowledgeBase
from faq.normalize import MAX_QUERY_CHARS
from faq.phrasings import PhrasingModel

WORD_SHARE = 0.6
# Words never seen in the knowledge base weigh this fraction of a maximally rare word:
# enough to sink an off-topic question, not so much that one colloquial word sinks a real one.
# An unknown verb or adjective is mostly phrasing, so it weighs less than an unknown noun.
UNKNOWN_NOUN_FACTOR = 1.0
UNKNOWN_VERBAL_FACTOR = 0.3
# A name the base does not know (Netflix, 楽天銀行) is more likely whose the question is.
UNKNOWN_PROPER_FACTOR = 2.0
UNKNOWN_CROWD_EXPONENT = 0.5
# How much the single closest question, title or keyword decides, against the entry as a whole.
NEAREST_SHARE = 0.2
# A reading with fewer n-grams than this is too short to vouch for an entry on sound alone.
MIN_NGRAMS = 4
WORDLESS_SOUND_TRUST = 0.5
# Latin words the index lacks are read as the nearest known word within this edit distance.
MAX_TYPO_DISTANCE = {4: 1, 5: 1, 6: 1, 7: 2}
# How many of the nearest known words a typo's correction chooses among.
NEAREST_TYPOS = 10
# A question about someone else's password or phone number is not about ours: the factor on the
# score when every word the base knows in it belongs to a stranger (Netflixのパスワード).
STRANGER_FACTOR = 0.4
# PHRASING_SHARE of a score comes from the phrasing model when the base has labelled examples.
PHRASING_SHARE = 0.3


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The scores on which the matcher decides."""

    answer: float  # answer from here
    suggest: float  # offer as "did you mean" from here
    close: float  # two answerable entries nearer than this: ask which was meant
    confident: float  # from here an FAQ answer outranks an hours pattern ("pending for 48 hours")
    # A message of at least `long_terms` content words explains itself less (context, feelings,
    # what the screen said): its best entry is answered from `long_answer` when it leads the
    # next by `long_lead`. 0 turns this off.
    long_terms: int = 0
    long_answer: float = 1.0
    long_lead: float = 1.0


# Chosen by leave-one-set-out evaluation over the labelled sets (bench/cross_validate.py).
WORDS_ONLY = Thresholds(answer=0.34, suggest=0.25, close=0.06, confident=0.5)
WITH_PHRASINGS = Thresholds(
    answer=0.47, suggest=0.35, close=0.1, confident=0.62, long_terms=6, long_answer=0.3, long_lead=0.1
)
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# How many of the best entries a decision looks at (and "did you mean" may offer).
CANDIDATES = 5


_FULL_SORT_SIZE = 256


class Decision(StrEnum):
    """What the matcher recommends doing with a query."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked entry with its score in [0, 1]."""

    entry: Entry
    score: float


@dataclass(frozen=True, slots=True)
class Match:
    """The best entries for a query and the decision taken on them.

    `candidates` are the few best that the decision looked at (never fewer than
    CANDIDATES when the base has them); `ranking` is the first `top` of them for output,
    so how many a caller wants to see never changes what the bot says.
    """

    candidates: tuple[Candidate, ...]
    decision: Decision
    top: int = 3
    thresholds: Thresholds = WORDS_ONLY
    # The factor for words that belong to someone else (郵便局の営業時間): 1.0 when none do.
    stranger: float = 1.0
    # Other companies' services the query names (the knowledge file's others: ≠佐川).
    others: tuple[str, ...] = ()

    @property
    def ranking(self) -> tuple[Candidate, ...]:
        """The `top` best entries."""
        return self.candidates[: max(self.top, 0)]

    @property
    def best(self) -> Candidate | None:
        """The top candidate, if the base has any entry."""
        return self.candidates[0] if self.candidates else None

    @property
    def close(self) -> tuple[Candidate, ...]:
        """Candidates worth offering as "did you mean" choices."""
        if not self.candidates:
            return ()
        if self.decision is Decision.NONE:
            return tuple(c for c in self.candidates if c.score >= self.thresholds.suggest)
        top = self.candidates[0].score
        limits = self.thresholds
        return tuple(c for c in self.candidates if c.score >= limits.answer and top - c.score < limits.close)

    def score_of(self, entry_id: str) -> float | None:
        """The score of one entry, if it is among the candidates."""
        return next((c.score for c in self.candidates if c.entry.id == entry_id), None)


# Recent queries whose Match is kept: quick-reply taps and menu buttons send the same few texts
# again and again, and a Match is immutable.
RECENT_QUERIES = 4096


class Matcher:
    """A ranking engine over one knowledge base. Pure and synchronous."""

    def __init__(self, kb: KnowledgeBase, remember: int = RECENT_QUERIES, compiled: bool = True) -> None:
        # compiled: take the analysed base from its file beside the knowledge file when current.
        self.kb = kb
        shipped = compiled_model.read(kb) if compiled else None
        readings = shipped.readings if shipped is not None else None
        self.analyzer = Analyzer(kb.synonyms, kb.stopwords, kb.directions, readings, kb.others, kb.others_as_written)
        self.index = shipped.index if shipped is not None else index_module.build(kb, self.analyzer)
        # A mistyped word is corrected towards the index's Latin terms and the synonym groups'
        # Latin spellings, which the index holds under their group's name; else towards a word of
        # a synonym phrase, where that completes the phrase (hepl center).
        self._spelled = self.analyzer.latin_spellings()
        latin = {t for t in self.index.terms if t.isascii()} | set(self._spelled)
        self._latin_terms = sorted(t for t in latin if len(t) >= 3)
        self._phrases = {w: p for w, p in self.analyzer.latin_phrases().items() if w not in latin and len(w) >= 3}
        self._phrase_words = sorted(self._phrases)
        self._corrections: dict[str, str | None] = {}
        self._phrase_corrections: dict[str, str | None] = {}
        self._remember = remember
        self.phrasings = shipped.phrasings if shipped is not None else self._phrasing_model(kb)
        self.thresholds = WORDS_ONLY if self.phrasings is None else WITH_PHRASINGS
        self._recent: OrderedDict[tuple[str, int], Match] = OrderedDict()
        # The document space of the index (entries, then exemplars), for _scores.
        exemplars = self.index.exemplars
        self._documents = self.index.size + exemplars.term_mass.size
        self._query_part = np.concatenate([np.ones(self.index.size), np.full(exemplars.term_mass.size, 0.5)])
        self._exemplar_term_half = np.concatenate([np.zeros(self.index.size), exemplars.term_mass * 0.5])
        self._exemplar_gram_half = np.concatenate([np.zeros(self.index.size), exemplars.ngram_mass * 0.5])

    def match(self, query: str, top: int = 3) -> Match:
        """Rank the entries for `query` and return the `top` best with a decision."""
        key = (query[:MAX_QUERY_CHARS], top)
        known = self._recent.get(key)
        if known is not None:
            self._recent.move_to_end(key)
            return known
        analysis = self._analyze(key[0])
        stranger = self._stranger_factor(analysis)
        candidates = self._top(self._scores(analysis, stranger), max(top, CANDIDATES))
        decision = self._decide(candidates, self.thresholds, len(analysis.terms))
        others = tuple(term for term in analysis.terms if term.startswith(OTHER_PREFIX))
        found = Match(candidates, decision, top, self.thresholds, stranger, others)
        if self._remember:
            self._recent[key] = found
            if len(self._recent) > self._remember:
                self._recent.popitem(last=False)
        return found

    def _analyze(self, text: str) -> Analysis:
        """The analysis of `text`, its mistyped English words read as the known words nearest them.

        A typo is corrected in the text itself (opne -> open), so that the phrase it belongs to
        ("open an account") and its synonym group are found as if it had been spelt right.
        """
        analysis = self.analyzer.analyze(text)
        unknown = {
            term
            for term in analysis.terms
            if term.isascii()
            and term not in self.index.terms
            # A name is not a misspelling (Gmail is not "email"), unless only its capital made it one.
            and (term not in analysis.proper or term in analysis.shaped)
            and term not in self._spelled  # an inflected synonym (reflecting) is _query_terms' business
        }
        if not unknown:
            return analysis
        respelt: dict[str, str] = {}
        phrased: set[str] = set()  # words respelt towards a phrase's word
        for word in dict.fromkeys(_LATIN_WORD.findall(text)):
            if self.analyzer.latin_term(word) in unknown:
                nearest = self._correct(word.lower())
                if nearest is None and (nearest := self._correct(word.lower(), phrases=True)) is not None:
                    phrased.add(word)
                if nearest is not None:
                    respelt[word] = nearest

        def respelled() -> str:
            return _LATIN_WORD.sub(lambda found: respelt.get(found.group(), found.group()), text)

        if phrased:
            # Towards a phrase's word only where the phrase is then there: "whats" is not "what".
            whole = respelled().lower()
            for word in phrased:
                if not any(phrase in whole for phrase in self._phrases[respelt[word]]):
                    del respelt[word]
        return self.analyzer.analyze(respelled()) if respelt else analysis

    def _scores(self, analysis: Analysis, stranger: float) -> np.ndarray:
        """Score every entry for an analysed query, `stranger` being its _stranger_factor."""
        index = self.index
        terms, unknown_terms = self._query_terms(analysis)
        grams = dict.fromkeys(sorted(analysis.ngrams), 1.0)  # summed in one order in every process
        # A reading too short to vouch for anything on sound alone counts for less, and so does
        # one without a single content word (今何時?).
        sound_trust = min(1.0, len(grams) / MIN_NGRAMS) * (1.0 if terms else WORDLESS_SOUND_TRUST)

        size = index.size
        held, term_mass = _overlap(terms, index.terms, unknown_terms, 0.0, self._documents)
        heard, gram_mass = _overlap(grams, index.ngrams, {}, index.unknown_ngram_idf, self._documents)
        # Entries and exemplars lie in one array; one expression scores both. An entry's share
        # is what it holds over the query's mass; an exemplar's is the Dice coefficient, what it
        # holds over the mean of the query's mass and its own.
        mix = held / (self._exemplar_term_half + term_mass * self._query_part) if term_mass else held
        mix *= WORD_SHARE
        if gram_mass:
            sounds = heard / (self._exemplar_gram_half + gram_mass * self._query_part)
            sounds *= (1.0 - WORD_SHARE) * sound_trust
            mix += sounds
        nearest = np.maximum.reduceat(mix[size:], index.exemplars.starts)
        words_and_sounds = 1.0 if self.phrasings is None else 1.0 - PHRASING_SHARE
        combined = mix[:size] * ((1.0 - NEAREST_SHARE) * words_and_sounds)
        combined += nearest * (NEAREST_SHARE * words_and_sounds)
        if self.phrasings is not None:
            combined += self.phrasings.probabilities(analysis) * PHRASING_SHARE
        # On the whole score: the phrasing model, which has never seen Gmail, must not undo it.
        if stranger != 1.0:
            combined *= stranger
        return combined

    def _phrasing_model(self, kb: KnowledgeBase) -> PhrasingModel | None:
        """A phrasing model learnt from the entries' questions and the base's labelled examples,
        when there are enough of them (phrasings.enough)."""
        if not phrasings.enough(kb.examples):
            return None
        position = {entry.id: number for number, entry in enumerate(kb.entries)}
        none = len(kb.entries)
        labelled: list[tuple[str, tuple[int, ...]]] = [
            (text, (number,))
            for number, entry in enumerate(kb.entries)
            for text in [*(q for questions in entry.questions.values() for q in questions), *entry.title.values()]
        ]
        for example in kb.examples:
            # Hours and handoff requests are the intent rules' business, not an entry's.
            labels = (none,) if example.out_of_domain else tuple(position[i] for i in example.expect if i in position)
            if labels:
                labelled.append((example.query, labels))
        # Analysed one at a time as the model counts, so no text's analysis outlives its turn.
        taught = ((self._analyze(text), labels) for text, labels in labelled)
        return PhrasingModel.learn(len(kb.entries), taught, self.index.terms)

    def _stranger_factor(self, analysis: Analysis) -> float:
        """Less confidence when the words the base knows belong to something it does not.

        In "Gmailのパスワード忘れた" the password is Gmail's; in "三井住友の口座から振り込んだのに
        反映されない" the account is the bank's, but the transfer and its reflection are ours. The
        factor shrinks with the share of the known words that a stranger owns, down a chain of
        owners too (ドコモの問い合わせ窓口の電話番号: the number is the desk's, the desk ドコモ's).
        """
        owned: set[str] = set()
        theirs: set[str] = set()  # terms a stranger owns, directly or down a chain (XのYのZ)
        for owner, words in analysis.owned:
            stranger = owner and not any(self._knows(t) or t.isdigit() for t in owner)
            if stranger or theirs.intersection(owner):
                theirs.update(words)
                owned.update(self._known_forms(t) for t in words if self._knows(t))
        if not owned:
            return 1.0
        known = {self._known_forms(t) for t in analysis.terms if self._knows(t)}
        mass = {form: self.index.terms[form].idf for form in sorted(known | owned) if form in self.index.terms}
        total = sum(mass.values())
        share = sum(mass.get(form, 0.0) for form in sorted(owned)) / total if total else 1.0
        return 1.0 - (1.0 - STRANGER_FACTOR) * share

    def _known_forms(self, term: str) -> str:
        """The form under which the index holds a term: itself or its synonym group."""
        if term in self.index.terms:
            return term
        return next((g for g in sorted(self.analyzer.groups_of(term)) if g in self.index.terms), term)

    def _knows(self, term: str) -> bool:
        return self._known_forms(term) in self.index.terms

    def _query_terms(self, analysis: Analysis) -> tuple[dict[str, float], dict[str, float]]:
        """The query's terms as the index knows them, and the idf each unknown one costs."""
        known = self.index.terms
        terms = dict(analysis.terms)
        for group in analysis.directed:
            if group in terms:
                terms[group] *= DIRECTION_WEIGHT
        for compound, parts in analysis.compounds.items():
            # A compound the index lacks (チャット機能) is read as its parts.
            if compound in terms and compound not in known:
                weight = terms.pop(compound)
                for part in parts:
                    if part in terms:
                        terms[part] = max(terms[part], weight)
        # A name is not a misspelling: Gmail is not "email".
        for term in [t for t in terms if t not in known and t.isascii() and t not in analysis.proper]:
            corrected = self._correct(term)
            if corrected is not None:
                weight = terms.pop(term)
                # A synonym's spelling stands for its group, as it does when spelt right.
                for found in self._spelled.get(corrected) or [corrected]:
                    terms[found] = max(terms.get(found, 0.0), weight)
        unknown_idf = self.index.unknown_term_idf
        unknown = {term: unknown_idf * _unknown_factor(term, analysis) for term in terms if term not in known}
        if len(unknown) > 1:
            # A long message carries context words (rent, family, yesterday's errand); together
            # they weigh like a few, not like one each.
            damp = len(unknown) ** -UNKNOWN_CROWD_EXPONENT
            unknown = {term: cost * damp for term, cost in unknown.items()}
        return terms, unknown

    def _correct(self, word: str, phrases: bool = False) -> str | None:
        """The known Latin term nearest to a mistyped one (acount -> account), if close enough;
        with `phrases`, the nearest word of a synonym phrase (hepl -> help) instead."""
        known, terms = (
            (self._phrase_corrections, self._phrase_words) if phrases else (self._corrections, self._latin_terms)
        )
        if word in known:
            return known[word]
        limit = MAX_TYPO_DISTANCE.get(len(word), 2 if len(word) > 7 else 0)
        found = None
        if limit and not word.isdigit():  # a number is not a misspelt word
            nearest = process.extract(
                word, terms, scorer=distance.DamerauLevenshtein.distance, score_cutoff=limit, limit=NEAREST_TYPOS
            )
            # Two edits that also change the first letter make another word more often than a typo
            # (sticker is no ticket, evening no opening): the nearest that keeps it, if any.
            found = next((term for term, edits, _ in nearest if edits < 2 or term[0] == word[0]), None)
        if len(known) < 100_000:
            known[word] = found
        return found

    def _top(self, scores: np.ndarray, k: int) -> tuple[Candidate, ...]:
        if k <= 0 or scores.size == 0:
            return ()
        k = min(k, scores.size)
        entries = self.kb.entries
        if scores.size <= _FULL_SORT_SIZE:
            # A handful of numbers sort faster as Python floats than through numpy's calls.
            values = scores.tolist()
            order = sorted(range(len(values)), key=values.__getitem__, reverse=True)[:k]  # stable
            best = [values[i] for i in order]
        else:
            picked = np.argpartition(-scores, k - 1)[:k]
            chosen = picked[np.argsort(-scores[picked], kind="stable")]
            order, best = chosen.tolist(), scores[chosen].tolist()
        # Four places, rounded as numpy's round(4) does (x * 1e4 to even, / 1e4).
        return tuple(Candidate(entries[i], round(v * 1e4) / 1e4) for i, v in zip(order, best, strict=True))

    @staticmethod
    def _decide(ranking: tuple[Candidate, ...], limits: Thresholds, terms: int) -> Decision:
        if not ranking:
            return Decision.NONE
        top = ranking[0].score
        second = ranking[1].score if len(ranking) > 1 else 0.0
        if top < limits.answer:
            long = limits.long_terms and terms >= limits.long_terms
            clear = long and top >= limits.long_answer and top - second >= limits.long_lead
            return Decision.ANSWER if clear else Decision.NONE
        if second >= limits.answer and top - second < limits.close:
            return Decision.CLARIFY
        return Decision.ANSWER


def _unknown_factor(term: str, analysis: Analysis) -> float:
    if term in analysis.verbal:
        return UNKNOWN_VERBAL_FACTOR
    return UNKNOWN_PROPER_FACTOR if term in analysis.proper else UNKNOWN_NOUN_FACTOR


def _overlap(
    weights: dict[str, float],
    postings: dict[str, index_module.Postings],
    unknown: dict[str, float],
    unknown_default: float,
    size: int,
) -> tuple[np.ndarray, float]:
    """Per document, the idf-weighted mass of `weights` it holds; and the query's whole mass,
    with `unknown` (else `unknown_default`) pricing what no document holds."""
    total = 0.0
    found: list[index_module.Postings] = []
    masses: list[np.ndarray] = []
    for item, weight in weights.items():
        posting = postings.get(item)
        if posting is None:
            total += weight * unknown.get(item, unknown_default)
        else:
            total += weight * posting.idf
            found.append(posting)
            # Scaled one posting at a time: cheaper than repeating a list of weights per document.
            masses.append(posting.mass if weight == 1.0 else posting.mass * weight)
    if not found:
        return np.zeros(size), total
    values = np.concatenate(masses)
    return np.bincount(np.concatenate([posting.docs for posting in found]), weights=values, minlength=size), total
