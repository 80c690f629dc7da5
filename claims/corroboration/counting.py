"""The corroboration counts each claim stores, kept right in the transaction of every change that can move them.

Every write path calls one of these (the services in claims.services, the admins, the imports, the editor, the
commands); sources, which does not know claims, announces changes to voices with
sources.signals.voices_changed, answered by `recount_for_sources`. `recount_all` recomputes every count from
scratch in one pass and repairs drift (the `recount_corroboration` command).
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Q

from claims.corroboration.independence import facts_for, undecided_duplicates, voices
from claims.models import COUNT_FIELDS, Claim, Corroboration, Republication
from claims.rules import lock_links


class Counts(NamedTuple):
    corroborating_sources: int = 0
    independent_sources: int = 0
    unverified_sources: int = 0
    contradicting_sources: int = 0
    undecided_duplicates: str = ""  # "1 if Nikkei Asian Review is Nikkei Asia" (independence.undecided_duplicates)


STORED = (*COUNT_FIELDS, "undecided_duplicates")  # Counts' columns on the claim
ZERO = Counts()


def compute(own: dict[int, int], links: Iterable[tuple[int, int, int, int, str]]) -> dict[int, Counts]:
    """The counts of the claims in `own` (claim id → its source id) from their links
    (claim a, a's source, claim b, b's source, relation)."""
    corroborating, contradicting = defaultdict(set), defaultdict(set)
    for a, a_source, b, b_source, relation in links:
        linked = corroborating if relation == Corroboration.Relation.CORROBORATES else contradicting
        for here, there in ((a, b_source), (b, a_source)):
            if here in own and there != own[here]:
                linked[here].add(there)
    facts = facts_for({*own.values(), *(s for sources in corroborating.values() for s in sources)})
    counts, grouped_by_claim = {}, {}
    for claim, source in own.items():
        if not corroborating[claim]:
            counts[claim] = Counts(0, 0, 0, len(contradicting[claim]))
            continue
        grouped = voices(facts, source, corroborating[claim])
        counts[claim] = Counts(
            len(corroborating[claim]), len(grouped.independent), len(grouped.unverified), len(contradicting[claim])
        )
        grouped_by_claim[claim] = (source, corroborating[claim], len(grouped.independent))
    for claim, said in undecided_duplicates(facts, grouped_by_claim).items():
        counts[claim] = counts[claim]._replace(undecided_duplicates=said)
    return counts


def link_rows(links) -> Iterable[tuple[int, int, int, int, str]]:
    return links.values_list("claim_a_id", "claim_a__source_id", "claim_b_id", "claim_b__source_id", "relation")


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
        for row in Claim.objects.filter(pk__in=ids).values_list("pk", "source_id", *STORED)
    }
    links = Corroboration.objects.filter(Q(claim_a__in=stored.keys()) | Q(claim_b__in=stored.keys()))
    counts = compute({pk: source for pk, (source, _) in stored.items()}, link_rows(links))
    changed = {pk: value for pk, value in counts.items() if stored[pk][1] != value}
    store(changed)
    return len(changed)


def recount_linked(claim_ids: Iterable[int]) -> int:
    """Recount these claims and every claim linked to them (a claim moved to another source, or about to go)."""
    lock_links()
    ids = set(claim_ids)
    linked = Corroboration.objects.filter(Q(claim_a__in=ids) | Q(claim_b__in=ids)).values_list("claim_a", "claim_b")
    return recount_claims(ids | {pk for pair in linked for pk in pair})


def claims_voiced_by(source_ids: Iterable[int]) -> set[int]:
    """The claims whose counts depend on these sources' voices: their claims, the claims linked to those, and the
    same for the copies that republish them."""
    lock_links()
    ids = set(source_ids)
    ids |= set(Republication.objects.filter(original__in=ids).values_list("copy_id", flat=True))
    own = set(Claim.objects.filter(source__in=ids).values_list("pk", flat=True))
    linked = Corroboration.objects.filter(Q(claim_a__in=own) | Q(claim_b__in=own)).values_list("claim_a", "claim_b")
    return own | {pk for pair in linked for pk in pair}


def recount_for_sources(source_ids: Iterable[int]) -> int:
    """Recount the claims whose counts depend on these sources' voices."""
    return recount_claims(claims_voiced_by(source_ids))


def on_voices_changed(sender, *, source_ids, **kwargs) -> None:
    """Receiver of sources.signals.voices_changed."""
    recount_for_sources(source_ids)


STORED_AT_ONCE = 500  # rows written by one UPDATE


def store(counts: dict[int, Counts]) -> None:
    """Write these counts: a few hundred rows at a time by one UPDATE from their values (PostgreSQL, many at once:
    COPY into a temporary table)."""
    if len(counts) > 1000 and connection.vendor == "postgresql":
        _store_by_copy(counts)
        return
    rows = list(counts.items())
    for first in range(0, len(rows), STORED_AT_ONCE):
        _store_rows(rows[first : first + STORED_AT_ONCE])


def _store_rows(rows: list[tuple[int, Counts]]) -> None:
    # UPDATE … FROM, on PostgreSQL and SQLite alike: a third of the time bulk_update takes to build its CASE for
    # each column, which was a quarter of adding one link (benchmarks/recount.py).
    quote = connection.ops.quote_name
    table = quote(Claim._meta.db_table)
    names = [quote(name) for name in STORED]
    one = "SELECT %s AS id, " + ", ".join(f"%s AS {name}" for name in names)
    values = " UNION ALL ".join([one] * len(rows))
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM ({values}) AS v WHERE {table}.{quote('id')} = v.id",
            [number for pk, value in rows for number in (pk, *value)],
        )


def _store_by_copy(counts: dict[int, Counts]) -> None:
    columns = ", ".join(STORED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE recount (id bigint PRIMARY KEY, {', '.join(f'{c} integer' for c in COUNT_FIELDS)},"
            " undecided_duplicates text) ON COMMIT DROP"
        )
        with cursor.copy(f"COPY recount (id, {columns}) FROM STDIN") as copy:
            for pk, value in counts.items():
                copy.write_row((pk, *value))  # psycopg escapes the text
        cursor.execute(
            f"UPDATE claims_claim c SET ({columns}) = ({', '.join('r.' + c for c in STORED)}) "
            "FROM recount r WHERE c.id = r.id"
        )
        cursor.execute("DROP TABLE recount")


@transaction.atomic
def recount_all(*, repair: bool = True) -> dict[int, tuple[Counts, Counts]]:
    """Recompute every claim's counts from scratch in one pass: the claims whose stored counts are wrong, with
    (stored, right) counts; stored right when `repair`."""
    lock_links()
    links = list(link_rows(Corroboration.objects.all()))
    nonzero = Q()
    for name in COUNT_FIELDS:
        nonzero |= Q(**{f"{name}__gt": 0})
    # Claims with links, and claims without links that store a count (the indexes find those), in one query.
    with_links = Q(pk__in=Corroboration.objects.values("claim_a")) | Q(pk__in=Corroboration.objects.values("claim_b"))
    stored = _stored(Claim.objects.filter(with_links | nonzero))
    right = compute({pk: source for pk, (source, _) in stored.items()}, links)
    drift = {pk: (counts, right.get(pk, ZERO)) for pk, (_, counts) in stored.items() if counts != right.get(pk, ZERO)}
    if repair:
        store({pk: value for pk, (_, value) in drift.items()})
    return drift


def _stored(claims) -> dict[int, tuple[int, Counts]]:
    return {row[0]: (row[1], Counts(*row[2:])) for row in claims.values_list("pk", "source_id", *STORED)}
