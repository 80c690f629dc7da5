"""Importing a 300-page text PDF against pypdf's own bare text extraction of the same file, in the same run.

    .venv/bin/python benchmarks/pdf_import.py            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_bench .venv/bin/python benchmarks/pdf_import.py

The PDF is written here: 300 pages of 44 lines of prose in Helvetica (compressed content streams), in
paragraphs, with a running header, a footer with the page number and a word hyphenated at a line end on each
page. Each round extracts it bare (`page.extract_text()` for every page, nothing else) and then imports it
with `sources.importing.import_file` into a throwaway test database (read, lines and positions, furniture,
paragraphs, page starts, the source, its capture and history written; rolled back after each round so the
next imports it anew). Rounds are interleaved, wall and CPU seconds taken without tracing; the peak of
Python memory (tracemalloc) is taken in one extra traced round of each. Prints each round, the medians and
their ratio (target: the import at most 1.5x the bare extraction), and the load average at the start.

Then the hostile files of tests/pdfs.py: the CPU seconds each takes until it is refused (target: under 2 s each,
untraced; the tests check the message and the memory, a clock in a unit test fails on a loaded machine).
"""

import io
import os
import random
import statistics
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path

from harness import engine, throwaway_database  # sets Django up: import it before anything of Django

import pypdf
from django.db import transaction

from tests import pdfs
from tests.pdfs import hand_written_pdf

PAGES = 300
LINES = 44
ROUNDS = 3
WORDS = (
    "harbour council pier fleet quota winter mayor vote ferry bank repair talks offer season ministry report "
    "landing catch licence coast survey board herring trawler cooperative treaty patrol"
).split()


def escaped(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def page_content(number: int, rng: random.Random) -> bytes:
    lines = [b"BT /F1 9 Tf 72 800 Td (Harbour Ministry \\267 Annual report on the fisheries) Tj ET"]
    y = 770
    for n in range(LINES):
        words = [rng.choice(WORDS) for _ in range(rng.randint(11, 14))]
        text = " ".join(words)
        if n == 20:
            text += " recon-"  # a word broken at the line end: "recon-" + "sidered"
        elif n == 21:
            text = "sidered " + text
        if n % 8 == 7:
            text += "."
            y -= 8  # the space after a paragraph
        lines.append(b"BT /F1 11 Tf 72 %d Td (%s) Tj ET" % (y, escaped(text.capitalize() if n % 8 == 0 else text)))
        y -= 14
    lines.append(b"BT /F1 9 Tf 280 40 Td (Page %d of %d) Tj ET" % (number, PAGES))
    return b"\n".join(lines)


def report_pdf() -> bytes:
    """The 300-page PDF, objects written one by one with a correct cross-reference table."""
    rng = random.Random(28)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]  # the page tree is written once the pages are known
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for number in range(1, PAGES + 1):
        content = zlib.compress(page_content(number, rng))
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % len(objects)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), PAGES)
    return hand_written_pdf(objects)


def bare(data: bytes) -> int:
    """pypdf's own text extraction of every page, nothing else: the floor."""
    return sum(len(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def imported(path: Path) -> int:
    """The whole import of the file, rolled back afterwards so that the next round imports it anew."""
    from sources.importing import import_file

    with transaction.atomic():
        result = import_file(path=path, imported_by="bench")
        assert result.action == "created" and len(result.source.page_starts) == PAGES
        transaction.set_rollback(True)
    return len(result.source.text)


def timed(work, argument) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work(argument)
    return time.perf_counter() - wall, time.process_time() - cpu


def traced_peak_mb(work, argument) -> float:
    tracemalloc.start()
    try:
        work(argument)
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def main() -> None:
    load = os.getloadavg()
    data = report_pdf()
    with throwaway_database(), tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(data)
        imported(path)  # warm-up: imports, the database's first writes
        rounds = {"bare extraction": [], "import": []}
        for n in range(1, ROUNDS + 1):
            rounds["bare extraction"].append(timed(bare, data))
            rounds["import"].append(timed(imported, path))
            print(
                f"  round {n}: bare {rounds['bare extraction'][-1][0]:.2f} s wall "
                f"({rounds['bare extraction'][-1][1]:.2f} s CPU), import {rounds['import'][-1][0]:.2f} s wall "
                f"({rounds['import'][-1][1]:.2f} s CPU)"
            )
        peaks = {"bare extraction": traced_peak_mb(bare, data), "import": traced_peak_mb(imported, path)}
    print(
        f"import of a {PAGES}-page text PDF ({len(data) / 1024:.0f} kB, {engine()}), {ROUNDS} interleaved rounds, "
        f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}:"
    )
    medians = {}
    for name, times in rounds.items():
        medians[name] = (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))
        print(
            f"  {name}: median {medians[name][0]:.2f} s wall, {medians[name][1]:.2f} s CPU; "
            f"peak Python memory {peaks[name]:.1f} MB (tracemalloc)"
        )
    wall = medians["import"][0] / medians["bare extraction"][0]
    cpu = medians["import"][1] / medians["bare extraction"][1]
    print(f"  ratio of medians: {wall:.2f}x wall, {cpu:.2f}x CPU   target: at most 1.5x")
    hostile()


HOSTILE = ("page_count_bomb", "deep_nesting", "compression_bomb", "encrypted", "dense_page", "broken_xref")


def hostile() -> None:
    """Each hostile file is refused; the median CPU of three reads until the refusal, against the 2 s target."""
    from sources.pdf import PdfRefused, read_pdf

    print("hostile files, CPU seconds until refused (median of 3; target under 2 s each):")
    for name in HOSTILE:
        data = getattr(pdfs, name)()
        seconds = []
        for _ in range(3):
            began = time.process_time()
            try:
                read_pdf(data)
            except PdfRefused as refused:
                message = str(refused)
            else:
                raise AssertionError(f"{name} was read, not refused")
            seconds.append(time.process_time() - began)
        print(f"  {name}: {statistics.median(seconds):.2f} s CPU ({message[:70]})")


if __name__ == "__main__":
    main()
