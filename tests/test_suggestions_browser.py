"""Suggested links in a real browser: one click on the claim's admin page links or dismisses a suggestion.

Debian's chromium, driven by Playwright. The buttons submit the admin's own form (with its CSRF token)
to the suggestion URL through `formaction`, so no script is involved.
"""

import datetime

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.models import DismissedSuggestion, Link
from claims.services import create_claim
from sources.models import Agent
from sources.services import create_source
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser

VISIT_TEXT = "Putin said in December 2016, during the Tokyo visit, that joint projects on the islands could begin."
ECHO_TEXT = "Joint projects on the islands could begin, Putin told reporters at the Tokyo visit in December 2016."
THIRD_TEXT = "At the Tokyo visit in December 2016 Putin spoke of projects on the islands."


class SuggestionsInTheBrowserTests(BrowserTestCase):
    viewport = {"width": 1280, "height": 900}

    def setUp(self):
        alice = User.objects.create_user("alice", password="pw", is_staff=True)
        give_role(alice, "Annotator")
        putin = Agent.objects.create(name="Vladimir Putin")
        day = datetime.date(2016, 12, 16)
        self.visit = create_claim(
            source=create_source(title="Visit report", text=VISIT_TEXT), quote=VISIT_TEXT, speaker=putin, claimed_on=day
        )
        self.echo = create_claim(
            source=create_source(title="Echo report", text=ECHO_TEXT), quote=ECHO_TEXT, speaker=putin, claimed_on=day
        )
        self.third = create_claim(source=create_source(title="Third report", text=THIRD_TEXT), quote=THIRD_TEXT)
        self.log_in(alice)

    def open_claim(self):
        self.page.goto(f"{self.live_server_url}/admin/claims/claim/{self.visit.pk}/change/")

    def suggestion(self, claim):
        return self.page.locator(f'#suggested-links li.suggestion[data-claim="{claim.pk}"]')

    def test_one_click_links_a_suggestion_as_corroborating(self):
        self.open_claim()
        expect(self.suggestion(self.echo)).to_contain_text("Why: same speaker; both mention December 2016")
        self.page.screenshot(path=str(ARTIFACTS / "suggestions-admin.png"), full_page=True)
        self.suggestion(self.echo).get_by_role("button", name="Link: corroborates").click()
        expect(self.page.locator(".messagelist")).to_contain_text(f"Claim {self.echo.pk} linked as corroborating.")
        link = Link.objects.get(claim_a=self.visit, claim_b=self.echo)
        self.assertEqual(link.relation, Link.Relation.CORROBORATES)
        expect(self.suggestion(self.echo)).to_have_count(0)

    def test_one_click_dismisses_a_suggestion_and_it_stays_away(self):
        self.open_claim()
        self.suggestion(self.third).get_by_role("button", name="Dismiss").click()
        expect(self.page.locator(".messagelist")).to_contain_text(f"Claim {self.third.pk} dismissed.")
        self.assertTrue(DismissedSuggestion.objects.filter(claim=self.visit, suggested=self.third).exists())
        self.open_claim()
        expect(self.suggestion(self.third)).to_have_count(0)
        expect(self.suggestion(self.echo)).to_have_count(1)
