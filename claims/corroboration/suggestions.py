"""Suggested links: claims in other sources that probably state the same fact, or contradict it.

Ranked the way a careful reader would compare two claims: shared names, numbers and dates,
shared wording (rare words counting more than common ones), the same speaker, and `claimed_on`
dates close together. Each suggestion carries a short reason ("same speaker; both mention
December 2016 and Tokyo").

Candidates come from the database. On PostgreSQL a GIN index on the claim's words
(`to_tsvector('english', quote || ' ' || statement)`, migration 0004) finds claims sharing two or
more of the claim's telling words; being an expression index, it is current the moment a claim is
saved. Words that PostgreSQL's own statistics on that index (pg_stats, kept by ANALYZE) show in
more than 1% of claims are not searched by, which keeps a request fast at a million claims. On
SQLite the same scoring reads the other sources' claims directly (fine at a desk's scale). On both,
claims by the same speaker close in time are candidates too. Already-linked and dismissed pairs
never come back.
"""

import datetime
import functools
import math
import re
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection, connections, router
from django.db.models import Max, Min, Q

from claims.models import Claim, Corroboration, DismissedSuggestion
from config.routers import reads_from_replica

SEARCH_VECTOR = "to_tsvector('english'::regconfig, quote || ' ' || statement)"
CANDIDATES = 80  # claims scored in Python per suggestion request
SPEAKER_WINDOW = datetime.timedelta(days=120)
SEARCH_TERMS = 10  # words of the claim used to find candidates
MAX_SHARE = 0.01  # a word in more than 1% of claims is too common to search by
MATCHED = 1000  # at most this many index matches are ranked by PostgreSQL
RANKED = 300  # and at most this many of them compared word by word
BACKGROUND = 300  # claims sampled to tell common words from rare ones

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours out over own same she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours said says say according told tell while since however
    one two s t don mr ms mrs""".split()
)
NEGATIONS = frozenset(
    "not no never neither nor none nothing cannot denied denies deny rejected rejects reject refused refuses "
    "unacceptable unlikely false without".split()
)
TITLES = frozenset(
    "president prime minister foreign defense defence deputy secretary chief governor ambassador general "
    "mr ms mrs dr sir former senior special adviser advisor spokesman spokeswoman".split()
)
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
MONTH_NAMES = "|".join(sorted((m.capitalize() for m in MONTHS), key=len, reverse=True))
DATE_PATTERN = re.compile(
    rf"(?:\b(?P<day_before>\d{{1,2}})\s+)?\b(?P<month>{MONTH_NAMES})\.?(?:\s+(?P<day_after>\d{{1,2}})\b(?!\d))?"
    rf"(?:,?\s+(?P<year>(?:1[89]|20)\d\d)\b)?"
)
WORD_PATTERN = re.compile(r"[^\W\d_][\w'’]*|\d+(?:[.,]\d+)*", re.UNICODE)
SENTENCE_END = re.compile(r"[.!?:;]$")

# How much each thing a reader notices counts.
WEIGHTS = {
    "speaker": 4.0,
    "date": 4.0,
    "name": 1.5,
    "number": 2.0,
    "wording": 18.0,
    "same_day": 3.0,
    "close_day": 1.5,
}


@dataclass(frozen=True)
class DateMention:
    text: str
    month: int
    day: int | None
    year: int | None

    def matches(self, other: "DateMention") -> bool:
        return (
            self.month == other.month
            and (self.day is None or other.day is None or self.day == other.day)
            and (self.year is None or other.year is None or self.year == other.year)
            # A bare month on both sides ("May") says too little to count.
            and (self.day, self.year, other.day, other.year) != (None, None, None, None)
        )


@dataclass
class Features:
    """What a reader picks out of a claim's words."""

    names: dict[str, str]  # key -> as written
    numbers: set[str]
    dates: list[DateMention]
    words: set[str]  # stems of content words
    negated: bool
    spelled: dict[str, str] = field(default_factory=dict)  # stem -> the word as written, for the text index

    @property
    def terms(self) -> set[str]:
        """Everything rarity is counted over: word stems (names included) and numbers."""
        return self.words | self.numbers

    @classmethod
    def of(cls, text: str) -> "Features":
        dates = [
            DateMention(
                text=m.group(0).strip(),
                month=MONTHS[m.group("month").lower()],
                day=int(m.group("day_before") or m.group("day_after") or 0) or None,
                year=int(m.group("year")) if m.group("year") else None,
            )
            for m in DATE_PATTERN.finditer(text)
        ]
        names, numbers, words, spelled, negated = {}, set(), set(), {}, False
        phrase: list[str] = []  # the capitalised words of the name being read
        last_end = -1
        for match in WORD_PATTERN.finditer(text):
            token = match.group(0)
            bare = possessive_stripped(token)
            lower = bare.lower()
            if lower in NEGATIONS or lower.endswith("n't"):
                negated = True
            capitalised = bare[:1].isupper() and lower not in STOPWORDS and lower not in MONTHS
            # A name is a run of capitalised words, titles left out ("Prime Minister Shinzo Abe" is Abe);
            # a capitalised first word is only a sentence starting.
            if phrase and not (capitalised and text[last_end : match.start()].isspace()):
                add_name(names, phrase)
                phrase = []
            if capitalised and match.start() > 0 and lower not in TITLES:
                phrase.append(bare)
            term = term_of(bare, lower)
            if term is None:
                pass
            elif bare[:1].isdigit():
                numbers.add(term)
            else:
                words.add(term)
                spelled.setdefault(term, lower)
            last_end = match.end()
        if phrase:
            add_name(names, phrase)
        return cls(names=names, numbers=numbers, dates=dates, words=words, negated=negated, spelled=spelled)


def add_name(names: dict[str, str], phrase: list[str]) -> None:
    """Record a name under its last word, so "Vladimir Putin" meets "Putin"."""
    names.setdefault(stem(phrase[-1].lower()), " ".join(phrase))


def term_of(bare: str, lower: str) -> str | None:
    """What a word counts as when claims are compared: a number as written, a content word by its stem."""
    if bare[:1].isdigit():
        return bare.replace(",", "")
    if lower in STOPWORDS or lower in TITLES or len(lower) <= 2:
        return None
    return stem(lower)


def terms_of(text: str) -> set[str]:
    """Features.of(text).terms, without the rest: fast enough to sample many claims."""
    terms = set()
    for token in WORD_PATTERN.findall(text):
        bare = possessive_stripped(token)
        term = term_of(bare, bare.lower())
        if term is not None:
            terms.add(term)
    return terms


def possessive_stripped(token: str) -> str:
    if "'" not in token and "’" not in token:
        return token
    for ending in ("'s", "’s", "'", "’"):
        if token.endswith(ending):
            return token[: -len(ending)]
    return token


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem, enough to meet "islands" with "island" and "visited" with "visit"."""
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: -len(suffix)] + replacement
    return word


def claim_text(claim: Claim) -> str:
    return f"{claim.quote} {claim.statement}".strip()


@dataclass
class Suggestion:
    """A claim that probably states the same fact as another, or contradicts it, and why."""

    claim: Claim
    score: float
    reasons: list[str] = field(default_factory=list)
    possible_contradiction: bool = False

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class Rarity:
    """How telling a word is: one that most claims mention ("Japan", in coverage of Japan) counts
    for little, a rare one ("Hasegawa") for a lot."""

    def __init__(self, pool: list[set[str]]):
        self.size = len(pool)
        self.counts: dict[str, int] = {}
        for terms in pool:
            for term in terms:
                self.counts[term] = self.counts.get(term, 0) + 1

    def __call__(self, term: str) -> float:
        if self.size < 2:
            return 1.0
        # Smoothed inverse document frequency, scaled to 0..1.
        return math.log((self.size + 1) / (self.counts.get(term, 0) + 1)) / math.log(self.size + 1)


def compare(claim: Claim, features: Features, other: Claim, other_features: Features, rarity: Rarity) -> Suggestion:
    """Score one candidate against the claim, keeping a reason for everything that counted."""
    score, reasons = 0.0, []
    if claim.speaker_id is not None and claim.speaker_id == other.speaker_id:
        score += WEIGHTS["speaker"]
        reasons.append("same speaker")

    mentions = []
    shared_dates = [d for d in features.dates if any(d.matches(o) for o in other_features.dates)]
    for mention in shared_dates:
        score += WEIGHTS["date"]
        mentions.append(mention.text)
    in_dates = " ".join(mentions)
    shared_names = [k for k in features.names if k in other_features.names]
    # The rarest names first: they are what makes two claims about the same thing.
    shared_names.sort(key=lambda k: -rarity(k))
    for key in shared_names:
        score += WEIGHTS["name"] * rarity(key)
        if features.names[key] not in in_dates:
            mentions.append(features.names[key])
    shared_numbers = sorted(features.numbers & other_features.numbers)
    for number in shared_numbers:
        score += WEIGHTS["number"] * rarity(number)
        if number not in in_dates:
            mentions.append(number)
    if mentions:
        reasons.append("both mention " + and_list(mentions[:4]))

    if claim.claimed_on and other.claimed_on:
        days = abs((claim.claimed_on - other.claimed_on).days)
        if days == 0:
            score += WEIGHTS["same_day"]
            reasons.append("claimed the same day")
        elif days <= 31:
            score += WEIGHTS["close_day"]
            reasons.append(f"claimed {days} day{'s' if days != 1 else ''} apart")

    union = features.words | other_features.words
    common = features.words & other_features.words
    if union:
        # Shared wording, weighted by rarity, so neither a long claim nor common words win on their own.
        weight = sum(map(rarity, union))
        # When every word is in every claim of the sample (a near-empty database), rarity tells
        # nothing: fall back to the share of words in common.
        overlap = sum(map(rarity, common)) / weight if weight else len(common) / len(union)
        score += WEIGHTS["wording"] * overlap
    named = set(features.names)
    plain_common = sorted(common - named, key=lambda w: (-rarity(w), w))
    if len(plain_common) >= 2:
        reasons.append(f"{len(plain_common)} words in common ({and_list(plain_common[:3])})")

    contradiction = features.negated != other_features.negated and score > 0
    if contradiction:
        reasons.append("one of them denies or negates: check for a contradiction")
    return Suggestion(claim=other, score=round(score, 2), reasons=reasons, possible_contradiction=contradiction)


def excluded_ids(claim: Claim) -> set[int]:
    """Claims never to suggest for this one: itself, those already linked, those dismissed (one query)."""
    links = Corroboration.objects.filter(Q(claim_a=claim) | Q(claim_b=claim)).values_list("claim_a", "claim_b")
    dismissed = DismissedSuggestion.objects.filter(Q(claim=claim) | Q(suggested=claim)).values_list(
        "claim", "suggested"
    )
    pairs = links.union(dismissed, all=True)
    return {claim.pk} | {pk for pair in pairs for pk in pair}


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


def search_terms(features: Features, rarity: "Rarity") -> list[str]:
    """The claim's most telling words, as indexed, for the full-text query (one query).

    Names, numbers and dates first, then the rarest words; words used by more than MAX_SHARE of
    all claims are left out, since they would match much of the table and say little.
    """
    telling = set(features.names) | features.numbers | {stem(d.text.split()[0].lower()) for d in features.dates}
    ordered = sorted(features.terms, key=lambda t: (t not in telling, -rarity(t), -len(t), t))
    spelled = [re.sub(r"\W", "", features.spelled.get(t, t)) for t in ordered]
    with connections[router.db_for_read(Claim)].cursor() as cursor:
        cursor.execute(WORD_SHARES_SQL, [[w for w in spelled if w]])
        share_of = {word: (lexeme, share) for word, lexeme, share in cursor.fetchall()}
    found = [share_of[w] for w in spelled if w in share_of]
    lexemes = list(dict.fromkeys(lexeme for lexeme, share in found if share <= MAX_SHARE))
    if not lexemes:
        lexemes = [lexeme for lexeme, _ in sorted(found, key=lambda f: f[1])[:2]]
    return lexemes[:SEARCH_TERMS]


def text_candidate_ids(claim: Claim, features: Features, excluded: set[int], rarity: "Rarity") -> list[int]:
    """Ids of claims in other sources sharing the most telling words with this claim."""
    if connection.vendor != "postgresql":
        rows = Claim.objects.exclude(source=claim.source_id).values_list("pk", "quote", "statement").iterator()
        return most_shared(features, rows, excluded, rarity)
    terms = [t for t in search_terms(features, rarity) if re.fullmatch(r"\w+", t)]
    if not terms:
        return []
    # Claims sharing two or more rare words first; only when too few do, claims sharing any one.
    terms = [f"'{t}'" for t in terms]  # already lexemes: quoted, and queried with the simple configuration
    two_or_more = " | ".join(f"({a} & {b})" for a, b in combinations(terms, 2)) if len(terms) > 1 else terms[0]
    rows: list[tuple[int, str, str]] = []
    for tsquery in (two_or_more, " | ".join(terms)):
        # The inner LIMIT bounds the work when a query still matches many claims; the best of those by
        # PostgreSQL's rank are then compared word by word, rarer words counting more.
        sql = f"""
            SELECT id, quote, statement FROM (
                SELECT id, quote, statement, {SEARCH_VECTOR} AS words FROM claims_claim
                WHERE {SEARCH_VECTOR} @@ to_tsquery('simple', %s) AND source_id <> %s
                LIMIT %s
            ) AS matched
            ORDER BY ts_rank(words, to_tsquery('simple', %s)) DESC, id
            LIMIT %s
        """
        with connections[router.db_for_read(Claim)].cursor() as cursor:
            cursor.execute(sql, [tsquery, claim.source_id, MATCHED, tsquery, RANKED + len(excluded)])
            rows += cursor.fetchall()
        if len(rows) >= RANKED:
            break
    return most_shared(features, rows, excluded, rarity)


def most_shared(features: Features, rows, excluded: set[int], rarity: "Rarity") -> list[int]:
    """Of (id, quote, statement) rows, the ids of those sharing the rarest words with the claim."""
    scored, seen = [], set()
    for pk, quote, statement in rows:
        if pk in excluded or pk in seen:
            continue
        seen.add(pk)
        shared = features.terms & terms_of(f"{quote} {statement}")
        if shared:
            scored.append((-sum(map(rarity, shared)), pk))
    return [pk for _, pk in sorted(scored)[:CANDIDATES]]


def speaker_candidate_ids(claim: Claim, excluded: set[int]) -> list[int]:
    """Claims by the same speaker in other sources, made around the same time."""
    if claim.speaker_id is None:
        return []
    same_speaker = Claim.objects.filter(speaker=claim.speaker_id).exclude(source=claim.source_id)
    if claim.claimed_on is not None:
        same_speaker = same_speaker.filter(
            claimed_on__range=(claim.claimed_on - SPEAKER_WINDOW, claim.claimed_on + SPEAKER_WINDOW)
        )
    ids = same_speaker.order_by("-claimed_on", "pk").values_list("pk", flat=True)[: CANDIDATES // 4 + len(excluded)]
    return [pk for pk in ids if pk not in excluded]


def background() -> list[set[str]]:
    """A spread-out sample of all claims, to tell common words from rare ones (two queries, any table size).

    Evenly spaced ids rather than a random sample, so the same data always gives the same ranking.
    """
    span = Claim.objects.aggregate(first=Min("pk"), last=Max("pk"))
    if span["first"] is None:
        return []
    step = max(1, (span["last"] - span["first"]) // BACKGROUND)
    ids = range(span["first"], span["last"] + 1, step)
    rows = Claim.objects.filter(pk__in=list(ids)[:BACKGROUND]).values_list("quote", "statement")
    return [terms_of(f"{quote} {statement}") for quote, statement in rows]


@reads_from_replica
def suggestions_for(claim: Claim, *, limit: int = 10) -> list[Suggestion]:
    """The claims in other sources most likely to corroborate or contradict this one, best first.

    A heavy read: it runs on the read replica when there is one (config/routers.py).
    """
    features = Features.of(claim_text(claim))
    excluded = excluded_ids(claim)
    rarity = Rarity(background())
    ids = text_candidate_ids(claim, features, excluded, rarity)
    ids += [pk for pk in speaker_candidate_ids(claim, excluded) if pk not in ids]
    candidates = [
        (other, Features.of(claim_text(other)))
        for other in Claim.objects.filter(pk__in=ids)
        .select_related("source__publisher", "speaker")
        .defer("source__text", "source__raw_text")
    ]
    ranked = [compare(claim, features, other, other_features, rarity) for other, other_features in candidates]
    ranked = [s for s in ranked if s.score > 0]
    ranked.sort(key=lambda s: (-s.score, s.claim.pk))
    return ranked[:limit]
