"""The corroboration counts each claim stores, kept right in the transaction of every change that can move them.

Every write path calls one of these (the services in claims.services, the admins, the imports, the editor, the
commands); sources, which does not know claims, announces changes to voices with
sources.signals.voices_changed, answered by `recount_for_sources`. `recount_all` recomputes every count from
scratch and repairs drift (the `recount_corroboration` command). Every recount decides by one rule, `decide`.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import NamedTuple

import psycopg
from django.db import connections, router, transaction
from django.db.models import Max, Min, Q, QuerySet

from claims.corroboration.independence import Facts, facts_for, undecided_duplicates, voice_counts
from claims.models import COUNT_FIELDS, LIST_FIELDS, Claim, Link, Republication
from claims.rules import lock_links
from common.batching import collector_paused
from common.copy_insert import update_rows
from common.overlap import reading_ahead
from common.pg_settings import settings_for


class Counts(NamedTuple):
    """What a claim stores of its links: the counts, and the linked claims' ids as the CSV lists them."""

    corroborating_sources: int = 0
    independent_voices: int = 0
    unverified_sources: int = 0
    contradicting_sources: int = 0
    corroborated_by_ids: str = ""
    contradicted_by_ids: str = ""
    undecided_duplicates: str = ""  # "1 if Nikkei Asian Review is Nikkei Asia" (independence.undecided_duplicates)


STORED_FIELDS = (*COUNT_FIELDS, *LIST_FIELDS, "undecided_duplicates")  # Counts' columns on the claim, in its order

ZERO = Counts()


class Gathered(NamedTuple):
    """One claim's links as a recount reads them: the claim, its source, and for each relation the claims at the
    other ends with their sources, in the same order."""

    claim: int
    source: int
    corroborated_by: Sequence[int] | None
    corroborating: Sequence[int] | None
    contradicted_by: Sequence[int] | None
    contradicting: Sequence[int] | None


def compute(
    own: dict[int, int], ends: Iterable[tuple[int, int, int, str]], facts: Facts | None = None
) -> dict[int, Counts]:
    """The counts and lists of the claims in `own` (claim id → its source id) from their links' ends (the claim,
    the claim at the other end, that one's source, the relation: `link_ends`). `facts`: those already loaded (a full
    recount's), extended with the sources they lack."""
    ends_of = defaultdict(lambda: ([], [], [], []))
    for here, other, there, relation in ends:
        found = ends_of[here]
        if relation == Link.Relation.CORROBORATES:
            found[0].append(other)
            found[1].append(there)
        else:
            found[2].append(other)
            found[3].append(there)
    involved = {*own.values(), *(s for found in ends_of.values() for s in found[1])}
    facts = facts_for(involved) if facts is None else facts.extend(involved)
    none = (None, None, None, None)
    return decide([Gathered(claim, source, *ends_of.get(claim, none)) for claim, source in own.items()], facts)


def decide(claims: Iterable[Gathered], facts: Facts) -> dict[int, Counts]:
    """The counts and lists of these claims, by the rule every recount uses: a claim's corroborating (contradicting)
    sources are the other sources holding a claim linked to it as corroborating (contradicting); its lists name
    every linked claim, its own source's too; its corroborating sources are grouped by voice (`voice_counts`)."""
    counts, grouped_by_claim = {}, {}
    new = tuple.__new__  # Counts from a tuple of all its fields: a full recount makes hundreds of thousands
    for claim, source, corroborated_by, corroborating, contradicted_by, contradicting in claims:
        corroborated = id_list(corroborated_by) if corroborated_by else ""
        contradicted = id_list(contradicted_by) if contradicted_by else ""
        against = len(set(contradicting) - {source}) if contradicting else 0
        sources = set(corroborating) if corroborating else None
        if sources:
            sources.discard(source)
        if not sources:
            counts[claim] = new(Counts, (0, 0, 0, against, corroborated, contradicted, ""))
            continue
        independent, unverified = voice_counts(facts, source, sources)
        counts[claim] = new(Counts, (len(sources), independent, unverified, against, corroborated, contradicted, ""))
        grouped_by_claim[claim] = (source, sources, independent)
    for claim, said in undecided_duplicates(facts, grouped_by_claim).items():
        counts[claim] = counts[claim]._replace(undecided_duplicates=said)
    return counts


def id_list(ids: Sequence[int]) -> str:
    """Claim ids as the CSV lists them: "3; 17", in order; "" for none."""
    if len(ids) == 1:  # most claims have one link, and a full recount lists hundreds of thousands
        return str(ids[0])
    return "; ".join(map(str, sorted(ids)))


def link_ends(**lookups) -> QuerySet:
    """Each link once for each of its ends among the claims asked for (`in=ids`, or `gte=first, lte=last`): the claim,
    the claim at the other end, that one's source, the relation. One query, each half read from its end's index
    with one join (a link's own end needs no source: its claim's is read with its counts)."""
    fields = {
        "a": ("claim_a", "claim_b", "claim_b__source", "relation"),
        "b": ("claim_b", "claim_a", "claim_a__source", "relation"),
    }
    halves = [
        Link.objects.filter(**{f"claim_{end}__{name}": value for name, value in lookups.items()})
        .order_by()
        .values_list(*fields[end])
        for end in ("a", "b")
    ]
    return halves[0].union(halves[1], all=True)


# Within the caller's transaction, without a savepoint of its own: a failure here fails the change it counts.
@transaction.atomic(savepoint=False)
def recount_claims(claim_ids: Iterable[int]) -> int:
    """Recompute and store the counts of these claims (set-wise, in a fixed number of queries: their counts, their
    links, the facts of the sources involved, the update); returns how many changed."""
    ids = set(claim_ids)
    if not ids:
        return 0
    lock_links()  # read what the counts count as the writers before left it, and store before the next reads
    stored = {
        row[0]: (row[1], Counts(*row[2:]))
        for row in Claim.objects.filter(pk__in=ids).values_list("pk", "source_id", *STORED_FIELDS)
    }
    counts = compute({pk: source for pk, (source, _) in stored.items()}, link_ends(**{"in": list(stored)}))
    changed = {pk: value for pk, value in counts.items() if stored[pk][1] != value}
    store(changed)
    return len(changed)


def recount_linked(claim_ids: Iterable[int]) -> int:
    """Recount these claims and every claim linked to them (a claim moved to another source, or about to go)."""
    ids = set(claim_ids)
    if not ids:  # no lock for nothing: an import of new claims holds its lenders' locks, taken after the link lock
        return 0
    lock_links()
    linked = Link.objects.filter(Q(claim_a__in=ids) | Q(claim_b__in=ids)).values_list("claim_a", "claim_b")
    return recount_claims(ids | {pk for pair in linked for pk in pair})


def claims_voiced_by(source_ids: Iterable[int]) -> set[int]:
    """The claims whose counts depend on these sources' voices: their claims, the claims linked to those, and the
    same for the copies that republish them."""
    lock_links()
    ids = set(source_ids)
    ids |= set(Republication.objects.filter(original__in=ids).values_list("copy_id", flat=True))
    own = set(Claim.objects.filter(source__in=ids).values_list("pk", flat=True))
    linked = Link.objects.filter(Q(claim_a__in=own) | Q(claim_b__in=own)).values_list("claim_a", "claim_b")
    return own | {pk for pair in linked for pk in pair}


def recount_for_sources(source_ids: Iterable[int]) -> int:
    """Recount the claims whose counts depend on these sources' voices."""
    return recount_claims(claims_voiced_by(source_ids))


def on_voices_changed(sender, *, source_ids, **kwargs) -> None:
    """Receiver of sources.signals.voices_changed."""
    recount_for_sources(source_ids)


def store(counts: dict[int, Counts]) -> None:
    """Write these counts and lists, set-wise (common.copy_insert.update_rows)."""
    update_rows(Claim, STORED_FIELDS, [(pk, *value) for pk, value in counts.items()])


# Claims decided at once by recount_all. At a million claims the stretches of 50,000 peaked at 122-155 MB and of
# 20,000 at 101-103 MB, for a few percent more CPU (issue 26: 150 MB); streamed 20,000 at a time, 120 MB.
RECOUNTED_AT_ONCE = 20_000


@transaction.atomic
def recount_all(*, repair: bool = True) -> dict[int, tuple[Counts, Counts]]:
    """Recompute every claim's counts and lists from scratch: the claims whose stored ones are wrong, with
    (stored, right); stored right when `repair`. Memory stays flat whatever the number of claims (issue 26: all
    links at once in Python took 464 MB at a million claims): on PostgreSQL the claims stream in from one query with
    their links gathered (`_recount_streamed`), elsewhere they are read a stretch of RECOUNTED_AT_ONCE ids at a time."""
    lock_links()
    streams = connections[router.db_for_write(Claim)].vendor == "postgresql"
    drift = _recount_streamed() if streams else _recount_stretches()
    if repair:
        store({pk: value for pk, (_, value) in drift.items()})
    return drift


GATHERED_SQL = """
WITH ends AS (
    SELECT l.claim_a_id AS here, l.claim_b_id AS other, b.source_id AS there, l.relation
    FROM claims_link l JOIN claims_claim b ON b.id = l.claim_b_id
    UNION ALL
    SELECT l.claim_b_id, l.claim_a_id, a.source_id, l.relation
    FROM claims_link l JOIN claims_claim a ON a.id = l.claim_a_id
), gathered AS (
    SELECT here,
        array_agg(other) FILTER (WHERE relation = %(corroborates)s) AS corroborated_by,
        array_agg(there) FILTER (WHERE relation = %(corroborates)s) AS corroborating,
        array_agg(other) FILTER (WHERE relation = %(contradicts)s) AS contradicted_by,
        array_agg(there) FILTER (WHERE relation = %(contradicts)s) AS contradicting
    FROM ends GROUP BY here
)
SELECT c.id, c.source_id, {stored}, g.corroborated_by, g.corroborating, g.contradicted_by, g.contradicting
FROM claims_claim c LEFT JOIN gathered g ON g.here = c.id
WHERE g.here IS NOT NULL OR {any_stored}
ORDER BY c.id
"""
# The rows come from the server in results of this many (libpq's chunked rows), each parsed by psycopg's C code at
# once. A COPY hands them over one message a row, each through psycopg's Python: 0.4-0.5 more CPU-seconds at a
# million claims.
STREAMED_ROWS = 5_000
# Hashing the links' ends (or sorting the claims) returned nothing until all was read: 1.3-1.8 s of 2.0-2.5 before
# the first row at a million claims, Python waiting. Compiling the query took 0.06-0.67 s of JIT for nothing. With
# the server's random_page_cost (4) the planner found each claim's links by reading all million claims' index and
# probing the links' for each (2.3 s, the first row at 1.25 s, by EXPLAIN ANALYZE after VACUUM ANALYZE); priced as
# pages in memory (a recount reads what was just written), it reads the 200,000 links and looks their claims up (1.45
# s, the first row at 0.45 s). The two halves of the ends come unordered, so they are sorted even so (enable_sort
# only prices a sort up): in memory with work_mem at 32 MB, on disk (19 MB) at the server's 4 MB.
STREAMED_PLAN = {
    "jit": "off",
    "enable_hashagg": "off",
    "enable_hashjoin": "off",
    "enable_sort": "off",
    "random_page_cost": "1.1",
    "work_mem": "'32MB'",
}


def gathered_query() -> tuple[str, dict]:
    """Every claim with a link, or storing a count or a list (which it may no longer have), with what it stores
    (STORED_FIELDS) and its links gathered (`Gathered`'s columns after the claim's). Under STREAMED_PLAN the links'
    ends are gathered in claim order and merged with the claims read along their primary key, so the rows stream
    from the start while Python decides them."""
    stored = ", ".join(f"c.{name}" for name in STORED_FIELDS)
    texts = STORED_FIELDS[len(COUNT_FIELDS) :]
    any_stored = " OR ".join([f"c.{name} > 0" for name in COUNT_FIELDS] + [f"c.{name} <> ''" for name in texts])
    relations = {"corroborates": Link.Relation.CORROBORATES.value, "contradicts": Link.Relation.CONTRADICTS.value}
    return GATHERED_SQL.format(stored=stored, any_stored=any_stored), relations


def _recount_streamed() -> dict[int, tuple[Counts, Counts]]:
    """recount_all on PostgreSQL: `gathered_query`'s rows, decided RECOUNTED_AT_ONCE claims at a time as they come."""
    from sources.models import Source

    # No other query can run while this one streams: every fact the rule may ask for is read first.
    facts = facts_for(Source.objects.order_by().values_list("pk", flat=True)).read_ahead()
    sql, relations = gathered_query()
    connection = connections[router.db_for_write(Claim)]
    connection.ensure_connection()
    drift = {}
    gathered = itemgetter(0, 1, -4, -3, -2, -1)  # Gathered's columns
    # psycopg's own cursor with binary results (Django's wraps a client-side one, which has neither), in
    # recount_all's transaction. The rows and what is decided of them make no reference cycles: the collector would
    # walk them again and again (2.5-3 of 7 CPU-seconds at a million claims).
    with psycopg.Cursor(connection.connection) as cursor, settings_for(cursor, STREAMED_PLAN), collector_paused():
        rows = cursor.stream(sql, relations, binary=True, size=STREAMED_ROWS)
        # Read on a second thread while these are decided (common.overlap.reading_ahead: the server waited for Python).
        for chunk in reading_ahead(rows, RECOUNTED_AT_ONCE, ahead=1):
            right = decide(map(gathered, chunk), facts)
            for row in chunk:
                counts = row[2:-4]
                if counts != right[row[0]]:
                    drift[row[0]] = (Counts(*counts), right[row[0]])
    return drift


def _recount_stretches() -> dict[int, tuple[Counts, Counts]]:
    """recount_all elsewhere: the claims a stretch of RECOUNTED_AT_ONCE ids at a time, each with its links read from
    the links' indexes. The sources' facts are read once and kept from stretch to stretch: at most one entry per
    source, whatever the number of claims (each stretch read them all again: a third of the recount at a million
    claims)."""
    drift, facts = {}, Facts({}, {}, {})
    span = Claim.objects.order_by().aggregate(first=Min("pk"), last=Max("pk"))
    for first in range(span["first"] or 0, (span["last"] or -1) + 1, RECOUNTED_AT_ONCE):
        drift.update(_recount_stretch(first, first + RECOUNTED_AT_ONCE - 1, facts))
    return drift


def _recount_stretch(first: int, last: int, facts: Facts) -> dict[int, tuple[Counts, Counts]]:
    ends = list(link_ends(gte=first, lte=last))
    # The stretch's claims with links, or storing a count or a list (which they may no longer have).
    stored = Q()
    for name in COUNT_FIELDS:
        stored |= Q(**{f"{name}__gt": 0})
    for name in LIST_FIELDS:
        stored |= ~Q(**{name: ""})
    kept = _stored(Claim.objects.filter(pk__range=(first, last)).filter(stored))
    missing = {here for here, *_ in ends} - kept.keys()
    if missing:
        kept.update(_stored(Claim.objects.filter(pk__in=missing)))
    right = compute({pk: source for pk, (source, _) in kept.items()}, ends, facts)
    # Stored values are compared as read (a Counts is a tuple), and made Counts only where they drifted.
    return {
        pk: (Counts(*counts), right.get(pk, ZERO)) for pk, (_, counts) in kept.items() if counts != right.get(pk, ZERO)
    }


def _stored(claims) -> dict[int, tuple[int, tuple]]:
    """Claim id → (its source id, its stored counts and lists in Counts' order)."""
    return {row[0]: (row[1], row[2:]) for row in claims.values_list("pk", "source_id", *STORED_FIELDS)}
