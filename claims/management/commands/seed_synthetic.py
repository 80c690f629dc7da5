import datetime
import math
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from claims.corroboration.counting import recount_all
from claims.models import Claim, Link, Tag
from claims.tagging import refresh_tag_names
from common.progress import Progress
from sources.dates import Precision, truncate
from sources.management.projects import add_project_argument, project_named
from sources.models import Agent, Source, sha256_hex

FIRST = ["Ada", "Bo", "Chen", "Dara", "Eli", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kemi", "Lior", "Mina", "Nils"]
LAST = ["Abe", "Brandt", "Costa", "Diallo", "Eriksen", "Fofana", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski"]
PAPERS = ["Courier", "Ledger", "Herald", "Gazette", "Observer", "Post", "Times", "Tribune", "Record", "Chronicle"]
PLACES = ["Northport", "Eastvale", "Lowmarsh", "Highcliff", "Westbury", "Southmere", "Redford", "Greywick"]
VERBS = ["said", "announced", "denied", "confirmed", "warned", "claimed", "insisted", "estimated"]
SUBJECTS = [
    "the budget",
    "the bridge",
    "the harbour",
    "the election",
    "the new school",
    "the grain price",
    "the strike",
]
OUTCOMES = ["would rise", "was cancelled", "had doubled", "would open soon", "was never approved", "fell by half"]
TAGS = ["economy", "transport", "health", "energy", "elections", "housing", "labour", "climate", "courts", "schools"]
BATCH = 5000


class Command(BaseCommand):
    help = (
        "Add deterministic synthetic people, sources, claims (with valid anchors) and links, for benchmarks. "
        "They go into --project SLUG (the only project by default). The same --seed gives the same data; run it on "
        "an empty database (URLs are unique per seed). "
        "Rows are bulk-inserted without history."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sources", type=int, required=True)
        parser.add_argument("--claims", type=int, required=True)
        parser.add_argument("--links", type=int, default=0)
        parser.add_argument("--seed", type=int, default=1)
        add_project_argument(parser)

    def handle(self, *args, sources, claims, links, seed, project=None, **options):
        self.project = project_named(project)  # everything seeded is this project's
        if sources < 1 or claims < 0 or links < 0:
            raise CommandError("--sources must be at least 1; --claims and --links cannot be negative.")
        if Source.objects.filter(url__regex=rf"^https://www\.synthetic-paper-[0-9]+\.org/{seed}/").exists():
            raise CommandError(f"Synthetic data with seed {seed} is already here; use another --seed.")
        rng = random.Random(seed)
        with transaction.atomic():
            people, papers = self.agents(rng, sources)
            claim_sources = self.sources_and_claims(rng, seed, sources, claims, people, papers)
            self.links(rng, claim_sources, links)
            # Bulk inserts skip the services: count every claim's corroboration in one pass.
            recount_all()
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner guesses badly about tables that just grew a millionfold.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"Seeded {sources} sources, {claims} claims and {links} links (seed {seed}).")

    def agents(self, rng: random.Random, sources: int) -> tuple[list[Agent], list[Agent]]:
        people = [
            Agent(name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}", kind=Agent.Kind.PERSON, project=self.project)
            for i in range(max(20, sources // 5))
        ]
        papers = [
            Agent(
                name=f"{rng.choice(PLACES)} {rng.choice(PAPERS)} {i}",
                kind=Agent.Kind.ORGANISATION,
                project=self.project,
            )
            for i in range(max(5, sources // 50))
        ]
        return Agent.objects.bulk_create(people), Agent.objects.bulk_create(papers)

    def sources_and_claims(self, rng, seed, n_sources, n_claims, people, papers) -> list[tuple[int, int]]:
        """Create the sources and their claims; return (claim id, source id) pairs."""
        per_source = math.ceil(n_claims / n_sources) if n_claims else 0
        # Spare sentences, so an import can add claims on words nobody has annotated yet.
        sentences = per_source + max(5, per_source // 5)
        Tag.objects.bulk_create([Tag(name=name, project=self.project) for name in TAGS], ignore_conflicts=True)
        tags = {tag.name: tag for tag in Tag.objects.in_project(self.project).filter(name__in=TAGS)}
        progress = Progress(n_claims, label="Seeded")
        claim_sources: list[tuple[int, int]] = []
        made = planned = 0
        paper_numbers = {paper.pk: n for n, paper in enumerate(papers)}
        step = max(1, BATCH // max(per_source, 1))
        for first in range(0, n_sources, step):
            batch_sources, spans = [], []
            for i in range(first, min(n_sources, first + step)):
                text, offsets = self.text(rng, i, sentences)
                published = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3650))
                precision = rng.choices([Precision.DAY, Precision.MONTH, Precision.YEAR], [8, 1, 1])[0]
                title = f"{rng.choice(SUBJECTS).capitalize()}: report {i}"
                publisher = rng.choice(papers)
                batch_sources.append(
                    Source(
                        project=self.project,
                        title=title,
                        # Each paper its own registered domain, as independence compares them.
                        url=f"https://www.synthetic-paper-{paper_numbers[publisher.pk]}.org/{seed}/{i}",
                        publisher=publisher,
                        published_on=truncate(published, precision),
                        published_on_precision=precision,
                        language="en",
                        text=text,
                        text_sha256=sha256_hex(text),
                        raw_sha256=sha256_hex(""),
                    )
                )
                wanted = min(per_source, n_claims - planned)
                planned += wanted
                spans.append((text, offsets[:wanted]))
            Source.objects.bulk_create(batch_sources)
            Source.authors.through.objects.bulk_create(
                [
                    Source.authors.through(source_id=source.pk, agent_id=author.pk)
                    for source in batch_sources
                    for author in rng.sample(people, rng.choice([1, 1, 2]))
                ]
            )
            new_claims = [
                self.claim(rng, source, text, start, end, people)
                for source, (text, offsets) in zip(batch_sources, spans, strict=True)
                for start, end in offsets
            ]
            Claim.objects.bulk_create(new_claims, batch_size=BATCH)
            Claim.tags.through.objects.bulk_create(
                [
                    Claim.tags.through(claim_id=claim.pk, tag_id=tags[name].pk)
                    for claim in new_claims
                    if rng.random() < 0.2
                    for name in rng.sample(TAGS, rng.choice([1, 2]))
                ],
                batch_size=BATCH,
            )
            refresh_tag_names(claim.pk for claim in new_claims)
            claim_sources += [(claim.pk, claim.source_id) for claim in new_claims]
            made += len(new_claims)
            progress(made)
        progress.finish()
        return claim_sources

    def text(self, rng: random.Random, source_number: int, sentences: int) -> tuple[str, list[tuple[int, int]]]:
        """A text of numbered sentences (so no quote occurs twice) and each sentence's span."""
        parts, offsets, at = [], [], 0
        for j in range(sentences):
            sentence = (
                f"In item {source_number}.{j} {rng.choice(FIRST)} {rng.choice(VERBS)} that "
                f"{rng.choice(SUBJECTS)} {rng.choice(OUTCOMES)}."
            )
            offsets.append((at, at + len(sentence)))
            parts.append(sentence)
            at += len(sentence) + 1
        return " ".join(parts), offsets

    def claim(self, rng, source, text, start, end, people) -> Claim:
        claimed = source.published_on - datetime.timedelta(days=rng.randrange(5))
        return Claim(
            source=source,
            quote=text[start:end],
            start=start,
            end=end,
            speaker=rng.choice(people) if rng.random() < 0.8 else None,
            claimed_on=claimed,
            kind=rng.choice(Claim.Kind.values),
            status=rng.choices(Claim.Status.values, [6, 2, 1, 1])[0],
        )

    def links(self, rng: random.Random, claim_sources: list[tuple[int, int]], n_links: int) -> None:
        if n_links and len({source for _, source in claim_sources}) < 2:
            raise CommandError("Links join claims of two sources: seed at least two sources with claims.")
        pairs: set[tuple[int, int]] = set()
        batch = []
        while len(pairs) < n_links:
            (a, source_a), (b, source_b) = rng.choice(claim_sources), rng.choice(claim_sources)
            pair = (min(a, b), max(a, b))
            if source_a == source_b or pair in pairs:
                continue
            pairs.add(pair)
            relation = Link.Relation.CONTRADICTS if rng.random() < 0.15 else Link.Relation.CORROBORATES
            batch.append(Link(claim_a_id=a, claim_b_id=b, relation=relation))
            if len(batch) == BATCH:
                Link.objects.bulk_create(batch)
                batch = []
        Link.objects.bulk_create(batch)
