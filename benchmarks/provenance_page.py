"""Server time to render the provenance page of a 100,000-character source with 1,000 claims.

    .venv/bin/python benchmarks/provenance_page.py            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail .venv/bin/python benchmarks/provenance_page.py

It builds a throwaway test database, makes the source (claims overlapping and nested, 300 of them
linked to claims in ten other sources), and times full requests through the Django test client
(middleware, queries, template rendering). The baseline, measured in the same run, is the page of
a source with the same text and no claims. Prints the median and fastest of each, and the ratio
of the medians. Other work on the machine inflates the figures: run it on a quiet machine.
"""

import random
import statistics

from harness import engine, request_times_ms, throwaway_database  # sets Django up: import it before anything of Django

from django.contrib.auth.models import Group, User
from django.test import Client

TEXT_LENGTH = 100_000
CLAIMS = 1_000
LINKED = 300
RUNS = 15
WORDS = "harbour council pier fleet quota winter mayor vote ferry bank repair talks offer season".split()


def article(length: int) -> str:
    rng = random.Random(7)
    sentences = []
    while sum(len(s) + 1 for s in sentences) < length:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)[:length]


def build():
    from claims.models import Claim, Link
    from sources.models import Agent
    from sources.services import create_source

    text = article(TEXT_LENGTH)
    press = Agent.objects.create(name="Bench Gazette", kind=Agent.Kind.ORGANISATION)
    source = create_source(title="Long source", text=text, publisher=press)
    baseline = create_source(title="Same text, no claims", text=text + " ", publisher=press)
    rng = random.Random(11)
    speakers = [Agent.objects.create(name=f"Speaker {n}") for n in range(20)]
    claims = []
    for n in range(CLAIMS):
        start = n * (TEXT_LENGTH // CLAIMS) + rng.randint(0, 40)
        end = min(len(text), start + rng.randint(15, 220))  # long ones overlap and nest the next
        claims.append(
            Claim(
                source=source,
                quote=text[start:end],
                start=start,
                end=end,
                speaker=rng.choice(speakers),
                kind=Claim.Kind.DIRECT_QUOTE,
                status=rng.choice(list(Claim.Status.values)),
            )
        )
    claims = Claim.objects.bulk_create(claims)
    others = []
    for n in range(10):
        other_text = f"Other paper {n}: " + article(2_000)
        publisher = press if n % 3 == 0 else Agent.objects.create(name=f"Paper {n}", kind=Agent.Kind.ORGANISATION)
        other = create_source(title=f"Other {n}", text=other_text, publisher=publisher)
        others += Claim.objects.bulk_create(
            Claim(
                source=other,
                quote=other_text[k * 50 : k * 50 + 30],
                start=k * 50,
                end=k * 50 + 30,
                kind=Claim.Kind.AUTHOR_ASSERTION,
            )
            for k in range(30)
        )
    Link.objects.bulk_create(
        Link(claim_a=claims[k * 3], claim_b=others[k], relation=Link.Relation.CORROBORATES) for k in range(LINKED)
    )
    return source, baseline


def main() -> None:
    with throwaway_database():
        source, baseline = build()
        viewer = User.objects.create_user("bench", password="pw", is_staff=True)
        viewer.groups.add(Group.objects.get(name="Viewer"))
        client = Client()
        client.force_login(viewer)
        with_claims = request_times_ms(client, f"/sources/{source.pk}/provenance/", RUNS)
        without = request_times_ms(client, f"/sources/{baseline.pk}/provenance/", RUNS)
        print(
            f"provenance page, {len(source.text):,} characters, {CLAIMS:,} claims ({engine()}, {RUNS} requests each):"
        )
        for name, times in [("with claims", with_claims), ("baseline, same text, no claims", without)]:
            print(f"  {name}: median {statistics.median(times):.1f} ms, fastest {min(times):.1f} ms")
        ratio = statistics.median(with_claims) / statistics.median(without)
        print(f"  ratio of medians: {ratio:.1f}x   target: under 300 ms with claims")


if __name__ == "__main__":
    main()
