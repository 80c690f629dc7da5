import tablib
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.exchange.columns import HEADER, claims_csv, csv_line
from claims.models import Claim, Link
from claims.services import create_claim
from sources.models import Agent
from tests.base import BaseTestCase


def export_form(*columns: str, format_index: int = 0) -> dict:
    return {"format": str(format_index), "resource": "0", **{f"claimresource_{name}": "on" for name in columns}}


def upload(text: str, name: str = "claims.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


class PermissionTests(BaseTestCase):
    def test_a_staff_user_without_import_permission_gets_403(self):
        for user in (self.vera, self.alice):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(reverse("admin:claims_claim_import")).status_code, 403)
                response = self.client.post(reverse("admin:claims_claim_process_import"), {})
                self.assertEqual(response.status_code, 403)

    def test_a_staff_user_without_export_permission_gets_403(self):
        reader = User.objects.create_user("reader", password="pw", is_staff=True)
        reader.user_permissions.add(Permission.objects.get(codename="view_claim"))
        self.client.force_login(reader)
        self.assertEqual(self.client.get(reverse("admin:claims_claim_changelist")).status_code, 200)
        self.assertEqual(self.client.get(reverse("admin:claims_claim_export")).status_code, 403)
        response = self.client.post(reverse("admin:claims_claim_export"), export_form(*HEADER))
        self.assertEqual(response.status_code, 403)

    def test_import_and_export_of_sources_people_and_links_are_permission_checked_too(self):
        self.client.force_login(self.vera)
        for name in ("sources_source", "sources_agent", "claims_link"):
            with self.subTest(name=name):
                self.assertEqual(self.client.get(reverse(f"admin:{name}_import")).status_code, 403)
                self.assertEqual(self.client.get(reverse(f"admin:{name}_export")).status_code, 200)

    def test_a_viewer_may_export(self):
        self.client.force_login(self.vera)
        response = self.client.post(reverse("admin:claims_claim_export"), export_form(*HEADER))
        self.assertEqual(response.status_code, 200)


class ExportTests(BaseTestCase):
    def test_the_csv_export_of_all_claims_streams_the_claims_csv(self):
        self.client.force_login(self.bob)
        response = self.client.post(reverse("admin:claims_claim_export"), export_form(*HEADER))
        self.assertTrue(response.streaming)
        self.assertEqual(response["Content-Type"], "text/csv")
        self.assertIn("attachment;", response["Content-Disposition"])
        self.assertEqual(b"".join(response.streaming_content), b"".join(claims_csv()))

    def test_the_export_of_a_filtered_changelist_holds_only_its_claims(self):
        other = create_claim(source=self.harbour, quote="the president said on 1 June")
        self.client.force_login(self.bob)
        url = reverse("admin:claims_claim_export") + f"?speaker__id__exact={self.putin.pk}"
        response = self.client.post(url, export_form(*HEADER))
        lines = b"".join(response.streaming_content).decode().splitlines()
        ids = sorted(line.split(",")[0] for line in lines[1:])
        self.assertEqual(ids, sorted([str(self.unacceptable.pk), str(self.rejected.pk)]))
        self.assertNotIn(str(other.pk), ids)

    def test_chosen_columns_are_exported_in_csv_order(self):
        self.client.force_login(self.bob)
        response = self.client.post(reverse("admin:claims_claim_export"), export_form("quote", "id", "speaker"))
        lines = b"".join(response.streaming_content).decode().splitlines()
        self.assertEqual(lines[0], "id,quote,speaker")

    def test_xlsx_and_json_exports_carry_the_same_columns(self):
        self.client.force_login(self.bob)
        response = self.client.post(reverse("admin:claims_claim_export"), export_form(*HEADER, format_index=2))
        rows = response.json()
        self.assertEqual(list(rows[0]), HEADER)
        self.assertEqual(rows[0]["quote"], Claim.objects.order_by("pk").first().quote)
        response = self.client.post(reverse("admin:claims_claim_export"), export_form(*HEADER, format_index=1))
        self.assertTrue(response.content.startswith(b"PK"))

    def test_sources_export_their_metadata_without_text(self):
        self.client.force_login(self.bob)
        fields = ["id", "title", "url", "publisher", "authors", "published_on"]
        data = {"format": "0", "resource": "0", **{f"sourceresource_{name}": "on" for name in fields}}
        response = self.client.post(reverse("admin:sources_source_export"), data)
        text = response.content.decode()
        self.assertIn("Ledger on missile defence", text)
        self.assertIn("2017-06-02", text)
        self.assertNotIn("absolutely unacceptable", text)


class ImportTests(BaseTestCase):
    def post_import(self, text: str):
        self.client.force_login(self.bob)
        data = {"format": "0", "resource": "0", "import_file": upload(text)}
        return self.client.post(reverse("admin:claims_claim_import"), data)

    def test_the_import_preview_lists_every_bad_row_and_writes_nothing(self):
        text = csv_line(["source_id", "quote"]) + "".join(
            csv_line([str(self.harbour.pk), quote])
            for quote in ["Moscow rejected", "not in the text", "any American", "nor this"]
        )
        response = self.post_import(text)
        self.assertContains(response, "Nothing was imported: 2 rows to correct")
        report = response.context["report"]
        self.assertEqual([problem.line for problem in report.problems], [3, 5])
        self.assertContains(response, "The quote does not occur in the source text.", count=2)
        self.assertNotIn("confirm_form", response.context)
        self.assertFalse(Claim.objects.filter(quote="Moscow rejected").exists())

    def test_a_clean_file_is_previewed_then_imported_with_history_and_new_speakers_reported(self):
        text = csv_line(["source_id", "quote", "speaker"]) + csv_line(
            [str(self.harbour.pk), "Moscow rejected", "Maria Zakharova"]
        )
        response = self.post_import(text)
        self.assertContains(response, "Preview")
        self.assertFalse(Claim.objects.filter(quote="Moscow rejected").exists(), "the preview is a dry run")
        confirm = response.context["confirm_form"]
        response = self.client.post(reverse("admin:claims_claim_process_import"), confirm.initial, follow=True)
        claim = Claim.objects.get(quote="Moscow rejected")
        self.assertEqual(claim.speaker, Agent.objects.get(name="Maria Zakharova"))
        self.assertEqual(claim.history.get().history_user, self.bob)
        self.assertContains(response, "Import finished: 1 new")
        self.assertContains(response, "New speakers created: Maria Zakharova.")

    def test_links_import_all_or_nothing_with_line_numbers(self):
        self.client.force_login(self.bob)
        text = csv_line(["claim_a", "claim_b", "relation", "note"]) + "".join(
            [
                csv_line([str(self.unacceptable.pk), str(self.rejected.pk), "corroborates", "same remark"]),
                csv_line([str(self.unacceptable.pk), "999999", "corroborates", ""]),
            ]
        )
        data = {"format": "0", "resource": "0", "import_file": upload(text, "links.csv")}
        response = self.client.post(reverse("admin:claims_link_import"), data)
        self.assertEqual([problem.line for problem in response.context["report"].problems], [3])
        self.assertContains(response, "No claim has id 999999.")
        self.assertFalse(Link.objects.exists())

    def test_an_xlsx_file_imports_and_reports_rows_by_their_sheet_row(self):
        sheet = tablib.Dataset(headers=["source_id", "quote"])
        sheet.append([self.harbour.pk, "Moscow rejected"])
        sheet.append([self.harbour.pk, "'=not in the text"])
        self.client.force_login(self.bob)
        xlsx = SimpleUploadedFile("claims.xlsx", sheet.export("xlsx"))
        response = self.client.post(reverse("admin:claims_claim_import"), {"format": "1", "import_file": xlsx})
        [problem] = response.context["report"].problems
        self.assertEqual(problem.line, 3)
        self.assertEqual(problem.errors["quote"], ["The quote does not occur in the source text."])
