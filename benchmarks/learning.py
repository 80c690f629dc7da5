"""Suggestions that learn, against the hand-set ranker: a simulated annotation of the labelled seed set.

    .venv/bin/python benchmarks/learning.py                       # the sequences and the refit time
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_bench .venv/bin/python benchmarks/learning.py \
        --claims 1000000                                          # and top-10 latency at that many claims
    .venv/bin/python benchmarks/learning.py --try 'learning.MIN_LINKS = 1' --try 'learning.PRIOR["association"] = 4'
                                                                  # the tuning half only, once per change

The labelled set of benchmarks/suggestions.py (the seed articles as sources, labelled sentences as claims,
every other sentence a distractor) is annotated as a team would: each labelled claim of one half in source
order; for each, the top 5 suggestions are shown, the true partners among them are linked (with their
labelled relation) and the others dismissed, through the services the admin uses, so the ranker learns as
it would in use. The same sequence runs twice: with learning switched off (the static ranker) and on.

  recall@5 over the sequence  = partners found in the top 5 at a claim's turn / its partners not linked yet
  pairs linked                = labelled pairs linked by the end / all labelled pairs of the half
  learning curve              = recall@5 of the turns by how many decisions had been made before them
  look-alikes ranked first    = turns whose first suggestion is a labelled look-alike (different event)
  missed, not a candidate     = partners missed at a claim's turn that were not among its candidates at all: no
                                reordering of the candidates, learned or not, could have shown them

The held-out half is the figure; the tuning half is printed too (REFIT_EVERY, MIN_LINKS, PRIOR and
PRIOR_DECISIONS in claims/corroboration/learning.py were chosen on it only). Then the refit time at 10,000 decisions
(the sequence's recorded decisions repeated), and with --claims, top-10 latency on PostgreSQL with the
static and the learned ranker (the database filled as benchmarks/suggestions.py fills it).
"""

import argparse
import copy
import json
import time

import suggestions as labelled_set  # benchmarks/suggestions.py: sets Django up, loads the labelled set

from django.db import connection, transaction
from django.test.runner import DiscoverRunner
from django.test.utils import setup_test_environment

TOP = 5
VERBOSE = False
BUCKET = 50  # decisions per point of the learning curve


def forget_decisions() -> None:
    """Back to an untouched team: no links, dismissals, decisions, associations or fits."""
    from claims.models import Link, DismissedSuggestion, RankerFit, SuggestionDecision, WordAssociation

    for model in (Link, DismissedSuggestion, SuggestionDecision, WordAssociation, RankerFit):
        model.objects.all().delete()


def annotate(labels: dict, labelled: dict, which: str, learning: bool) -> dict:
    """Annotate one half in source order as a team would; returns the figures of the sequence."""
    from claims.corroboration import learning as learned
    from claims.corroboration import suggestions as ranker
    from claims.models import SuggestionDecision
    from claims.services import dismiss_suggestion, link_claims

    forget_decisions()
    every = learned.REFIT_EVERY
    learned.REFIT_EVERY = every if learning else 10**9
    try:
        wanted, lookalikes = labelled_set.partners(labels)
        relation = {frozenset((p["a"], p["b"])): p["relation"] for p in labels["pairs"]}
        looks_alike = {frozenset(pair) for pair in lookalikes}
        half = labelled_set.halves(labels)
        label_of = {claim.pk: name for name, claim in labelled.items()}
        order = sorted(
            (n for n in labelled if half[n] == which), key=lambda n: (labelled[n].source_id, labelled[n].start)
        )
        linked: set[frozenset] = set()
        turns, first_lookalikes, not_candidates = [], [], 0
        for name in order:
            claim = labelled[name]
            decided = SuggestionDecision.objects.count()
            remaining = {p for p in wanted.get(name, set()) if frozenset((name, p)) not in linked}
            suggestions = ranker.suggestions_for(claim, limit=TOP)
            shown = [label_of.get(s.claim.pk) for s in suggestions]
            found = remaining & set(shown)
            turns.append((decided, len(found), len(remaining)))
            if remaining - found:
                pool = {label_of.get(s.claim.pk) for s in ranker.ranked_for(claim, limit=10**6)}
                not_candidates += len(remaining - found - pool)
            if VERBOSE and remaining - found:
                missed(claim, sorted(remaining - found), label_of, shown)
            if shown and shown[0] and frozenset((name, shown[0])) in looks_alike:
                first_lookalikes.append(f"{name} / {shown[0]}")
            for suggestion, other in zip(suggestions, shown, strict=True):
                if other in found:
                    link_claims(claim_a=claim, claim_b=suggestion.claim, relation=relation[frozenset((name, other))])
                    linked.add(frozenset((name, other)))
                else:
                    dismiss_suggestion(claim=claim, suggested=suggestion.claim)
        pairs = {frozenset((a, b)) for a in order for b in wanted.get(a, ())}
        return {
            "recall": sum(t[1] for t in turns) / max(1, sum(t[2] for t in turns)),
            "found": sum(t[1] for t in turns),
            "sought": sum(t[2] for t in turns),
            "linked": len(linked & pairs),
            "pairs": len(pairs),
            "turns": turns,
            "not_candidates": not_candidates,
            "first_lookalikes": first_lookalikes,
            "links": sorted(tuple(sorted(pair)) for pair in linked),
            "decisions": SuggestionDecision.objects.count(),
        }
    finally:
        learned.REFIT_EVERY = every


def missed(claim, partners: list[str], label_of: dict, shown: list) -> None:
    """Where each partner missed at this turn ranks, with its signals (static, linked_partner, association)."""
    from claims.corroboration.suggestions import ranked_for

    ranked = ranked_for(claim, limit=200)
    ranks = [label_of.get(s.claim.pk) for s in ranked]
    for partner in partners:
        at = ranks.index(partner) if partner in ranks else None
        signals = ranked[at].signals if at is not None else None
        seen = signals and (round(signals.static, 2), signals.linked_partner, round(signals.association, 2))
        print(f"    {label_of[claim.pk]}: missed {partner}, ranked {at} {seen}; shown {shown}")


def curve(turns: list[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    points: dict[int, tuple[int, int]] = {}
    for decided, found, sought in turns:
        bucket = decided // BUCKET * BUCKET
        before = points.get(bucket, (0, 0))
        points[bucket] = (before[0] + found, before[1] + sought)
    return points


def report(which: str, static: dict, learned: dict) -> None:
    print(f"{which} half, {len(static['turns'])} claims annotated in source order, top {TOP} shown")
    print(f"  {'':34} {'static':>16} {'learning':>16}")
    for label, key in (("recall@5 over the sequence", "recall"),):
        s = f"{static[key]:.3f} ({static['found']}/{static['sought']})"
        r = f"{learned[key]:.3f} ({learned['found']}/{learned['sought']})"
        print(f"  {label:34} {s:>16} {r:>16}")
    s, r = f"{static['linked']}/{static['pairs']}", f"{learned['linked']}/{learned['pairs']}"
    print(f"  {'pairs linked by the end':34} {s:>16} {r:>16}")
    s, r = str(static["sought"] - static["found"]), str(learned["sought"] - learned["found"])
    print(f"  {'partners missed':34} {s:>16} {r:>16}")
    s, r = str(static["not_candidates"]), str(learned["not_candidates"])
    print(f"  {'  of them not a candidate at all':34} {s:>16} {r:>16}")
    s, r = str(len(static["first_lookalikes"])), str(len(learned["first_lookalikes"]))
    print(f"  {'look-alikes ranked first':34} {s:>16} {r:>16}")
    for name in learned["first_lookalikes"]:
        print(f"    learning ranked a look-alike first: {name}")
    print(f"  {'decisions made':34} {static['decisions']:>16} {learned['decisions']:>16}")
    print("  learning curve, recall@5 of the turns by decisions made before them:")
    a, b = curve(static["turns"]), curve(learned["turns"])
    for bucket in sorted(a):
        (sf, ss), (lf, ls) = a[bucket], b.get(bucket, (0, 0))
        st = f"{sf / ss:.2f} ({sf}/{ss})" if ss else "-"
        lt = f"{lf / ls:.2f} ({lf}/{ls})" if ls else "-"
        print(f"    {bucket:>5}-{bucket + BUCKET - 1:<5} decisions {'':17} {st:>16} {lt:>16}")
    # Learning must never make the start worse: the running recall, turn by turn, never below the static one.
    worse = []
    sf = ss = lf = ls = 0
    for n, (s_turn, l_turn) in enumerate(zip(static["turns"], learned["turns"], strict=True), start=1):
        sf, ss, lf, ls = sf + s_turn[1], ss + s_turn[2], lf + l_turn[1], ls + l_turn[2]
        if ls and ss and lf / ls < sf / ss - 1e-9:
            worse.append(n)
    print(f"  running recall below the static ranker's after claim: {worse[:10] or 'never'}")


def refit_time(decisions: int = 10_000) -> float:
    """Seconds to refit at `decisions` decisions (those recorded, repeated)."""
    from claims.corroboration.learning import refit
    from claims.models import SuggestionDecision

    recorded = list(SuggestionDecision.objects.values_list("claim", "suggested", "accepted", "signals"))
    rows = [recorded[n % len(recorded)] for n in range(decisions)]
    with transaction.atomic():
        SuggestionDecision.objects.all().delete()
        SuggestionDecision.objects.bulk_create(
            SuggestionDecision(claim_id=c, suggested_id=s, accepted=a, signals=signals) for c, s, a, signals in rows
        )
        began = time.perf_counter()
        refit()
        took = time.perf_counter() - began
        transaction.set_rollback(True)
    return took


def latency(labels: dict, target: int, generator: str, fit: dict) -> None:
    """Top-10 latency of the labelled claims at `target` claims, static and with the learned weights and
    associations (in a transaction rolled back at the end)."""
    from django.core.management import call_command

    from claims.models import Claim, Link, RankerFit, WordAssociation
    from common.projects import sole_project

    call_command("migrate", verbosity=0)
    (labelled_set.fill_with_seed_synthetic if generator == "seed_synthetic" else labelled_set.fill)(target)
    total = Claim.objects.count()
    with connection.cursor() as cursor:
        # And the tables the fit is added to below: where autovacuum is off (the benchmark server), each earlier run's
        # rolled-back rows stay in their indexes, and the associations' read goes through all of them.
        cursor.execute("VACUUM ANALYZE claims_claim, claims_wordassociation, claims_link, claims_rankerfit")
    with transaction.atomic():
        by_label = labelled_set.load_seed_claims(labels)[0]
        claims = list(by_label.values())
        labelled_set.timed(claims[:5])  # warm the caches
        static = labelled_set.timed(claims)
        project = sole_project()  # the benchmark's database holds one project
        WordAssociation.objects.bulk_create(WordAssociation(project=project, **row) for row in fit["associations"])
        RankerFit.objects.create(project=project, decisions=fit["decisions"], weights=fit["weights"])
        Link.objects.bulk_create(Link(claim_a=by_label[a], claim_b=by_label[b]) for a, b in fit["links"])
        labelled_set.timed(claims[:5])
        learned = labelled_set.timed(claims)
        transaction.set_rollback(True)
    print(f"Latency, top 10 suggestions, PostgreSQL, {total:,} claims filled by {generator}, {len(claims)} claims")
    print(f"  ({labelled_set.load()}; the learning ranker with the held-out sequence's fit, associations and links):")
    print(f"  static:   {labelled_set.summary(static)}")
    print(f"  learning: {labelled_set.summary(learned)} ({len(fit['associations']):,} associations)")


def try_changes(labels: dict, labelled: dict, changes: list[str]) -> None:
    """The tuning half's sequences, static and learning, once per change to the ranker's constants (a Python
    statement with `learning` and `suggestions` the two modules), each undone after its run; the held-out half
    is never read."""
    from claims.corroboration import learning, suggestions
    from claims.models import RankerFit

    def figures(sequence: dict) -> str:
        found = f"{sequence['recall']:.3f} ({sequence['found']}/{sequence['sought']})"
        return f"{found}, look-alikes first {len(sequence['first_lookalikes'])}"

    print(f"tuning half, recall@5 over the sequence: {'static':>36} {'learning':>36}")
    for change in ["pass", *changes]:
        # The constants (upper-case names), copied, so that a change to a dict or a set is undone too.
        saved = {(m, k): copy.copy(v) for m in (learning, suggestions) for k, v in vars(m).items() if k.isupper()}
        try:
            exec(change, {"learning": learning, "suggestions": suggestions})
            forget_features()
            static = annotate(labels, labelled, "tuning", learning=False)
            learned = annotate(labels, labelled, "tuning", learning=True)
            last = RankerFit.objects.order_by("-pk").first()
        finally:
            for (module, name), value in saved.items():
                setattr(module, name, value)
            forget_features()
        weights = ", ".join(f"{k} {v:.2f}" for k, v in sorted(last.weights.items())) if last else "no fit"
        print(f"  {change if change != 'pass' else 'as it is':44} {figures(static):>36} {figures(learned):>36}")
        print(f"  {'':44} last fit: {weights}")


def forget_features() -> None:
    """The ranker's caches of what it read, to read again under changed constants."""
    from claims.corroboration import suggestions

    for cached in (suggestions.cached_features, suggestions.terms_of, suggestions.stop_words, suggestions.word_key):
        cached.cache_clear()
    suggestions.SAMPLED.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, help="Also measure latency at this many claims (PostgreSQL only).")
    parser.add_argument("--fill", choices=["seed_synthetic", "seed-words"], default="seed_synthetic")
    parser.add_argument("--half", choices=["tuning", "held-out"], help="Only this half (tuning while developing).")
    parser.add_argument("--verbose", action="store_true", help="Each turn's missed partners (tuning half only).")
    parser.add_argument(
        "--try", dest="changes", action="append", default=[], help="A change to try on the tuning half (repeatable)."
    )
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose and args.half == "tuning"
    if not labelled_set.SEEDS.is_dir():
        print(f"Skipped: the seed articles are not at {labelled_set.SEEDS}; the labelled set refers into them.")
        return
    labels = json.loads(labelled_set.LABELS.read_text(encoding="utf-8"))
    from claims.models import RankerFit, WordAssociation

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        print(f"Database: {connection.vendor}; {labelled_set.load()}")
        labelled, distractors = labelled_set.load_seed_claims(labels)
        print(f"Labelled set: {len(labelled)} claims, {distractors} distractors")
        if args.changes:
            try_changes(labels, labelled, args.changes)
            return
        for which in [args.half] if args.half else ("tuning", "held-out"):
            static = annotate(labels, labelled, which, learning=False)
            learned = annotate(labels, labelled, which, learning=True)
            report(which, static, learned)
        links = learned["links"]
        fit = {
            "associations": list(WordAssociation.objects.values("first", "second", "links", "dismissals")),
            "weights": RankerFit.objects.latest().weights,
            "decisions": RankerFit.objects.latest().decisions,
            "links": links,
        }
        print("Fitted weights (held-out sequence, last fit):")
        print("  " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(fit["weights"].items())))
        print(f"Refit at 10,000 decisions: {refit_time():.2f} s")
    finally:
        runner.teardown_databases(old)
    if args.claims:
        if connection.vendor != "postgresql":
            print("Latency skipped: set DATABASE_URL to a PostgreSQL database to measure it.")
            return
        latency(labels, args.claims, args.fill, fit)


if __name__ == "__main__":
    main()
