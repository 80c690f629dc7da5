"""An annotator's first hour, in a real browser: the claim list on a laptop screen, the ways into the annotate
page, and the date typed as a month."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.models import Claim
from claims.services import create_claim, link_claims
from sources.dates import Precision
from sources.models import Agent
from sources.services import create_source
from tests import test_editor_browser
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser

# Written for these tests: headlines and quotes as long as real ones.
STORIES = [
    (
        "Northern Ledger",
        "Regional leaders meet on the islands as talks on joint economic activity resume after a long pause",
        "Mayor Ana Ruiz",
        "The ferry between the two harbours will run twice a week from the spring, and the fares will not rise "
        "for residents of either island this year or next.",
    ),
    (
        "Harbour Times",
        "Ferry service to run twice weekly from spring, council confirms after months of negotiation",
        "Mayor Ana Ruiz",
        "the ferry between the two harbours will run twice a week from the spring, the council confirmed on Monday",
    ),
    (
        "Coastal Weekly",
        "Fishermen doubt the new timetable will survive the first winter storms on the strait",
        "Joon Park",
        "Nobody who has fished the strait in January believes a twice-weekly crossing can keep its timetable.",
    ),
    (
        "The Island Gazette",
        "Council approves harbour repairs and a new pier for the northern settlement",
        "",
        "Repairs to the northern pier will cost less than the council first estimated, according to its own report.",
    ),
]


class ClaimListOnALaptopTests(BrowserTestCase):
    viewport = {"width": 1366, "height": 768}

    def setUp(self):
        self.bob = User.objects.create_user("bob", password="pw", is_staff=True)
        give_role(self.bob, "Reviewer")
        claims = []
        for n, (publisher, title, speaker, quote) in enumerate(STORIES):
            source = create_source(
                title=title,
                text=f"{title}.\n\n{quote}\n",
                publisher=Agent.objects.create(name=publisher, kind=Agent.Kind.ORGANISATION),
                published_on=datetime.date(2017, 6, 1 + n),
            )
            claims.append(
                create_claim(
                    source=source,
                    quote=quote,
                    speaker=Agent.objects.get_or_create(name=speaker)[0] if speaker else None,
                    claimed_on=datetime.date(2017, 6, 1),
                    claimed_on_precision=Precision.MONTH,
                )
            )
        link_claims(claim_a=claims[0], claim_b=claims[1])
        link_claims(claim_a=claims[0], claim_b=claims[2], relation="contradicts")
        self.claims = claims
        self.log_in(self.bob)

    def test_the_counts_are_on_screen_and_the_quote_takes_three_lines_at_most(self):
        self.page.goto(f"{self.live_server_url}/admin/claims/claim/")
        table = self.page.locator("#result_list")
        expect(table).to_be_visible()
        self.page.screenshot(path=str(ARTIFACTS / "claim-list-1366.png"), full_page=True)

        sideways = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        self.assertLessEqual(sideways, 0, "the page scrolls sideways")
        # The table sits in a box that scrolls sideways by itself when the table is too wide for it.
        hidden = self.page.evaluate(
            "(() => { const r = document.querySelector('.results'); return r.scrollWidth - r.clientWidth; })()"
        )
        self.assertLessEqual(hidden, 0, "the table scrolls sideways")
        visible = self.page.locator(".results").bounding_box()
        for name in ("corroborating", "independent", "unverified", "contradicting"):
            box = table.locator("thead th", has_text=re.compile(name, re.IGNORECASE)).bounding_box()
            self.assertIsNotNone(box, name)
            self.assertLessEqual(box["x"] + box["width"], visible["x"] + visible["width"], f"{name} is off-screen")

        spilling = table.evaluate(
            """(t) => [...t.querySelectorAll("tbody td, tbody th")]
                .filter((cell) => cell.scrollWidth > cell.clientWidth + 1)
                .map((cell) => cell.className + ": " + cell.innerText)"""
        )
        self.assertEqual(spilling, [], "text runs out of its cell over the next one")
        for cell in table.locator(".field-excerpt").all():
            lines = cell.evaluate(
                """(td) => {
                    const range = document.createRange();
                    range.selectNodeContents(td);
                    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                    return tops.size;
                }"""
            )
            self.assertLessEqual(lines, 3, cell.inner_text())
            # Wide enough for the 80 characters of an excerpt in three lines.
            self.assertGreaterEqual(cell.bounding_box()["width"], 180, "the quote is squeezed")


class WaysIntoTheAnnotatePageTests(BrowserTestCase):
    viewport = {"width": 1366, "height": 768}

    def setUp(self):
        self.alice = User.objects.create_user("alice", password="pw", is_staff=True)
        give_role(self.alice, "Annotator")
        publisher, title, speaker, quote = STORIES[0]
        self.source = create_source(title=title, text=f"{title}.\n\n{quote}\n")
        self.claim = create_claim(source=self.source, quote=quote)
        self.log_in(self.alice)

    def assert_on_the_annotate_page_with_the_claim_open(self) -> None:
        expect(self.page).to_have_url(re.compile(rf"/admin/annotate/source/{self.source.pk}/\?claim={self.claim.pk}$"))
        expect(self.page.locator("#claim-panel")).to_contain_text(f"Claim #{self.claim.pk}")

    def test_from_the_claim_list(self):
        self.page.goto(f"{self.live_server_url}/admin/claims/claim/")
        self.page.locator("#result_list").get_by_role("link", name="annotate").click()
        self.assert_on_the_annotate_page_with_the_claim_open()

    def test_from_the_claims_admin_page(self):
        self.page.goto(f"{self.live_server_url}/admin/claims/claim/{self.claim.pk}/change/")
        self.page.locator(".object-tools").get_by_role("link", name="Annotate").click()
        self.assert_on_the_annotate_page_with_the_claim_open()

    def test_from_the_claim_page(self):
        self.page.goto(f"{self.live_server_url}/claims/{self.claim.pk}/")
        self.page.get_by_role("link", name="Open in the annotate page").click()
        self.assert_on_the_annotate_page_with_the_claim_open()


class DateInTheEditorTests(BrowserTestCase):
    viewport = {"width": 1280, "height": 720}
    expected_console_errors = ("status of 422",)

    def setUp(self):
        self.alice = User.objects.create_user("alice", password="pw", is_staff=True)
        give_role(self.alice, "Annotator")
        self.source = create_source(
            title="Monthly bulletin",
            text="The harbour master said the pier is safe.\nRepairs start in May.",
            published_on=datetime.date(2017, 6, 1),
            published_on_precision=Precision.MONTH,
        )
        self.log_in(self.alice)

    def open_the_add_form(self, phrase: str):
        self.page.goto(f"{self.live_server_url}/admin/annotate/source/{self.source.pk}/")
        expect(self.page.locator("#source-text")).to_be_visible()
        test_editor_browser.AnnotateInTheBrowserTests.select_by_script(self, phrase)
        self.page.keyboard.press("a")
        form = self.page.locator("#add-claim-form")
        expect(form).to_be_visible()
        return form

    def test_a_new_claim_starts_at_the_sources_month_and_takes_a_year_typed_in_one_box(self):
        form = self.open_the_add_form("the pier is safe")
        date = form.locator("input[name=claimed_on]")
        expect(date).to_have_value("2017-06")
        self.assertEqual(date.get_attribute("type"), "text")
        expect(form.locator("[name=claimed_on_precision]")).to_have_count(0)
        date.fill("2016")
        form.get_by_role("button", name="Save claim").click()
        expect(self.page.locator("#editor-status")).to_have_text(re.compile(r"Claim #\d+ saved"))

        claim = Claim.objects.get(source=self.source)
        self.assertEqual((claim.claimed_on_iso, claim.kind), ("2016", Claim.Kind.AUTHOR_ASSERTION))
        expect(self.page.locator("#claim-panel input[name=claimed_on]")).to_have_value("2016")

    def test_a_date_that_is_not_one_is_refused_on_its_field(self):
        form = self.open_the_add_form("Repairs start in May")
        form.locator("input[name=claimed_on]").fill("May 2017")
        form.get_by_role("button", name="Save claim").click()
        expect(self.page.locator("#add-claim-form .field-claimed_on")).to_contain_text("is not a date as YYYY")
        self.assertFalse(Claim.objects.exists())
