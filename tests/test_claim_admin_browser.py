"""The claim's admin page in a real browser: suggestion buttons do not throw away unsaved edits unasked."""

import datetime

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.models import Claim, DismissedSuggestion
from claims.services import create_claim, dismiss_suggestion
from sources.models import Agent
from sources.services import create_source
from tests.browser import BrowserTestCase, give_role

pytestmark = pytest.mark.browser

VISIT_TEXT = "Putin said in December 2016, during the Tokyo visit, that joint projects on the islands could begin."
ECHO_TEXT = "Joint projects on the islands could begin, Putin told reporters at the Tokyo visit in December 2016."
THIRD_TEXT = "At the Tokyo visit in December 2016 Putin spoke of projects on the islands."


class UnsavedEditsOnTheClaimPageTests(BrowserTestCase):
    viewport = {"width": 1280, "height": 900}

    def setUp(self):
        self.alice = User.objects.create_user("alice", password="pw", is_staff=True)
        give_role(self.alice, "Annotator")
        putin = Agent.objects.create(name="Vladimir Putin")
        day = datetime.date(2016, 12, 16)
        self.visit = create_claim(
            source=create_source(title="Visit report", text=VISIT_TEXT), quote=VISIT_TEXT, speaker=putin, claimed_on=day
        )
        self.echo = create_claim(
            source=create_source(title="Echo report", text=ECHO_TEXT), quote=ECHO_TEXT, speaker=putin, claimed_on=day
        )
        self.third = create_claim(source=create_source(title="Third report", text=THIRD_TEXT), quote=THIRD_TEXT)
        self.log_in(self.alice)
        self.dialogs = []

    def open_claim(self):
        self.page.goto(f"{self.live_server_url}/admin/claims/claim/{self.visit.pk}/change/")
        self.page.wait_for_load_state("load")

    def answer_dialogs(self, accept: bool) -> None:
        def answer(dialog):
            self.dialogs.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        self.page.on("dialog", answer)

    def test_dismissing_with_unsaved_edits_asks_first_and_cancel_keeps_them(self):
        self.answer_dialogs(accept=False)
        self.open_claim()
        self.page.locator("textarea[name=statement]").fill("Joint projects could begin")
        self.page.locator(f'li.suggestion[data-claim="{self.third.pk}"]').get_by_role("button", name="Dismiss").click()
        expect(self.page.locator("textarea[name=statement]")).to_have_value("Joint projects could begin")
        self.assertEqual(len(self.dialogs), 1)
        self.assertIn("unsaved changes", self.dialogs[0])
        self.assertFalse(DismissedSuggestion.objects.exists())

    def test_linking_with_unsaved_edits_goes_on_when_the_user_agrees(self):
        self.answer_dialogs(accept=True)
        self.open_claim()
        self.page.locator("textarea[name=statement]").fill("Joint projects could begin")
        suggestion = self.page.locator(f'li.suggestion[data-claim="{self.echo.pk}"]')
        suggestion.get_by_role("button", name="Link: corroborates").click()
        expect(self.page.locator(".messagelist")).to_contain_text(f"Claim {self.echo.pk} linked as corroborating.")
        self.assertEqual(len(self.dialogs), 1)
        self.assertEqual(Claim.objects.get(pk=self.visit.pk).statement, "")

    def test_without_edits_a_suggestion_button_acts_at_once(self):
        self.answer_dialogs(accept=False)
        self.open_claim()
        self.page.locator(f'li.suggestion[data-claim="{self.third.pk}"]').get_by_role("button", name="Dismiss").click()
        expect(self.page.locator(".messagelist")).to_contain_text(f"Claim {self.third.pk} dismissed.")
        self.assertEqual(self.dialogs, [])

    def test_a_dismissal_is_undone_from_the_claims_page(self):
        dismiss_suggestion(claim=self.visit, suggested=self.third, dismissed_by=self.alice)
        self.open_claim()
        expect(self.page.locator(f'li.suggestion[data-claim="{self.third.pk}"]')).to_have_count(0)
        dismissed = self.page.locator(f'#dismissed-suggestions li[data-dismissed="{self.third.pk}"]')
        dismissed.get_by_role("button", name="Undo dismissal").click()
        expect(self.page.locator(".messagelist")).to_contain_text(f"Claim {self.third.pk} is no longer dismissed.")
        expect(self.page.locator(f'li.suggestion[data-claim="{self.third.pk}"]')).to_have_count(1)
        self.assertFalse(DismissedSuggestion.objects.exists())
