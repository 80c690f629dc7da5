"""An admin import's Confirm imports its file once: a resubmitted confirm, an unknown file name or a forged
field goes back to the import page with a message, never a server error (one request at a time; the same
confirms posted at once are in tests/test_races_imports.py, on PostgreSQL)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.models import Link
from sources.models import Agent
from sources.services import save_agent
from tests.base import BaseTestCase

GONE = "This import has already been confirmed (or is being imported now), or its file is gone"


class AgentsConfirmTests(BaseTestCase):
    def setUp(self):
        self.client.force_login(self.bob)
        upload = SimpleUploadedFile("agents.csv", b"name,kind\nWire Agency,organisation\n", content_type="text/csv")
        data = {"format": "0", "resource": "0", "import_file": upload}
        self.confirm = self.client.post(reverse("admin:sources_agent_import"), data).context["confirm_form"].initial
        self.url = reverse("admin:sources_agent_process_import")

    def test_a_resubmitted_confirm_imports_nothing_more_and_says_so(self):
        self.assertEqual(self.client.post(self.url, self.confirm).status_code, 302)
        response = self.client.post(self.url, self.confirm, follow=True)
        self.assertEqual(response.redirect_chain, [(reverse("admin:sources_agent_import"), 302)])
        self.assertContains(response, GONE)
        self.assertEqual(Agent.objects.filter(name="Wire Agency").count(), 1)

    def test_an_unknown_or_climbing_file_name_goes_back_with_a_message(self):
        for name in ("claimtrail-import-nosuchfile00000", "../../../etc/passwd", "/etc/passwd", ""):
            with self.subTest(name):
                response = self.client.post(self.url, {**self.confirm, "import_file_name": name}, follow=True)
                self.assertEqual(response.status_code, 200)
                if name:
                    self.assertContains(response, GONE)
        self.assertFalse(Agent.objects.filter(name="Wire Agency").exists())

    def test_a_forged_format_or_resource_goes_back_with_a_message(self):
        for field, value in (("format", "9"), ("format", "x"), ("resource", "5"), ("resource", "-1")):
            with self.subTest(field=field, value=value):
                response = self.client.post(self.url, {**self.confirm, field: value}, follow=True)
                self.assertContains(response, f"The confirm form&#x27;s {field} is not one this page offers.")
        self.assertEqual(self.client.post(self.url, self.confirm).status_code, 302)
        self.assertEqual(Agent.objects.filter(name="Wire Agency").count(), 1)


class ConfirmAllOrNothingTests(BaseTestCase):
    def test_a_row_gone_bad_since_the_preview_imports_nothing_and_says_which(self):
        self.client.force_login(self.bob)
        text = b"name,kind,parent\nWire Agency,organisation,\nNight Desk,organisation,Harbour Times\n"
        data = {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("agents.csv", text)}
        confirm = self.client.post(reverse("admin:sources_agent_import"), data).context["confirm_form"].initial
        # Between the preview and the Confirm button, a teammate renames the parent the file names.
        self.harbour_press.name = "Harbour Times Group"
        save_agent(self.harbour_press, user=None)
        response = self.client.post(reverse("admin:sources_agent_process_import"), confirm, follow=True)
        self.assertContains(
            response, "Nothing was imported: since the preview, row 2: parent: No one is named “Harbour"
        )
        self.assertFalse(Agent.objects.filter(name__in=["Wire Agency", "Night Desk"]).exists())


class LinksConfirmTests(BaseTestCase):
    def test_a_resubmitted_links_confirm_imports_nothing_more_and_says_so(self):
        self.client.force_login(self.bob)
        text = f"claim_a,claim_b,relation\n{self.unacceptable.pk},{self.rejected.pk},contradicts\n".encode()
        data = {"import_file": SimpleUploadedFile("links.csv", text, content_type="text/csv")}
        preview = self.client.post(reverse("admin:claims_link_import"), data)
        confirm = preview.context["confirm_form"].initial
        url = reverse("admin:claims_link_process_import")
        self.assertEqual(self.client.post(url, confirm).status_code, 302)
        response = self.client.post(url, confirm, follow=True)
        self.assertEqual(response.redirect_chain, [(reverse("admin:claims_link_import"), 302)])
        self.assertContains(response, GONE)
        self.assertEqual(Link.objects.count(), 1)
