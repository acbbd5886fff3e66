"""Turn text into the terms and character n-grams the index stores.

Japanese goes through Sudachi: content words by their normalised form (so 振込/振り込み and
出来る/できる meet), compounds also by their short units, and the whole text as a katakana
reading for n-grams, which is what lets ぱすわーどわすれた find パスワードを忘れた and keeps
typos and words the dictionary lacks within reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import ahocorasick
import snowballstemmer
from sudachipy import Dictionary, SplitMode

from faq import stopwords
from faq.normalize import clean, fold, fold_clean, fold_origins, is_latin_word, kana_fold

# Topic-bearing parts of speech, with how much a match on each says about the topic.
_POS_WEIGHT = {"名詞": 1.0, "形状詞": 0.7, "動詞": 0.6, "形容詞": 0.6}
_SEPARATOR_POS = frozenset({"補助記号", "空白", "記号"})
# What may go on with a quantity after a number: counters (円, 回, 桁) and nouns that stand as
# adverbs (分 and 前 of 10万円分, 3日前). Which of them weigh nothing is stopwords.COUNTERS.
_MEASURE_POS = frozenset({"助数詞可能", "助数詞", "副詞可能"})
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
_SYNONYM_PREFIX = "≡"
# A name of another company's service stands as one term with this prefix (≠コインチェック).
OTHER_PREFIX = "≠"
# What a direction pattern may call any name of the others list (外部ウォレット|他社)から.
OTHER_COMPANY = "他社"
# A transfer's direction that a pattern decided (外部ウォレットから送った: in) counts this many
# words, in the word score and in the phrasing model alike.
DIRECTION_WEIGHT = 3.0
# Readings shorter than this are too ambiguous to stand for a synonym (ニ, カイ, ...).
_MIN_READING_SYNONYM = 3
# Sudachi refuses inputs over ~49 KB, so long answers are read in chunks.
_CHUNK_CHARS = 8000
_CACHE_LIMIT = 200_000
# Synonyms are heard with a small ッ written large: a phone's flick keyboard makes チャツト of
# チャット. Only ッ: with ョ as ヨ, 仕様 (シヨウ) is heard in 認証 (ニンショウ); and not in the n-grams,
# where ッテ of って would meet ツテ (both measured: the held-out sets lose by them).
_LARGE_TSU = str.maketrans("ッ", "ツ")
Span = tuple[int, int, frozenset[str]]  # where a spelling stands, and the groups or names it spells
Phrase = tuple[int, int, str]  # where a direction's pattern matched, and that pattern (folded)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Terms with their weights, plus the n-grams of the text's reading.

    A term's weight says how much it tells about the topic (a noun more than a verb); the
    short units of a compound get half their compound's weight, and `compounds` lists them
    so that a compound the index lacks can be replaced by its parts. `verbal` terms (verbs,
    and nouns that stand as adverbs: さっき, 昨日) are phrasing more than topic.
    """

    terms: dict[str, float]
    ngrams: frozenset[str]
    compounds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    verbal: frozenset[str] = frozenset()
    # Names the dictionary tags as proper nouns (Netflix, 楽天銀行).
    proper: frozenset[str] = frozenset()
    # "XのY": the terms of each noun Y that a noun X owns, with X's terms (Gmailのパスワード);
    # in English, a brand and the word right after it (Netflix password).
    owned: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    # The proper terms that are names only by how they are written (PayPal, a capital mid-sentence),
    # which a typo may also explain.
    shaped: frozenset[str] = frozenset()
    # The synonym groups a direction pattern decided (外部ウォレットから送った: the deposit group).
    directed: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Token:
    """What one dictionary word contributes, cached by surface and part of speech."""

    reading: str
    terms: tuple[tuple[str, float], ...]
    compound: str | None = None
    parts: tuple[str, ...] = ()
    verbal: bool = False
    noun: bool = False
    proper: bool = False
    possessive: bool = False  # the particle の
    locative: bool = False  # the particle で (at, with)
    latin: bool = False
    brand: bool = False  # a Latin name the dictionary spells in mixed case (Netflix, iPhone)
    # A word the dictionary lacks, written like a name: a capital inside it (PayPal, OKX), or
    # capitalised (Binance), which says "name" only where a sentence does not start.
    shaped: str = ""  # "inner" or "capital"
    boundary: bool = False  # punctuation, which ends a name's reach (whitespace does not)
    space: bool = False  # whitespace, which ownership looks past (au の問い合わせ)
    numeral: bool = False  # a number (3, 3万, 百), which starts a quantity
    measure: bool = False  # a word that counts or measures after one (円, 回, 目, 日, 前, 分)
    adverbial: bool = False  # a noun that stands as an adverb (さっき, 週末, 場合): when or how, not what
    names: tuple[str, ...] = field(init=False)  # the terms without their weights

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(term for term, _ in self.terms))


_WHEN = frozenset(fold_clean(word) for word in stopwords.WHEN)


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    return Dictionary(dict="core").tokenizer(SplitMode.C)


def reading_of(text: str) -> str:
    """How a text is read aloud, folded (担当者 -> タントウシャ), by Sudachi's readings."""
    return fold("".join(morpheme.reading_form() for morpheme in _tokenizer().tokenize(text)))


class Analyzer:
    """Analyses text with the synonyms and stopwords of one knowledge base."""

    def __init__(
        self,
        synonyms: Iterable[Iterable[str]] = (),
        extra_stopwords: Iterable[str] = (),
        directions: Iterable[tuple[str, Iterable[str]]] = (),
        readings: Mapping[str, str] | None = None,
        others: Iterable[str] = (),
        others_as_written: Iterable[str] = (),
    ) -> None:
        # readings: how each synonym spelling is read, saved from an earlier run (faq.compiled),
        # so that start-up need not look them up in the dictionary.
        self._tokenizer = _tokenizer()
        self._stemmer = snowballstemmer.stemmer("english")
        extra = [clean(word) for word in extra_stopwords if clean(word)]
        self._stop = frozenset(fold(word) for word in stopwords.JAPANESE) | {fold(word) for word in extra}
        self._counters = frozenset(fold(word) for word in stopwords.COUNTERS)
        self._stop_en = stopwords.ENGLISH | {word.lower() for word in extra if word.isascii()}
        # Domain stop phrases may span several dictionary words (ビットコイン is ビット + コイン); the
        # first alternative keeps the names of other services whole (コイン in コインチェック).
        others = [name for name in others if fold(name)]
        phrases = sorted({w for w in extra if not w.isascii() or " " in w}, key=len, reverse=True)
        stop = re.compile("|".join(map(re.escape, phrases)), re.IGNORECASE) if phrases else None
        # Only the names a stop phrase would cut: every alternative costs time on every message.
        kept = sorted({clean(name) for name in others if stop and stop.search(clean(name))}, key=len, reverse=True)
        kept_first = f"({'|'.join(map(re.escape, kept))})|" if kept else ""
        self._stop_phrases = re.compile(kept_first + "|".join(map(re.escape, phrases)), re.IGNORECASE) if kept else stop
        self._tokens: dict[tuple[str, int], _Token] = {}
        groups = [(_group_name(list(group)), list(group)) for group in synonyms]
        self._member_groups: dict[str, frozenset[str]] = {}
        for name, members in groups:
            for member in members:
                key = fold(member)
                self._member_groups[key] = self._member_groups.get(key, frozenset()) | {name}
        self._by_surface = self._surface_automaton(groups)
        self.readings = {member: self._reading(member, readings) for _, members in groups for member in members}
        self._by_sound = self._sound_automaton(groups)
        # Other companies' names, matched as written with only the case folded (どこも is not ドコモ)
        # and never by sound; each stands as one term of its own (≠コインチェック).
        self._by_other = _automaton([(clean(name).lower(), OTHER_PREFIX + fold(name)) for name in others])
        # ... save those that are also a word in another case (LINE, "a phone line"): only as written.
        as_written = [name for name in others_as_written if fold(name)]
        self._by_other_as_written = _automaton([(clean(name), OTHER_PREFIX + fold(name)) for name in as_written])
        # Which way a transfer went, by the groups of the member each set of patterns names.
        self._directions = [
            (self._member_groups.get(fold(word), frozenset()), [re.compile(fold(p)) for p in patterns])
            for word, patterns in directions
        ]
        self._transfers = frozenset(name for names, _ in self._directions for name in names)

    def analyze(self, text: str, ngrams: bool = True, read_phrases: bool = True) -> Analysis:
        """Analyse one text (a question, keyword, answer or query); n-grams only when asked.

        The words of the phrase that decided a transfer's direction stand as that direction alone,
        topics the synonyms name excepted, unless `read_phrases` is off: the index reads an entry's
        own questions and answer whole (the phrasing model learns them as customers' are read).
        """
        text = clean(text)
        if self._stop_phrases is not None:
            stopped = self._stop_phrases.sub(_drop_stop_phrase, text)
            text = clean(stopped) if stopped != text else text  # one space where a phrase was
        groups, spans = self._surface_synonyms(text)
        others = self._other_names(text)
        if others:
            # A synonym inside another company's name (トレード in ビットトレード) is part of the name.
            spans = [span for span in spans if not any(b <= span[0] and span[1] <= e for b, e, _ in others)]
            spans += others
        directed, phrases = self._direction(text, others, read_phrases) if self._directions else (frozenset(), [])
        if phrases:
            # The phrase that decided a direction (外部ウォレットから送った) says one thing, a deposit:
            # its words, places and verbs written more often about one direction or the other, say
            # no more. The topics the synonyms name keep their say (パスワード in 外部に送金したいけど
            # パスワードを忘れた), save those its pattern spells (取引所, 反映), and so does another
            # company's name.
            spans = [
                span
                for span in spans
                if span in others
                or not (
                    _within(span, phrases) and (span[2] <= self._transfers or _spelled(text, span[0], span[1], phrases))
                )
            ]
        if others or phrases:
            groups = {name for _, _, names in spans for name in names}
        terms: dict[str, float] = {}
        compounds: dict[str, tuple[str, ...]] = {}
        verbal: set[str] = set()
        proper: set[str] = set()
        readings: list[str] = []
        heard: list[str] = []  # the readings, without other companies' names, for synonyms by sound
        shaped_names: set[str] = set()
        title_case: bool | None = None
        owned: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        owner: tuple[str, ...] = ()  # the noun before a の, for the run of nouns that follows it
        at_company = False  # the owner is another company followed by で
        # The words since a number: an amount, a count or a time (3万円, 2回目, 3日前, 100XRP),
        # which owns nothing (3万円の入金 is ours, not a stranger's).
        quantity = False
        previous: _Token | None = None
        previous_groups: tuple[str, ...] = ()
        named: tuple[str, ...] = ()  # an English brand, for the word right after it (Netflix password)
        member_groups = self._member_groups
        for begin, end, token in self._tokens_of(text):
            covering = [names for b, e, names in spans if b <= begin and end <= e] if spans else None
            if phrases and not covering and _within((begin, end, frozenset()), phrases):
                readings.append(" ")  # ends a run of readings, as punctuation does
                heard.append("\n")
                previous, previous_groups, owner, named, quantity = None, (), (), (), False
                continue
            readings.append(token.reading)
            theirs = tuple(n for names in covering for n in names if n.startswith(OTHER_PREFIX)) if covering else ()
            if not theirs:
                heard.append(token.reading)
            if token.space:
                continue
            if token.latin:
                # Only the next word: English has no particle to say how far a name's reach goes
                # (PayPay bank deposit not reflected: the bank is PayPay's, the deposit ours).
                if named and (token.terms or covering):
                    owned.append((named, (*token.names, *(n for names in covering or () for n in names))))
                shaped = token.shaped == "inner"
                if token.shaped == "capital" and _mid_sentence(text, begin):
                    if title_case is None:  # In Every Word Capitalised, a capital says nothing
                        title_case = _title_case(text)
                    shaped = not title_case
                brand = (token.brand or shaped) and bool(token.terms) and not covering  # Google Authenticator is ours
                named = theirs or (token.names if brand else ())
                if brand and shaped:
                    proper.update(token.names)
                    shaped_names.update(token.names)
            elif token.reading.strip() or token.boundary:
                named = ()
            if owner and token.noun:
                words = (*token.names, *(name for names in covering or () for name in names))
                # At another company only a transfer is theirs (Coincheckで入金が反映されない): a
                # phone changed at ドコモ leaves the two-factor codes ours.
                if words and (not at_company or self._transfers.intersection(words)):
                    owned.append((owner, words))
            if token.locative and previous_groups and any(g.startswith(OTHER_PREFIX) for g in previous_groups):
                owner, at_company = previous_groups, True
            elif token.possessive and previous and previous.noun:
                # A noun inside a synonym spelling (APIキー) owns as its group, which the base knows.
                # A quantity or a time owns nothing (3万円の入金, 週末の電話番号), and passes on what
                # owns it (Coincheckの年末年始の出金 is still Coincheck's).
                says_when = previous.adverbial or any(name in _WHEN for name in previous.names)
                if not (quantity or says_when):
                    owner, at_company = previous_groups or previous.names, False
            elif not token.noun and not covering:  # a synonym spelling is one word (二 in 二段階認証)
                owner = ()
            unit = previous is not None and previous.numeral and token.noun  # 円 of 3万円, XRP of 100XRP
            quantity = token.numeral or (quantity and (token.measure or unit))
            previous = token
            if covering:
                previous_groups = tuple(name for names in covering for name in names)
                continue  # the synonym group found here stands for this word
            previous_groups = ()
            # The word that counts a number (円 of 3万円, 回 of 2回目) says nothing of the topic;
            # the number itself may, and so may a thing counted (2口座, 2 accounts) or a counter
            # that is not on the list (桁 of 6桁).
            counted = quantity and bool(token.names) and self._counters.issuperset(token.names)
            for term, weight in () if counted else token.terms:
                if weight > terms.get(term, 0.0):
                    terms[term] = weight
            if token.compound is not None:
                compounds[token.compound] = token.parts
            if token.verbal:
                verbal.update(token.names)
            if token.proper:
                proper.update(token.names)
        groups |= self._sound_synonyms("".join(heard).replace(" ", "").translate(_LARGE_TSU))
        if directed:
            # The message goes under the decided direction's group and under no other direction's.
            groups = (groups - self._transfers) | directed
        if groups:
            for term in [t for t in terms if t in member_groups and member_groups[t] & groups]:
                del terms[term]  # a word that is itself a synonym spelling is its group
            for group in sorted(groups):  # in one order whatever the hash seed: the same sums in every process
                terms[group] = 1.0
                if group.startswith(OTHER_PREFIX):
                    proper.add(group)
        return Analysis(
            terms=terms,
            ngrams=_ngrams(readings) if ngrams else frozenset(),
            compounds=compounds,
            verbal=frozenset(verbal),
            proper=frozenset(proper),
            owned=tuple(owned),
            shaped=frozenset(shaped_names),
            directed=directed,
        )

    def _direction(self, text: str, others: list[Span], where: bool = True) -> tuple[frozenset[str], list[Phrase]]:
        """The groups of the one direction whose patterns match (外部ウォレットから送った: a
        deposit), with where in `text` they matched when asked; nothing when several match, or none.

        Patterns read the folded text, and again with each other company's name as 他社 (another
        company): コインチェックから送った came in from elsewhere.
        """
        renamed, placed = _as_other_company(text, others) if others else ("", [])
        lines = [text, renamed] if others else [text]
        folded = [fold_clean(line) for line in lines]
        matching = [
            (names, patterns)
            for names, patterns in self._directions
            if any(p.search(f) for p in patterns for f in folded)
        ]
        if len(matching) != 1:
            return frozenset(), []
        names, patterns = matching[0]
        if not where:
            return frozenset(names), []
        # Where each folded character stands in `text`: through the renaming for the second line.
        origins = [fold_origins(text)]
        if others:
            through = fold_origins(renamed)
            origins.append(None if through is None else [placed[i] for i in through])
        phrases = [
            (at[m.start()], at[m.end() - 1] + 1, p.pattern)
            for at, line in zip(origins, folded, strict=True)
            if at is not None
            for p in patterns
            for m in p.finditer(line)
            if m.end() > m.start()
        ]
        return frozenset(names), phrases

    def latin_spellings(self) -> dict[str, frozenset[str]]:
        """The one-word Latin spellings of the synonym groups (deposit, reflected) and their stems
        (reflect), each with the groups it spells: what a mistyped English word may have meant."""
        found: dict[str, frozenset[str]] = {}
        for member, groups in self._member_groups.items():
            if member.isascii() and member.isalnum():
                for form in (member, self._stemmer.stemWord(member)):
                    found[form] = found.get(form, frozenset()) | groups
        return found

    def latin_phrases(self) -> dict[str, tuple[str, ...]]:
        """The words of the synonym groups' Latin phrases (help, center), each with the phrases it
        is part of: a mistyped word may be one of them where its phrase is then there."""
        phrases: dict[str, tuple[str, ...]] = {}
        for member in self._member_groups:
            if member.isascii() and " " in member:
                for word in member.split():
                    if word.isalpha():
                        phrases[word] = (*phrases.get(word, ()), member)
        return phrases

    def latin_term(self, word: str) -> str:
        """The term an English word stands for, as `analyze` gives it (its stem)."""
        stem: str = self._stemmer.stemWord(word.lower())
        return stem

    def groups_of(self, term: str) -> frozenset[str]:
        """The synonym groups a folded term spells."""
        return self._member_groups.get(term, frozenset())

    def _tokens_of(self, text: str) -> Iterator[tuple[int, int, _Token]]:
        for start in range(0, len(text), _CHUNK_CHARS):
            for morpheme in self._tokenizer.tokenize(text[start : start + _CHUNK_CHARS]):
                key = (morpheme.surface(), morpheme.part_of_speech_id())
                token = self._tokens.get(key)
                if token is None:
                    token = self._token(morpheme)
                    if len(self._tokens) < _CACHE_LIMIT:
                        self._tokens[key] = token
                yield start + morpheme.begin(), start + morpheme.end(), token

    def _token(self, morpheme: Any) -> _Token:
        surface: str = morpheme.surface()
        pos: tuple[str, ...] = morpheme.part_of_speech()
        if is_latin_word(surface):
            words = _LATIN_WORD.findall(surface.lower())
            terms = tuple(
                (word if word.isdigit() else self._stemmer.stemWord(word), 1.0)
                for word in words
                if word not in self._stop_en and word not in self._stop
            )
            # Sudachi tags many English words as names (LOST, WAS, CORNER as a person's name); its
            # brands are the ones it spells in mixed case.
            canonical: str = morpheme.dictionary_form()
            brand = (
                pos[1:3] == ("固有名詞", "一般") and canonical != canonical.lower() and canonical != canonical.upper()
            )
            shaped = _name_shape(surface) if morpheme.is_oov() else ""
            return _Token(
                " ".join(words),
                terms,
                noun=True,
                proper=pos[1] == "固有名詞",
                latin=True,
                brand=brand,
                shaped=shaped,
                numeral=pos[1] == "数詞",
            )
        if pos[0] in _SEPARATOR_POS:
            return _Token("", (), boundary=pos[0] != "空白", space=pos[0] == "空白")
        whole = fold_clean(morpheme.normalized_form())
        reading = fold_clean(morpheme.reading_form() or surface)
        weight = _POS_WEIGHT.get(pos[0])
        measure = pos[0] == "接尾辞" or pos[2] in _MEASURE_POS
        if weight is None or (pos[0] == "名詞" and pos[1] in ("数詞", "非自立可能")):
            return _Token(
                reading,
                (),
                # In katakana too: a message typed in half-width kana has its particles so (ｲﾝｽﾀ ﾉ ﾊﾟｽﾜｰﾄﾞ).
                possessive=surface in ("の", "ノ") and pos[0] == "助詞",
                locative=surface in ("で", "デ") and pos[0] == "助詞",
                numeral=pos[1] == "数詞",
                measure=measure,
            )
        # A noun that can stand as an adverb (さっき, 昨日, 今朝, 夜中, 場合) says when or how, not
        # what: it weighs, and costs when the base lacks it, like a verb.
        adverbial = pos[0] == "名詞" and pos[2] == "副詞可能"
        if adverbial:
            weight = _POS_WEIGHT["動詞"]
        found: dict[str, float] = {}
        self._add_term(whole, weight, found)
        parts: list[str] = []
        split = morpheme.split(SplitMode.A)
        if len(split) > 1:
            for part in split:
                if part.part_of_speech()[0] in _POS_WEIGHT:
                    term = fold_clean(part.normalized_form())
                    self._add_term(term, weight * 0.5, found)
                    if term in found and term != whole:
                        parts.append(term)
        compound = whole if parts and whole in found else None
        return _Token(
            reading,
            tuple(found.items()),
            compound,
            tuple(parts),
            verbal=pos[0] == "動詞" or adverbial,
            noun=pos[0] == "名詞",
            proper=pos[1] == "固有名詞",
            measure=measure,
            adverbial=adverbial,
        )

    def _add_term(self, term: str, weight: float, terms: dict[str, float]) -> None:
        if term and term not in self._stop and weight > terms.get(term, 0.0):
            terms[term] = weight

    def _surface_automaton(self, groups: list[tuple[str, list[str]]]) -> ahocorasick.Automaton | None:
        """Spellings as written (kana folded): their matches also say which words they cover."""
        return _automaton([(kana_fold(clean(member)), name) for name, members in groups for member in members])

    def _sound_automaton(self, groups: list[tuple[str, list[str]]]) -> ahocorasick.Automaton | None:
        """Spellings folded and read aloud, for kana-only and mistyped text."""
        spellings: list[tuple[str, str]] = []
        for name, members in groups:
            for member in members:
                for spelling in (fold(member).translate(_LARGE_TSU), self.readings[member].translate(_LARGE_TSU)):
                    # Inside a reading, two kana match by chance (マナ in イマナンドキ).
                    if spelling.isascii() or len(spelling) >= _MIN_READING_SYNONYM:
                        spellings.append((spelling, name))
        return _automaton(spellings)

    def _reading(self, member: str, known: Mapping[str, str] | None) -> str:
        """How a synonym spelling is read: from `known` when it is there, else by the dictionary."""
        if known is not None and member in known:
            return known[member]
        return "".join(t.reading.replace(" ", "") for _, _, t in self._tokens_of(clean(member)))

    def _surface_synonyms(self, text: str) -> tuple[set[str], list[Span]]:
        spans = _spans(self._by_surface, text, kana_fold(text))
        spans = _outermost(spans)
        return {name for _, _, names in spans for name in names}, spans

    def _other_names(self, text: str) -> list[Span]:
        """Where other companies' names stand in `text`, as written save for case, and whole
        (モンスト is not in デモンストレーション); a name inside a longer one is part of it (GMO in
        GMOコイン names one company)."""
        spans = _spans(self._by_other, text, text.lower(), katakana_whole=True)
        spans += _spans(self._by_other_as_written, text, text, katakana_whole=True)
        return _outermost(spans)

    def _sound_synonyms(self, reading: str) -> set[str]:
        if self._by_sound is None:
            return set()
        spans = [
            (end + 1 - len(spelling), end + 1, names)
            for end, (spelling, names) in self._by_sound.iter(reading)
            if _whole_word(reading, end + 1 - len(spelling), end + 1)
        ]
        return {name for _, _, names in _outermost(spans) for name in names}


def _spans(automaton: ahocorasick.Automaton | None, text: str, folded: str, katakana_whole: bool = False) -> list[Span]:
    """The whole-word matches of `automaton` in `folded`, a same-length folding of `text`."""
    if automaton is None or len(folded) != len(text):  # a rare folding that changes length: none
        return []
    spans = []
    for end, (spelling, names) in automaton.iter(folded):
        start = end + 1 - len(spelling)
        if _whole_word(folded, start, end + 1) and (not katakana_whole or _whole_katakana(folded, start, end + 1)):
            spans.append((start, end + 1, names))
    return spans


def _within(span: Span, phrases: list[Phrase]) -> bool:
    """Whether a span lies within one of `phrases`."""
    return any(begin <= span[0] and span[1] <= end for begin, end, _ in phrases)


def _spelled(text: str, begin: int, end: int, phrases: list[Phrase]) -> bool:
    """Whether text[begin:end] lies within one of `phrases` and that phrase's pattern spells it
    (取引所 and 反映 in (他の取引所|…)(に|へ).{0,15}(反映|…); not パスワード in its gap)."""
    word = fold_clean(text[begin:end]).strip()
    return bool(word) and any(b <= begin and end <= e and word in pattern for b, e, pattern in phrases)


def _as_other_company(text: str, others: list[Span]) -> tuple[str, list[int]]:
    """`text` with each other company's name written 他社, and where each of its characters
    stands in `text` (both characters of 他社 stand for the whole name)."""
    pieces: list[str] = []
    origins: list[int] = []
    at = 0
    for begin, end, _ in sorted(others, key=lambda span: (span[0], -span[1])):
        if begin < at:
            continue  # a name inside one already replaced (GMO in GMOコイン)
        pieces += [text[at:begin], OTHER_COMPANY]
        origins += [*range(at, begin), begin, *[end - 1] * (len(OTHER_COMPANY) - 1)]
        at = end
    pieces.append(text[at:])
    origins += range(at, len(text))
    return "".join(pieces), origins


def _outermost(spans: list[Span]) -> list[Span]:
    """The spans not inside a longer one: a spelling within another is part of that word
    (ワンタイムパスワード is no password)."""
    if len(spans) < 2:
        return spans
    return [
        span
        for span in spans
        if not any(b <= span[0] and span[1] <= e and e - b > span[1] - span[0] for b, e, _ in spans)
    ]


def _drop_stop_phrase(found: re.Match[str]) -> str:
    """A stop phrase becomes a space; a name kept whole (the first group) stays."""
    return found.group() if found.lastindex == 1 else " "


def _group_name(group: list[str]) -> str:
    """The term a synonym group stands as: its first member, folded, after the prefix."""
    return _SYNONYM_PREFIX + fold(group[0])


def _automaton(spellings: list[tuple[str, str]]) -> ahocorasick.Automaton | None:
    names: dict[str, set[str]] = {}
    for spelling, name in spellings:
        if spelling:
            names.setdefault(spelling, set()).add(name)
    if not names:
        return None
    automaton = ahocorasick.Automaton()
    for spelling, group_names in names.items():
        automaton.add_word(spelling, (spelling, frozenset(group_names)))
    automaton.make_automaton()
    return automaton


def _whole_word(text: str, start: int, end: int) -> bool:
    """Latin spellings must match whole words ("pw" is not inside "upward"); kana and kanji
    have no word boundaries to respect."""
    if text[start].isascii() and text[start].isalnum() and start > 0 and _is_latin_char(text[start - 1]):
        return False
    last = text[end - 1]
    return not (last.isascii() and last.isalnum() and end < len(text) and _is_latin_char(text[end]))


def _name_shape(word: str) -> str:
    """ "inner" for a capital inside a word (PayPal), "capital" for a capitalised one (Binance), else
    "": all capitals is a ticker (USDT) or caps lock, not a name's shape."""
    if not word.isalpha() or len(word) < 2 or word.isupper():
        return ""
    if any(ch.isupper() for ch in word[1:]):
        return "inner"
    return "capital" if word[0].isupper() else ""


def _is_katakana(ch: str) -> bool:
    return "ァ" <= ch <= "ヺ" or ch == "ー"


def _whole_katakana(text: str, start: int, end: int) -> bool:
    """A katakana name must not be part of a longer katakana word."""
    if _is_katakana(text[start]) and start > 0 and _is_katakana(text[start - 1]):
        return False
    return not (_is_katakana(text[end - 1]) and end < len(text) and _is_katakana(text[end]))


def _title_case(text: str) -> bool:
    """Whether every English word of the text starts with a capital (My Account Is Locked)."""
    words = _ENGLISH_WORD.findall(text)
    return len(words) > 1 and all(word[0].isupper() for word in words)


def _mid_sentence(text: str, begin: int) -> bool:
    """Whether a word starting at `begin` follows other words of its sentence."""
    before = text[:begin].rstrip()
    return bool(before) and before[-1] not in ".!?。！？"  # clean() has made line breaks spaces


def _is_latin_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _ngrams(readings: list[str]) -> frozenset[str]:
    """Bigrams of each run of Japanese readings; boundary-marked trigrams of Latin words."""
    grams: set[str] = set()
    run: list[str] = []
    for piece in [*readings, ""]:
        if piece and not piece.isascii():
            run.append(piece)
            continue
        if run:
            joined = "".join(run)
            grams.update([joined[i : i + 2] for i in range(len(joined) - 1)])
            run = []
        for word in piece.split():
            marked = f"<{word}>"
            grams.update([marked] if len(word) <= 2 else [marked[i : i + 3] for i in range(len(marked) - 2)])
    return frozenset(grams)
