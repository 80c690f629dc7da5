"""One project's work against the whole server's, on PostgreSQL (issue 27's targets).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_projects .venv/bin/python benchmarks/projects.py \
        --prepare --projects 10 --claims 1000000      # once: 10 projects of 100,000 claims each (seed_synthetic)
    DATABASE_URL=… .venv/bin/python benchmarks/projects.py [--project p3] [--rounds 3]

`--prepare` migrates the database and fills it with `manage.py create_project pN` and `manage.py seed_synthetic
--project pN` (a different seed each, links included), then VACUUM ANALYZE. The measurement reads only: its two
accounts and their sessions are made in a transaction rolled back at the end.

In-process, through Django's test client (middleware, login, templates), interleaved round after round:
- the claim admin list's first page as a Reviewer of one project (scoped: `visible_to`) against the same page
  unscoped, as every Reviewer saw it before projects: a staff account given the Reviewer's permissions directly
  (which reach every project; they are read as a member's are, so only the scoping differs), and, for
  reference, as a superuser (no permission read at all); target: the scoped page at most 1.2x the unscoped;
- the same list sorted by the date claimed and by independent voices, each way (the sort indexes do not lead with
  the project), checked to be in that order; target at most 1.2x each;
- the API's claim list (first page), the same two ways; target at most 1.2x;
- top-10 suggestions for 30 of the project's claims (p95; target 50 ms): candidates come from the claim's project.
Checked: the member's pages hold only the project's claims (the list counting them all, up to its cap), the
unscoped lists count every claim, and each API page is full.

As whole processes (start-up included), interleaved:
- `manage.py export_claims --project P -o FILE` against the COPY floor of that project's rows (`\\copy (SELECT c.*,
  s.title, s.url FROM claims_claim c JOIN sources_source s ON s.id = c.source_id WHERE s.project_id = P ORDER BY
  c.id)`); target at most 2x; and against `export_claims --all-projects` (the whole server; the project's export
  should be no slower: at most 1.2x). Checked: one line per claim of the project plus the header.
- the claim admin's CSV download as a Reviewer of the project (one request, in this process after a warm-up, as a
  running server answers it: no start-up) against the same floor; target at most 2x. Checked: the same bytes as
  `export_claims --project`.
Wall and CPU-seconds (the process's and its PostgreSQL backend's) and the load average are printed.
"""

import os
import sys

# The benchmarks folder holds a csv.py: it must not be on the path, or `import csv` would find it.
BENCHMARKS = os.path.dirname(os.path.abspath(__file__))
sys.path[0] = os.path.dirname(BENCHMARKS)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import filecmp  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.append(BENCHMARKS)
from export_recount import line_count, psql_args, timed  # noqa: E402
from processes import claims_own_columns  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def django_ready():
    sys.path.insert(0, BENCHMARKS)
    import harness  # noqa: F401  sets Django up


def prepare(projects: int, claims: int) -> None:
    django_ready()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    per = claims // projects
    for n in range(projects):
        slug = f"p{n}"
        began = time.perf_counter()
        call_command("create_project", slug, name=f"Project {n}", stdout=open(os.devnull, "w"))
        call_command(
            "seed_synthetic",
            project=slug,
            sources=max(per // 100, 1),
            claims=per,
            links=per // 5,
            seed=100 + n,
            stdout=open(os.devnull, "w"),
        )
        print(f"seeded {slug}: {per:,} claims in {time.perf_counter() - began:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def median_ms(times: list[float]) -> float:
    return statistics.median(times)


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# Sorted lists timed too (column of the list, the claim field it sorts): a project's claims are read along an index
# on (field, id) that does not lead with the project.
SORTED = [("claimed", "claimed_on"), ("independent", "independent_voices")]


def pages(slug: str, rounds: int) -> None:
    django_ready()
    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.test import Client
    from django.test.utils import setup_test_environment

    from claims.admin import ClaimAdmin
    from claims.corroboration.suggestions import suggestions_for
    from claims.models import Claim
    from common.capped_paginator import COUNT_CAP
    from sources.models import Project
    from tests.base import make_member

    setup_test_environment()
    project = Project.objects.get(slug=slug)
    in_project = Claim.objects.in_project(project).count()
    total = Claim.objects.count()
    with transaction.atomic():
        root = User.objects.create_superuser("bench-root", password="pw")
        member = User.objects.create_user("bench-member", password="pw", is_staff=True)
        make_member(member, "Reviewer", project)
        clients = {}
        everywhere = User.objects.create_user("bench-everywhere", password="pw", is_staff=True)
        # The Reviewer's permissions, given directly: the same pages and buttons, on every project.
        everywhere.user_permissions.add(*Group.objects.get(name="Reviewer").permissions.all())
        for name, user in (("member", member), ("unscoped", everywhere), ("superuser", root)):
            clients[name] = Client()
            clients[name].force_login(user)
        cases = {"claim list": "/admin/claims/claim/", "API claim list": "/api/claims/"}
        sorted_by = {}  # a sorted list's case → the field its page must be in the order of
        for column, field in SORTED:
            at = ClaimAdmin.list_display.index(column) + 1  # after the actions' checkbox column
            for way, o in (("ascending", f"{at}"), ("descending", f"-{at}")):
                case = f"claim list by {column}, {way}"
                cases[case], sorted_by[case] = f"/admin/claims/claim/?o={o}", (field, way == "descending")
        times = {(case, who): [] for case in cases for who in clients}
        for case, url in cases.items():
            for who, client in clients.items():
                response = client.get(url)  # warm-up, and the check
                assert response.status_code == 200, (url, who, response.status_code)
                if case.startswith("claim list"):
                    shown = response.context["cl"]
                    ids = [claim.pk for claim in shown.result_list]
                    # The list counts exactly up to COUNT_CAP, and says "more than" beyond.
                    expected = min(in_project if who == "member" else total, COUNT_CAP + 1)
                    assert shown.result_count == expected, (who, shown.result_count, expected)
                    if case in sorted_by:
                        field, descending = sorted_by[case]
                        values = [getattr(claim, field) for claim in shown.result_list]
                        values = [value for value in values if value is not None]  # where NULLs go is the database's
                        assert values == sorted(values, reverse=descending), f"{case} as {who}: the page is not sorted"
                else:
                    body = response.json()  # a page by id cursor: no count
                    ids = [row["id"] for row in body["results"]]
                    assert len(ids) == 50, (who, len(ids))
                assert ids, f"{case} as {who} shows no claims"
                if who == "member":
                    outside = Claim.objects.filter(pk__in=ids).exclude(source__project=project).count()
                    assert outside == 0, f"{case}: {outside} claims of other projects shown to a member"
        load = os.getloadavg()
        cpu = time.process_time()
        for _ in range(rounds * 5):
            for case, url in cases.items():
                for who, client in clients.items():
                    began = time.perf_counter()
                    client.get(url)
                    times[(case, who)].append((time.perf_counter() - began) * 1000)
        cpu = time.process_time() - cpu
        print(
            f"pages, project {slug} ({in_project:,} of {total:,} claims), {rounds * 5} interleaved requests each, "
            f"load at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {cpu:.1f} CPU-s in this process for all:"
        )
        for case in cases:
            scoped, whole = median_ms(times[(case, "member")]), median_ms(times[(case, "unscoped")])
            root_ms = median_ms(times[(case, "superuser")])
            print(
                f"  {case}: member of {slug} {scoped:.1f} ms, unscoped {whole:.1f} ms (superuser {root_ms:.1f} ms), "
                f"medians: {scoped / whole:.2f}x the unscoped   target: at most 1.2x"
            )
        sample = list(Claim.objects.in_project(project).order_by("?")[:30])
        for claim in sample[:3]:
            suggestions_for(claim)  # warm
        took = []
        for claim in sample:
            began = time.perf_counter()
            found = suggestions_for(claim)
            took.append((time.perf_counter() - began) * 1000)
            others = {s.claim.pk for s in found} - set(Claim.objects.in_project(project).values_list("pk", flat=True))
            assert not others, f"suggestions from another project for claim {claim.pk}"
        print(f"  top-10 suggestions for {len(sample)} claims of {slug}: p95 {p95(took):.1f} ms   target: 50 ms")
        transaction.set_rollback(True)


def exports(slug: str, rounds: int) -> None:
    django_ready()
    from claims.models import Claim
    from sources.models import Project

    project = Project.objects.get(slug=slug)
    rows = Claim.objects.in_project(project).count()
    floor_sql = (
        f"\\copy (SELECT {claims_own_columns()}, s.title, s.url FROM claims_claim c "
        "JOIN sources_source s ON s.id = c.source_id "
        f"WHERE s.project_id = {project.pk} ORDER BY c.id) TO '{{}}' WITH (FORMAT csv, HEADER)"
    )
    runs = {"project": [], "download": [], "floor": [], "all": []}
    with tempfile.TemporaryDirectory() as folder, member_of(project) as member:
        out = Path(folder)
        downloaded(member, out / "download.csv")  # warm-up: the server has answered a request before
        for n in range(1, rounds + 1):
            runs["project"].append(
                timed([PYTHON, "manage.py", "export_claims", "--project", slug, "-o", str(out / "project.csv")])
            )
            assert line_count(out / "project.csv") == rows + 1, "the project's export is not one line per claim"
            runs["download"].append(downloaded(member, out / "download.csv"))
            assert filecmp.cmp(out / "download.csv", out / "project.csv", shallow=False), (
                "the member's admin download differs from export_claims --project"
            )
            runs["floor"].append(timed([*psql_args(), "-c", floor_sql.format(out / "floor.csv")]))
            assert line_count(out / "floor.csv") == rows + 1
            runs["all"].append(
                timed([PYTHON, "manage.py", "export_claims", "--all-projects", "-o", str(out / "all.csv")])
            )
            print(
                f"  round {n}: project {runs['project'][-1]['wall']:.2f} s, admin download "
                f"{runs['download'][-1]['wall']:.2f} s, floor {runs['floor'][-1]['wall']:.2f} s, "
                f"whole server {runs['all'][-1]['wall']:.2f} s (load {runs['project'][-1]['load']:.2f})",
                flush=True,
            )
    median = {name: statistics.median(r["wall"] for r in rs) for name, rs in runs.items()}
    cpu = {name: statistics.median(r["cpu"] + r["db_cpu"] for r in rs) for name, rs in runs.items()}
    print(f"export of project {slug} ({rows:,} claims), {rounds} interleaved rounds, whole processes:")
    for name in runs:
        print(f"  {name}: median {median[name]:.2f} s wall, {cpu[name]:.2f} CPU-s (process + database)")
    print(
        f"  the project's export: {median['project'] / median['floor']:.2f}x its COPY floor in wall time, "
        f"{cpu['project'] / cpu['floor']:.2f}x in CPU-seconds   target: at most 2x"
    )
    print(
        f"  the member's admin download (one request to a running server): {median['download'] / median['floor']:.2f}x "
        f"the floor in wall time, {cpu['download'] / cpu['floor']:.2f}x in CPU-seconds   target: at most 2x"
    )
    print(f"  against the whole server's export: {median['project'] / median['all']:.2f}x   target: at most 1.2x")


@contextlib.contextmanager
def member_of(project):
    """A Reviewer of the project, for the admin download; removed afterwards."""
    from django.contrib.auth.models import User

    from tests.base import make_member

    User.objects.filter(username="bench-download").delete()
    member = User.objects.create_user("bench-download", password="pw", is_staff=True)
    make_member(member, "Reviewer", project)
    try:
        yield member
    finally:
        member.delete()


def downloaded(member, path: Path) -> dict:
    """The claim admin's CSV download as the project's member asks for it (every column, no filter), streamed
    to `path` in this process, as a running server answers it: wall, this process's CPU and its backend's."""
    from django.db import connection
    from django.test import Client

    from claims.exchange.columns import HEADER

    client = Client(HTTP_HOST="localhost")
    client.force_login(member)
    connection.ensure_connection()
    backend = Path(f"/proc/{connection.connection.info.backend_pid}/stat")

    def backend_ticks() -> int:
        fields = backend.read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime

    form = {"format": "0", "resource": "0", **{f"claimresource_{name}": "on" for name in HEADER}}
    load, ticks, cpu, began = os.getloadavg()[0], backend_ticks(), time.process_time(), time.perf_counter()
    response = client.post("/admin/claims/claim/export/", form)
    assert response.status_code == 200 and response.streaming, response.status_code
    with path.open("wb") as out:
        for chunk in response.streaming_content:
            out.write(chunk)
    return {
        "wall": time.perf_counter() - began,
        "cpu": time.process_time() - cpu,
        "db_cpu": (backend_ticks() - ticks) / os.sysconf("SC_CLK_TCK"),
        "load": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--projects", type=int, default=10)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--project", default="p3")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Run it on PostgreSQL: DATABASE_URL=postgres://…")
    if args.prepare:
        prepare(args.projects, args.claims)
        return
    pages(args.project, args.rounds)
    exports(args.project, args.rounds)


if __name__ == "__main__":
    main()
