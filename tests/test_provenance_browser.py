"""The provenance page in a real browser: highlights drawn at the right words, cards on hover and focus.

Debian's chromium, driven by Playwright; the page is served under a strict Content Security Policy
(script-src 'self'), so an inline script would be refused and show up as a console error.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.services import create_claim, link_claims
from sources.models import Agent
from sources.services import create_source
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser


# Written for this test: an emoji (two UTF-16 units, one code point) before the claims checks the offsets.
QUAY_REPORT = (
    "Quay report 🌊 for the week\n"
    "The harbour master said the north pier “will reopen before the spring fleet arrives”, "
    "and the council agreed.\nRepairs are paid for by the port fund."
)


class ProvenanceInTheBrowserTests(BrowserTestCase):
    strict_csp_urls = re.compile(r".*/sources/\d+/provenance/")

    def setUp(self):
        vera = User.objects.create_user("vera", password="pw", is_staff=True)
        give_role(vera, "Viewer")
        master = Agent.objects.create(name="Edda Holm")
        self.report = create_source(title="Quay report", text=QUAY_REPORT)
        other = create_source(title="Port notice", text="The north pier reopens in March, the notice says.")
        self.outer = create_claim(
            source=self.report,
            quote="the north pier “will reopen before the spring fleet arrives”",
            speaker=master,
            claimed_on=datetime.date(2026, 2, 11),
        )
        self.inner = create_claim(source=self.report, quote="will reopen before the spring")
        self.overlap = create_claim(source=self.report, quote="fleet arrives”, and the council agreed")
        link_claims(claim_a=self.outer, claim_b=create_claim(source=other, quote="The north pier reopens in March"))
        self.log_in(vera)

    def marked_text(self, claim) -> str:
        """The text of every run that carries this claim, joined in page order."""
        return self.page.eval_on_selector_all(
            "#text .highlighted-text mark.claim",
            "(marks, id) => marks.filter(m => m.dataset.claims.split(' ').includes(id))"
            ".map(m => m.textContent).join('')",
            str(claim.pk),
        )

    def offset_of(self, claim) -> int:
        """Code points of page text before the claim's first run: where the browser drew it."""
        return self.page.evaluate(
            """id => {
                const box = document.querySelector('#text .highlighted-text');
                const first = [...box.querySelectorAll('mark.claim')]
                    .find(m => m.dataset.claims.split(' ').includes(id));
                const range = document.createRange();
                range.setStart(box, 0);
                range.setEndBefore(first);
                return Array.from(range.toString()).length;
            }""",
            str(claim.pk),
        )

    def test_highlights_are_drawn_at_the_claimed_words_and_cards_show_on_hover_and_focus(self):
        self.page.goto(f"{self.live_server_url}/sources/{self.report.pk}/provenance/")
        for claim in (self.outer, self.inner, self.overlap):
            self.assertEqual(self.marked_text(claim), claim.quote)
            self.assertEqual(self.offset_of(claim), claim.start)
        nested = self.page.locator(f'#text .highlighted-text mark[data-claims="{self.outer.pk} {self.inner.pk}"]')
        expect(nested).to_have_text("will reopen before the spring")
        expect(nested).to_have_class(re.compile(r"\boverlap\b"))
        box = nested.bounding_box()
        self.assertGreater(box["width"], 0)

        card = self.page.locator(f"#claim-card-{self.outer.pk}")
        expect(card).to_be_hidden()
        self.page.locator(f'#text .highlighted-text mark[data-claims="{self.outer.pk}"]').first.hover()
        expect(card).to_be_visible()
        expect(card).to_contain_text("Speaker: Edda Holm")
        expect(card).to_contain_text("Date: 2026-02-11")
        expect(card).to_contain_text("Corroborated by 1 source")
        self.page.screenshot(path=str(ARTIFACTS / "provenance-hover.png"))

        self.page.mouse.move(0, 0)
        expect(card).to_be_hidden()
        nested.focus()
        expect(card).to_be_visible()
        expect(self.page.locator(f"#claim-card-{self.inner.pk}")).to_be_visible()
        expect(self.page.locator(f"#claim-card-{self.overlap.pk}")).to_be_hidden()
        self.page.keyboard.press("Escape")
        expect(card).to_be_hidden()
        self.assertEqual(self.problems, [])
