"""Stored corroboration counts at scale: recomputing every count from scratch, and adding one link.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_bench .venv/bin/python benchmarks/recount.py

Run it against a database already holding many claims (benchmarks/csv.py seeds 1,000,000 with 200,000 links).
- full recount: `recount_all()` (what `manage.py recount_corroboration` runs), one pass over every link and every
  claim that stores a count; checked: it finds no drift on a database it has just repaired, and the same pass
  finds a count broken on purpose (rolled back);
- one link: `link_claims` between two random claims of different sources, counts of both recomputed and stored
  in the same transaction (each rolled back), against the baseline of saving the same link without recounting.
Targets (issue 11): full recount 60 s; adding one link updates the counts in 20 ms.
"""

import argparse
import os
import random
import statistics
import time

import harness  # noqa: F401  sets Django up: import it before anything of Django

from django.db import transaction
from django.db.models import Q

from claims.corroboration.counting import recount_all
from claims.models import COUNT_FIELDS, Claim, Link
from claims.services import link_claims


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=30, help="how many single links to time")
    args = parser.parse_args()
    print(f"{Claim.objects.count():,} claims, {Link.objects.count():,} links")
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")

    recount_all()  # repair whatever drifted before, so the timed pass is the steady state
    began = time.perf_counter()
    drift = recount_all()
    full = time.perf_counter() - began
    # The floor: reading what the recount reads (every link with its claims' sources, every claim that stores a
    # count), nothing computed or compared.
    began = time.perf_counter()
    links = len(list(Link.objects.values_list("claim_a", "claim_a__source", "claim_b", "claim_b__source", "relation")))
    nonzero = Q()
    for name in COUNT_FIELDS:
        nonzero |= Q(**{f"{name}__gt": 0})
    stored = len(list(Claim.objects.filter(nonzero).values_list("pk", "source_id", *COUNT_FIELDS)))
    floor = time.perf_counter() - began
    assert links == Link.objects.count() and stored > 0, (links, stored)
    assert drift == {}, f"{len(drift)} claims drifted right after a repair"
    try:
        with transaction.atomic():
            claim = Claim.objects.filter(corroborating_sources__gt=0).order_by("pk").first()
            Claim.objects.filter(pk=claim.pk).update(corroborating_sources=claim.corroborating_sources + 1)
            assert set(recount_all(repair=False)) == {claim.pk}, "the recount missed a count broken on purpose"
            raise Rollback
    except Rollback:
        pass
    print(f"  full recount (recount_all): {full:.1f} s (target 60 s); checked: no drift after a repair, and a")
    print("  count broken on purpose is found")
    print(
        f"  floor, reading the {links:,} links with their sources and the {stored:,} claims storing a count: "
        f"{floor:.1f} s; the recount takes {full / floor:.1f}x the floor"
    )

    rng = random.Random(1)
    last = Claim.objects.order_by("-pk").values_list("pk", flat=True).first()
    with_counts, without = [], []
    while len(with_counts) < args.links:
        a, b = (Claim.objects.filter(pk__gte=rng.randrange(1, last)).order_by("pk").first() for _ in range(2))
        if a is None or b is None or a.source_id == b.source_id:
            continue
        if Link.objects.filter(claim_a__in=[a, b], claim_b__in=[a, b]).exists():
            continue
        for timings, save in ((with_counts, link_claims), (without, plain_save)):
            try:
                with transaction.atomic():
                    began = time.perf_counter()
                    save(claim_a=a, claim_b=b)
                    timings.append((time.perf_counter() - began) * 1000)
                    if save is link_claims:
                        a.refresh_from_db()
                        assert a.corroborating_sources >= 1, "the link did not move the stored count"
                    raise Rollback
            except Rollback:
                pass
    median, baseline = statistics.median(with_counts), statistics.median(without)
    print(
        f"  add one link with its counts (link_claims): median {median:.1f} ms, slowest {max(with_counts):.1f} ms "
        f"({len(with_counts)} links; target 20 ms)"
    )
    print(f"  baseline, the same link saved without recounting: median {baseline:.1f} ms ({median / baseline:.1f}x)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def plain_save(*, claim_a: Claim, claim_b: Claim) -> None:
    link = Link(claim_a=claim_a, claim_b=claim_b)
    link.full_clean()
    link.save()


if __name__ == "__main__":
    main()
