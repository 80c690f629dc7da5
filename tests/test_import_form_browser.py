"""The claims import page in a real browser: the upload form under the preview is laid out as the admin's own
forms are (a label beside each field, its help under it), not as bare stacked inputs."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from sources.services import create_source
from tests.browser import ARTIFACTS, BrowserTestCase, give_role

pytestmark = pytest.mark.browser


class ImportFormInTheBrowserTests(BrowserTestCase):
    def setUp(self):
        self.source = create_source(title="Minutes", text="The pier reopens in March, the harbour master said.")
        bob = User.objects.create_user("bob", password="pw", is_staff=True)
        give_role(bob, "Reviewer")
        self.log_in(bob)

    def test_the_upload_form_under_the_preview_is_an_aligned_admin_form(self):
        self.page.goto(self.live_server_url + reverse("admin:claims_claim_import"))
        csv = f"source_id,quote\n{self.source.pk},the harbour master said\n"
        self.page.set_input_files(
            "input[type=file]", files=[{"name": "claims.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
        )
        self.page.get_by_role("button", name="Check the file").click()
        expect(self.page.get_by_text("Preview: nothing is written until you confirm")).to_be_visible()
        upload = self.page.locator("form[enctype='multipart/form-data']")
        # One column for the fields, as in the admin's change forms (its forms.css), whatever the label's length.
        starts = {
            round(upload.locator(f"#id_{name}").bounding_box()["x"]) for name in ("import_file", "sheet", "date_format")
        }
        self.assertEqual(len(starts), 1, starts)
        for name in ("import_file", "sheet", "date_format"):
            with self.subTest(field=name):
                row = upload.locator(f".form-row.field-{name}")
                expect(row).to_have_count(1)
                label, field = row.locator("label").first.bounding_box(), row.locator(f"#id_{name}").bounding_box()
                # Beside, not above: the admin's aligned label is a column of its own.
                self.assertLess(label["x"] + label["width"], field["x"] + 1)
                self.assertLess(abs(label["y"] - field["y"]), field["height"])
                expect(row.locator(".help")).to_be_visible()
        upload.scroll_into_view_if_needed()
        self.page.screenshot(path=str(ARTIFACTS / "import-preview-upload-form.png"), full_page=True)
        self.assertEqual(self.problems, [])
