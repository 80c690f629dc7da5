"""An import's peak memory with long articles, the rows in an order that names another article on every row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_long .venv/bin/python benchmarks/import_memory.py

Use an empty database of its own (migrated by this script). It writes --sources articles of about --kb KB each,
in our own generated words (numbered sentences), then a claims file of --rows new claims anchored to those
sentences (start and end given, one in ten left to be located), in an order that cycles through the articles, so
that every batch of the import names as many articles as it has rows: the case where a reader that holds its
batch's texts grows with the articles' length (issue 26: at most 150 MB at 1,000,000 rows, whatever the articles'
length; test with 100 KB articles).

Then `manage.py import_claims FILE` runs as a process of its own, --rounds times, on a tenth of the file and on
all of it, so that the peaks can be compared across sizes: each timed as a whole (wall, CPU-seconds from wait4)
with its peak memory (max RSS), then checked (one committed claim per row) and what it wrote deleted. The machine
is shared: the load average is printed beside.
"""

import argparse
import json
import os
import secrets
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

# As a server runs it: DEBUG off (a development .env would turn it on, and DEBUG keeps every query's SQL).
ENV = {**os.environ, "ENV_FILE": "", "DEBUG": "0", "HTTPS": "0", "SECRET_KEY": secrets.token_urlsafe(50)}

ARTICLES = "SELECT id FROM sources_source WHERE url LIKE 'https://long.example.org/%'"
HISTORY_THEN_CLAIMS = ("claims_historicalclaim", "claims_claim")  # what an import writes (no tags, no links here)
PEAK_TARGET_MB = 150  # issue 26: an import of 1,000,000 rows, whatever the articles' length

WORDS = (
    "harbour council ferry budget fishing quota treaty island vote survey minister road winter school clinic "
    "visa border patrol cargo port plan"
).split()


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def sentences(rng: random.Random, source: int, kb: int) -> list[str]:
    """Numbered sentences ("Note 3.17 says …") filling about kb kilobytes; each differs from every other."""
    made, size, n = [], 0, 0
    while size < kb * 1000:
        n += 1
        said = " ".join(rng.choice(WORDS) for _ in range(6))
        sentence = f"Note {source}.{n} says the {said}."
        made.append(sentence)
        size += len(sentence) + 1
    return made


def prepare(args) -> list[int]:
    """The articles (made once: reused when they are there); returns their ids."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    setup()
    from common.projects import project_or_sole
    from sources.models import Source, sha256_hex

    made = list(Source.objects.filter(url__startswith="https://long.example.org/").order_by("pk"))
    if len(made) >= args.sources:
        return [s.pk for s in made[: args.sources]]
    if made:
        raise SystemExit("The database holds some of the articles but not all: use an empty one.")
    rng, project = random.Random(1), project_or_sole(None)
    for first in range(0, args.sources, 50):
        batch = []
        for i in range(first, min(args.sources, first + 50)):
            text = "\n".join(sentences(rng, i, args.kb))
            batch.append(
                Source(
                    project=project,
                    title=f"Long article {i}",
                    url=f"https://long.example.org/{i}",
                    language="en",
                    text=text,
                    text_sha256=sha256_hex(text),
                    raw_sha256=sha256_hex(""),
                )
            )
        Source.objects.bulk_create(batch)
    return list(Source.objects.filter(url__startswith="https://long.example.org/").values_list("pk", flat=True))


def write_file(path: Path, source_ids: list[int], rows: int) -> int:
    """Claims on the articles' sentences, cycling through the articles row by row."""
    from claims.exchange.columns import csv_line
    from sources.models import Source

    texts = dict(Source.objects.filter(pk__in=source_ids).values_list("pk", "text"))
    spans = {pk: [] for pk in source_ids}
    for pk, text in texts.items():
        start = 0
        for line in text.split("\n"):
            spans[pk].append((start, start + len(line) - 1))  # the sentence without its full stop
            start += len(line) + 1
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(csv_line(["source_id", "quote", "start", "end"]))
        for n in range(max(len(s) for s in spans.values())):
            for pk in source_ids:
                if n < len(spans[pk]):
                    start, end = spans[pk][n]
                    located = written % 10 == 0
                    cells = [str(pk), texts[pk][start:end], "" if located else str(start), "" if located else str(end)]
                    out.write(csv_line(cells))
                    written += 1
                    if written == rows:
                        return written
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=640)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--prepare", metavar="FOLDER", help=argparse.SUPPRESS)  # the child that writes the files
    args = parser.parse_args()
    assert "DATABASE_URL" in os.environ, "Give DATABASE_URL: an empty PostgreSQL database of its own."
    if args.prepare:
        print(json.dumps(write_files(args, Path(args.prepare))))
        return
    # This process stays small and never loads Django: a child starts with its parent's pages, and the kernel
    # counts them in the child's peak.
    folder = Path(tempfile.mkdtemp(prefix="import-memory-"))
    command = [sys.executable, __file__, "--prepare", str(folder), *sys.argv[1:]]
    made = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=ENV).stdout)
    print(
        f"{made['sources']} articles, {made['kb']:,} KB of text; files of {made['rows']:,} and {made['small_rows']:,} "
        f"rows, each row naming the next article"
    )
    print(f"load average at the start: {os.getloadavg()}")
    peaks = []
    for n in range(1, args.rounds + 1):
        for path, expected in ((made["small"], made["small_rows"]), (made["big"], made["rows"])):
            before = claims_count()
            result = run_import(path)
            peaks.append(result["peak_mb"])
            after = claims_count()
            if after - before != expected:
                raise SystemExit(f"the import of {expected:,} rows committed {after - before:,} claims")
            psql(*(f"DELETE FROM {table} WHERE source_id IN ({ARTICLES})" for table in HISTORY_THEN_CLAIMS))
            psql("VACUUM ANALYZE claims_claim")
            print(
                f"  round {n}, {expected:,} rows: {result['wall']:.1f} s wall, {result['cpu']:.1f} CPU-s, "
                f"{expected / result['wall']:,.0f} rows/s, peak {result['peak_mb']:.0f} MB "
                f"(checked: {expected:,} claims committed) | load {result['load']:.2f}"
            )
    print(f"load average at the end: {os.getloadavg()}")
    verdict = "met" if max(peaks) <= PEAK_TARGET_MB else f"MISSED by {max(peaks) - PEAK_TARGET_MB:.0f} MB"
    print(f"peak of all rounds: {max(peaks):.0f} MB (target {PEAK_TARGET_MB} MB: {verdict})")


def write_files(args, folder: Path) -> dict:
    source_ids = prepare(args)
    big, small = folder / "claims.csv", folder / "claims-tenth.csv"
    rows = write_file(big, source_ids, args.rows)
    small_rows = write_file(small, source_ids, rows // 10)
    from sources.models import Source

    texts = Source.objects.filter(pk__in=source_ids).values_list("text", flat=True).iterator()
    kb = sum(len(text) for text in texts) // 1000
    made = {"big": str(big), "small": str(small), "rows": rows, "small_rows": small_rows}
    return {**made, "sources": len(source_ids), "kb": kb}


def psql(*statements: str) -> str:
    command = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", os.environ["DATABASE_URL"]]
    for statement in statements:
        command += ["-c", statement]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def claims_count() -> int:
    return int(psql(f"SELECT count(*) FROM claims_claim WHERE source_id IN ({ARTICLES})").strip())


def run_import(path: Path) -> dict:
    load = os.getloadavg()[0]
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_claims", str(path)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    if status != 0:
        raise SystemExit(f"import_claims failed: {child.stderr.read().decode()[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "peak_mb": usage.ru_maxrss / 1024, "load": load}


if __name__ == "__main__":
    main()
