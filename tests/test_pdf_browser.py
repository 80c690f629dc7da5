"""A PDF source from import to claim in a real browser: imported with `import_sources`, a claim made on page 2
in the annotate page, and its page on the claim page, in the CSV and in the JSON-LD."""

import csv
import io
import re
import shutil
import tempfile
import unittest
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from claims.models import Claim
from sources.models import Source
from tests import pdfs
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser

PHRASE = "licences for small boats"


@unittest.skipUnless(pdfs.writer_available(), pdfs.NO_WRITER)
class PdfClaimInTheBrowserTests(BrowserTestCase):
    viewport = {"width": 1280, "height": 900}
    strict_csp_urls = re.compile(r".*/admin/annotate/source/.*")

    def setUp(self):
        self.alice = User.objects.create_user("alice", password="pw", is_staff=True)
        give_role(self.alice, "Annotator")
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder)
        (folder / "statement.pdf").write_bytes(pdfs.libreoffice_statement())
        call_command("import_sources", str(folder / "statement.pdf"), stdout=io.StringIO())
        self.source = Source.objects.get()
        self.folder = folder
        self.log_in(self.alice)

    def select_with_the_mouse(self, phrase: str) -> None:
        """Drag from the phrase's first character to its last, as a reader would."""
        box = self.page.evaluate(
            """(phrase) => {
                const root = document.getElementById("source-text");
                const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                const nodes = [];
                while (walker.nextNode()) nodes.push(walker.currentNode);
                let at = nodes.map((n) => n.data).join("").indexOf(phrase);
                const rect = (index) => {
                    for (const node of nodes) {
                        if (index < node.data.length) {
                            const range = document.createRange();
                            range.setStart(node, index);
                            range.setEnd(node, index + 1);
                            return range.getBoundingClientRect();
                        }
                        index -= node.data.length;
                    }
                };
                const first = rect(at), last = rect(at + phrase.length - 1);
                return {x1: first.left + 1, y1: first.top + first.height / 2,
                        x2: last.right - 1, y2: last.top + last.height / 2};
            }""",
            phrase,
        )
        self.page.mouse.move(box["x1"], box["y1"])
        self.page.mouse.down()
        self.page.mouse.move(box["x2"], box["y2"], steps=8)
        self.page.mouse.up()

    def test_a_claim_selected_on_page_two_shows_its_page_on_the_claim_page_in_the_csv_and_in_the_json_ld(self):
        self.page.goto(f"{self.live_server_url}{reverse('annotate:source', args=[self.source.pk])}")
        page_two = self.page.locator('#source-text .page-start[data-page="2"]')
        expect(page_two).to_be_visible()
        page_two.scroll_into_view_if_needed()
        self.select_with_the_mouse(PHRASE)
        self.page.keyboard.press("a")
        form = self.page.locator("#add-claim-form")
        expect(form.locator("input[name=quote]")).to_have_value(PHRASE)
        form.get_by_role("button", name="Save claim").click()
        expect(self.page.locator("#editor-status")).to_have_text(re.compile(r"Claim #\d+ saved"))
        claim = Claim.objects.get(source=self.source)
        self.assertEqual((claim.quote, claim.pages), (PHRASE, [2]))
        self.page.evaluate("window.getSelection().removeAllRanges()")
        page_two.scroll_into_view_if_needed()
        self.page.screenshot(path=ARTIFACTS / "pdf-annotate.png")

        self.page.goto(f"{self.live_server_url}{reverse('claims:detail', args=[claim.pk])}")
        expect(self.page.locator("#the-claim dd.pages")).to_have_text("2 of the PDF")
        self.page.screenshot(path=ARTIFACTS / "pdf-claim.png", full_page=True)

        link = self.page.get_by_role("link", name="This claim as JSON-LD").get_attribute("href")
        documents = self.page.request.get(f"{self.live_server_url}{link}").json()
        annotation = documents[0] if isinstance(documents, list) else documents
        selectors = annotation["target"]["selector"]
        self.assertEqual((selectors[0]["type"], selectors[0]["exact"]), ("TextQuoteSelector", PHRASE))
        self.assertIn(
            {"type": "FragmentSelector", "conformsTo": "http://tools.ietf.org/rfc/rfc8118", "value": "page=2"},
            selectors,
        )

        call_command("export_claims", "-o", str(self.folder / "claims.csv"), stdout=io.StringIO())
        (row,) = csv.DictReader(io.StringIO((self.folder / "claims.csv").read_text(encoding="utf-8")))
        self.assertEqual((row["quote"], row["pages"]), (PHRASE, "2"))
