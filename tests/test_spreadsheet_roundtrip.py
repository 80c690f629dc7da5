"""Claims that went through a real spreadsheet program (LibreOffice Calc, headless) come back unchanged.

`make test` installs Debian's libreoffice-calc-nogui (`make libreoffice`); without `soffice` these tests skip.
"""

import csv
import datetime
import io
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from claims.exchange.columns import claims_csv
from claims.exchange.importing import import_spreadsheet
from claims.models import Claim
from claims.services import create_claim
from sources.dates import Precision
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase

SOFFICE = shutil.which("soffice")
COMMA, SEMICOLON = 44, 59
TEXT = (
    "=SUM(A1) was typed. “Curly” and ‘single’ quotes. A line\nbreak inside. Кремль ответил. 東京で会談。"
    " +7 points, -3 more, @handle said. Plain words here."
)


def soffice(*args: str, home: str) -> None:
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{home}", "--headless", "--norestore", *args],
        check=True,
        capture_output=True,
        timeout=180,
    )


@unittest.skipUnless(SOFFICE, "LibreOffice is not installed (`make libreoffice` installs libreoffice-calc-nogui)")
class SpreadsheetRoundTripTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        source = create_source(title="Hostile cells", text=TEXT, url="https://example.org/hostile")
        author = Agent.objects.create(name="Анна Петрова")
        create_claim(source=source, quote="=SUM(A1) was typed", statement="=1+1", tags=["a; b", "=tag"])
        create_claim(
            source=source,
            quote="“Curly” and ‘single’ quotes",
            statement="line one\nline two",
            speaker=author,
            claimed_on=datetime.date(2017, 6, 1),
            claimed_on_precision=Precision.MONTH,
        )
        create_claim(
            source=source,
            quote="Кремль ответил",
            claimed_on=datetime.date(2016, 1, 1),
            claimed_on_precision=Precision.YEAR,
            tags=["日本"],
        )
        create_claim(source=source, quote="+7 points", statement="-3 more", claimed_on=datetime.date(2017, 6, 2))

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.home = str(self.folder / "profile")
        self.csv = self.folder / "claims.csv"
        self.csv.write_bytes(b"".join(claims_csv()))

    def through_calc(self, separator: int) -> tuple[Path, Path]:
        """The export opened in Calc (special numbers detected, as a person's Calc does), saved as XLSX,
        and that XLSX saved back as CSV with the given separator."""
        filter_in = "CSV:44,34,76,1,,1033,false,true"
        soffice(
            "--infilter=" + filter_in,
            "--convert-to",
            "xlsx",
            "--outdir",
            str(self.folder),
            str(self.csv),
            home=self.home,
        )
        xlsx = self.folder / "claims.xlsx"
        out = self.folder / f"back-{separator}"
        out.mkdir()
        soffice(
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{separator},34,76,1",
            "--outdir",
            str(out),
            str(xlsx),
            home=self.home,
        )
        return xlsx, out / "claims.csv"

    def assert_imports_unchanged(self, path: Path) -> None:
        before = list(Claim.objects.order_by("pk").values())
        with open(path, "rb") as stream:
            report = import_spreadsheet("claims", stream, dry_run=False)
        self.assertTrue(report.ok, [str(p) for p in report.problems])
        self.assertEqual((report.created, report.updated), (0, 0), [str(c) for c in report.changes])
        self.assertEqual(list(Claim.objects.order_by("pk").values()), before)

    def test_an_export_saved_as_xlsx_and_as_comma_csv_imports_unchanged(self):
        xlsx, back = self.through_calc(COMMA)
        self.assert_imports_unchanged(xlsx)
        self.assert_imports_unchanged(back)

    def test_an_export_saved_as_semicolon_csv_imports_unchanged(self):
        _, back = self.through_calc(SEMICOLON)
        header = back.read_bytes().splitlines()[0]
        self.assertEqual(header.replace(b'"', b"").split(b";")[:3], [b"id", b"version", b"source_id"])
        self.assert_imports_unchanged(back)

    def test_a_statement_edited_in_the_converted_file_is_exactly_the_change_imported(self):
        _, back = self.through_calc(SEMICOLON)
        rows = list(csv.reader(io.StringIO(back.read_text(encoding="utf-8"), newline=""), delimiter=";"))
        header = rows[0]
        target = Claim.objects.get(quote="+7 points")
        row = next(r for r in rows[1:] if r[0] == str(target.pk))
        row[header.index("statement")] = "edited in Calc"
        out = io.StringIO()
        csv.writer(out, delimiter=";").writerows(rows)
        back.write_text(out.getvalue(), encoding="utf-8")
        others = list(Claim.objects.exclude(pk=target.pk).order_by("pk").values())
        with open(back, "rb") as stream:
            report = import_spreadsheet("claims", stream)
        self.assertTrue(report.ok, [str(p) for p in report.problems])
        self.assertEqual(report.updated, 1)
        [change] = report.changes
        self.assertEqual(change.fields, [("statement", "-3 more", "edited in Calc")])
        target.refresh_from_db()
        self.assertEqual(target.statement, "edited in Calc")
        self.assertEqual(list(Claim.objects.exclude(pk=target.pk).order_by("pk").values()), others)
