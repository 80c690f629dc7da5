"""Stored counts that a change moves far from where it was made: the claims of a copy whose original gains another
copy, the partners of a claim moved to another source, and many claims at once (written by COPY on PostgreSQL)."""

from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.corroboration import counting
from claims.corroboration.counting import recount_all
from claims.exchange.importing import import_links
from claims.models import Claim, Link
from claims.services import create_claim, link_claims, record_republication
from sources.models import Agent
from sources.services import create_source, update_source
from tests.base import HARBOUR_TEXT, BaseTestCase
from tests.test_links import claim_form_data
from tests.test_sources import source_form_data

REPORT = "The minister said the survey trip to the islands would start in June."


def counts(claim: Claim) -> tuple[int, int, int, int]:
    claim.refresh_from_db()
    return (
        claim.corroborating_sources,
        claim.independent_voices,
        claim.unverified_sources,
        claim.contradicting_sources,
    )


class RepublishedCopiesTests(BaseTestCase):
    """A copy speaks with its original's voice (its authors, publisher and URL): the claims of a copy are recounted
    when it becomes a copy, and when its original's voice changes, though none is linked to the original's claims."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # A syndicated copy of the Harbour article holds a claim corroborated by an article of Pacific Wire.
        cls.wire = Agent.objects.create(name="Pacific Wire", kind=Agent.Kind.ORGANISATION)
        cls.copy = create_source(title="Harbour, syndicated", text=HARBOUR_TEXT, url="https://copies.example.com/1")
        cls.copied = create_claim(source=cls.copy, quote="Moscow rejected any American anti-missile base")
        cls.report = create_source(
            title="Wire report", text=REPORT, url="https://wire.example.net/a", publisher=cls.wire
        )
        link_claims(claim_a=create_claim(source=cls.report, quote=REPORT[:40]), claim_b=cls.copied)

    def test_a_republication_recorded_in_the_admin_recounts_the_copys_claims(self):
        update_source(source=self.harbour, publisher=self.wire)
        self.assertEqual(counts(self.copied), (1, 1, 0, 0))
        self.client.force_login(self.bob)
        data = {"copy": self.copy.pk, "original": self.harbour.pk, "note": ""}
        response = self.client.post(reverse("admin:claims_republication_add"), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(counts(self.copied), (1, 0, 0, 0))  # the wire report is now the copy's own publisher
        self.assertEqual(recount_all(repair=False), {})

    def test_a_new_publisher_of_an_original_given_in_the_admin_recounts_the_claims_of_its_copies(self):
        record_republication(copy=self.copy, original=self.harbour)
        self.assertEqual(counts(self.copied), (1, 1, 0, 0))
        self.client.force_login(self.bob)
        data = source_form_data(self.harbour, publisher=str(self.wire.pk))
        response = self.client.post(reverse("admin:sources_source_change", args=[self.harbour.pk]), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(counts(self.copied), (1, 0, 0, 0))
        self.assertEqual(recount_all(repair=False), {})


class MovedClaimPartnersTests(BaseTestCase):
    def test_a_claim_moved_in_the_admin_recounts_the_claims_linked_to_it(self):
        # The Harbour claim corroborates the Ledger's; moved to another article of the Ledger's publisher, it is
        # the Ledger's own voice and no longer an independent one.
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable)
        evening = create_source(
            title="Ledger, evening edition", text=HARBOUR_TEXT, url="https://example.net/evening",
            publisher=self.ledger_press,
        )  # fmt: skip
        self.assertEqual(counts(self.unacceptable), (1, 1, 0, 0))

        self.client.force_login(self.alice)
        form = claim_form_data(self.rejected) | {"source": str(evening.pk), "start": "", "end": ""}
        response = self.client.post(reverse("admin:claims_claim_change", args=[self.rejected.pk]), form)

        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        self.assertEqual(Claim.objects.get(pk=self.rejected.pk).source, evening)
        self.assertEqual(counts(self.unacceptable), (1, 0, 0, 0))
        self.assertEqual(recount_all(repair=False), {})


WORDS = 600  # claims in each of two sources: 1,200 counts to store at once, more than the 1,000 written by COPY


class ManyCountsAtOnceTests(BaseTestCase):
    """Over 1,000 changed counts are written through a COPY into a temporary table on PostgreSQL (counting.store);
    SQLite writes them a few hundred at a time."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        text = " ".join(f"w{i:04d}" for i in range(WORDS))
        cls.east = create_source(title="East", text=text, url="https://east.example.com/a")
        cls.west = create_source(title="West", text=text, url="https://west.example.org/b")
        cls.many = {
            source.pk: Claim.objects.bulk_create(
                Claim(source=source, quote=f"w{i:04d}", start=i * 6, end=i * 6 + 5, kind=Claim.Kind.REPORTED)
                for i in range(WORDS)
            )
            for source in (cls.east, cls.west)
        }

    def test_a_links_import_joining_1200_claims_stores_every_count_right(self):
        east, west = self.many[self.east.pk], self.many[self.west.pk]
        rows = [
            (i + 2, {"claim_a": str(a.pk), "claim_b": str(b.pk)})
            for i, (a, b) in enumerate(zip(east, west, strict=True))
        ]
        report = import_links(header=["claim_a", "claim_b"], rows=rows)
        self.assertEqual((report.problems, report.created), ([], WORDS))
        self.assertEqual(recount_all(repair=False), {})
        self.assertEqual({counts(claim) for claim in (east[0], east[-1], west[0], west[-1])}, {(1, 1, 0, 0)})

    def test_recount_all_repairs_1200_wrong_counts(self):
        east, west = self.many[self.east.pk], self.many[self.west.pk]
        Link.objects.bulk_create(Link(claim_a=a, claim_b=b) for a, b in zip(east[::2], west[::2], strict=True))
        Claim.objects.filter(source__in=[self.east, self.west]).update(
            corroborating_sources=7, independent_voices=6, unverified_sources=5, contradicting_sources=4
        )

        drift = recount_all()

        self.assertEqual(len(drift), 2 * WORDS)
        self.assertEqual(recount_all(repair=False), {})
        self.assertEqual((counts(east[0]), counts(west[0])), ((1, 1, 0, 0), (1, 1, 0, 0)))
        self.assertEqual((counts(east[1]), counts(west[-1])), ((0, 0, 0, 0), (0, 0, 0, 0)))

    def test_a_full_recount_reads_each_sources_facts_once_however_many_stretches_it_takes(self):
        east, west = self.many[self.east.pk], self.many[self.west.pk]
        Link.objects.bulk_create(Link(claim_a=a, claim_b=b) for a, b in zip(east, west, strict=True))
        Claim.objects.filter(source__in=[self.east, self.west]).update(corroborating_sources=9)

        with (
            mock.patch.object(counting, "RECOUNTED_AT_ONCE", 300),
            CaptureQueriesContext(connection) as queries,
        ):
            drift = recount_all()

        self.assertEqual(len(drift), 2 * WORDS)  # right in every stretch
        facts_read = [
            q["sql"]
            for q in queries
            if q["sql"].startswith('SELECT "sources_source"."id" AS "pk", "sources_source"."title"')
        ]
        self.assertEqual(len(facts_read), 1, facts_read)
        self.assertEqual(recount_all(repair=False), {})
