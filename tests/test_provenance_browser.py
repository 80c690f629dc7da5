"""The provenance page in a real browser: highlights drawn at the right words, cards on hover and focus.

Debian's chromium, driven by Playwright; the page is served under a strict Content Security Policy
(script-src 'self'), so an inline script would be refused and show up as a console error.
"""

import datetime
import os
import re
from importlib import import_module
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from playwright.sync_api import expect, sync_playwright

from claims.services import create_claim, link_claims
from sources.models import Agent
from sources.services import create_source

pytestmark = pytest.mark.browser

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'"

# Written for this test: an emoji (two UTF-16 units, one code point) before the claims checks the offsets.
QUAY_REPORT = (
    "Quay report 🌊 for the week\n"
    "The harbour master said the north pier “will reopen before the spring fleet arrives”, "
    "and the council agreed.\nRepairs are paid for by the port fund."
)


def viewer_role() -> Group:
    """The Viewer group as the roles migration defines it (a live-server test empties the tables)."""
    roles = import_module("claims.migrations.0002_roles")
    group, _ = Group.objects.get_or_create(name="Viewer")
    for code in roles.ROLES["Viewer"]:
        app_label, codename = code.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


class ProvenanceInTheBrowserTests(StaticLiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        # Playwright's sync API runs an event loop in this thread; the ORM calls here stay synchronous.
        # Set for this class only: a process started by another test (manage.py check --deploy) must not see it.
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
        vera = User.objects.create_user("vera", password="pw", is_staff=True)
        vera.groups.add(viewer_role())
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
        self.problems = []
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 800})
        self.client.force_login(vera)
        session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.live_server_url}]
        )
        self.page = self.context.new_page()
        self.page.route(re.compile(r".*/sources/\d+/provenance/"), self.with_strict_csp)
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def tearDown(self):
        self.context.close()

    @staticmethod
    def with_strict_csp(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

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
        expect(card).to_contain_text("Corroborated 1 time")
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
