"""A count that depends on a likely duplicate nobody has decided says so, with a link to decide, wherever it is shown
(claim page, annotate panel, claim list, claims CSV), read from the claim where the recount stores it; deciding
recounts."""

import csv
import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse

from claims.models import Claim
from claims.services import create_claim, link_claims
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase

REPORT = "The minister said the survey trip to the islands was a big step."


class UndecidedDuplicateTests(BaseTestCase):
    def setUp(self):
        review = Agent.objects.create(name="Eastern Review", kind=Agent.Kind.ORGANISATION)
        asia = Agent.objects.create(name="Eastern Asia", kind=Agent.Kind.ORGANISATION)
        for title, publisher, url in [
            ("Review story", review, "https://easternreview.com/a"),
            ("Asia story", asia, "https://easternasia.org/b"),
        ]:
            source = create_source(title=title, text=REPORT, publisher=publisher, url=url)
            link_claims(claim_a=create_claim(source=source, quote=REPORT[:40]), claim_b=self.unacceptable)
        self.client.force_login(self.bob)
        self.claim_page = reverse("claims:detail", args=[self.unacceptable.pk])

    def stored(self) -> tuple[int, str]:
        return Claim.objects.values_list("independent_voices", "undecided_duplicates").get(pk=self.unacceptable.pk)

    def test_the_recount_stores_what_the_count_would_be_were_the_two_publishers_one(self):
        self.assertEqual(self.stored(), (2, "1 if Eastern Review is Eastern Asia"))

    def test_a_claim_whose_sources_name_three_such_publishers_says_each_pair_in_the_order_proposed(self):
        times = Agent.objects.create(name="Eastern Times", kind=Agent.Kind.ORGANISATION)
        source = create_source(title="Times story", text=REPORT, publisher=times, url="https://easterntimes.net/c")
        link_claims(claim_a=create_claim(source=source, quote=REPORT[:40]), claim_b=self.unacceptable)
        self.assertEqual(
            self.stored(),
            (
                3,
                "2 if Eastern Review is Eastern Asia; 2 if Eastern Review is Eastern Times; "
                "2 if Eastern Asia is Eastern Times",
            ),
        )

    def test_the_claim_list_marks_the_count_and_links_to_decide(self):
        listing = self.client.get(reverse("admin:claims_claim_changelist"))
        self.assertContains(listing, "2 independent voices, 1 if Eastern Review is Eastern Asia: not decided yet.")
        self.assertContains(listing, f'href="{reverse("admin:sources_agent_duplicates")}?next={self.claim_page}"')

    def test_the_claim_list_reads_the_mark_without_another_query(self):
        self.client.force_login(self.root)
        # Session, user, tags for their filter, the count and the page (tests/test_changelists.py).
        with self.assertNumQueries(5):
            listing = self.client.get(reverse("admin:claims_claim_changelist") + "?all=")
        self.assertContains(listing, "1 if Eastern Review is Eastern Asia")

    def test_the_claims_csv_says_it_in_its_own_column(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "claims.csv"
            call_command("export_claims", "-o", str(path), "--format", "csv")
            rows = {int(row["id"]): row for row in csv.DictReader(io.StringIO(path.read_text("utf-8")))}
        self.assertEqual(rows[self.unacceptable.pk]["independent_voices"], "2")
        self.assertEqual(rows[self.unacceptable.pk]["undecided_duplicates"], "1 if Eastern Review is Eastern Asia")
        self.assertEqual(rows[self.rejected.pk]["undecided_duplicates"], "")

    def test_renaming_one_publisher_in_the_admin_recounts_and_drops_the_mark(self):
        asia = Agent.objects.get(name="Eastern Asia")
        self.client.force_login(self.root)
        change = reverse("admin:sources_agent_change", args=[asia.pk])
        form = {"name": "Western Asia", "kind": asia.kind, "aliases": "", "parent": "", "wikidata_id": ""}
        self.assertRedirects(self.client.post(change, form), reverse("admin:sources_agent_changelist"))
        self.assertEqual(self.stored(), (2, ""))

    def test_recount_corroboration_repairs_a_mark_gone_stale(self):
        Claim.objects.filter(pk=self.unacceptable.pk).update(undecided_duplicates="")
        out = io.StringIO()
        call_command("recount_corroboration", stdout=out)
        self.assertIn("undecided duplicates “”, should be “1 if Eastern Review is Eastern Asia”", out.getvalue())
        self.assertEqual(self.stored(), (2, "1 if Eastern Review is Eastern Asia"))

    def test_the_claim_page_says_the_count_if_the_two_publishers_are_one_and_links_to_decide(self):
        self.assertEqual(Claim.objects.get(pk=self.unacceptable.pk).independent_voices, 2)
        page = self.client.get(self.claim_page)
        self.assertContains(page, "2 independent voices, 1 if Eastern Review is Eastern Asia: not decided yet.")
        self.assertContains(page, f'href="{reverse("admin:sources_agent_duplicates")}?next={self.claim_page}"')

    def test_the_annotate_panel_says_so_too(self):
        panel = self.client.get(reverse("annotate:claim", args=[self.unacceptable.pk]))
        self.assertContains(panel, "1 if Eastern Review is Eastern Asia")

    def test_a_merge_decided_from_there_recounts_at_once_and_returns_to_the_claim(self):
        review, asia = Agent.objects.get(name="Eastern Review"), Agent.objects.get(name="Eastern Asia")
        decision = {"first": asia.pk, "second": review.pk, "choice": "merge", "confirm": "yes", "next": self.claim_page}
        response = self.client.post(reverse("admin:sources_agent_duplicates"), decision)
        self.assertRedirects(response, self.claim_page, fetch_redirect_response=False)
        self.assertEqual(self.stored(), (1, ""))
        self.assertNotContains(self.client.get(self.claim_page), "not decided yet")
        self.assertNotContains(self.client.get(reverse("admin:claims_claim_changelist")), "not decided yet")

    def test_marking_them_distinct_keeps_the_count_and_drops_the_note(self):
        review, asia = Agent.objects.get(name="Eastern Review"), Agent.objects.get(name="Eastern Asia")
        decision = {"first": asia.pk, "second": review.pk, "choice": "distinct", "next": self.claim_page}
        self.client.post(reverse("admin:sources_agent_duplicates"), decision)
        self.assertEqual(self.stored(), (2, ""))
        self.assertNotContains(self.client.get(self.claim_page), "not decided yet")
        self.assertNotContains(self.client.get(reverse("admin:claims_claim_changelist")), "not decided yet")
