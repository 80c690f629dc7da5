"""The hostile-spreadsheet corpus (tests/hostile_xlsx.py, built by code) through every door a spreadsheet comes in:
the claims, sources and people imports in the admin, and import_claims and import_links. Each file is refused
with a message naming it, writes nothing, and costs at most 2 s and 50 MB over what the process held before
(issue 23: a 5 kB file kept a worker busy until it was killed; a 426 kB file added 317 MB).

The bounds are safety properties, not speed: a file that crossed them would be the bug. Memory is the peak
resident size of this process (Linux's VmHWM, reset before each file through /proc/self/clear_refs), so what
libxml2 and zlib allocate counts too, not only Python objects. An alarm stops a file after 20 s, so that a
regression fails instead of hanging the suite.
"""

import contextlib
import io
import re
import signal
import tempfile
import time
from pathlib import Path
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.models import Claim, Link
from common import workbook_bounds
from common.tabular import TableError, read_table
from sources.models import Agent, Source
from tests import hostile_xlsx
from tests.base import BaseTestCase

SECONDS = 2.0
MEGABYTES = 50
STOP_AFTER = 20  # seconds: a file still being read then has long failed its bound


def status_kb(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))


@contextlib.contextmanager
def bounded(test, name: str):
    """Fail `test` unless the block takes at most SECONDS and MEGABYTES over the resident size before it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from the current size
        before = status_kb("VmRSS")
    except OSError:
        test.skipTest("needs Linux's /proc/self/clear_refs to measure the peak memory of one file")

    def stop(signum, frame):
        raise TimeoutError(f"{name} was still being read after {STOP_AFTER} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(STOP_AFTER)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.monotonic() - start
    grown = (status_kb("VmHWM") - before) / 1024
    test.assertLessEqual(seconds, SECONDS, f"{name} took {seconds:.2f} s")
    test.assertLessEqual(grown, MEGABYTES, f"{name} took {grown:.0f} MB over the {before / 1024:.0f} MB before")


def snapshot() -> list[int]:
    return [model.objects.count() for model in (Claim, Link, Source, Agent, Claim.history.model)]


class HostileSpreadsheetTests(BaseTestCase):
    corpus = {name: make() for name, make in hostile_xlsx.CORPUS.items()}

    def setUp(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def post(self, url: str, name: str, data: bytes):
        self.client.force_login(self.bob)
        upload = SimpleUploadedFile(f"{name}.xlsx", data)
        return self.client.post(reverse(url), {"format": "0", "resource": "0", "import_file": upload})

    def test_every_hostile_file_is_refused_by_the_claims_admin_import(self):
        before = snapshot()
        for name, data in self.corpus.items():
            with self.subTest(name), bounded(self, name):
                response = self.post("admin:claims_claim_import", name, data)
                self.assertEqual(response.status_code, 200)
                problems = [str(p) for p in response.context["report"].problems]
                self.assertTrue(problems, f"{name} was accepted")
                self.assertIn(f"{name}.xlsx", problems[0])
                self.assertContains(response, f"{name}.xlsx")
                self.assertNotIn("confirm_form", response.context)
        self.assertEqual(snapshot(), before)

    def test_every_hostile_file_is_refused_by_the_links_admin_import(self):
        for name, data in self.corpus.items():
            with self.subTest(name), bounded(self, name):
                response = self.post("admin:claims_link_import", name, data)
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.context["report"].problems, f"{name} was accepted")

    def test_every_hostile_file_is_refused_by_the_sources_and_people_admin_imports(self):
        before = snapshot()
        for url in ("admin:sources_source_import", "admin:sources_agent_import"):
            for name, data in self.corpus.items():
                with self.subTest(url=url, file=name), bounded(self, name):
                    response = self.post(url, name, data)
                    self.assertEqual(response.status_code, 200)
                    self.assertNotIn("confirm_form", response.context)
                    self.assertTrue(response.context["form"].errors.get("import_file"), f"{name} was accepted")
        self.assertEqual(snapshot(), before)

    def test_every_hostile_file_is_refused_by_the_import_commands_naming_it(self):
        before = snapshot()
        for command in ("import_claims", "import_links"):
            for name, data in self.corpus.items():
                path = self.folder / f"{name}.xlsx"
                path.write_bytes(data)
                err = io.StringIO()
                with self.subTest(command=command, file=name), bounded(self, name):
                    with self.assertRaises(CommandError) as refused:
                        call_command(command, str(path), stdout=io.StringIO(), stderr=err)
                    self.assertIn(str(path), err.getvalue())
                    self.assertIn("nothing was imported", str(refused.exception))
        self.assertEqual(snapshot(), before)


class BoundedReaderTests(BaseTestCase):
    """The defects of issue 23 one by one, through the reader every import shares."""

    def refusal(self, data: bytes, name: str = "sheet.xlsx") -> str:
        with self.assertRaises(TableError) as refused:
            table = read_table(io.BytesIO(data), columns=["source_id", "quote"], name=name)
            problems = []
            list(table.rows(problems))
            raise TableError(problems) if problems else AssertionError("the file was read")
        return str(refused.exception)

    def test_a_row_at_the_last_row_of_a_sheet_stated_as_big_as_a_sheet_is_refused_at_once(self):
        data = HostileSpreadsheetTests.corpus["row_gap"]
        with bounded(self, "row gap"):
            message = self.refusal(data)
        self.assertIn("sheet.xlsx cannot be imported as XLSX: its sheet says it is A1:XFD1048576", message)

    def test_a_zip_of_many_parts_is_refused_before_its_directory_is_read(self):
        with bounded(self, "many parts"):
            message = self.refusal(HostileSpreadsheetTests.corpus["many_parts"])
        self.assertIn("sheet.xlsx cannot be imported as XLSX: its zip directory is 5,795,487 bytes;", message)
        message = self.refusal(HostileSpreadsheetTests.corpus["thousands_of_parts"])
        self.assertIn("sheet.xlsx cannot be imported as XLSX: it has 5,006 parts; the limit is 1,000", message)

    def test_a_zip_directory_of_megabytes_is_refused_before_it_is_read(self):
        message = self.refusal(HostileSpreadsheetTests.corpus["long_directory"])
        self.assertIn("its zip directory is 2,4", message)

    def test_a_row_gap_without_a_stated_size_is_refused_by_its_row_number(self):
        data = HostileSpreadsheetTests.corpus["row_gap_unstated"]
        with bounded(self, "row gap"):
            message = self.refusal(data)
        self.assertIn("it has a row 1,048,576; the limit is 50,000 rows", message)

    def test_shared_strings_that_unpack_to_300_mb_are_refused_before_they_are_unpacked(self):
        data = HostileSpreadsheetTests.corpus["shared_strings_bomb"]
        with bounded(self, "shared strings"):
            message = self.refusal(data)
        self.assertIn("its part xl/sharedStrings.xml unpacks to 300,000,156 bytes; the limit is 50,000,000", message)

    def test_entities_and_broken_xml_are_file_errors_not_exceptions(self):
        cases = {
            "billion_laughs": "not well-formed XML",
            "external_entity": "declares a DOCTYPE",
            "broken_rows": "xl/worksheets/sheet1.xml is not well-formed XML",
            "broken_header": "xl/worksheets/sheet1.xml is not well-formed XML",
            "broken_cell_reference": "a cell reference “2A” in xl/worksheets/sheet1.xml is not one",
            "broken_row_number": "a row number in xl/worksheets/sheet1.xml is “two”",
            "broken_shared_strings": "sheet.xlsx looks like XLSX but cannot be opened",
        }
        for name, expected in cases.items():
            with self.subTest(name):
                self.assertIn(expected, self.refusal(HostileSpreadsheetTests.corpus[name]))

    def test_bytes_named_xlsx_that_are_no_zip_are_refused_naming_the_file(self):
        message = self.refusal(HostileSpreadsheetTests.corpus["not_a_zip"], name="claims.xlsx")
        self.assertIn("claims.xlsx is named as an XLSX file but is not one", message)

    def test_a_sound_workbook_within_the_bounds_still_imports(self):
        cell = hostile_xlsx.cell
        rows = hostile_xlsx.HEADER_ROW + "".join(
            f'<row r="{n}">{cell(f"A{n}", str(self.harbour.pk))}{cell(f"B{n}", "Moscow")}</row>' for n in range(2, 4)
        )
        data = hostile_xlsx.workbook(hostile_xlsx.sheet_xml(rows, dimension="A1:B3"))
        table = read_table(io.BytesIO(data), columns=["source_id", "quote"], name="sheet.xlsx")
        problems = []
        self.assertEqual([line for line, _ in table.rows(problems)], [2, 3])
        self.assertEqual(problems, [])

    def test_tags_split_between_two_unpacked_chunks_are_counted_once(self):
        data = b'<x:row r="1"><c/><c>1</c><si/><si>x</si><dimension ref="A1"/><row>' + b"<c/>" * 50 + b"</row>"
        counts = []
        for size in (1, 2, 3, 5, 7, 4096):
            with mock.patch.object(workbook_bounds, "CHUNK_BYTES", size):
                counts.append(workbook_bounds._start_tags(io.BytesIO(data)))
        self.assertEqual(counts[0], {"row": 2, "c": 52, "si": 2, "dimension": 1, "elements": 57})
        self.assertTrue(all(c == counts[0] for c in counts), counts)
