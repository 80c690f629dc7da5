"""A links export read back unchanged changes nothing; a note edited in the spreadsheet is updated by id."""

import csv
import io
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.exchange.importing import LINK_COLUMNS as COLUMNS
from claims.models import Link
from claims.services import create_claim, link_claims
from sources.services import create_source
from tests.base import BaseTestCase
from tests.test_csv_admin import upload


class LinksRoundTripTests(BaseTestCase):
    def setUp(self):
        self.link = link_claims(claim_a=self.unacceptable, claim_b=self.rejected, note="same remark")
        bare = create_source(title="Bare", text="The president called the sites unacceptable.")
        self.bare_link = link_claims(
            claim_a=self.unacceptable, claim_b=create_claim(source=bare, quote="called the sites unacceptable")
        )

    def exported(self) -> str:
        self.client.force_login(self.bob)
        form = {"format": "0", "resource": "0", **{f"linkresource_{name}": "on" for name in COLUMNS}}
        response = self.client.post(reverse("admin:claims_link_export"), form)
        self.assertEqual(response.status_code, 200)
        return response.content.decode("utf-8-sig")

    def import_links(self, text: str) -> str:
        path = Path(tempfile.mkdtemp()) / "links.csv"
        path.write_text(text)
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_links", str(path), stdout=out, stderr=err)
        except CommandError as error:
            raise CommandError(f"{error}\n{err.getvalue()}") from error
        return out.getvalue()

    def test_an_unchanged_export_reads_back_as_unchanged_rows(self):
        exported, history = self.exported(), Link.history.count()
        said = self.import_links(exported)
        self.assertIn("0 new, 0 updated, 2 unchanged", said)
        self.assertEqual(Link.history.count(), history)  # nothing rewritten
        self.assertEqual(Link.objects.count(), 2)
        self.assertEqual(Link.objects.get(pk=self.link.pk).note, "same remark")

    def test_the_admin_import_previews_an_unchanged_export_as_unchanged_rows(self):
        data = {"format": "0", "resource": "0", "import_file": upload(self.exported(), "links.csv")}
        report = self.client.post(reverse("admin:claims_link_import"), data).context["report"]
        self.assertEqual((report.problems, report.created, report.updated, report.unchanged), ([], 0, 0, 2))

    def test_a_note_edited_in_the_spreadsheet_is_updated_by_id(self):
        rows = list(csv.DictReader(io.StringIO(self.exported())))
        for row in rows:
            if row["id"] == str(self.link.pk):
                row["note"] = "same remark, two papers"
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        self.import_links(buffer.getvalue())
        self.assertEqual(Link.objects.get(pk=self.link.pk).note, "same remark, two papers")
        self.assertEqual(Link.objects.count(), 2)

    def test_an_id_that_names_no_link_is_refused_with_its_line(self):
        text = f"id,claim_a,claim_b,relation\n99999,{self.unacceptable.pk},{self.rejected.pk},corroborates\n"
        with self.assertRaisesMessage(CommandError, "line 2: id: No link has id 99999"):
            self.import_links(text)

    def test_the_export_says_how_each_claim_counts_the_other_source(self):
        rows = {row["id"]: row for row in csv.DictReader(io.StringIO(self.exported()))}
        self.assertTrue(rows[str(self.link.pk)]["voice_for_claim_a"].startswith("independent voice 1: "))
        self.assertTrue(rows[str(self.bare_link.pk)]["voice_for_claim_a"].startswith("unverified: "))
