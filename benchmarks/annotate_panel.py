"""Server time to open a claim in the annotate page's panel, now that the panel lists suggested links.

    .venv/bin/python benchmarks/annotate_panel.py [CLAIMS]          # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail .venv/bin/python benchmarks/annotate_panel.py [CLAIMS]

It builds a throwaway test database and times full GET requests of one claim's panel through the
Django test client as an Annotator (middleware, queries, the claim's form, links and suggested links).
The baseline, measured in the same run, is the same claim's panel while the database holds only a
handful of claims; then CLAIMS claims (default 20,000) in other sources, written from the same words
so that many of them share words with the opened claim, are added and the panel is timed again.
Prints the median of each and their ratio.
"""

import random
import statistics
import sys
import time

from harness import engine, median_ms, throwaway_database  # sets Django up: import it before anything of Django

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client

RUNS = 15
CLAIMS_PER_SOURCE = 10
WORDS = (
    "harbour council pier ferry café mayor vote repair winter bridge quota storm engineers budget "
    "timetable closure reopening spring assembly deputy contract tender inspection safety"
).split()


def sentence(rng: random.Random, n: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
    return f"On {rng.randint(1, 28)} May {rng.choice([2016, 2017, 2018])} item {n}: {words}."


def build_others(count: int) -> None:
    from claims.models import Claim
    from sources.models import Source

    rng = random.Random(5)
    texts = []
    for n in range(count // CLAIMS_PER_SOURCE):
        texts.append([sentence(rng, n * CLAIMS_PER_SOURCE + i) for i in range(CLAIMS_PER_SOURCE)])
    sources = Source.objects.bulk_create(
        Source(title=f"Paper {n}", text="\n".join(quotes), text_sha256=f"{n:064x}") for n, quotes in enumerate(texts)
    )
    claims = []
    for source, quotes in zip(sources, texts, strict=True):
        at = 0
        for quote in quotes:
            claims.append(
                Claim(source=source, quote=quote, start=at, end=at + len(quote), kind=Claim.Kind.AUTHOR_ASSERTION)
            )
            at += len(quote) + 1
    Claim.objects.bulk_create(claims, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def suggestions_ms(claim) -> float:
    """The part of the panel's time spent ranking its suggestions."""
    from claims.corroboration.suggestions import suggestions_for

    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        suggestions_for(claim)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with throwaway_database():
        from claims.services import create_claim
        from sources.services import create_source

        text = "On 3 May 2017 the mayor told the council the ferry pier would reopen in spring after repairs."
        opened = create_claim(source=create_source(title="Harbour diary", text=text), quote=text)
        for n in range(3):
            echo = f"{text} Echo {n} adds {WORDS[n]}."
            create_claim(source=create_source(title=f"Echo {n}", text=echo), quote=echo)
        annotator = User.objects.create_user("bench", password="pw", is_staff=True)
        annotator.groups.add(Group.objects.get(name="Annotator"))
        client = Client()
        client.force_login(annotator)
        url = f"/admin/annotate/claim/{opened.pk}/"
        baseline = median_ms(client, url, RUNS)
        build_others(count)
        loaded = median_ms(client, url, RUNS)
        ranking = suggestions_ms(opened)
        suggested = client.get(url).content.decode().count('class="suggestion"')
        print(
            f"annotate claim panel with suggested links ({engine()}, median of {RUNS}, {suggested} suggestions shown):"
        )
        print(f"  {count:,} claims in other sources: {loaded:.1f} ms   baseline (4 claims): {baseline:.1f} ms")
        print(f"  ratio: {loaded / baseline:.2f}x   of which ranking the suggestions: {ranking:.1f} ms")


if __name__ == "__main__":
    main()
