"""The provenance page of a source captured twice: what changed between the captures, and what the claims did."""

import re
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.services import create_claim
from sources.importing import import_file
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser

FIRST = (
    "Ferry timetable changes\n\n"
    "The ferry company said the winter timetable starts on 1 November.\n\n"
    "Fares stay the same for islanders, the company added.\n\n"
    "The mayor said the ferry will run all winter.\n"
)
SECOND = (
    "Ferry timetable changes\n\n"
    "Updated: the company corrected the date.\n\n"
    "The ferry company said the winter timetable starts on 1 November.\n\n"
    "Fares stay the same for islanders, the company added.\n\n"
    "The mayor promised ferries through the winter.\n"
)


class TwoCapturesInTheBrowserTests(BrowserTestCase):
    strict_csp_urls = re.compile(r".*/sources/\d+/provenance/")

    def setUp(self):
        vera = User.objects.create_user("vera", password="pw", is_staff=True)
        give_role(vera, "Viewer")
        folder = Path(tempfile.mkdtemp())
        path = folder / "ferry.txt"
        path.write_text(FIRST, encoding="utf-8")
        self.source = import_file(path=path, imported_by="archivist").source
        self.fares = create_claim(source=self.source, quote="Fares stay the same for islanders")
        self.winter = create_claim(source=self.source, quote="The mayor said the ferry will run all winter")
        self.title = create_claim(source=self.source, quote="Ferry timetable changes")
        path.write_text(SECOND, encoding="utf-8")
        import_file(path=path, imported_by="archivist")
        self.log_in(vera)

    def test_the_page_shows_what_changed_between_the_captures_and_which_claims_held_moved_or_broke(self):
        self.page.goto(f"{self.live_server_url}/sources/{self.source.pk}/provenance/")
        changes = self.page.locator(".capture-changes")
        expect(changes).to_have_count(1)  # the first capture has nothing before it
        expect(changes.locator(".diff-added")).to_contain_text(["Updated: the company corrected the date."])
        expect(changes.locator(".diff-removed")).to_contain_text(["The mayor said the ferry will run all winter."])
        expect(changes.locator(".anchor-summary")).to_have_text("Claims: 1 held, 1 moved, 1 broke.")
        expect(changes.locator("li.anchor-held")).to_contain_text(f"claim {self.title.pk}")
        expect(changes.locator("li.anchor-moved")).to_contain_text(f"claim {self.fares.pk}")
        expect(changes.locator("li.anchor-broken")).to_contain_text(f"claim {self.winter.pk}")
        changes.scroll_into_view_if_needed()
        self.page.screenshot(path=ARTIFACTS / "provenance-two-captures.png", full_page=True)
