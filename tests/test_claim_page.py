"""The claim page: the claim, its quote in context, its links both ways, and its chain to the raw bytes."""

import shutil
import tempfile
from pathlib import Path

from django.contrib.auth.models import User
from django.urls import reverse

from claims.models import Claim
from claims.services import create_claim, link_claims
from sources.importing import import_file
from tests.base import BaseTestCase

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


class ClaimPageTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.link = link_claims(claim_a=cls.unacceptable, claim_b=cls.rejected, note="same remark, two papers")

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)

    def url(self, claim) -> str:
        return reverse("claims:detail", args=[claim.pk])

    def page(self, claim) -> str:
        self.client.force_login(self.vera)
        response = self.client.get(self.url(claim))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def import_harbour(self, raw: str | None = None):
        # A new version comes from the same path (a file of the same name elsewhere is another article).
        path = self.folder / "harbour_talks.txt"
        path.write_text(raw if raw is not None else (FIXTURES / "harbour_talks.txt").read_text())
        return import_file(path=path, imported_by="archivist")


class AccessTests(ClaimPageTestCase):
    def test_an_anonymous_visitor_is_sent_to_log_in(self):
        response = self.client.get(self.url(self.unacceptable))
        self.assertRedirects(response, f"{reverse('admin:login')}?next={self.url(self.unacceptable)}")

    def test_a_viewer_can_read_a_claim(self):
        self.assertIn("absolutely unacceptable", self.page(self.unacceptable))

    def test_a_user_without_a_role_is_refused(self):
        self.client.force_login(User.objects.create_user("nobody", password="pw", is_staff=True))
        self.assertEqual(self.client.get(self.url(self.unacceptable)).status_code, 403)

    def test_the_page_is_a_fixed_number_of_queries(self):
        self.client.force_login(self.vera)
        # 8 for the page, 6 for its corroboration section: the stored counts explained (the corroborating
        # sources, then independence's facts about them in 2; the likely duplicates they depend on are stored on
        # the claim), and the cluster in 3.
        with self.assertNumQueries(14):
            self.client.get(self.url(self.unacceptable))
        link_claims(claim_a=create_claim(source=self.harbour, quote="the president said"), claim_b=self.unacceptable)
        with self.assertNumQueries(14):
            self.client.get(self.url(self.unacceptable))


class ContentTests(ClaimPageTestCase):
    def test_the_quote_is_shown_in_its_context(self):
        page = self.page(self.unacceptable)
        self.assertIn(
            "…On 1 June 2017 the president said that US missile-defence sites on the islands "
            '<mark class="claim status-draft">would be “absolutely unacceptable”</mark>'
            ".\nTalks on joint projects would go on.…",
            page,
        )

    def test_links_are_shown_from_either_end(self):
        from_a = self.page(self.unacceptable)
        self.assertIn(f'href="{self.url(self.rejected)}"', from_a)
        self.assertIn("same remark, two papers", from_a)
        from_b = self.page(self.rejected)
        self.assertIn(f'href="{self.url(self.unacceptable)}"', from_b)
        self.assertIn("corroborates", from_b)

    def test_the_chain_runs_from_the_claim_to_the_sha256_of_the_raw_bytes(self):
        source = self.import_harbour().source
        claim = create_claim(source=source, quote="The vote is set for Friday.")
        capture = source.captures.get()
        chain = self.page(claim).split('id="chain"')[1]
        self.assertIn(f"Claim {claim.pk}", chain)
        self.assertIn(reverse("sources:provenance", args=[source.pk]), chain)
        self.assertIn("Capture: harbour_talks.txt", chain)
        self.assertIn(f'<code class="sha256">{capture.sha256}</code>', chain)

    def test_a_claim_on_a_source_entered_by_hand_ends_its_chain_at_the_raw_text(self):
        chain = self.page(self.unacceptable).split('id="chain"')[1]
        self.assertIn("No capture", chain)
        self.assertIn(self.ledger.raw_sha256, chain)

    def test_a_broken_claim_is_shown_in_the_capture_where_it_last_held(self):
        first = self.import_harbour()
        claim = create_claim(source=first.source, quote="nowhere near enough to keep our boats working")
        raw = (FIXTURES / "harbour_talks.txt").read_text().replace("nowhere near enough", "far too little")
        self.import_harbour(raw)
        claim.refresh_from_db()
        self.assertEqual(claim.anchor_state, Claim.AnchorState.BROKEN)
        page = self.page(claim)
        self.assertIn("anchor broke", page)
        self.assertIn('status-draft">nowhere near enough to keep our boats working</mark>', page)
        self.assertIn(f'<code class="sha256">{first.capture.sha256}</code>', page.split('id="chain"')[1])

    def test_a_reviewer_can_list_the_broken_claims_in_the_admin(self):
        first = self.import_harbour()
        claim = create_claim(source=first.source, quote="nowhere near enough to keep our boats working")
        self.import_harbour((FIXTURES / "harbour_talks.txt").read_text().replace("nowhere near enough", "too little"))
        self.client.force_login(self.bob)
        response = self.client.get(reverse("admin:claims_claim_changelist"), {"anchor_state__exact": "broken"})
        self.assertEqual([c.pk for c in response.context["cl"].result_list], [claim.pk])
