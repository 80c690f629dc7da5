"""Suggested links: quality on our labelled seed set, and top-10 latency at scale on PostgreSQL.

    .venv/bin/python benchmarks/suggestions.py                    # quality only, throwaway database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_bench .venv/bin/python benchmarks/suggestions.py \
        --claims 1000000                                          # quality, then latency at 1,000,000 claims

Quality. `benchmarks/data/suggestion_labels.json` names claims by seed file and a few words of the
sentence (the seed articles in ../shared/seeds are read at run time; nothing of them is stored here).
Each seed article becomes a source (with the publication date the labels give it, so that "last
November" can be resolved); every labelled sentence becomes a claim, and every other sentence of the
articles is loaded as a distractor claim. The labelled claims are split in two halves by whole groups of
linked claims (a hash of the group's first claim id, fixed before any tuning): weights are tuned on the
tuning half; the held-out half is the figure that counts. For each labelled claim with a corroborating
or contradicting partner, the top 5 suggestions shown (fewer when fewer pass the threshold):
  recall@5     = partners found in the top 5 / all partners
  precision@5  = partners found / suggestions shown
  best         = the precision a perfect ranker would reach showing as many suggestions per claim
                 (min(shown, partners) / shown): precision@5 / best is the share of that reached
and, for pairs labelled as different events that only look alike, how often one is ranked first for
the other (and how often it is in the top 5); and how many labelled claims with no partner at all get a
suggestion (the threshold's job is to keep those few). Runs in a throwaway test database.

Latency (PostgreSQL only, with --claims N). The database named by DATABASE_URL is migrated and, once,
filled up to N claims, by one of two generators (--fill):
  seed_synthetic  the project's `manage.py seed_synthetic` (template sentences on town news);
  seed-words      word salad drawn from the seed articles' own word stream, in sources of 100
                  claims, a third with one of 500 speakers: every word of the labelled claims is
                  then common, the hard case for a word index.
After VACUUM ANALYZE (what autovacuum does after a bulk load: statistics, and the GIN index's
pending list merged), the labelled claims are added (in a transaction rolled back at the end) and
each asks for its top 10, as do 50 synthetic claims; the baseline, measured in the same run, is the
same requests in the small quality database. Quality among the synthetic claims is printed too.
"""

import argparse
import hashlib
import json
import os
import secrets
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = ""  # a development .env would turn DEBUG on (every query's SQL kept): measure as served
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway key: DEBUG is off
os.environ.setdefault("HTTPS", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

LABELS = Path(__file__).resolve().parent / "data" / "suggestion_labels.json"
SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[\"“‘(]?[A-Z0-9])|\n+")
MIN_WORDS = 5
TOP = 5
WANTED = {"corroborates", "contradicts"}


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of at least MIN_WORDS words, the first of any repeated one only."""
    spans, seen, start = [], set(), 0
    for brk in [*SENTENCE_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        piece = piece.strip()
        if len(piece.split()) >= MIN_WORDS and piece not in seen:
            seen.add(piece)
            spans.append((start + lead, start + lead + len(piece)))
        start = brk.end() if brk else len(text)
    return spans


def load_seed_claims(labels: dict) -> tuple[dict, int]:
    """Each seed article as a source; labelled sentences and distractors as claims. Returns ({label id: claim}, n)."""
    from claims.models import Claim
    from sources.dates import from_iso
    from sources.models import Agent
    from sources.services import create_source

    by_file: dict[str, list[dict]] = {}
    for entry in labels["claims"]:
        by_file.setdefault(entry["file"], []).append(entry)
    labelled, distractors = {}, 0
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        published_on, precision = from_iso(labels.get("sources", {}).get(path.name, {}).get("published_on", ""))
        source = create_source(title=path.name, text=text, published_on=published_on, published_on_precision=precision)
        wanted = by_file.get(path.name, [])
        rows, owners = [], []
        for start, end in sentences(text):
            quote = text[start:end]
            owner = next((e for e in wanted if e["locator"] in quote and e["id"] not in labelled), None)
            speaker = Agent.objects.get_or_create(name=owner["speaker"])[0] if owner and owner.get("speaker") else None
            kind = Claim.kind_for(has_speaker=speaker is not None)
            rows.append(Claim(source=source, quote=quote, start=start, end=end, speaker=speaker, kind=kind))
            owners.append(owner)
            if owner is not None:
                labelled[owner["id"]] = None
        for claim, owner in zip(Claim.objects.bulk_create(rows), owners, strict=True):
            if owner is None:
                distractors += 1
            else:
                labelled[owner["id"]] = claim
    missing = sorted(e["id"] for e in labels["claims"] if labelled.get(e["id"]) is None)
    if missing:
        raise SystemExit(f"These labelled sentences were not found in the seeds: {', '.join(missing)}")
    return labelled, distractors


def halves(labels: dict) -> dict[str, str]:
    """Each labelled claim's half, "tuning" or "held-out": whole groups of claims joined by labelled pairs go
    to one half, by a hash of the group's first id (fixed before tuning; no claim's partner is in the other)."""
    parent = {entry["id"]: entry["id"] for entry in labels["claims"]}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    for pair in labels["pairs"]:
        parent[root(pair["a"])] = root(pair["b"])
    groups: dict[str, list[str]] = {}
    for name in parent:
        groups.setdefault(root(name), []).append(name)
    half = {}
    for members in groups.values():
        held_out = hashlib.sha256(min(members).encode()).digest()[0] % 2 == 1
        half.update(dict.fromkeys(members, "held-out" if held_out else "tuning"))
    return half


def partners(labels: dict) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    wanted: dict[str, set[str]] = {}
    lookalikes = []
    for pair in labels["pairs"]:
        if pair["relation"] in WANTED:
            wanted.setdefault(pair["a"], set()).add(pair["b"])
            wanted.setdefault(pair["b"], set()).add(pair["a"])
        else:
            lookalikes.append((pair["a"], pair["b"]))
    return wanted, lookalikes


def quality(labels: dict, verbose: bool) -> list:
    """Recall@5 and precision@5 on the labelled set; returns the labelled claims for the latency baseline."""
    labelled, distractors = load_seed_claims(labels)
    print(f"Labelled set: {len(labelled)} claims, {distractors} distractors (the other sentences of the articles)")
    scores(labels, labelled, verbose)
    return list(labelled.values())


def scores(labels: dict, labelled: dict, verbose: bool = False) -> dict[str, dict]:
    """Print, for the tuning half and the held-out half, recall@5, precision@5 against the best achievable,
    look-alikes ranked first, and unrelated claims given a suggestion. Returns the figures by half."""
    from claims.corroboration.suggestions import suggestions_for

    wanted, lookalikes = partners(labels)
    half = halves(labels)
    related = {name for pair in labels["pairs"] for name in (pair["a"], pair["b"])}
    label_of = {claim.pk: name for name, claim in labelled.items()}
    tops: dict[str, list[str]] = {}
    for name, claim in labelled.items():
        tops[name] = [label_of.get(s.claim.pk, f"distractor {s.claim.pk}") for s in suggestions_for(claim, limit=TOP)]
    figures = {}
    for which in ("tuning", "held-out"):
        queries = [name for name in labelled if half[name] == which and name in wanted]
        found = sum(len(wanted[name] & set(tops[name])) for name in queries)
        expected = sum(len(wanted[name]) for name in queries)
        shown = sum(len(tops[name]) for name in queries)
        best = sum(min(len(tops[name]), len(wanted[name])) for name in queries)
        pairs = [(a, b) for a, b in lookalikes if half[a] == which]
        first = sum(1 for a, b in pairs if tops[a][:1] == [b] or tops[b][:1] == [a])
        in_top = sum(1 for a, b in pairs if b in tops[a] or a in tops[b])
        loners = [name for name in labelled if half[name] == which and name not in related]
        suggested_to_loners = sum(1 for name in loners if tops[name])
        recall = found / expected
        precision = found / shown if shown else 0.0
        share_of_best = found / best if best else 0.0
        n_pairs = sum(1 for p in labels["pairs"] if p["relation"] in WANTED and half[p["a"]] == which)
        print(f"{which} half: {len(queries)} claims with {n_pairs} pairs to find, {len(pairs)} look-alike pairs")
        print(f"  recall@5     {recall:.3f}  ({found} of {expected} partners in the top 5)")
        print(f"  precision@5  {precision:.3f}  ({found} of {shown} suggestions shown)")
        ideal = best / shown if shown else 0.0
        print(f"  best achievable with as many shown {ideal:.3f}; reached {share_of_best:.2f} of it")
        print(f"  look-alikes ranked first: {first} of {len(pairs)} pairs (in the top 5: {in_top})")
        print(f"  claims with no labelled partner given a suggestion: {suggested_to_loners} of {len(loners)}")
        if verbose:
            for name in queries:
                if wanted[name] - set(tops[name]):
                    print(f"    {name}: missed {sorted(wanted[name] - set(tops[name]))}; top {tops[name]}")
            for a, b in pairs:
                if tops[a][:1] == [b] or tops[b][:1] == [a]:
                    print(f"    look-alike first: {a} / {b}")
        figures[which] = {"recall": recall, "precision": precision, "share_of_best": share_of_best, "first": first}
    return figures


class Times(list):
    """Wall milliseconds per request, with the CPU seconds of this process (PostgreSQL's are not in them)."""

    cpu: float = 0.0


def timed(claims: list, limit: int = 10) -> Times:
    from claims.corroboration.suggestions import suggestions_for

    times = Times()
    cpu = time.process_time()
    for claim in claims:
        began = time.perf_counter()
        suggestions_for(claim, limit=limit)
        times.append((time.perf_counter() - began) * 1000)
    times.cpu = time.process_time() - cpu
    return times


def summary(times: Times) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    cpu = f", {times.cpu:.2f} CPU s in Python for {sum(times) / 1000:.2f} s wall" if times.cpu else ""
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms{cpu}"


def load() -> str:
    return "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())


def seed_words() -> list[str]:
    words = []
    for path in sorted(SEEDS.glob("*.txt")):
        words += re.findall(r"[A-Za-z][A-Za-z'’-]*|\d+", path.read_text(encoding="utf-8"))
    return words


def fill_with_seed_synthetic(target: int) -> None:
    """Top the database up to `target` claims with the project's seed_synthetic command."""
    from django.core.management import call_command

    from claims.models import Claim

    have = Claim.objects.count()
    if have >= target:
        print(f"Database already holds {have:,} claims.")
        return
    from sources.models import Source

    seed = 1  # seed_synthetic refuses a seed already used
    while Source.objects.filter(url__startswith=f"https://synthetic.example.org/{seed}/").exists():
        seed += 1
    missing = target - have
    call_command("seed_synthetic", sources=max(1, missing // 100), claims=missing, seed=seed)


def fill(target: int) -> None:
    """Add word-salad claims until the database holds `target` claims (sources of 100 claims each)."""
    from claims.models import Claim
    from sources.dates import Precision
    from sources.models import Agent, Source, sha256_hex

    have = Claim.objects.count()
    if have >= target:
        print(f"Database already holds {have:,} claims.")
        return
    words = seed_words()
    rng = random.Random(have)
    speakers = list(Agent.objects.filter(name__startswith="Synthetic speaker "))
    if not speakers:
        speakers = Agent.objects.bulk_create(Agent(name=f"Synthetic speaker {n}") for n in range(500))
    began = time.perf_counter()
    batch_sources = 50
    while have < target:
        sources, texts = [], []
        for _ in range(batch_sources):
            claims = [" ".join(rng.choice(words) for _ in range(rng.randint(10, 28))) + "." for _ in range(100)]
            text = " ".join(claims)
            texts.append(claims)
            sources.append(
                Source(
                    title=f"Synthetic {have + len(sources) * 100}",
                    text=text,
                    text_sha256=sha256_hex(text),
                    raw_sha256=sha256_hex(""),
                    published_on_precision=Precision.DAY,
                )
            )
        with transaction.atomic():
            Source.objects.bulk_create(sources)
            rows = []
            for source, claims in zip(sources, texts, strict=True):
                at = 0
                for quote in claims:
                    speaker = rng.choice(speakers) if rng.random() < 0.33 else None
                    day = rng.randrange(3650)
                    rows.append(
                        Claim(
                            source=source,
                            quote=quote,
                            start=at,
                            end=at + len(quote),
                            speaker=speaker,
                            kind=Claim.kind_for(has_speaker=speaker is not None),
                            claimed_on=None if speaker is None else _date(day),
                        )
                    )
                    at += len(quote) + 1
            Claim.objects.bulk_create(rows[: target - have], batch_size=5000)
        have += min(len(rows), target - have)
        rate = have / max(time.perf_counter() - began, 1e-9)
        print(f"\r  {have:,} claims ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
        cursor.execute("ANALYZE sources_source")


def _date(day: int):
    import datetime

    return datetime.date(2010, 1, 1) + datetime.timedelta(days=day)


def latency(labels: dict, target: int, baseline: list[float], generator: str) -> None:
    from django.core.management import call_command

    from claims.models import Claim

    call_command("migrate", verbosity=0)
    if generator == "seed_synthetic":
        fill_with_seed_synthetic(target)
    else:
        fill(target)
    total = Claim.objects.count()
    # What autovacuum does after a bulk load: fresh statistics, and the GIN index's pending list
    # (rows inserted but not yet merged into the index, read by every search) folded in.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE claims_claim")
    with transaction.atomic():
        by_label = load_seed_claims(labels)[0]
        labelled = list(by_label.values())
        synthetic = list(Claim.objects.exclude(pk__in=[c.pk for c in labelled]).order_by("?")[:50])
        timed(labelled[:5])  # warm the caches
        seed_times = timed(labelled)
        synthetic_times = timed(synthetic)
        print(f"Quality at {total:,} claims (the same labelled set, the synthetic claims as more distractors).")
        if generator == "seed-words":
            print("  A hard case, not real coverage: the synthetic claims are word salad drawn from these same five")
            print("  articles, so every word of every labelled claim also appears in thousands of distractors.")
        scores(labels, by_label)
        transaction.set_rollback(True)
    print(f"Latency, top 10 suggestions, PostgreSQL, {total:,} claims filled by {generator}")
    print(f"  (plus the {len(labelled)} labelled claims and the seeds' other sentences):")
    print(f"  labelled seed claims ({len(seed_times)}): {summary(seed_times)}")
    print(f"  synthetic claims     ({len(synthetic_times)}): {summary(synthetic_times)}")
    print(f"  baseline, same labelled claims in the quality database: {summary(baseline)}")
    ratio = statistics.median(seed_times) / statistics.median(baseline)
    print(f"  median at scale / median of baseline: {ratio:.1f}x")
    print(f"  machine: {os.cpu_count()} cores, shared with other work while measuring; {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, help="Also measure latency at this many claims (PostgreSQL only).")
    parser.add_argument(
        "--fill",
        choices=["seed_synthetic", "seed-words"],
        default="seed_synthetic",
        help="How to fill the database up to --claims (see above).",
    )
    parser.add_argument("--verbose", action="store_true", help="List the partners each labelled claim missed.")
    args = parser.parse_args()
    if not SEEDS.is_dir():
        print(f"Skipped: the seed articles are not at {SEEDS}; the labelled set refers into them.")
        return
    labels = json.loads(LABELS.read_text(encoding="utf-8"))

    from django.test.runner import DiscoverRunner

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        print(f"Database: {connection.vendor}; {load()}")
        labelled = quality(labels, args.verbose)
        timed(labelled[:5])  # warmed as the case at scale is
        baseline = timed(labelled)
    finally:
        runner.teardown_databases(old)
    if args.claims:
        if connection.vendor != "postgresql":
            print("Latency skipped: set DATABASE_URL to a PostgreSQL database to measure it.")
            return
        latency(labels, args.claims, baseline, args.fill)


if __name__ == "__main__":
    main()
