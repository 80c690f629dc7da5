"""Deciding a likely duplicate in a real browser, from the claim page whose count depends on it: the buttons are
styled, a merge asks once more, and the claim page shows the new count."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.services import create_claim, link_claims
from sources.models import Agent
from sources.services import create_source
from tests.base import LEDGER_TEXT
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser

REPORT = "The minister said the survey trip to the islands was a big step."


class DecideADuplicateInTheBrowserTests(BrowserTestCase):
    strict_csp_urls = re.compile(r".*/admin/sources/agent/duplicates/.*")

    def setUp(self):
        reviewer = User.objects.create_user("bob", password="pw", is_staff=True)
        give_role(reviewer, "Reviewer")
        ledger = create_source(title="Ledger", text=LEDGER_TEXT, url="https://ledger.example.net/a")
        self.claim = create_claim(source=ledger, quote="absolutely unacceptable")
        for name, url in [
            ("Eastern Review", "https://easternreview.com/a"),
            ("Eastern Asia", "https://easternasia.org/b"),
        ]:
            publisher = Agent.objects.create(name=name, kind=Agent.Kind.ORGANISATION)
            source = create_source(title=f"{name} story", text=REPORT, publisher=publisher, url=url)
            link_claims(claim_a=create_claim(source=source, quote=REPORT[:40]), claim_b=self.claim)
        self.log_in(reviewer)

    def test_a_reviewer_decides_from_the_claim_page_confirms_and_sees_the_recount(self):
        self.page.goto(f"{self.live_server_url}/claims/{self.claim.pk}/")
        note = self.page.locator(".undecided-duplicate")
        expect(note).to_contain_text("2 independent voices, 1 if Eastern Review is Eastern Asia")
        note.get_by_role("link", name="Decide on Likely duplicates").click()

        keep = self.page.get_by_role("button", name="Keep Eastern Asia")
        expect(keep).to_be_visible()
        background = keep.evaluate("node => getComputedStyle(node).backgroundColor")
        self.assertNotIn(background, ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)", "rgb(240, 240, 240)"))
        self.page.screenshot(path=str(ARTIFACTS / "likely-duplicates.png"))
        keep.click()

        expect(self.page.locator("h1")).to_contain_text("Merge Eastern Review into Eastern Asia?")
        self.assertEqual(Agent.objects.filter(name__startswith="Eastern").count(), 2)
        self.page.get_by_role("button", name="Yes, merge into Eastern Asia").click()

        expect(self.page).to_have_url(f"{self.live_server_url}/claims/{self.claim.pk}/")
        expect(self.page.locator(".claim-source-counts")).to_contain_text("Independent voices1")
        expect(self.page.locator(".undecided-duplicate")).to_have_count(0)
        self.assertEqual(Agent.objects.filter(name__startswith="Eastern").count(), 1)
