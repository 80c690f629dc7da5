"""The claim admin list through the whole stack: its first page, every search shape, every sortable column both ways.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_bench .venv/bin/python benchmarks/claim_list.py
    … --json 1m.json --baseline 100k.json    (saves the medians; prints the growth against an earlier run)

Run it against a PostgreSQL database already holding many synthetic claims (`manage.py seed_synthetic`, as
benchmarks/csv.py seeds 1,000,000). It reads only: the superuser it logs in as and its session are made in a
transaction that is rolled back at the end.

Each case is a GET through Django's test client, middleware, login and template included, of the list as an analyst
opens it. Its floor is the index read that the case stands on, as raw SQL on the same connection: the first page of
claims by the primary key; for a sort, the first page read along the column's index; for a search, the rows found
through the index named (the full-text index for words; the trigram index on titles or names, then the claims of
those sources or speakers; the date index; the primary key), sorted newest first. A search's floor is made to use
that index (`enable_indexscan` off: a bitmap read of the index, then the newest 100), not a walk of the whole table
backwards that the planner might choose instead.

Cases and floors are interleaved, round after round; medians are printed with the fastest, the process's and the
database backend's CPU-seconds, and the load average. Each case is checked to be what it says: a search's page holds
rows and they are the floor's rows, in its order; a sorted page's sorted header is the column, its rows are the
floor's, and the column's values read back from the page are in order.
Targets (issue 26): each search shape at most 300 ms, and at most 1.5x its figure at 100,000 claims; each sort at
most 2x the first page.
The machine's other work inflates the figures: the load average is printed with them.
"""

import argparse
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import harness  # noqa: F401  sets Django up: import it before anything of Django

from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.utils import label_for_field
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment

from claims.admin import ClaimAdmin
from claims.models import EXCERPT_LENGTH, Claim
from claims.search import MAX_NAMED, WORDS_VECTOR
from sources.models import Agent

PAGE = 100
# How each sortable column orders (its index leads with it) and how its value is read back from a shown claim.
SORTED = {
    "excerpt": (f"left(quote, {EXCERPT_LENGTH})", lambda claim: claim.quote[:EXCERPT_LENGTH]),
    "claimed": ("claimed_on", lambda claim: claim.claimed_on),
    "kind": ("kind", lambda claim: claim.kind),
    "status": ("status", lambda claim: claim.status),
    "corroborating": ("corroborating_sources", lambda claim: claim.corroborating_sources),
    "independent": ("independent_voices", lambda claim: claim.independent_voices),
    "unverified": ("unverified_sources", lambda claim: claim.unverified_sources),
    "contradicting": ("contradicting_sources", lambda claim: claim.contradicting_sources),
}
NEWEST = f"ORDER BY id DESC LIMIT {PAGE}"


@dataclass
class Case:
    name: str
    query: dict
    floor_sql: str
    floor_params: tuple = ()
    kind: str = "search"  # or "page", "sort"
    column: str | None = None
    descending: bool = True
    wall: list = field(default_factory=list)
    cpu: list = field(default_factory=list)
    floor_wall: list = field(default_factory=list)
    floor_cpu: list = field(default_factory=list)


def backend_cpu() -> float:
    """CPU-seconds of this connection's PostgreSQL backend so far (it runs on this machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(action):
    wall, cpu, db = time.perf_counter(), time.process_time(), backend_cpu()
    result = action()
    db_after = backend_cpu()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) + (db_after - db)


def read_floor(case: Case) -> list[int]:
    with connection.cursor() as cursor:
        if case.kind == "search":
            cursor.execute("SET enable_indexscan = off")  # through the named index's bitmap, as the docstring says
        try:
            cursor.execute(case.floor_sql, case.floor_params)
            return [row[0] for row in cursor.fetchall()]
        finally:
            cursor.execute("RESET enable_indexscan")


def check(case: Case, response, floor: list[int]) -> None:
    assert response.status_code == 200, (case.name, response.status_code)
    cl = response.context["cl"]
    shown = [claim.pk for claim in cl.result_list]
    if case.kind == "search":
        assert shown, f"{case.name}: the page holds no claims"
    assert shown == floor, f"{case.name}: the page shows {shown[:5]}…, the floor read {floor[:5]}…"
    if case.kind == "sort":
        description = label_for_field(case.column, Claim, cl.model_admin)
        headers = [(h["text"], h["ascending"]) for h in result_headers(cl) if h.get("sorted")]
        assert headers == [(description, not case.descending)], f"{case.name}: sorted by {headers}"
        read = SORTED[case.column][1]
        values = [read(claim) for claim in cl.result_list]
        assert values == sorted(values, reverse=case.descending), f"{case.name}: the column is not in order"


def cases(args) -> list[Case]:
    found = [Case("first page", {}, f"SELECT id FROM claims_claim {NEWEST}", kind="page")]
    for column in ClaimAdmin.sortable_by:
        number = ClaimAdmin.list_display.index(column) + 1  # the action checkbox is column 0
        expression = SORTED[column][0]
        for descending in (False, True):
            way = "DESC" if descending else "ASC"
            found.append(
                Case(
                    f"sorted by {column} {'descending' if descending else 'ascending'}",
                    {"o": f"{'-' if descending else ''}{number}"},
                    f"SELECT id FROM claims_claim ORDER BY {expression} {way}, id {way} LIMIT {PAGE}",
                    kind="sort",
                    column=column,
                    descending=descending,
                )
            )
    words = f"SELECT id FROM claims_claim WHERE {WORDS_VECTOR} @@ plainto_tsquery('english'::regconfig, %s) {NEWEST}"
    for term in args.words:
        found.append(Case(f"words ?q={term}", {"q": term}, words, (term,)))
    for title in args.titles:
        found.append(
            Case(
                f"source title ?q={title}",
                {"q": title},
                "SELECT id FROM claims_claim WHERE source_id IN "
                "(SELECT id FROM sources_source WHERE title ILIKE '%%' || %s || '%%' ORDER BY id DESC LIMIT %s) "
                + NEWEST,
                (title, MAX_NAMED),
            )
        )
    found.append(
        Case(
            f"person ?q={args.person}",
            {"q": args.person},
            "SELECT id FROM claims_claim WHERE speaker_id IN "
            "(SELECT id FROM sources_agent WHERE name ILIKE '%%' || %s || '%%' OR aliases ILIKE '%%' || %s || '%%') "
            + NEWEST,
            (args.person, args.person),
        )
    )
    middle = Claim.objects.order_by("pk").values_list("pk", flat=True)[Claim.objects.count() // 2]
    found.append(Case(f"id ?q=#{middle}", {"q": f"#{middle}"}, "SELECT id FROM claims_claim WHERE id = %s", (middle,)))
    found.append(
        Case(
            f"day ?q={args.day}",
            {"q": args.day},
            f"SELECT id FROM claims_claim WHERE claimed_on = %s AND claimed_on_precision = 'day' {NEWEST}",
            (args.day,),
        )
    )
    year = args.day[:4]
    found.append(
        Case(
            f"year ?q={year}",
            {"q": year},
            f"SELECT id FROM claims_claim WHERE claimed_on BETWEEN %s AND %s {NEWEST}",
            (f"{year}-01-01", f"{year}-12-31"),
        )
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--words", nargs="+", default=["doubled", "Kemi harbour doubled"], help="word searches")
    parser.add_argument(
        "--titles",
        nargs="+",
        default=["report 17", "report 1"],
        help="source titles' words (the second matches 1,000 sources, whose claims are among the oldest)",
    )
    parser.add_argument("--person", default="Kemi Jensen", help="a speaker's name")
    parser.add_argument("--day", default="2019-03-14", help="a day; its year is searched too")
    parser.add_argument("--json", help="write the medians here")
    parser.add_argument("--baseline", help="an earlier run's --json (at 100,000 claims): print the growth")
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "Give DATABASE_URL: a PostgreSQL database of synthetic claims."
    claims = Claim.objects.count()
    assert Agent.objects.exists() and claims >= PAGE, "Seed the database first (manage.py seed_synthetic)."
    load_before = os.getloadavg()
    all_cases = cases(args)
    with transaction.atomic():
        client = Client(SERVER_NAME="localhost")
        client.force_login(User.objects.create(username="claim-list-benchmark", is_staff=True, is_superuser=True))
        url = "/admin/claims/claim/"
        # Warm up, and check each case once, in Django's test environment: the client then keeps each response's
        # context, and every template rendered is copied for it (a cost left out of the timed rounds).
        setup_test_environment()
        for case in all_cases:
            check(case, client.get(url, case.query), read_floor(case))
        teardown_test_environment()
        for _ in range(args.rounds):
            for case in all_cases:
                address = f"{url}?{urlencode(case.query)}" if case.query else url
                response, wall, cpu = timed(lambda address=address: client.get(address))
                assert response.status_code == 200, (case.name, response.status_code)
                case.wall.append(wall)
                case.cpu.append(cpu)
                _, wall, cpu = timed(lambda case=case: read_floor(case))
                case.floor_wall.append(wall)
                case.floor_cpu.append(cpu)
        transaction.set_rollback(True)
    load_after = os.getloadavg()
    report(all_cases, claims, args, load_before, load_after)


def report(all_cases: list[Case], claims: int, args, load_before, load_after) -> None:
    baseline = json.load(open(args.baseline)) if args.baseline else {}
    first_page = statistics.median(all_cases[0].wall)
    print(
        f"claim admin list, {claims:,} claims, {PAGE} a page, {args.rounds} interleaved rounds; "
        f"load average {' '.join(f'{x:.2f}' for x in load_before)} at the start"
    )
    print("  case: median (fastest) ms, CPU s | floor median ms, CPU s | ratio to floor | target")
    medians = {}
    for case in all_cases:
        median, floor = statistics.median(case.wall), statistics.median(case.floor_wall)
        medians[case.name] = median
        if case.kind == "sort":
            target = f"{median / first_page:.2f}x the first page (target 2x)"
        elif case.kind == "search":
            target = f"{median / first_page:.2f}x the first page; {'within' if median <= 300 else 'OVER'} 300 ms"
            if case.name in baseline:
                target += f"; {median / baseline[case.name]:.2f}x its {baseline[case.name]:.0f} ms before (target 1.5x)"
        else:
            target = ""
        print(
            f"  {case.name}: {median:.1f} ({min(case.wall):.1f}) ms, {statistics.median(case.cpu):.3f} s"
            f" | {floor:.1f} ms, {statistics.median(case.floor_cpu):.3f} s | {median / floor:.1f}x | {target}"
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in load_after)}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(medians, out, indent=1)


if __name__ == "__main__":
    main()
