"""The corroboration counts each claim stores, kept right in the transaction of every change that can move them.

Every write path calls one of these (the services in claims.services, the admins, the imports, the editor, the
commands); sources, which does not know claims, announces changes to voices with
sources.signals.voices_changed, answered by `recount_for_sources`. `recount_all` recomputes every count from
scratch, a stretch of claims at a time, and repairs drift (the `recount_corroboration` command).
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet

from claims.corroboration.independence import Facts, facts_for, undecided_duplicates, voices
from claims.models import COUNT_FIELDS, LIST_FIELDS, Claim, Link, Republication
from claims.rules import lock_links
from common.copy_insert import update_rows


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


def compute(
    own: dict[int, int], ends: Iterable[tuple[int, int, int, str]], facts: Facts | None = None
) -> dict[int, Counts]:
    """The counts and lists of the claims in `own` (claim id → its source id) from their links' ends (the claim,
    the claim at the other end, that one's source, the relation: `link_ends`). `facts`: those already loaded (a full
    recount's), extended with the sources they lack."""
    corroborating, contradicting = defaultdict(set), defaultdict(set)
    lists = {Link.Relation.CORROBORATES: defaultdict(list), Link.Relation.CONTRADICTS: defaultdict(list)}
    for here, other, there, relation in ends:
        lists[relation][here].append(other)  # one link a pair: each other claim once
        if there != own[here]:
            (corroborating if relation == Link.Relation.CORROBORATES else contradicting)[here].add(there)
    involved = {*own.values(), *(s for sources in corroborating.values() for s in sources)}
    facts = facts_for(involved) if facts is None else facts.extend(involved)
    corroborated_by, contradicted_by = lists[Link.Relation.CORROBORATES], lists[Link.Relation.CONTRADICTS]
    counts, grouped_by_claim = {}, {}
    for claim, source in own.items():
        listed = id_list(corroborated_by.get(claim, ())), id_list(contradicted_by.get(claim, ()))
        against = len(contradicting.get(claim, ()))
        sources = corroborating.get(claim)
        if not sources:
            counts[claim] = Counts(0, 0, 0, against, *listed)
            continue
        grouped = voices(facts, source, sources)
        independent = len(grouped.independent)
        counts[claim] = Counts(len(sources), independent, len(grouped.unverified), against, *listed)
        grouped_by_claim[claim] = (source, sources, independent)
    for claim, said in undecided_duplicates(facts, grouped_by_claim).items():
        counts[claim] = counts[claim]._replace(undecided_duplicates=said)
    return counts


def id_list(ids: Iterable[int]) -> str:
    """Claim ids as the CSV lists them: "3; 17", in order; "" for none."""
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
    lock_links()
    ids = set(claim_ids)
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


# Claims (a stretch of ids) recounted at once by recount_all: at a million claims, 50,000 peaked at 122-155 MB and
# 20,000 at 101-103 MB, for a few percent more CPU (12.6 -> 13.0-13.3 s; issue 26: 150 MB).
RECOUNTED_AT_ONCE = 20_000


@transaction.atomic
def recount_all(*, repair: bool = True) -> dict[int, tuple[Counts, Counts]]:
    """Recompute every claim's counts and lists from scratch: the claims whose stored ones are wrong, with
    (stored, right); stored right when `repair`. The claims are taken a stretch of RECOUNTED_AT_ONCE ids at a time,
    each with its links read from the links' indexes, so memory stays flat whatever the number of claims (issue 26:
    all links at once in Python took 464 MB at a million claims)."""
    lock_links()
    span = Claim.objects.order_by().aggregate(first=Min("pk"), last=Max("pk"))
    if span["first"] is None:
        return {}
    drift = {}
    # The sources' facts are read once and kept from stretch to stretch: at most one entry per source, whatever
    # the number of claims (each stretch read them all again: a third of the recount at a million claims).
    facts = Facts({}, {}, {})
    for first in range(span["first"], span["last"] + 1, RECOUNTED_AT_ONCE):
        last = first + RECOUNTED_AT_ONCE - 1
        drift.update(_recount_stretch(first, last, facts, repair=repair))
    return drift


def _recount_stretch(first: int, last: int, facts: Facts, *, repair: bool) -> dict[int, tuple[Counts, Counts]]:
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
    drift = {
        pk: (Counts(*counts), right.get(pk, ZERO)) for pk, (_, counts) in kept.items() if counts != right.get(pk, ZERO)
    }
    if repair:
        store({pk: value for pk, (_, value) in drift.items()})
    return drift


def _stored(claims) -> dict[int, tuple[int, tuple]]:
    """Claim id → (its source id, its stored counts and lists in Counts' order)."""
    return {row[0]: (row[1], row[2:]) for row in claims.values_list("pk", "source_id", *STORED_FIELDS)}
