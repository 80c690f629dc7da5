"""Suggested links: claims in other sources that probably state the same fact, or contradict it.

Ranked as a careful reader compares two claims: the same names ("Prime Minister Shinzo Abe" is Abe), the
same dates at the coarser precision ("last December" in an article of 2017 meets "December 2016"), shared
words (Snowball stems, scikit-learn's stop words; rare ones count more), the same speaker and `claimed_on`.
Dates that disagree count against a pair (two events). Opposing verdicts on the same
subject ("a big step" / "no breakthrough") mark a possible contradiction. Only suggestions scoring at least
THRESHOLD of the claim's own best possible score are shown; once weights are fitted to the team's decisions
(learning.py), what its links taught counts too. Every reason quotes the claims' own words.

Candidates: on PostgreSQL, the GIN index on `to_tsvector('english', quote || ' ' || statement)` (migration
0004) finds claims sharing the claim's most telling words, leaving out those pg_stats shows in over 1% of
claims; on SQLite the other sources' claims are read directly. What is rare in the whole table (an even
sample) chooses candidates; what is rare among them scores them. Linked and dismissed pairs never come back.

Only claims of the claim's own project are candidates, and only that project's decisions taught what is learned
(learning.py): a claim of another project is never suggested, however alike its words.
"""

import calendar
import dataclasses
import datetime
import functools
import math
import os
import re
from dataclasses import dataclass, field, replace

import snowballstemmer
from django.db import connection, connections, router, transaction
from django.db.models import Max, Min, Q, Value

from claims.corroboration.learning import FITTED, Learned, fitted_weights, record_decision
from claims.fulltext import claim_words
from claims.models import Claim, DismissedSuggestion, Link
from common.projects import project_of
from config.routers import reads_from_replica
from sources.dates import Precision

LEXEME = re.compile(r"\w+(?:\.\w+)*")  # what may go into a search, quoted: "kuril", "5289.35"
SEARCH_VECTOR = claim_words()
CANDIDATES = 80  # claims scored in Python per suggestion request
SEARCH_TERMS = 16  # words of the claim used to find candidates (the tuning half: 10 finds 0.44, 16 0.50, 24 0.48)
LEARNED_TERMS = 4  # words the claim's words have been linked to, searched by too
MAX_SHARE = 0.01  # a word in more than 1% of claims is too common to search by
MATCHED = 400  # at most this many claims sharing a word are compared word by word
RANKED_FROM = 1000  # when more share one, PostgreSQL ranks this many of them to choose those
BACKGROUND = 300  # claims sampled to tell common words from rare ones in the table (to choose candidates)
PRIOR_CLAIMS = 20

# How much each thing a reader notices counts; set on the tuning half of the labelled seed set only.
WEIGHTS = {
    "speaker": 1.5,
    "entity": 2.0,  # times the name's rarity (0..1)
    "date_day": 4.0,
    "date_month": 3.0,
    "date_year": 1.0,
    "date_conflict": -4.0,
    "claimed_same": 3.0,  # times the precision they agree at (day 1, month 2/3, year 1/3)
    "wording": 12.0,  # times the rarity-weighted share of words in common (0..1)
    "contradiction": 2.0,
}
# Shown from this share of the claim's best possible score (a share: the same at any table size; the tuning
# half's recall@5 is flat from 0 to 0.08 and falls from 0.10).
THRESHOLD = 0.08
TELLING = 0.5  # the rarity among the candidates a name or word needs to be named in a reason
SAME_EVENT_NAMES = 0.8  # the rarity of the names two claims share for them to be about the same event

# scikit-learn's English stop words, and the words of reporting.
REPORTING_WORDS = {"said", "says", "say", "according", "told", "tell", "s", "t"}
# Titles before a name, which are no part of it; their full stop does not end a sentence ("Mr. Putin told …").
TITLES = {"mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "amb"}


@functools.cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words and reporting words. Imported when first asked: importing scikit-learn
    takes seconds, which every manage.py command (and the server's start) would otherwise pay."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS | REPORTING_WORDS | TITLES)


# Words that turn what follows them around; "without doubt" and "no doubt" affirm instead.
NEGATIONS = frozenset(
    "not no never neither nor none nothing cannot without unlikely unwilling unable lack failed fail fails "
    "denied denies deny refused refuses rejected rejects".split()
)
AFFIRMING = frozenset({("without", "doubt"), ("no", "doubt"), ("not", "only"), ("no", "small"), ("no", "matter")})
# Words that say a matter moved forward, and words that say it did not.
PROGRESS = frozenset("step breakthrough progress success achievement improvement shift momentum advance".split())
STANDSTILL = frozenset("failure failed stalemate impasse faltering unsuccessful setback apart nothing".split())
NEGATION_REACH = 6  # words after a negation that it turns around, within its clause
NEG_RAISING = frozenset("think believe expect see say".split())
SCOPE_BREAKS = frozenset("and but because which while although whereas who though".split())

# Month names and abbreviations as the standard library has them (English: Django never sets a locale).
MONTHS = {name.lower(): n for n in range(1, 13) for name in (calendar.month_name[n], calendar.month_abbr[n])}
MONTHS["sept"] = 9
FULL_MONTHS = "|".join(calendar.month_name[1:])  # "June" and "July" too, short as they are
SHORT_MONTHS = "|".join([*(name for name in calendar.month_abbr[1:] if name != "May"), "Sept"])
# A month is a whole word: "December", "May", or an abbreviation with its full stop or a day ("Dec. 5",
# "Dec 5"); the "Dec" of "Declaration" is not one. A year is 1800-2099 standing alone.
DATE_PATTERN = re.compile(
    rf"(?:\b(?P<modifier>last|this past|past|this|next|early|late|mid|mid-)[\s-]+)?"
    rf"(?:\b(?P<day_before>\d{{1,2}})(?:st|nd|rd|th)?\s+)?"
    rf"\b(?:(?P<month>{FULL_MONTHS})\b|(?P<short>{SHORT_MONTHS})(?:\.|(?=\s+\d{{1,2}}\b)))"
    rf"(?:\s+(?P<day_after>\d{{1,2}})(?:st|nd|rd|th)?\b(?![.,]?\d{{3}}))?"
    rf"(?:,?\s+(?P<year>(?:1[89]|20)\d\d)\b)?"
    rf"|\b(?P<year_only>(?:1[89]|20)\d\d)\b(?![-–]\d)"
    rf"|\b(?P<relative_year>last year|this year|earlier this year|later this year|next year)\b"
)
FUTURE = re.compile(
    r"\b(?:will|would|shall|scheduled|slated|plans?|planned|proposed|expected|next|later|as early as|until)\b", re.I
)
POSSESSIVE = re.compile(r"['’]s?$")
TOKEN_PATTERN = re.compile(r"(?:[A-Z]\.){2,}|\d+\+\d+|[^\W\d_][\w'’-]*[\w]|[^\W\d_]|\d+(?:[.,]\d+)*", re.UNICODE)
CLAUSE_BREAK = re.compile(r"[.;:!?,—–()\"“”]")
TENSE_BREAK = re.compile(r"[;:!?,—–()]|\.\s")

STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def word_key(lower: str) -> str:
    """A word's stem (Snowball's English stemmer, as PostgreSQL's index uses), to meet "islands" with
    "island"; never shown to anyone."""
    return STEMMER.stemWord(lower)


VERDICT_WORDS = sorted({word_key(word) for word in PROGRESS | STANDSTILL})


@dataclass(frozen=True)
class DateMention:
    """A date as written in a claim ("last November"), resolved as far as the text allows (2013-11)."""

    text: str
    year: int | None
    month: int | None = None
    day: int | None = None
    # The years a month written without one can be in when the text does not say which ("in December", in
    # an article of 2017: December 2016 or December 2017); it then agrees with a date in either.
    either_year: tuple[int, ...] = ()

    @property
    def precision(self) -> int:
        """0 unknown year, 1 year, 2 month, 3 day."""
        if self.year is None:
            return 0
        return 1 + (self.month is not None) + (self.day is not None and self.month is not None)

    def label(self, precision: int | None = None) -> str:
        """The date as a reader says it, at a precision no finer than its own: "December 2016"."""
        precision = self.precision if precision is None else min(precision, self.precision)
        if precision == 0:
            return self.text
        month = datetime.date(2000, self.month, 1).strftime("%B") if self.month else ""
        return {1: f"{self.year}", 2: f"{month} {self.year}", 3: f"{self.day} {month} {self.year}"}[precision]

    def compare(self, other: "DateMention") -> int:
        """The precision at which two dates agree (1 year .. 3 day), minus it when they disagree, 0 unknown."""
        self, other = self.read_beside(other), other.read_beside(self)
        precision = min(self.precision, other.precision)
        if precision == 0:
            return 0
        mine = (self.year, self.month, self.day)[:precision]
        theirs = (other.year, other.month, other.day)[:precision]
        return precision if mine == theirs else -precision

    def matches(self, other: "DateMention") -> bool:
        return self.compare(other) > 0

    def read_beside(self, other: "DateMention") -> "DateMention":
        """This date with its year taken from the other when it can only be one of either_year and the other
        is in one of them, in the same month ("in December" beside "December 2016"); else as it is."""
        if self.year is None and other.year in self.either_year and self.month == other.month:
            return replace(self, year=other.year)
        return self


@dataclass(frozen=True)
class Reference:
    """The date a claim's relative dates are read against: its claimed_on, else its source's publication."""

    date: datetime.date
    precision: str


def reference_of(claim: Claim) -> Reference | None:
    if claim.claimed_on is not None:
        return Reference(claim.claimed_on, claim.claimed_on_precision)
    source = claim.source
    if source.published_on is not None:
        return Reference(source.published_on, source.published_on_precision)
    return None


def month_year(month: int, modifier: str, future: bool, reference: Reference | None) -> int | None:
    """The year of a month written without one ("last November", "in May"), read against the reference."""
    if reference is None:
        return None
    ref = reference.date
    if reference.precision == Precision.YEAR:
        # "last December" in an article of 2017 is December 2016; a bare "in December" could be either year.
        if modifier == "last":
            return ref.year - 1
        return ref.year if future or modifier in ("this", "next") else None
    if modifier in ("last", "this past", "past"):
        return ref.year if month < ref.month else ref.year - 1
    if future or modifier == "next":
        return ref.year if month >= ref.month else ref.year + 1
    return ref.year if month <= ref.month else ref.year - 1


def clause_around(text: str, start: int, end: int) -> str:
    """The clause a date is written in: its tense is that of the date ("the meeting in December", not the
    "will" of another clause of the sentence)."""
    before = [m.end() for m in TENSE_BREAK.finditer(text, 0, start)]
    after = TENSE_BREAK.search(text, end)
    return text[before[-1] if before else 0 : after.start() if after else len(text)]


def dates_in(text: str, reference: Reference | None) -> list[DateMention]:
    """Every date the text mentions, each at the precision it is written with, relative ones resolved."""
    found = []
    for m in DATE_PATTERN.finditer(text):
        future = bool(FUTURE.search(clause_around(text, m.start(), m.end())))
        written = m.group(0).strip()
        if m.group("year_only"):
            found.append(DateMention(written, int(m.group("year_only"))))
        elif m.group("relative_year"):
            if reference is not None:
                shift = {"last year": -1, "next year": 1}.get(m.group("relative_year"), 0)
                found.append(DateMention(written, reference.date.year + shift))
        else:
            month = MONTHS[(m.group("month") or m.group("short")).lower()]
            day = int(m.group("day_before") or m.group("day_after") or 0) or None
            modifier = (m.group("modifier") or "").lower().rstrip("-")
            year = int(m.group("year")) if m.group("year") else month_year(month, modifier, future, reference)
            either = () if year is not None or reference is None else (reference.date.year - 1, reference.date.year)
            found.append(DateMention(written, year, month, day, either))
    return found


@dataclass
class Features:
    """What a reader picks out of a claim's words."""

    names: dict[str, str]  # entity key -> the name as written
    numbers: dict[str, str]  # number as compared -> as written
    dates: list[DateMention]
    words: dict[str, str]  # word key -> the word as written
    progress: str  # the words saying the matter moved forward, "" if none
    standstill: str  # the words saying it did not, "" if none

    @property
    def dated(self) -> set[str]:
        """The months and years of the claim's dates, as terms_of() reads them in another claim: "december", "2016"."""
        months = {w for d in self.dates for w in re.findall(r"[a-z]+", d.text.lower()) if w in MONTHS}
        return months | {str(d.year) for d in self.dates if d.year}

    @property
    def terms(self) -> set[str]:
        """Everything rarity is counted over: word keys, entity keys, numbers and dates."""
        return set(self.words) | set(self.names) | set(self.numbers) | self.dated

    @classmethod
    def of(cls, text: str, reference: Reference | None = None) -> "Features":
        dates = dates_in(text, reference)
        date_spans = [m.span() for m in DATE_PATTERN.finditer(text)]
        tokens = [(m.group(0), m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]
        names, numbers, words = {}, {}, {}
        progress = standstill = ""
        clause_start = 0
        negation_at: int | None = None  # index of the last negation in the clause
        reach = NEGATION_REACH
        run: list[str] = []  # the capitalised words of the name being read

        def close_run():
            if run:
                add_names(names, run)
                run.clear()

        for i, (token, start, _end) in enumerate(tokens):
            gap = text[tokens[i - 1][2] : start] if i else text[:start]
            if i and CLAUSE_BREAK.search(gap):
                negation_at = None
                clause_start = i
            if i and (not gap.isspace() or not gap or "\n" in gap):  # a name does not run on over a line break
                close_run()
            bare = POSSESSIVE.sub("", token)
            lower = bare.lower()
            in_date = any(s <= start < e for s, e in date_spans)
            capitalised = bare[:1].isupper() and not in_date
            if capitalised and lower not in stop_words():
                first_of_sentence = i == 0 or ends_sentence(text, start)
                # A capitalised first word is a name when the next is capitalised too ("Vladimir Putin said").
                if not first_of_sentence or run or (i + 1 < len(tokens) and tokens[i + 1][0][:1].isupper()):
                    run.append(bare)
                    continue_run = bare == token  # "Putin’s Tokyo visit": the possessive ends the name
                else:
                    continue_run = False
            else:
                continue_run = False
            if not continue_run:
                close_run()
            if lower in SCOPE_BREAKS:
                negation_at = None
            if lower in NEGATIONS or lower.endswith("n't") or lower.endswith("n’t"):
                following = tokens[i + 1][0].lower() if i + 1 < len(tokens) else ""
                if (lower, following) not in AFFIRMING:
                    # "don't think that we can talk about a breakthrough": the negation reaches further.
                    negation_at, reach = i, NEGATION_REACH + 4 * (following in NEG_RAISING)
            if bare[:1].isdigit():
                if not in_date:
                    numbers.setdefault(bare.replace(",", ""), bare)
                continue
            if (
                lower in stop_words()
                or len(lower) <= 2
                or in_date
                or lower in NEGATIONS
                or "n't" in lower
                or "n’t" in lower
            ):
                continue
            key = word_key(lower)
            words.setdefault(key, bare if capitalised else lower)
            if lower in PROGRESS or key in PROGRESS:
                if negation_at is not None and i - negation_at <= reach:
                    standstill = standstill or spoken(text, tokens, negation_at, i)
                else:
                    progress = progress or spoken(text, tokens, max(i - 2, clause_start), i)
            elif lower in STANDSTILL and not standstill:
                standstill = spoken(text, tokens, i, min(i + 6, len(tokens) - 1), stop_at=PROGRESS | {"issue"})
        close_run()
        return cls(names, numbers, dates, words, progress, standstill)


def spoken(text: str, tokens: list, first: int, last: int, stop_at: frozenset = frozenset()) -> str:
    """The claim's own words from one token to another, as written."""
    if stop_at:
        for j in range(first + 1, last + 1):
            if tokens[j][0].lower() in stop_at or CLAUSE_BREAK.search(text[tokens[j - 1][2] : tokens[j][1]]):
                last = j if tokens[j][0].lower() in stop_at else j - 1
                break
    return text[tokens[first][1] : tokens[last][2]]


def ends_sentence(text: str, at: int) -> bool:
    """Whether the text before `at` ends a sentence (a full stop or an opening quote, then spaces; not the full stop
    of a title, as in "Mr. Putin")."""
    before = text[:at].rstrip()
    if not before:
        return True
    last = before.rsplit(None, 1)[-1]
    if last.endswith(".") and last[:-1].lstrip("(\"“‘'").lower() in TITLES:
        return False
    return before[-1] in '.!?"“'


def add_names(names: dict[str, str], run: list[str]) -> None:
    """Record a name under the key a reader would meet it by: its last word ("Prime Minister Shinzo Abe" is
    Abe), or each part of a hyphenated one ("Putin-Abe meeting")."""
    written = " ".join(run)
    for key in written.lower().split("-") if len(run) == 1 else [run[-1].lower()]:
        names.setdefault(key, written)


@functools.lru_cache(maxsize=65536)
def terms_of(text: str) -> frozenset[str]:
    """The keys rarity is counted over (words, names, numbers), read fast enough to sample many claims."""
    terms = set()
    for token in TOKEN_PATTERN.findall(text):
        bare = POSSESSIVE.sub("", token)
        lower = bare.lower()
        if bare[:1].isdigit():
            terms.add(bare.replace(",", ""))
        elif bare[:1].isupper() and lower in MONTHS:  # "May" too, a stop word: as Features.dated reads it
            terms.add(lower)
        elif lower not in stop_words() and len(lower) > 2:
            terms.add(word_key(lower))
            if bare[:1].isupper():
                terms.add(lower)
    return frozenset(terms)


def claim_text(claim: Claim) -> str:
    return f"{claim.quote} {claim.statement}".strip()


def features_of(claim: Claim) -> Features:
    """The claim's features, read once per text and reference date in this process (they are never changed)."""
    return cached_features(claim_text(claim), reference_of(claim))


@functools.lru_cache(maxsize=16384)
def cached_features(text: str, reference: Reference | None) -> Features:
    return Features.of(text, reference)


@dataclass
class Suggestion:
    """A claim that probably states the same fact as another, or contradicts it, and why."""

    claim: Claim
    score: float
    reasons: list[str] = field(default_factory=list)
    possible_contradiction: bool = False
    signals: "Signals | None" = None
    strength: float = 0.0  # the score as a share of the claim's best possible score (see THRESHOLD)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass
class Signals:
    """What a reader noticed in a pair of claims, each before its weight (see WEIGHTS)."""

    speaker: float = 0.0
    entity: float = 0.0
    date_day: float = 0.0
    date_month: float = 0.0
    date_year: float = 0.0
    date_conflict: float = 0.0
    claimed_same: float = 0.0
    wording: float = 0.0
    contradiction: float = 0.0
    association: float = 0.0  # learned: words the team's links have joined (each 0..1)
    linked_partner: float = 0.0  # learned: linked to a claim linked to this one
    static: float = 0.0  # the hand-set ranking key, which the learned signals add to

    def learned(self) -> bool:
        return bool(self.association or self.linked_partner)

    def score(self, weights: dict[str, float] | None = None) -> float:
        weights = WEIGHTS if weights is None else weights
        return sum(weight * getattr(self, name) for name, weight in weights.items())


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def quoted(words: list[str], most: int = 4) -> str:
    """Words as a reader lists them, with how many more when there are more: “a”, “b” and 2 more."""
    shown = [f"“{w}”" for w in words[:most]]
    if len(words) > most:
        return ", ".join(shown) + f" and {len(words) - most} more"
    return and_list(shown)


class Rarity:
    """How telling a word is among some claims: one most of them mention ("Japan", in coverage of Japan) counts
    for little, a rare one ("Hasegawa") for a lot."""

    def __init__(self, pool: list[frozenset[str]]):
        self.size = len(pool)
        self.counts: dict[str, int] = {}
        for terms in pool:
            for term in terms:
                self.counts[term] = self.counts.get(term, 0) + 1
        # Smoothed inverse document frequency, scaled to 0..1, as if PRIOR_CLAIMS more claims without the word
        # had been sampled: in a near-empty database a name in all three claims is not thereby common.
        size = self.size + PRIOR_CLAIMS
        self.scale = math.log(size + 1)
        self.known: dict[str, float] = {}

    def __call__(self, term: str) -> float:
        value = self.known.get(term)
        if value is None:
            value = self.known[term] = (
                math.log((self.size + PRIOR_CLAIMS + 1) / (self.counts.get(term, 0) + 1)) / self.scale
            )
        return value

    def total(self, terms) -> float:
        return sum(map(self, terms))


def compare(
    claim: Claim,
    features: Features,
    other: Claim,
    other_features: Features,
    rarity: Rarity,
    learned: Learned | None = None,
) -> Suggestion:
    """Score one candidate against the claim, keeping a reason, in the claims' own words, for what counted;
    with `learned`, the associations learned from the team's links count too."""
    signals, reasons = Signals(), []
    if claim.speaker_id is not None and claim.speaker_id == other.speaker_id:
        signals.speaker = 1.0
        reasons.append("same speaker")

    # Dates: the best agreement of each of the claim's dates; a disagreement only counts when none agree.
    agreed: list[str] = []
    conflicts: list[tuple[DateMention, DateMention]] = []
    for mine in features.dates:
        results = [(mine.compare(theirs), theirs) for theirs in other_features.dates]
        best = max(results, default=(0, None), key=lambda r: r[0])
        if best[0] > 0:
            precision = best[0]
            name = ("date_year", "date_month", "date_day")[precision - 1]
            setattr(signals, name, getattr(signals, name) + 1.0)
            label = written_date(mine, best[1], precision, claim_text(claim), claim_text(other))
            if label not in agreed:
                agreed.append(label)
        elif best[0] < 0:
            # A bare year against another ("1945", "2016") says little; a month or a day against any other
            # date, on either side, says two events.
            disagreeing = [theirs for r, theirs in results if r < 0 and max(mine.precision, theirs.precision) >= 2]
            if disagreeing:
                conflicts.append((mine, max(disagreeing, key=lambda theirs: theirs.precision)))
    if conflicts and not agreed:
        signals.date_conflict = 1.0
        mine, theirs = conflicts[0]
        reasons.append(f"but different dates: “{mine.text}” and “{theirs.text}”")

    shared_names = sorted(
        (k for k in features.names if k in other_features.names),
        key=lambda k: (-rarity(k), k),
    )
    entity_score = 0.0
    mentioned: list[str] = list(agreed)
    for key in shared_names:
        entity_score += rarity(key)
        # A name most candidates share ("Russia", among claims on Russia) tells a reader nothing.
        written = shared_name(key, features.names[key], other_features.names[key])
        if rarity(key) >= TELLING and written not in mentioned:
            mentioned.append(written)
    signals.entity = entity_score
    for number in sorted(set(features.numbers) & set(other_features.numbers)):
        signals.entity += rarity(number)
        mentioned.append(features.numbers[number])
    if mentioned:
        reasons.append(
            "both mention "
            + and_list(mentioned[:4])
            + (f" and {len(mentioned) - 4} more" if len(mentioned) > 4 else "")
        )

    if claim.claimed_on and other.claimed_on:  # the labelled set has no claimed_on: kept, not evaluated
        mine, theirs = claimed_on(claim), claimed_on(other)
        if (precision := mine.compare(theirs)) > 0:
            signals.claimed_same = precision / 3
            if precision > 1:  # "claimed in 2017" says little
                reasons.append("claimed " + ("the same day" if precision == 3 else f"in {mine.label(precision)}"))
    named_words = {word_key(w.lower()) for w in features.names.values() for w in w.split()}
    mine_words, their_words = set(features.words), set(other_features.words)
    union, common = mine_words | their_words, mine_words & their_words
    if union:
        # Shared wording, weighted by rarity, so neither a long claim nor common words win on their own.
        weight = rarity.total(union)
        # When every word is in every claim of the sample (a near-empty database), rarity tells
        # nothing: fall back to the share of words in common.
        shared = rarity.total(common)
        overlap = shared / weight if weight else len(common) / len(union)
        # Half of it is how much of this claim's own wording the other repeats: a short quote is not
        # outweighed by the extra words of a fuller report of the same thing.
        own = rarity.total(mine_words)
        coverage = shared / own if own else len(common) / max(len(mine_words), 1)
        signals.wording = (overlap + coverage) / 2
    plain_common = sorted((w for w in common - named_words if rarity(w) >= TELLING), key=lambda w: (-rarity(w), w))
    if len(plain_common) >= 2:
        written = [features.words[w] for w in plain_common]
        reasons.append(f"{len(written)} words in common: {quoted(written)}")
    if learned is not None:
        joined: dict[str, tuple[int, set[str]]] = {}  # each word of this claim: its most links, the words they join
        for word in sorted(learned.associated.keys() & (mine_words - common)):
            if counted := learned.links_to(word, their_words - common):
                times = max(counted.values())
                signals.association += times / (times + 1)
                joined[word] = (times, set(counted))
        if joined:
            reasons += association_reasons(claim_text(claim), claim_text(other), joined)

    same_event = (entity_score >= SAME_EVENT_NAMES or agreed) and not (conflicts and not agreed)
    # Opposing verdicts on whether a matter moved ("a big step" / "no breakthrough"), on the same event or subject.
    contradiction = opposing_verdicts(features, other_features)  # first: seldom any, and kindred() reads every name
    if contradiction and (same_event or (not conflicts and kindred(features.names, other_features.names))):
        signals.contradiction = 1.0
        reasons.append(f"possible contradiction: {contradiction}")
    return Suggestion(
        claim=other,
        score=signals.score(),
        reasons=reasons,
        possible_contradiction=bool(signals.contradiction),
        signals=signals,
    )


def association_reasons(text: str, other_text: str, joined: dict[str, tuple[int, set[str]]]) -> list[str]:
    """What the team's links taught about this pair, in the claims' own phrases: "“achieved” has been linked to
    “come to pass” 2 times in this project" (each phrase as its claim writes it)."""
    reasons = []
    for phrase, keys in phrases_of(text, set(joined)):
        times = max(joined[key][0] for key in keys)
        theirs = [p for p, _ in phrases_of(other_text, set().union(*(joined[key][1] for key in keys)))]
        reason = f"“{phrase}” has been linked to {quoted(theirs, most=2)} {times} times in this project"
        if reason not in reasons:
            reasons.append(reason)
    return reasons


def phrases_of(text: str, keys: set[str]) -> list[tuple[str, set[str]]]:
    """The runs of a text's words whose keys are among these, each as written, with the keys it holds; a run goes on
    over a short word between two of them ("come to pass")."""
    runs: list[list[tuple[int, int, str]]] = []
    gap = 0
    for m in TOKEN_PATTERN.finditer(text):
        key = word_key(POSSESSIVE.sub("", m.group(0)).lower())
        if key in keys:
            if runs and gap <= 1 and not CLAUSE_BREAK.search(text[runs[-1][-1][1] : m.start()]):
                runs[-1].append((m.start(), m.end(), key))
            else:
                runs.append([(m.start(), m.end(), key)])
            gap = 0
        else:
            gap += 1 if len(m.group(0)) <= 3 else 2
    return [(text[run[0][0] : run[-1][1]], {key for _, _, key in run}) for run in runs]


def written_date(mine: DateMention, theirs: DateMention, precision: int, text: str, other_text: str) -> str:
    """A date both claims give, as a reader says it when both write it so ("December 2016"), else as each
    writes it ("“last December” and “December 2016”")."""
    label = mine.read_beside(theirs).label(precision)
    if label.lower() in text.lower() and label.lower() in other_text.lower():
        return label
    return f"“{mine.text}” / “{theirs.text}”"


def shared_name(key: str, written: str, other_written: str) -> str:
    """A name as both claims write it: the whole name when both write it so, else the part they share ("Lavrov"
    of "Russian Foreign Minister Sergei Lavrov", "Russia" of "Japan-Russia")."""
    if written == other_written:
        return written
    return next((part for part in re.split(r"[\s-]", written) if part.lower() == key), written)


def claimed_on(claim: Claim) -> DateMention:
    value, precision = claim.claimed_on, claim.claimed_on_precision
    month = None if precision == Precision.YEAR else value.month
    return DateMention("", value.year, month, value.day if precision == Precision.DAY else None)


def kindred(names: dict[str, str], other_names: dict[str, str]) -> bool:
    """Whether two claims name a subject in common, its demonym counting as it ("Japan" / "Japanese Foreign
    Minister")."""
    parts = [{p.lower() for w in n.values() for p in re.split(r"[\s-]", w)} for n in (names, other_names)]
    return any(
        len(prefix := os.path.commonprefix([a, b])) >= 4 and len(prefix) >= min(len(a), len(b)) - 1
        for a in parts[0]
        for b in parts[1]
    )


def opposing_verdicts(features: Features, other: Features) -> str:
    """The words of one claim saying a matter moved forward against the other's saying it did not, or ""."""
    if features.progress and other.standstill and not features.standstill:
        return f"“{features.progress}” against “{other.standstill}”"
    if other.progress and features.standstill and not other.standstill:
        return f"“{features.standstill}” against “{other.progress}”"
    return ""


def decided(claim: Claim) -> tuple[set[int], set[int]]:
    """The claims linked to this one, and those never to suggest for it: itself, linked, dismissed (one query)."""
    mine = Q(claim_a=claim) | Q(claim_b=claim)
    links = Link.objects.filter(mine).annotate(link=Value(True)).values_list("claim_a", "claim_b", "link")
    dismissed = DismissedSuggestion.objects.filter(Q(claim=claim) | Q(suggested=claim)).annotate(link=Value(False))
    rows = list(links.union(dismissed.values_list("claim", "suggested", "link"), all=True))
    linked = {pk for a, b, link in rows if link for pk in (a, b)} - {claim.pk}
    return linked, {claim.pk} | {pk for a, b, _ in rows for pk in (a, b)}


# Each word as PostgreSQL indexes it, with the share of claims using it according to the statistics
# ANALYZE keeps on the index (its 1,000 or so most common words; rarer ones are absent, so 0).
WORD_SHARES_SQL = """
SELECT word, lexeme, COALESCE(common.share, 0)
FROM unnest(%s::text[]) AS word
CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('english'::regconfig, word))) AS lexeme
LEFT JOIN (
    SELECT unnest(most_common_elems::text::text[]) AS lexeme, unnest(most_common_elem_freqs) AS share
    FROM pg_stats WHERE tablename = 'claim_search_english'
) AS common USING (lexeme)
"""


def search_words(features: Features, rarity: Rarity) -> list[str]:
    """The claim's words to search by, most telling first: names, numbers, rare words."""
    telling = [(k, w) for k, w in features.names.items() if " " not in k] + list(features.numbers.items())
    telling += [(w, w) for w in sorted(features.dated)]
    plain = sorted(features.words.items(), key=lambda kw: (-rarity(kw[0]), -len(kw[1]), kw[0]))
    ordered = sorted(telling, key=lambda kw: (-rarity(kw[0]), kw[0])) + plain
    # A number as PostgreSQL reads it ("5289.35", never "528935"), a word without its punctuation.
    spelled = [key if key in features.numbers else re.sub(r"\W", "", written) for key, written in ordered]
    # Each part of a hyphenated name too: "Putin-Abe" searches "Putin" and "Abe".
    spelled += [re.sub(r"\W", "", key) for key in features.names if " " not in key]
    return list(dict.fromkeys(w for w in spelled if w))


def search_terms(features: Features, rarity: Rarity, learned: list[str]) -> list[str]:
    """The claim's most telling words, as indexed, and up to LEARNED_TERMS they have been linked to (one query).

    Names, numbers and dates first, then the rarest words; words used by more than MAX_SHARE of
    all claims are left out, since they would match much of the table and say little.
    """
    spelled = search_words(features, rarity)
    with connections[router.db_for_read(Claim)].cursor() as cursor:
        cursor.execute(WORD_SHARES_SQL, [spelled + learned])
        share_of = {word: (lexeme, share) for word, lexeme, share in cursor.fetchall()}
    found = [share_of[w] for w in spelled if w in share_of]
    lexemes = list(dict.fromkeys(lexeme for lexeme, share in found if share <= MAX_SHARE))
    if not lexemes:
        lexemes = [lexeme for lexeme, _ in sorted(found, key=lambda f: f[1])[:2]]
    rare = [share_of[w][0] for w in learned if w in share_of and share_of[w][1] <= MAX_SHARE]
    return lexemes[:SEARCH_TERMS] + rare[:LEARNED_TERMS]


def text_candidate_ids(
    claim: Claim, features: Features, excluded: set[int], rarity: Rarity, learned: list[str]
) -> list[int]:
    """Ids of claims in other sources of the claim's project sharing the most telling words with this claim, or
    words its words have been linked to (`learned`, stems as PostgreSQL's index has them: both are Snowball's
    English stems)."""
    project = project_of(claim)
    if connection.vendor != "postgresql":
        others = Claim.objects.in_project(project).exclude(source=claim.source_id)
        rows = others.values_list("pk", "quote", "statement").iterator()
        return most_shared(features.terms | set(learned), rows, excluded, rarity)
    terms = search_terms(features, rarity, [w for w in learned if LEXEME.fullmatch(w)][: 4 * LEARNED_TERMS])
    terms = [t for t in terms if LEXEME.fullmatch(t)]
    if not terms:
        return []
    # Already lexemes: quoted, and queried with the simple configuration. Claims sharing any one of the telling
    # words are compared word by word in Python (a plain index lookup, no rank computed); only when more than
    # MATCHED claims share one does PostgreSQL's rank pick which MATCHED to compare. Through a server-side cursor,
    # never planned in parallel (two workers took 20 ms a request, the lookup 5), in a transaction as a pooler needs.
    any_word = " | ".join(f"'{t}'" for t in terms)
    reader = connections[router.db_for_read(Claim)]
    with transaction.atomic(using=reader.alias, savepoint=False), reader.chunked_cursor() as cursor:
        cursor.execute(MATCHING_SQL, [any_word, claim.source_id, project, MATCHED])
        rows = cursor.fetchall()
        if len(rows) >= MATCHED:
            cursor.execute(RANKED_SQL, [any_word, claim.source_id, project, RANKED_FROM, any_word, MATCHED])
            rows = cursor.fetchall()
    return most_shared(features.terms | set(learned), rows, excluded, rarity)


# Claims of the project's other sources only: another project's claim is never a candidate.
# The claim keeps its source's project (Claim.project). Written so that no index serves it: the planner, guessing
# how many claims a word matches, would otherwise read a whole project along its index and test every claim's words.
IN_PROJECT = "project_id + 0 = %s"
MATCHING_SQL = f"""
    SELECT id, quote, statement FROM claims_claim
    WHERE {SEARCH_VECTOR} @@ to_tsquery('simple', %s) AND source_id <> %s AND {IN_PROJECT}
    LIMIT %s
"""
# The inner LIMIT bounds the work when a query matches much of the table.
RANKED_SQL = f"""
    SELECT id, quote, statement FROM (
        SELECT id, quote, statement, {SEARCH_VECTOR} AS words FROM claims_claim
        WHERE {SEARCH_VECTOR} @@ to_tsquery('simple', %s) AND source_id <> %s AND {IN_PROJECT}
        LIMIT %s
    ) AS matched
    ORDER BY ts_rank(words, to_tsquery('simple', %s)) DESC, id
    LIMIT %s
"""


def most_shared(terms: frozenset[str], rows, excluded: set[int], rarity: Rarity) -> list[int]:
    """Of (id, quote, statement) rows, the ids of those sharing the rarest of these terms."""
    scored, seen = [], set()
    for pk, quote, statement in rows:
        if pk in excluded or pk in seen:
            continue
        seen.add(pk)
        shared = terms & terms_of(f"{quote} {statement}")
        if shared:
            scored.append((-sum(map(rarity, shared)), pk))
    return [pk for _, pk in sorted(scored)[:CANDIDATES]]


def background() -> Rarity:
    """Word rarity from evenly spaced claims of the whole table (the same data, the same ranking), to choose
    what to search by and compare (two queries; one while the table has not grown by BACKGROUND claims)."""
    span = Claim.objects.aggregate(first=Min("pk"), last=Max("pk"))
    if span["first"] is None:
        return Rarity([])
    step = max(1, (span["last"] - span["first"]) // BACKGROUND)
    if step > 1 and (span["first"], step) in SAMPLED:
        return SAMPLED[span["first"], step]
    ids = range(span["first"], span["last"] + 1, step)
    rows = Claim.objects.filter(pk__in=list(ids)[:BACKGROUND]).order_by().values_list("quote", "statement")
    rarity = Rarity([terms_of(f"{quote} {statement}") for quote, statement in rows])
    if step > 1:
        SAMPLED.clear()
        SAMPLED[span["first"], step] = rarity
    return rarity


SAMPLED: dict[tuple[int, int], Rarity] = {}


def candidates(ids: list[int], project: int) -> list[Claim]:
    """The candidates of the project with their words, speakers and dates only (one query; the source's text is
    never loaded)."""
    fields = ("quote", "statement", "speaker_id", "claimed_on", "claimed_on_precision", "source_id")
    sources = ("source__published_on", "source__published_on_precision")
    found = Claim.objects.in_project(project).filter(pk__in=ids)
    return list(found.select_related("source").only(*fields, *sources).order_by())


@dataclass
class Pool:
    """A claim's candidates, the rarity of words among them, and (once learning counts) the team's links
    around them: the claims linked to this one (`partners`) and each candidate's and partner's links."""

    found: list[Claim]
    rarity: Rarity
    partners: set[int] = field(default_factory=set)
    links: dict[int, set[int]] = field(default_factory=dict)


def candidate_pool(claim: Claim, features: Features, learned: Learned | None) -> Pool:
    """The claim's candidates, and the rarity of words among them (three to six queries). Once learning counts,
    claims linked to the claim's partners or to its candidates are candidates too: a link says two claims
    state the same fact, so what matches one may match the other."""
    linked, excluded = decided(claim)
    # What is rare in the whole table chooses the candidates ...
    # Words its links taught, and for a claim saying a matter moved or did not, the words saying either.
    extra = learned.partners() if learned else []
    if features.progress or features.standstill:
        extra += VERDICT_WORDS
    ids = text_candidate_ids(claim, features, excluded, background(), extra)
    links: dict[int, set[int]] = {}
    if learned is not None:
        links = links_among(set(ids) | linked)
        reached = {pk for x in linked | set(ids) for pk in links.get(x, ())} - excluded - set(ids)
        ids += sorted(reached)[:CANDIDATES]
    found = [row for row in candidates(ids, project_of(claim)) if row.source_id != claim.source_id]
    # ... and what is rare among them scores them: among claims on Japan and Russia, "Japan" tells little
    # and "Habomai" a lot, however many claims about anything else the table holds.
    rarity = Rarity([terms_of(claim_text(other)) for other in found] + [terms_of(claim_text(claim))])
    return Pool(found, rarity, linked, links)


def links_among(ids: set[int]) -> dict[int, set[int]]:
    """Each of these claims' linked claims, by claim id (one query)."""
    links: dict[int, set[int]] = {}
    rows = Link.objects.filter(Q(claim_a__in=ids) | Q(claim_b__in=ids)).values_list("claim_a", "claim_b")
    for a, b in rows:
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)
    return links


def through_links(other, pool: Pool, signals: "Signals") -> str:
    """The reason when the other claim is linked to a claim linked to this one (a link says two claims state
    the same fact), else ""."""
    shared = sorted(pool.partners & pool.links.get(other.pk, set()))
    if shared:
        signals.linked_partner = 1.0
        return f"both linked to claim {shared[0]}"
    return ""


def scored(claim: Claim, features: Features, other, pool: Pool, learned: Learned | None) -> Suggestion:
    """One candidate scored as the ranker scores it: the hand-set score and ranking key, and with `learned`,
    the associations and links learned from the team's decisions."""
    other_features = features_of(other)
    suggestion = compare(claim, features, other, other_features, pool.rarity, learned)
    signals = suggestion.signals
    signals.static = suggestion.score
    if learned is not None:
        reason = through_links(other, pool, signals)
        if reason:
            suggestion.reasons.append(reason)
    return suggestion


def ranked_for(claim: Claim, *, limit: int = 10) -> list[Suggestion]:
    """Every candidate scored, best first, threshold or not (for calibrating THRESHOLD). Once the weights have
    been fitted to the team's decisions (learning.py), what was learned counts, by its fitted weight."""
    features = features_of(claim)
    project = project_of(claim)
    weights = fitted_weights(project)
    learned = Learned(features.terms, project) if weights else None
    pool = candidate_pool(claim, features, learned)
    own_best = best_possible(claim, features, pool.rarity)
    ranked = []
    for other in pool.found:
        suggestion = scored(claim, features, other, pool, learned)
        suggestion.strength = round(suggestion.score / own_best, 3) if own_best > 0 else 0.0
        suggestion.score = round(suggestion.score, 2)
        ranked.append(suggestion)
    ranked.sort(key=lambda s: (-ranking_key(s.signals, weights), s.claim.pk))
    ranked = ranked[:limit]
    # Only the claims shown are loaded in full, with what a page shows of them (one query).
    shown = (
        Claim.objects.filter(pk__in=[s.claim.pk for s in ranked])
        .select_related("source__publisher", "speaker")
        .defer("source__text", "source__raw_text")
        .order_by()
        .in_bulk()
    )
    for suggestion in ranked:
        suggestion.claim = shown[suggestion.claim.pk]
    return ranked


@reads_from_replica
def suggestions_for(claim: Claim, *, limit: int = 10) -> list[Suggestion]:
    """The claims in other sources most likely to corroborate or contradict this one, best first; only those
    scoring at least THRESHOLD of the claim's best possible score (or joined to it by what was learned),
    so a claim that nothing else speaks to gets none, however large the database.

    A heavy read: it runs on the read replica when there is one (config/routers.py).
    """
    return [s for s in ranked_for(claim, limit=limit) if s.strength >= THRESHOLD or s.signals.learned()]


def ranking_key(signals: "Signals", weights: dict | None) -> float:
    """Higher first: the hand-set score, less for a candidate that names everything (a hub); with fitted
    weights, plus what was learned, each by its weight."""
    if not weights:
        return signals.static
    return signals.static + sum(weights.get(name, 0.0) * getattr(signals, name) for name in FITTED[1:])


def learn_from_decision(*, claim: Claim, other: Claim, accepted: bool) -> None:
    """Learn from a suggestion accepted as a link or dismissed: record the pair's signals and its words
    (learning.py); called by the services that write links and dismissals. Word rarity is read from the table's
    sample, not from the claim's candidates, so that a decision costs a few queries, not a suggestion request."""
    features = features_of(claim)
    learned = Learned(features.terms, project_of(claim))
    links = links_among({claim.pk, other.pk})
    # The link just made is the decision itself, not a partner.
    pool = Pool([], background(), links.get(claim.pk, set()) - {other.pk}, links)
    suggestion = scored(claim, features, other, pool, learned)
    record_decision(
        claim=claim,
        suggested=other,
        accepted=accepted,
        signals=dataclasses.asdict(suggestion.signals),
        words=set(features.words),
        other_words=set(features_of(other).words),
    )


def best_possible(claim: Claim, features: Features, rarity: Rarity) -> float:
    """What the claim would score against a copy of itself in another source (what compare() would give)."""
    signals = Signals(
        speaker=float(claim.speaker_id is not None),
        entity=rarity.total(features.names) + rarity.total(features.numbers),
        wording=float(bool(features.words)),
        claimed_same=claimed_on(claim).precision / 3 if claim.claimed_on else 0.0,
    )
    for date in features.dates:
        if date.precision:
            name = ("date_year", "date_month", "date_day")[date.precision - 1]
            setattr(signals, name, getattr(signals, name) + 1.0)
    return signals.score()
