"""The provenance review page of a source, through the test client."""

import shutil
import tempfile
from pathlib import Path

from django.contrib.auth.models import User
from django.urls import reverse

from claims.models import Claim
from claims.services import create_claim, link_claims, record_republication
from sources.importing import import_file
from sources.models import Agent
from sources.services import create_source, update_source
from tests.base import BaseTestCase

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


class ProvenancePageTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.corroborated = link_claims(claim_a=cls.unacceptable, claim_b=cls.rejected)
        # A second source from the ledger's own publisher: its agreement is not independent.
        cls.ledger_digest = create_source(
            title="Ledger weekly digest", text="The president called US bases unacceptable.", publisher=cls.ledger_press
        )
        cls.digest_claim = create_claim(source=cls.ledger_digest, quote="called US bases unacceptable")
        link_claims(claim_a=cls.digest_claim, claim_b=cls.unacceptable)
        # Nested inside the first claim: "absolutely unacceptable".
        cls.nested = create_claim(source=cls.ledger, quote="absolutely unacceptable", status=Claim.Status.REVIEWED)
        folder = Path(tempfile.mkdtemp())
        shutil.copy(FIXTURES / "harbour_talks.txt", folder)
        cls.imported = import_file(path=folder / "harbour_talks.txt", imported_by="archivist").source
        cls.imported_path = folder / "harbour_talks.txt"
        shutil.rmtree(folder)

    def url(self, source) -> str:
        return reverse("sources:provenance", args=[source.pk])

    def page(self, source, user=None) -> str:
        self.client.force_login(user or self.vera)
        response = self.client.get(self.url(source))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()


class AccessTests(ProvenancePageTestCase):
    def test_an_anonymous_visitor_is_sent_to_log_in(self):
        response = self.client.get(self.url(self.ledger))
        self.assertRedirects(response, f"{reverse('admin:login')}?next={self.url(self.ledger)}")

    def test_a_viewer_can_read_the_page(self):
        self.assertIn("Ledger on missile defence", self.page(self.ledger, self.vera))

    def test_a_user_without_a_role_is_refused(self):
        self.client.force_login(User.objects.create_user("nobody", password="pw", is_staff=True))
        self.assertEqual(self.client.get(self.url(self.ledger)).status_code, 403)

    def test_the_source_admin_page_links_to_the_provenance_page(self):
        self.client.force_login(self.root)
        response = self.client.get(reverse("admin:sources_source_change", args=[self.ledger.pk]))
        self.assertContains(response, f'href="{self.url(self.ledger)}"')


class QueryCountTests(ProvenancePageTestCase):
    def test_the_page_is_a_fixed_number_of_queries_however_many_claims_links_and_edits(self):
        self.client.force_login(self.vera)
        # 10 for the page, 2 to tell which links join one voice (claims.corroboration.independence.facts_for).
        with self.assertNumQueries(12):
            self.client.get(self.url(self.ledger))
        for title in ["Ledger on defence", "Ledger on missile defence, updated"]:
            publisher = Agent.objects.create(name=title, kind=Agent.Kind.ORGANISATION)
            update_source(source=self.ledger, title=title, publisher=publisher)
        other = create_source(title="Another paper", text="Bases would be unacceptable, he said; talks go on.")
        other.authors.set([Agent.objects.create(name="Ines Ortega")])
        for quote in ["Bases would be unacceptable", "talks go on"]:
            link_claims(claim_a=create_claim(source=other, quote=quote), claim_b=self.unacceptable)
        create_claim(source=self.ledger, quote="Talks on joint projects")
        with self.assertNumQueries(12):
            self.client.get(self.url(self.ledger))


class ContentTests(ProvenancePageTestCase):
    def test_metadata_is_shown(self):
        page = self.page(self.ledger)
        self.assertIn("Northern Ledger", page)
        self.assertIn("2017-06-02", page)
        self.assertIn(self.ledger.text_sha256, page)

    def test_each_claim_is_highlighted_at_its_words_coloured_by_status(self):
        page = self.page(self.ledger)
        self.assertIn(
            f'<mark class="claim status-reviewed overlap" data-claims="{self.unacceptable.pk} {self.nested.pk}"', page
        )
        self.assertIn(f'data-claims="{self.unacceptable.pk}" data-start="{self.unacceptable.start}"', page)

    def test_each_claim_row_holds_what_its_hover_card_shows(self):
        # provenance.js builds each card from these cells; test_provenance_browser.py hovers one.
        page = self.page(self.ledger)
        row = page[page.index(f'<tr id="claim-{self.unacceptable.pk}"') :]
        row = row[: row.index("</tr>")]
        self.assertIn('<td class="speaker">Vladimir Putin</td>', row)
        self.assertIn('<td class="date">2017-06-01</td>', row)
        self.assertIn('<td class="corroborations">2</td>', row)
        self.assertIn('<div id="claim-cards"></div>', page)
        self.assertIn("sources/provenance.js", page)

    def test_the_claims_table_says_whether_each_corroboration_is_independent(self):
        page = self.page(self.ledger)
        row = page[page.index(f'<tr id="claim-{self.unacceptable.pk}"') :]
        row = row[: row.index("</tr>")]
        harbour = row[row.index("</a> in Harbour on the Kurils") :]
        self.assertIn('<span class="independent">', harbour[: harbour.index("</li>")])
        digest = row[row.index("</a> in Ledger weekly digest") :]
        self.assertIn('<span class="not-independent">', digest[: digest.index("</li>")])
        self.assertIn(reverse("claims:detail", args=[self.rejected.pk]), row)

    def test_a_shared_author_makes_a_corroboration_not_independent(self):
        mara = Agent.objects.create(name="Mara Olsen")
        update_source(source=self.ledger, authors=[mara])
        update_source(source=self.harbour, authors=[mara])
        page = self.page(self.ledger)
        row = page[page.index(f'<tr id="claim-{self.unacceptable.pk}"') :]
        harbour = row[row.index("</a> in Harbour on the Kurils") :]
        self.assertIn('<span class="not-independent">', harbour[: harbour.index("</li>")])

    def test_a_sister_desk_and_a_republished_copy_are_not_independent_as_in_the_claim_list(self):
        group = Agent.objects.create(name="Ledger Group", kind=Agent.Kind.ORGANISATION)
        self.ledger_press.parent = group
        self.ledger_press.save()
        desk = Agent.objects.create(name="Ledger Sport", kind=Agent.Kind.ORGANISATION, parent=group)
        sport = create_source(title="Sport desk story", text="Bases are unacceptable, he said.", publisher=desk)
        mirror = create_source(title="Mirror of the Ledger", text="Bases are unacceptable, he said again.")
        record_republication(copy=mirror, original=self.ledger)
        for source in (sport, mirror):
            link_claims(claim_a=create_claim(source=source, quote="Bases are unacceptable"), claim_b=self.unacceptable)
        page = self.page(self.ledger)
        row = page[page.index(f'<tr id="claim-{self.unacceptable.pk}"') :]
        row = row[: row.index("</tr>")]
        # The mirror has no author, publisher or URL of its own: unverified, as the counts say.
        for title, label in (("Sport desk story", "not-independent"), ("Mirror of the Ledger", "unverified")):
            link = row[row.index(f"</a> in {title}") :]
            self.assertIn(f'<span class="{label}">', link[: link.index("</li>")])
        listed = Claim.objects.get(pk=self.unacceptable.pk)
        # Harbour counts; the digest (same publisher), the sport desk and the mirror do not.
        self.assertEqual((listed.corroborating_sources, listed.independent_voices), (4, 1))

    def test_captures_show_the_raw_sha256_the_removals_and_the_diff(self):
        capture = self.imported.captures.get()
        page = self.page(self.imported)
        self.assertIn(capture.sha256, page)
        self.assertIn("harbour_talks.txt", page)
        self.assertIn("archivist", page)
        self.assertIn("<td>sponsored content</td>", page)
        self.assertIn('<span class="diff-removed">-Subscribe to keep reading</span>', page)

    def test_a_source_entered_by_hand_says_it_has_no_capture(self):
        self.assertIn("No capture: this source was entered by hand", self.page(self.harbour))

    def test_a_broken_claim_is_not_highlighted_but_flagged_in_the_table(self):
        claim = create_claim(source=self.imported, quote="The vote is set for Friday.")
        Claim.objects.filter(pk=claim.pk).update(anchor_state=Claim.AnchorState.BROKEN)
        page = self.page(self.imported)
        self.assertNotIn(f'data-claims="{claim.pk}"', page)
        self.assertIn(f'<tr id="claim-{claim.pk}" class="anchor-broken">', page)
        self.assertIn("1 claim lost its anchor", page)

    def test_the_change_history_lists_imports_and_edits(self):
        self.client.force_login(self.bob)
        self.imported.title = "Harbour talks stall"
        self.imported.save()
        page = self.page(self.imported)
        history = page[page.index('id="history"') :]
        self.assertIn("harbour_talks.txt imported by archivist", history)
        self.assertIn("<td>Changed</td><td>title</td>", history)
        self.assertIn("Created", history)


class ReimportHistoryTests(ProvenancePageTestCase):
    def test_the_history_reports_each_claim_held_moved_or_broken(self):
        moved = create_claim(source=self.imported, quote="The vote is set for Friday.")
        # A new version comes from the path the first was imported from.
        self.imported_path.parent.mkdir(exist_ok=True)
        self.addCleanup(shutil.rmtree, self.imported_path.parent)
        raw = (FIXTURES / "harbour_talks.txt").read_text()
        self.imported_path.write_text(raw.replace("By Mara Olsen", "By Mara Olsen, in Eastport"))
        import_file(path=self.imported_path, imported_by="archivist", published_on="2026-02-03")
        page = self.page(self.imported)
        self.assertIn("claims: 0 held, 1 moved, 0 broken", page)
        self.assertIn(f"claim {moved.pk} “The vote is set for Friday.”: moved from", page)
        self.assertEqual(page.count('<span class="current">current</span>'), 1)
        self.assertIn("<dt>Published</dt><dd>2026-02-03</dd>", page)
        self.assertIn("published on, SHA-256 of text, SHA-256 of raw text", page)
