"""Server time to render the annotate page of a 100,000-character source with 1,000 claims.

    .venv/bin/python benchmarks/annotate_page.py            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail .venv/bin/python benchmarks/annotate_page.py

It builds a throwaway test database, makes the source (claims overlapping and nested, all four
statuses) and times full requests through the Django test client as an Annotator (middleware,
queries, the highlighted text and the new-claim form). The baseline, measured in the same run, is
the page of a source with the same text and no claims. Prints the median of each and their ratio.
The browser side (selection to open form) is measured by tests/test_editor_browser.py.
"""

import random

from harness import engine, median_ms, throwaway_database  # sets Django up: import it before anything of Django

from django.contrib.auth.models import Group, User
from django.test import Client

TEXT_LENGTH = 100_000
CLAIMS = 1_000
RUNS = 15
WORDS = "harbour council pier “ferry” café — Zoë 名古屋 quota winter 🎉 mayor vote repair".split()


def article(length: int) -> str:
    rng = random.Random(7)
    sentences = []
    while sum(len(s) for s in sentences) < length:
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + ".\n")
    return "".join(sentences)[:length]


def build():
    from claims.models import Claim
    from sources.services import create_source

    text = article(TEXT_LENGTH)
    source = create_source(title="Long source", text=text)
    baseline = create_source(title="Same text, no claims", text=text + " ")
    rng = random.Random(11)
    claims = []
    for n in range(CLAIMS):
        start = min(n * (TEXT_LENGTH // CLAIMS) + rng.randint(0, 40), len(text) - 16)
        end = min(len(text), start + rng.randint(15, 220))  # long ones overlap and nest the next
        claims.append(
            Claim(
                source=source,
                quote=text[start:end],
                start=start,
                end=end,
                kind=Claim.Kind.AUTHOR_ASSERTION,
                status=rng.choice(Claim.Status.values),
            )
        )
    Claim.objects.bulk_create(claims)
    return source, baseline


def main() -> None:
    with throwaway_database():
        source, baseline = build()
        annotator = User.objects.create_user("bench", password="pw", is_staff=True)
        annotator.groups.add(Group.objects.get(name="Annotator"))
        client = Client()
        client.force_login(annotator)
        with_claims = median_ms(client, f"/admin/annotate/source/{source.pk}/", RUNS)
        without = median_ms(client, f"/admin/annotate/source/{baseline.pk}/", RUNS)
        print(f"annotate page, {len(source.text):,} characters, {CLAIMS:,} claims ({engine()}, median of {RUNS}):")
        print(f"  with claims: {with_claims:.1f} ms   baseline (same text, no claims): {without:.1f} ms")
        print(f"  ratio: {with_claims / without:.2f}x")


if __name__ == "__main__":
    main()
