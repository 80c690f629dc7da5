"""What spreadsheets write, through the same reader and rules: separators, BOM, CRLF, XLSX, re-typed values."""

import datetime
import io
import tempfile
from pathlib import Path

import tablib
from django.core.management import CommandError, call_command

from claims.exchange.columns import claims_csv
from claims.exchange.importing import import_spreadsheet
from claims.models import Claim
from tests.base import BaseTestCase


class SpreadsheetFileTests(BaseTestCase):
    def command(self, data: bytes, *options: str, name: str = "claims.csv") -> tuple[str, str]:
        path = Path(tempfile.mkdtemp()) / name
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_claims", str(path), *options, stdout=out, stderr=err)
        except CommandError as e:
            err.write(str(e))
        return out.getvalue(), err.getvalue()

    def test_a_semicolon_separated_export_imports_unchanged_and_says_so(self):
        semicolons = b"".join(claims_csv()).decode().replace(",", ";").encode()  # no cell here holds a comma
        out, err = self.command(semicolons, "--dry-run")
        self.assertEqual(err, "")
        self.assertIn("0 new, 0 updated, 2 unchanged (read as CSV, semicolon separated)", out)

    def test_crlf_and_a_bom_are_read(self):
        data = b"\xef\xbb\xbf" + b"".join(claims_csv()).replace(b"\n", b"\r\n")
        out, err = self.command(data, "--dry-run")
        self.assertIn("2 unchanged", out, err)

    def test_an_xlsx_file_imports_through_the_command(self):
        sheet = tablib.Dataset(headers=["source_id", "quote", "claimed_on"], title="Claims")
        sheet.append([float(self.harbour.pk), "Moscow rejected", "2017-06"])
        out, err = self.command(sheet.export("xlsx"), name="claims.xlsx")
        self.assertIn("1 new", out, err)
        claim = Claim.objects.get(quote="Moscow rejected")
        self.assertEqual(claim.claimed_on_iso, "2017-06")

    def test_a_day_first_date_is_refused_unless_a_date_format_is_given(self):
        data = f"source_id,quote,claimed_on\n{self.harbour.pk},Moscow rejected,01/06/2017\n".encode()
        _, err = self.command(data)
        self.assertIn("“01/06/2017” is ambiguous", err)
        self.assertIn("2017-06-01", err)
        out, err = self.command(data, "--date-format", "%d/%m/%Y")
        self.assertIn("1 new", out, err)
        self.assertEqual(Claim.objects.get(quote="Moscow rejected").claimed_on_iso, "2017-06-01")

    def test_a_month_date_turned_into_its_first_day_keeps_its_month(self):
        self.rejected.claimed_on, self.rejected.claimed_on_precision = datetime.date(2017, 6, 1), "month"
        self.rejected.save()
        month = "2017-06"
        text = b"".join(claims_csv()).decode().replace(f",{month},", f",{month}-01,")
        out, _ = self.command(text.encode(), "--dry-run")
        self.assertIn("0 updated", out)

    def test_numbers_with_a_trailing_point_zero_are_whole_numbers(self):
        data = f"source_id,quote,start,end\n{self.harbour.pk}.0,Moscow rejected,0.0,15.0\n".encode()
        out, err = self.command(data)
        self.assertIn("1 new", out, err)

    def test_an_id_in_scientific_notation_is_refused(self):
        data = f"id,source_id,quote\n1.23457E+06,{self.harbour.pk},Moscow rejected\n".encode()
        _, err = self.command(data)
        self.assertIn("line 2: id: “1.23457E+06” is in scientific notation", err)

    def test_trailing_empty_columns_and_rows_are_ignored(self):
        data = f"source_id,quote,,\n{self.harbour.pk},Moscow rejected,,\n,,,\n,,,\n".encode()
        out, err = self.command(data)
        self.assertIn("Imported 1 row: 1 new", out, err)

    def test_a_leading_apostrophe_escape_is_removed(self):
        report = import_spreadsheet(
            "claims", io.BytesIO(f"source_id,quote,statement\n{self.harbour.pk},Moscow rejected,'=1+1\n".encode())
        )
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(Claim.objects.get(quote="Moscow rejected").statement, "=1+1")
