"""The admin's export pages in a real browser, under the real Content-Security-Policy (script-src 'self'):
"Select all" clears and ticks every column, with no inline handler for the policy to refuse."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.browser import BrowserTestCase, give_role

pytestmark = pytest.mark.browser


class ExportSelectAllTests(BrowserTestCase):
    strict_csp_urls = re.compile(r".*/export/$")

    def setUp(self):
        vera = User.objects.create_user("vera", password="pw", is_staff=True)
        give_role(vera, "Viewer")
        self.log_in(vera)

    def test_select_all_clears_and_ticks_every_column_on_each_export_page(self):
        for name in ("admin:claims_claim_export", "admin:claims_link_export", "admin:sources_source_export"):
            with self.subTest(page=name):
                self.page.goto(f"{self.live_server_url}{reverse(name)}")
                columns = self.page.locator('.selectable-field-export-row input[type="checkbox"]:visible')
                self.assertGreater(columns.count(), 2)
                toggle = self.page.locator("input.select-toggle")
                toggle.uncheck()
                self.assertEqual(columns.evaluate_all("boxes => boxes.filter(b => b.checked).length"), 0)
                toggle.check()
                self.assertEqual(
                    columns.evaluate_all("boxes => boxes.filter(b => !b.checked).length"), 0, "all ticked again"
                )
        self.assertEqual(self.problems, [])
