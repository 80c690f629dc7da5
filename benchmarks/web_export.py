"""A full claims export through the web, under `make serve` (gunicorn, config/gunicorn.py, its real timeout),
against `manage.py export_claims` on the same database (issue 14).

    flock /work/bench.lock .venv/bin/python benchmarks/web_export.py [--claims 1000000]

Uses a PostgreSQL database of its own (--database-url, claimtrail_load_1m by default): when it is empty it
is migrated and seeded with `seed_synthetic` (1 source per 100 claims, 1 link per 5; minutes at a
million), then reused. `make serve` is started on a free port with gunicorn's default settings (no timeout
given: the worker timeout is the real one, 30 s); a Reviewer logs in through the admin's login form and
downloads the full CSV through the admin's export, as fast as the client reads. Then `export_claims -o FILE`
(the floor: the same COPY with no web in between, timed as a whole command, Python's and Django's start
included) writes the same claims. It prints both times, their ratio and sha256, and fails (exit 1) unless
the download is HTTP 200, unbroken and the same bytes, with no WORKER TIMEOUT in gunicorn's log.
"""

import argparse
import os
import sys

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/claimtrail_load_1m"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="seeded when empty, then reused")
    parser.add_argument("--claims", type=int, default=1_000_000, help="seed this many claims into an empty database")
    parser.add_argument("--scratch", default=None, help="folder for the two CSV files (a temporary one by default)")
    return parser.parse_args()


ARGS = arguments()
os.environ["DATABASE_URL"] = ARGS.database_url

import harness  # noqa: E402,F401  sets Django up: import it before anything of Django

import hashlib  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from tempfile import TemporaryDirectory  # noqa: E402

from django.db import connection  # noqa: E402
from served import Serve, Visitor, create_database, manage, server_env, staff_users  # noqa: E402

from claims.models import Claim  # noqa: E402


def ensure_claims(env: dict[str, str]) -> int:
    """The database's claims, seeded first when it has none (it must not have fewer than asked otherwise)."""
    create_database(ARGS.database_url, drop=False)
    manage("migrate", "--noinput", "-v0", env=env)
    have = Claim.objects.count()
    if have < ARGS.claims:
        if have:
            raise SystemExit(f"The database has {have:,} claims, fewer than {ARGS.claims:,}: use an empty database.")
        print(f"Seeding {ARGS.claims:,} claims…", flush=True)
        started = time.perf_counter()
        wanted = ARGS.claims
        seeded = ["--sources", str(max(1, wanted // 100)), "--claims", str(wanted), "--links", str(wanted // 5)]
        manage("seed_synthetic", *seeded, "--seed", "1", env=env)
        print(f"Seeded in {time.perf_counter() - started:.0f} s.")
    return Claim.objects.count()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def first_difference(a: Path, b: Path) -> int | None:
    """The offset of the first byte where the two files differ (or one ends), None when they are the same."""
    offset = 0
    with a.open("rb") as left, b.open("rb") as right:
        while True:
            x, y = left.read(1 << 20), right.read(1 << 20)
            if x != y:
                return offset + next(
                    (i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y))
                )
            if not x:
                return None
            offset += len(x)


def main() -> int:
    env = server_env(ARGS.database_url)
    claims = ensure_claims(env)
    password = secrets.token_urlsafe(16)
    staff_users(["web-export-reviewer"], role="Reviewer", password=password)
    connection.close()
    with TemporaryDirectory(dir=ARGS.scratch) as scratch:
        web, command = Path(scratch) / "web.csv", Path(scratch) / "command.csv"
        with Serve(env, Path(scratch) / "serve.log") as server:
            visitor = Visitor(f"http://127.0.0.1:{server.port}")
            visitor.log_in("web-export-reviewer", password)
            print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
            started = time.perf_counter()
            with web.open("wb") as out:
                status, error = visitor.export_claims(out)
            web_seconds = time.perf_counter() - started
            log = server.output()
        # make serve loads the demo data on start: export_claims runs after it, on the very same claims.
        claims = Claim.objects.count()
        connection.close()
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "export_claims", "-o", str(command)],
            cwd=harness.settings.BASE_DIR,
            env=env,
            check=True,
        )
        command_seconds = time.perf_counter() - started
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        sizes = web.stat().st_size, command.stat().st_size
        hashes = sha256(web), sha256(command)
        difference = first_difference(web, command)

    print(f"\n{claims:,} claims; make serve with gunicorn's settings of config/gunicorn.py (worker timeout 30 s)")
    print(f"{'':<34} {'seconds':>8} {'MB':>8}  sha256")
    print(f"{'web export (admin, make serve)':<34} {web_seconds:>8.1f} {sizes[0] / 1e6:>8.1f}  {hashes[0]}")
    print(f"{'manage.py export_claims (floor)':<34} {command_seconds:>8.1f} {sizes[1] / 1e6:>8.1f}  {hashes[1]}")
    print(f"web / export_claims: {web_seconds / command_seconds:.2f}x")
    problems = []
    if status != 200 or error:
        problems.append(f"the download: HTTP {status}, {error or 'no error'}, after {sizes[0]:,} bytes")
    if "WORKER TIMEOUT" in log:
        problems.append("gunicorn killed a worker (WORKER TIMEOUT)")
    if difference is not None:
        problems.append(f"the files differ from byte {difference:,} ({sizes[0]:,} and {sizes[1]:,} bytes)")
    if web_seconds < 30:
        print("note: the download took less than gunicorn's 30 s worker timeout")
    for problem in problems:
        print(f"FAILED: {problem}")
    print("FAILED" if problems else "OK: the web export is byte for byte export_claims's")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
