"""Small things a newcomer trips over: `-o -`, counts in words, capitalised labels, the token add page."""

import io
import os
import sys
import tempfile
from unittest import mock

from django.core.management import call_command
from django.urls import reverse

from claims.exchange.columns import claims_csv
from claims.tagging import refresh_tag_names
from sources.importing import import_raw
from sources.models import Capture
from tests.base import BaseTestCase


class PolishTests(BaseTestCase):
    def test_export_claims_to_dash_writes_standard_output_not_a_file_named_dash(self):
        folder, cwd, out = tempfile.mkdtemp(), os.getcwd(), io.BytesIO()
        os.chdir(folder)
        try:
            with mock.patch.object(sys, "stdout", mock.Mock(buffer=out)):
                call_command("export_claims", "-o", "-")
        finally:
            os.chdir(cwd)
        self.assertFalse(os.path.exists(os.path.join(folder, "-")))
        self.assertEqual(out.getvalue(), b"".join(claims_csv()))

    def test_the_editor_labels_start_with_a_capital(self):
        self.client.force_login(self.alice)
        page = self.client.get(reverse("annotate:source", args=[self.ledger.pk])).content.decode()
        self.assertIn(">Claimed on:</label>", page)
        self.assertNotIn(">claimed on:</label>", page)

    def test_the_token_add_page_says_what_saving_does(self):
        self.client.force_login(self.alice)
        page = self.client.get(reverse("admin:authtoken_tokenproxy_add"))
        self.assertContains(page, "Save to create your API token.")


class HtmlLanguageTests(BaseTestCase):
    def test_an_html_page_stating_its_language_gets_it(self):
        page = (
            '<!DOCTYPE html><html lang="en-GB"><head><title>Harbour talks</title></head><body><article>'
            "<h1>Harbour talks</h1><p>Negotiators left the table on Tuesday without an agreement on the fishing "
            "grounds, ending a week of talks that both delegations had described as the last chance.</p>"
            "<p>The vote is set for Friday, the mayor said, and the council will meet again next week.</p>"
            "</article></body></html>"
        )
        source = import_raw(
            data=page.encode(), file_name="talks.html", method=Capture.Method.HTML, imported_by="t"
        ).source
        self.assertEqual(source.language, "en-GB")


class DeleteConfirmationTests(BaseTestCase):
    def test_deleting_a_tagged_claim_lists_no_tag_join_rows(self):
        from claims.models import Claim, Tag

        Claim.objects.get(pk=self.unacceptable.pk).tags.add(Tag.objects.create(name="bases"))
        refresh_tag_names([self.unacceptable.pk])
        self.client.force_login(self.root)
        page = self.client.get(reverse("admin:claims_claim_delete", args=[self.unacceptable.pk]))
        self.assertContains(page, "Are you sure")
        self.assertNotContains(page, "Claim_tags object")


class SkippedRecordsTests(BaseTestCase):
    def test_one_skipped_record_is_said_in_the_singular(self):
        from sources.archives.imports import ArchiveImport

        report = ArchiveImport()
        report.skipped["HTTP 404"] = 1
        self.assertEqual(
            report.skipped_line("a.warc.gz"), "skipped 1 record of a.warc.gz that is not a page: 1 HTTP 404"
        )
