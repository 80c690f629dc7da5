"""The API's docs page in a real browser: drawn from our own static files, under script-src 'self'.

Debian's chromium, driven by Playwright; the page is served under the strict Content Security Policy of
tests/browser.py, so an inline script would be refused and show up as a console error.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser import BrowserTestCase, give_role

pytestmark = pytest.mark.browser


class ApiDocsInTheBrowserTests(BrowserTestCase):
    strict_csp_urls = re.compile(r".*/api/docs/$")

    def setUp(self):
        vera = User.objects.create_user("vera", password="pw", is_staff=True)
        give_role(vera, "Viewer")
        self.log_in(vera)
        self.elsewhere = []
        here = urlsplit(self.live_server_url).netloc
        self.page.on(
            "request",
            lambda request: (
                urlsplit(request.url).scheme in {"http", "https"}
                and urlsplit(request.url).netloc != here
                and self.elsewhere.append(request.url)
            ),
        )

    def test_the_swagger_docs_show_the_claims_endpoints_and_ask_nothing_of_another_site(self):
        self.page.goto(f"{self.live_server_url}/api/docs/")
        expect(self.page.get_by_text("/api/claims/", exact=True).first).to_be_visible(timeout=15000)
        self.assertEqual(self.elsewhere, [])

    def test_the_schema_opens_in_the_browser_as_text_instead_of_downloading(self):
        # A text document has no icon of its own: the browser asks the site for /favicon.ico, which it has not.
        self.page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        response = self.page.goto(f"{self.live_server_url}/api/schema/")  # a download would raise here
        self.assertEqual(response.headers["content-type"], "text/plain; charset=utf-8")
        expect(self.page.locator("body")).to_contain_text("openapi: 3")
        expect(self.page.locator("body")).to_contain_text("/api/claims/")
