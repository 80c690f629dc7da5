"""Suggested links in a real browser: one click on the claim's admin page links or dismisses a suggestion.

Debian's chromium, driven by Playwright. The buttons submit the admin's own form (with its CSRF token)
to the suggestion URL through `formaction`, so no script is involved.
"""

import datetime
import os
from importlib import import_module
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from playwright.sync_api import expect, sync_playwright

from claims.models import Corroboration, DismissedSuggestion
from claims.services import create_claim
from sources.models import Agent
from sources.services import create_source

pytestmark = pytest.mark.browser

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
VISIT_TEXT = "Putin said in December 2016, during the Tokyo visit, that joint projects on the islands could begin."
ECHO_TEXT = "Joint projects on the islands could begin, Putin told reporters at the Tokyo visit in December 2016."
THIRD_TEXT = "At the Tokyo visit in December 2016 Putin spoke of projects on the islands."


def annotator_role() -> Group:
    """The Annotator group as the roles migration defines it (a live-server test empties the tables)."""
    roles = import_module("claims.migrations.0002_roles")
    group, _ = Group.objects.get_or_create(name="Annotator")
    for code in roles.ROLES["Annotator"]:
        app_label, codename = code.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


class SuggestionsInTheBrowserTests(StaticLiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        # Playwright's sync API runs an event loop in this thread; the ORM calls here stay synchronous.
        cls.async_unsafe = mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"})
        cls.async_unsafe.start()
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        ARTIFACTS.mkdir(exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        cls.async_unsafe.stop()

    def setUp(self):
        alice = User.objects.create_user("alice", password="pw", is_staff=True)
        alice.groups.add(annotator_role())
        putin = Agent.objects.create(name="Vladimir Putin")
        day = datetime.date(2016, 12, 16)
        self.visit = create_claim(
            source=create_source(title="Visit report", text=VISIT_TEXT), quote=VISIT_TEXT, speaker=putin, claimed_on=day
        )
        self.echo = create_claim(
            source=create_source(title="Echo report", text=ECHO_TEXT), quote=ECHO_TEXT, speaker=putin, claimed_on=day
        )
        self.third = create_claim(source=create_source(title="Third report", text=THIRD_TEXT), quote=THIRD_TEXT)
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.client.force_login(alice)
        session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.live_server_url}]
        )
        self.page = self.context.new_page()

    def tearDown(self):
        self.context.close()

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
        link = Corroboration.objects.get(claim_a=self.visit, claim_b=self.echo)
        self.assertEqual(link.relation, Corroboration.Relation.CORROBORATES)
        expect(self.suggestion(self.echo)).to_have_count(0)

    def test_one_click_dismisses_a_suggestion_and_it_stays_away(self):
        self.open_claim()
        self.suggestion(self.third).get_by_role("button", name="Dismiss").click()
        expect(self.page.locator(".messagelist")).to_contain_text(f"Claim {self.third.pk} dismissed.")
        self.assertTrue(DismissedSuggestion.objects.filter(claim=self.visit, suggested=self.third).exists())
        self.open_claim()
        expect(self.suggestion(self.third)).to_have_count(0)
        expect(self.suggestion(self.echo)).to_have_count(1)
