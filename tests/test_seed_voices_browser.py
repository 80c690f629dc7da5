"""The five seed articles, imported as the README says, counted as a careful fact-checker would: Nikkei Asian Review
and Nikkei Asia are one publisher, J. Berkshire Miller's two articles one voice, and the Valdai piece (no author,
publisher or URL) unverified on every page and green on none. Screenshots of the claim page, the provenance page
and the annotate panel for the same claim go to test-artifacts/. Also: the annotate page opened at a claim shows
its highlight."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from claims.models import Claim
from claims.services import create_claim, link_claims
from sources.models import Source
from sources.services import create_source
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser

SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
NO_SEEDS = "the seed articles are not in ../shared/seeds (they live beside the repository, not in it)"
GREEN = "rgb(30, 123, 52)"


def first_sentence_said_once(source: Source) -> str:
    """A body sentence of the article (read at test time: the seeds' text is not copied into the repository)."""
    for paragraph in source.text.split("\n"):
        sentence = paragraph.split(". ")[0]
        if len(sentence) > 80 and source.text.count(sentence) == 1:
            return sentence
    raise AssertionError(f"no sentence to quote in {source.title}")


@pytest.mark.skipif(not SEEDS.is_dir(), reason=NO_SEEDS)
class SeedVoicesInTheBrowserTests(BrowserTestCase):
    def setUp(self):
        call_command("import_sources", str(SEEDS), stdout=io.StringIO())
        self.sources = sources = {s.title[:12]: s for s in Source.objects.all()}
        self.claims = {key: create_claim(source=s, quote=first_sentence_said_once(s)) for key, s in sources.items()}
        self.nikkei = self.claims["The failure "]
        for claim in self.claims.values():
            if claim != self.nikkei:
                link_claims(claim_a=self.nikkei, claim_b=claim)
        self.valdai = sources["Can We Talk "]
        viewer = User.objects.create_user("vera", password="pw", is_staff=True)
        give_role(viewer, "Viewer")
        self.log_in(viewer)

    def voice_row(self, title: str):
        cell = self.page.get_by_role("cell", name=title, exact=True)
        return self.page.locator("table.claim-voices tr").filter(has=cell)

    def colour_of(self, locator) -> str:
        return locator.evaluate("node => getComputedStyle(node).color")

    def test_the_seeds_count_one_nikkei_one_miller_and_valdai_unverified_on_every_page(self):
        claim = Claim.objects.get(pk=self.nikkei.pk)
        # Corroborating: Nikkei Asia (the same publisher), Miller twice (one voice), Valdai (unverified).
        self.assertEqual((claim.corroborating_sources, claim.independent_voices, claim.unverified_sources), (4, 1, 1))

        self.page.goto(f"{self.live_server_url}/claims/{claim.pk}/")
        voices = {title: self.voice_row(source.title) for title, source in self.sources.items()}
        expect(voices["Can We Talk "]).to_contain_text("unverified")
        expect(voices["China fears "]).to_contain_text("the claim's own source's voice")
        expect(voices["China fears "]).to_contain_text("Nikkei Asia")
        for miller in ("Japan’s “Rus", "Russia Won’t"):
            expect(voices[miller]).to_contain_text("independent voice 1")
        self.page.locator("#corroboration").scroll_into_view_if_needed()
        self.page.screenshot(path=str(ARTIFACTS / "seeds-claim-page.png"), full_page=True)

        self.page.goto(f"{self.live_server_url}/sources/{claim.source_id}/provenance/")
        row = self.page.locator(f"#claim-{claim.pk}")
        valdai = row.locator("li", has_text=self.valdai.title).locator("span")
        expect(valdai).to_have_class("unverified")
        expect(valdai).to_contain_text("unverified")
        self.assertNotEqual(self.colour_of(valdai), GREEN)
        expect(row.locator("td.independent-voices")).to_have_text("1 (1 unverified)")
        row.scroll_into_view_if_needed()
        self.page.screenshot(path=str(ARTIFACTS / "seeds-provenance-page.png"))

        self.page.goto(f"{self.live_server_url}/admin/annotate/source/{claim.source_id}/?claim={claim.pk}")
        panel = self.page.locator("#claim-panel")
        expect(panel.locator(".claim-source-counts")).to_contain_text("Independent voices")
        valdai_link = panel.locator("li", has_text=self.valdai.title)
        valdai = valdai_link.locator(".link-voice")
        expect(valdai).to_contain_text("unverified")
        self.assertNotEqual(self.colour_of(valdai), GREEN)
        # Nor the bar beside its link (green for a corroborating link whose source has a voice).
        self.assertNotEqual(valdai_link.evaluate("node => getComputedStyle(node).borderLeftColor"), GREEN)
        self.page.screenshot(path=str(ARTIFACTS / "seeds-annotate-panel.png"))
        valdai.scroll_into_view_if_needed()
        self.page.screenshot(path=str(ARTIFACTS / "seeds-annotate-panel-links.png"))
        self.assertEqual(self.problems, [])


class OpenedAtAClaimTests(BrowserTestCase):
    def test_the_annotate_page_opened_at_a_claim_scrolls_to_its_highlight(self):
        viewer = User.objects.create_user("vera", password="pw", is_staff=True)
        give_role(viewer, "Viewer")
        text = "\n".join(f"Paragraph {n} of the harbour minutes, read aloud and approved." for n in range(400))
        text += "\nThe last paragraph says the pier reopens in March."
        minutes = create_source(title="Long minutes", text=text)
        claim = create_claim(source=minutes, quote="the pier reopens in March")
        self.log_in(viewer)
        self.page.goto(f"{self.live_server_url}/admin/annotate/source/{minutes.pk}/?claim={claim.pk}")
        mark = self.page.locator(f'mark[data-claims="{claim.pk}"]')
        expect(mark).to_be_in_viewport()
        expect(self.page.locator("#claim-heading")).to_contain_text(f"Claim #{claim.pk}")
        self.assertEqual(re.findall(r"\d+", self.page.url)[-1], str(claim.pk))
