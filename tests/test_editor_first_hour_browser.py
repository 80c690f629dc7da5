"""The annotate page where a first-time annotator stalled: broken claims, the `a` key, Esc, a duplicate's link."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.anchoring import reanchor_claims
from claims.models import Claim
from claims.services import create_claim
from sources.models import Source
from sources.services import create_source
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser

OLD_TEXT = (
    "The council met on Monday.\n"
    "The mayor said the ferry will run all winter.\n"
    "Fishermen asked about the harbour wall and the old slipway.\n"
)
NEW_TEXT = (
    "The council met on Monday evening.\n"
    "The mayor promised that ferries would keep sailing through the winter.\n"
    "Fishermen asked about the harbour wall and the old slipway.\n"
)

SELECT = """(phrase) => {
    const root = document.getElementById("source-text");
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    const at = nodes.map((n) => n.data).join("").indexOf(phrase);
    const point = (index) => {
        for (const node of nodes) {
            if (index <= node.data.length) return [node, index];
            index -= node.data.length;
        }
    };
    const range = document.createRange();
    range.setStart(...point(at));
    range.setEnd(...point(at + phrase.length));
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
}"""


class FirstHourInTheEditorTests(BrowserTestCase):
    viewport = {"width": 1280, "height": 720}
    strict_csp_urls = re.compile(r".*/admin/annotate/source/.*")
    expected_console_errors = ("status of 422",)

    def setUp(self):
        self.alice = User.objects.create_user("alice", password="pw", is_staff=True)
        give_role(self.alice, "Annotator")
        self.minutes = create_source(title="Council minutes", text=OLD_TEXT)
        self.ferry = create_claim(source=self.minutes, quote="the ferry will run all winter")
        self.wall = create_claim(source=self.minutes, quote=NEW_TEXT.splitlines()[2].rstrip("."))
        self.log_in(self.alice)

    def capture_new_text(self) -> None:
        """What a re-import does: the source gets its new text and its claims follow it (or break)."""
        Source.objects.filter(pk=self.minutes.pk).update(text=NEW_TEXT)
        self.minutes.refresh_from_db()
        reanchor_claims(source=self.minutes, old_text=OLD_TEXT)

    def open_annotate(self):
        self.page.goto(f"{self.live_server_url}/admin/annotate/source/{self.minutes.pk}/")
        expect(self.page.locator("#source-text")).to_be_visible()

    def test_a_broken_claim_is_listed_with_a_badge_and_not_highlighted_in_text_it_no_longer_matches(self):
        self.capture_new_text()
        self.assertEqual(Claim.objects.get(pk=self.ferry.pk).anchor_state, Claim.AnchorState.BROKEN)
        self.open_annotate()
        expect(self.page.locator(f'mark[data-claims~="{self.wall.pk}"]')).to_have_count(1)
        expect(self.page.locator(f'mark[data-claims~="{self.ferry.pk}"]')).to_have_count(0)
        broken = self.page.locator("#broken-claims")
        expect(broken.locator(f'li[data-claim="{self.ferry.pk}"]')).to_contain_text("the ferry will run all winter")
        expect(broken.locator(f'li[data-claim="{self.ferry.pk}"] .anchor-badge')).to_have_text("broken")
        self.page.screenshot(path=ARTIFACTS / "annotate-broken-claim.png")

    def test_a_broken_claim_is_re_anchored_by_selecting_its_words_and_one_click(self):
        self.capture_new_text()
        self.open_annotate()
        self.page.evaluate(SELECT, "ferries would keep sailing through the winter")
        self.page.locator(f'#broken-claims li[data-claim="{self.ferry.pk}"]').get_by_role(
            "button", name="Re-anchor to the selected words"
        ).click()
        expect(self.page.locator("#editor-status")).to_have_text(f"Claim #{self.ferry.pk} saved.")
        expect(self.page.locator(f'mark[data-claims~="{self.ferry.pk}"]')).to_have_text(
            "ferries would keep sailing through the winter"
        )
        expect(self.page.locator("#broken-claims li")).to_have_count(0)
        claim = Claim.objects.get(pk=self.ferry.pk)
        self.assertEqual(
            (claim.quote, claim.start, claim.anchor_state),
            ("ferries would keep sailing through the winter", NEW_TEXT.index("ferries"), Claim.AnchorState.HELD),
        )
        self.assertEqual(claim.version, self.ferry.version + 2)  # once by the breaking re-import, once by this save

    def test_the_a_key_with_nothing_selected_says_what_to_do(self):
        self.open_annotate()
        self.page.locator(".annotate-help").click()
        self.page.keyboard.press("a")
        status = self.page.locator("#editor-status")
        expect(status).to_have_text(re.compile(r"Nothing is selected.*select the words of a claim in the text"))
        expect(status).to_be_in_viewport()
        self.page.keyboard.press("a")  # a second press is seen too: the message is said again
        expect(status).to_have_class(re.compile("attention"))

    def test_escape_closes_the_new_claim_form(self):
        self.open_annotate()
        self.page.evaluate(SELECT, "The council met")
        self.page.keyboard.press("a")
        form = self.page.locator("#add-claim-form")
        expect(form).to_be_visible()
        self.page.keyboard.press("Escape")
        expect(form).to_be_hidden()

    def test_already_annotated_links_to_the_claim_that_holds_the_words(self):
        self.open_annotate()
        self.page.evaluate(SELECT, self.wall.quote)
        self.page.keyboard.press("a")
        form = self.page.locator("#add-claim-form")
        form.get_by_role("button", name="Save claim").click()
        form.get_by_role("link", name=f"claim #{self.wall.pk}").click()
        expect(self.page.locator("#claim-panel h2")).to_contain_text(f"Claim #{self.wall.pk}")
