"""Hostile and careless files: every problem is a row error with its line, nothing is written, nothing crashes."""

import io
import tempfile
from pathlib import Path

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from claims.exchange.columns import HEADER, claims_csv, csv_line
from claims.models import Claim, Link, Tag
from claims.services import create_claim
from sources.models import Agent, Source
from tests.base import BaseTestCase


def rows_text(header: list[str], *rows: list[str]) -> str:
    return csv_line(header) + "".join(csv_line(row) for row in rows)


class HostileFileTests(BaseTestCase):
    """Each file goes through import_claims or import_links; the command fails with the lines, writes nothing."""

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.claims_before = list(Claim.objects.order_by("pk").values())
        self.links_before = Link.objects.count()

    def run_import(self, data: bytes | str, command: str = "import_claims", *options: str) -> str:
        """The command's stderr, after asserting that it failed and wrote nothing."""
        path = self.folder / "file.csv"
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        err = io.StringIO()
        with self.assertRaises(CommandError):
            call_command(command, str(path), *options, stdout=io.StringIO(), stderr=err)
        self.assertEqual(list(Claim.objects.order_by("pk").values()), self.claims_before)
        self.assertEqual(Link.objects.count(), self.links_before)
        return err.getvalue()

    def new_claim_rows(self, *quotes: str) -> list[list[str]]:
        return [[str(self.harbour.pk), quote] for quote in quotes]

    def test_a_nul_byte_in_a_cell_is_a_row_error(self):
        text = rows_text(["source_id", "quote", "statement"], [str(self.harbour.pk), "Moscow rejected", "a\x00b"])
        self.assertIn("line 2: statement: the cell holds a NUL character.", self.run_import(text))

    def test_a_tag_longer_than_100_characters_is_a_row_error(self):
        text = rows_text(["source_id", "quote", "tags"], [str(self.harbour.pk), "Moscow rejected", "t" * 101])
        err = self.run_import(text)
        self.assertIn("line 2: tags:", err)
        self.assertIn("at most 100 characters", err)

    def test_a_superscript_digit_as_a_link_claim_is_a_row_error(self):
        text = rows_text(["claim_a", "claim_b"], [str(self.unacceptable.pk), "²"])
        self.assertIn("line 2: claim_b: “²” is not a whole number.", self.run_import(text, "import_links"))

    def test_latin1_bytes_are_a_row_error_on_their_line(self):
        text = rows_text(["source_id", "quote", "statement"], *[[str(self.harbour.pk), "Moscow rejected", "x"]])
        data = text.encode() + f"{self.harbour.pk},the president said,caf\xe9\n".encode("latin-1")
        err = self.run_import(data)
        position = len(f"{self.harbour.pk},the president said,caf") + 1
        self.assertIn(f"line 3: Byte {position} (0xE9) is not UTF-8", err)

    def test_a_cell_over_the_limit_is_a_row_error(self):
        text = rows_text(["source_id", "quote", "statement"], [str(self.harbour.pk), "Moscow rejected", "x" * 140_000])
        self.assertIn("line 2: A cell is longer than 131,072 characters", self.run_import(text))

    def test_an_unbalanced_quote_is_reported_where_the_cell_starts(self):
        text = rows_text(["source_id", "quote"], *self.new_claim_rows("Moscow rejected"))
        text += f'{self.harbour.pk},"the president said\n' + "".join(
            csv_line(row) for row in self.new_claim_rows("any American", "the Kurils")
        )
        err = self.run_import(text)
        self.assertIn('line 3: A cell opened with " on this line is never closed', err)

    def test_a_quote_closed_too_early_is_reported(self):
        text = f'source_id,quote\n{self.harbour.pk},"Moscow" rejected\n'
        self.assertIn('line 2: A quoted cell on this line goes on after its closing "', self.run_import(text))

    def test_a_repeated_column_is_refused(self):
        text = rows_text(["source_id", "quote", "statement", "statement"], [str(self.harbour.pk), "Moscow", "a", "b"])
        err = self.run_import(text)
        self.assertIn("The column “statement” appears twice; keep one.", err)

    def test_unknown_misspelt_and_wrong_case_columns_are_refused_naming_the_known_ones(self):
        text = rows_text(["source_id", "quote", "statment", "Status"], [str(self.harbour.pk), "Moscow", "a", "draft"])
        err = self.run_import(text)
        self.assertIn("“statment” is not a column we know.", err)
        self.assertIn("“Status” is not a column we know (did you mean “status”?).", err)
        self.assertIn("The columns are: " + ", ".join(HEADER) + ".", err)

    def test_a_row_with_more_cells_than_the_header_is_refused(self):
        text = "source_id,quote\n" + csv_line([str(self.harbour.pk), "Moscow rejected", "stray"])
        self.assertIn("line 2: The row has 3 cells and the header 2 columns.", self.run_import(text))

    def test_source_id_and_source_url_naming_different_sources_is_a_row_error(self):
        text = rows_text(
            ["source_id", "source_url", "quote"],
            [str(self.harbour.pk), "https://example.org/ledger", "Moscow rejected"],
        )
        self.assertIn("line 2: source_url: Source", self.run_import(text))

    def test_links_get_the_same_header_check(self):
        text = rows_text(["claim_a", "claim_b", "relaton"], [str(self.unacceptable.pk), str(self.rejected.pk), ""])
        self.assertIn("“relaton” is not a column we know", self.run_import(text, "import_links"))

    def test_an_xlsx_given_to_a_wrong_sheet_name_is_refused_with_the_sheets(self):
        import tablib

        book = tablib.Dataset(headers=["source_id", "quote"], title="Claims")
        book.append([self.harbour.pk, "Moscow rejected"])
        err = self.run_import(book.export("xlsx"), "import_claims", "--sheet", "Other")
        self.assertIn("The workbook has no sheet “Other”; its sheets are: Claims.", err)

    def test_a_file_that_is_neither_csv_nor_xlsx_names_the_accepted_formats(self):
        err = self.run_import(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        self.assertIn("CSV (UTF-8, comma or semicolon separated) or XLSX", err)


class StaleRowTests(BaseTestCase):
    def exported(self) -> str:
        return b"".join(claims_csv()).decode()

    def import_text(self, text: str, *options: str) -> tuple[str, str]:
        path = Path(tempfile.mkdtemp()) / "claims.csv"
        path.write_text(text, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_claims", str(path), *options, stdout=out, stderr=err)
        except CommandError:
            pass
        return out.getvalue(), err.getvalue()

    def test_a_row_exported_before_the_claim_was_changed_is_refused(self):
        old = self.exported()
        self.rejected.statement = "edited since the export"
        self.rejected.version += 1
        self.rejected.save()
        _, err = self.import_text(old.replace(self.rejected.quote + ",", self.rejected.quote + ",my edit", 1))
        line = 1 + [row.split(",")[0] for row in old.splitlines()[1:]].index(str(self.rejected.pk)) + 1
        self.assertIn(f"line {line}: version: Claim {self.rejected.pk} was changed since this file was exported", err)
        self.rejected.refresh_from_db()
        self.assertEqual(self.rejected.statement, "edited since the export")

    def test_the_dry_run_lists_each_updated_row_and_the_fields_it_changes(self):
        text = self.exported().replace(",draft,", ",reviewed,", 1)
        out, err = self.import_text(text, "--dry-run")
        self.assertEqual(err, "")
        first = Claim.objects.order_by("pk").first()
        self.assertIn(f"Would change line 2: claim {first.pk}: status: “draft” → “reviewed”", out)
        first.refresh_from_db()
        self.assertEqual(first.status, "draft")

    def test_an_import_bumps_the_version_so_the_same_file_cannot_be_imported_twice_over_a_newer_edit(self):
        text = self.exported().replace(",draft,", ",reviewed,", 1)
        out, _ = self.import_text(text)
        self.assertIn("1 updated", out)
        _, err = self.import_text(text)
        self.assertIn("was changed since this file was exported", err)


class ValueTests(BaseTestCase):
    def import_rows(self, header, *rows):
        from claims.exchange.importing import import_spreadsheet

        return import_spreadsheet("claims", io.BytesIO(rows_text(header, *rows).encode()))

    def test_a_tag_holding_the_list_separator_survives_export_and_import(self):
        create_claim(source=self.harbour, quote="the president said", tags=["a; b", "back\\slash", "c"])
        exported = b"".join(claims_csv())
        self.assertIn(b"a\\; b; back\\\\slash; c", exported)
        report = self.import_rows(["id", "source_id", "quote", "tags"], ["", str(self.ledger.pk), "Talks on joint", ""])
        self.assertTrue(report.ok)
        from claims.exchange.importing import import_spreadsheet

        report = import_spreadsheet("claims", io.BytesIO(exported))
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(report.updated, 0)
        claim = Claim.objects.get(quote="the president said")
        self.assertEqual(sorted(t.name for t in claim.tags.all()), ["a; b", "back\\slash", "c"])
        self.assertFalse(Tag.objects.filter(name="a").exists())

    def test_a_speaker_with_non_latin_letters_comes_back_as_the_same_speaker(self):
        create_claim(source=self.harbour, quote="the president said", speaker=Agent.objects.create(name="Анна Петрова"))
        from claims.exchange.importing import import_spreadsheet

        report = import_spreadsheet("claims", io.BytesIO(b"".join(claims_csv())))
        self.assertTrue(report.ok, report.problems)
        self.assertEqual((report.updated, report.new_speakers), (0, []), [str(c) for c in report.changes])

    def test_kind_and_status_are_accepted_as_their_labels(self):
        report = self.import_rows(
            ["source_id", "quote", "kind", "status"],
            [str(self.harbour.pk), "Moscow rejected", "Author's assertion", "reviewed"],
        )
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(Claim.objects.get(quote="Moscow rejected").kind, Claim.Kind.AUTHOR_ASSERTION)

    def test_an_unknown_kind_lists_the_valid_values(self):
        report = self.import_rows(["source_id", "quote", "kind"], [str(self.harbour.pk), "Moscow rejected", "opinion"])
        self.assertEqual(
            str(report.problems[0]),
            "line 2: kind: “opinion” is not a kind; use one of: direct_quote (direct quote), paraphrase (paraphrase), "
            "reported (reported), author_assertion (author's assertion).",
        )

    def test_an_export_with_a_bom_imports_the_same(self):
        from claims.exchange.importing import import_spreadsheet

        with_bom = b"".join(claims_csv(bom=True))
        self.assertTrue(with_bom.startswith(b"\xef\xbb\xbf"))
        report = import_spreadsheet("claims", io.BytesIO(with_bom))
        self.assertTrue(report.ok, report.problems)
        self.assertEqual((report.created, report.updated), (0, 0))

    def test_export_claims_writes_a_bom_when_asked(self):
        path = Path(tempfile.mkdtemp()) / "claims.csv"
        call_command("export_claims", "-o", str(path), "--bom")
        self.assertTrue(path.read_bytes().startswith(b"\xef\xbb\xbfid,version,"))


class AdminHostileTests(BaseTestCase):
    def post(self, data: bytes, url: str = "admin:claims_claim_import", name: str = "claims.csv"):
        self.client.force_login(self.bob)
        upload = SimpleUploadedFile(name, data, content_type="text/csv")
        return self.client.post(reverse(url), {"format": "0", "resource": "0", "import_file": upload})

    def test_hostile_files_are_listed_as_row_errors_not_a_server_error(self):
        cases = {
            "nul": (f"source_id,quote\n{self.harbour.pk},a\x00b\n".encode(), "line 2: quote: the cell holds a NUL"),
            "latin-1": (f"source_id,quote\n{self.harbour.pk},caf\xe9\n".encode("latin-1"), "line 2: Byte"),
            "long cell": (f"source_id,quote\n{self.harbour.pk},{'x' * 140_000}\n".encode(), "longer than 131,072"),
            "open quote": (f'source_id,quote\n{self.harbour.pk},"abc\n'.encode(), "is never closed"),
        }
        for name, (data, message) in cases.items():
            with self.subTest(name):
                response = self.post(data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
                self.assertNotIn("confirm_form", response.context)

    def test_the_preview_shows_the_fields_each_updated_row_changes(self):
        text = b"".join(claims_csv()).decode().replace(",draft,", ",reviewed,", 1)
        response = self.post(text.encode())
        self.assertContains(response, "Read as CSV, comma separated")
        first = Claim.objects.order_by("pk").first()
        self.assertContains(response, f"<td>2</td><td>{first.pk}</td><td>status</td><td>draft</td><td>reviewed</td>")

    @override_settings(ADMIN_IMPORT_MAX_BYTES=1000)
    def test_a_file_over_the_upload_limit_is_refused_pointing_to_the_command(self):
        response = self.post(b"source_id,quote\n" + b"1,x\n" * 400)
        self.assertContains(response, "the admin imports files up to 0 MB")
        self.assertContains(response, "manage.py import_claims FILE")

    def test_the_admin_csv_export_can_start_with_a_bom(self):
        self.client.force_login(self.bob)
        data = {"format": "0", "resource": "0", "bom": "on", **{f"claimresource_{name}": "on" for name in HEADER}}
        response = self.client.post(reverse("admin:claims_claim_export"), data)
        self.assertTrue(b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfid,version,"))

    def test_the_people_import_refuses_unknown_columns_and_bad_bytes_with_their_lines(self):
        response = self.post(b"name,knd\nAda,person\n", "admin:sources_agent_import")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "“knd” is not a column we know.; The columns are: id, name, kind,")
        response = self.post("name,kind\nCaf\xe9,person\n".encode("latin-1"), "admin:sources_agent_import")
        self.assertContains(response, "line 2: Byte 4 (0xE9) is not UTF-8")
        self.assertFalse(Agent.objects.filter(name__startswith="Caf").exists())

    def test_the_sources_import_reads_a_semicolon_file(self):
        text = f"id;title\n{self.harbour.pk};Harbour, renamed\n"
        response = self.post(text.encode(), "admin:sources_source_import")
        self.assertIn("confirm_form", response.context, response.content.decode()[-3000:])
        self.assertFalse(Source.objects.filter(title="Harbour, renamed").exists(), "the preview writes nothing")

    def test_a_user_without_import_permission_cannot_confirm_an_import(self):
        viewer = User.objects.get(username="vera")
        self.client.force_login(viewer)
        self.assertEqual(self.client.post(reverse("admin:claims_claim_process_import"), {}).status_code, 403)
