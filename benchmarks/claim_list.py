"""Server time of the claim admin's list: first page, sorted and filtered by independent voices, a word search.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_bench .venv/bin/python benchmarks/claim_list.py

Run it against a database already holding many claims (benchmarks/csv.py seeds 1,000,000): it only reads.
It renders the changelist through ClaimAdmin.changelist_view (query, count, template) as a superuser, and,
in the same run, the baseline: the same first page without the four stored-count columns. Each figure is
checked to be what it says: the sorted page's sorted header is read back (it must be "independent voices"),
and each page's rows and count (the list counts up to 10,000, then says "more than") are compared with the same
query made directly on the stored counts.
Targets (issue 11): first page 150 ms, sorted or filtered 200 ms, a word search 300 ms.
Other work on the machine inflates the figures: the load average is printed with them.
"""

import argparse
import os
import statistics
import time

import harness  # noqa: F401  sets Django up: import it before anything of Django

from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth.models import User
from django.test import RequestFactory

from claims.admin import ClaimAdmin
from claims.models import Claim
from claims.search import search_claims
from common.capped_paginator import COUNT_CAP

COUNTS = ["corroborating", "independent", "unverified", "contradicting"]


class ClaimAdminWithoutCounts(ClaimAdmin):
    """The baseline: the claim list as it would be without the count columns."""

    list_display = [column for column in ClaimAdmin.list_display if column not in COUNTS]
    list_filter = [f for f in ClaimAdmin.list_filter if getattr(f, "parameter_name", None) != "independence"]


def render(model_admin: ClaimAdmin, query: str):
    request = RequestFactory().get("/admin/claims/claim/" + query)
    request.user = User(username="bench", is_staff=True, is_superuser=True, is_active=True)
    response = model_admin.changelist_view(request)
    response.render()
    assert response.status_code == 200, response.status_code
    return response


def timings_ms(model_admin: ClaimAdmin, query: str, runs: int) -> tuple[list[float], object]:
    times, response = [], None
    for _ in range(runs):
        began = time.perf_counter()
        response = render(model_admin, query)
        times.append((time.perf_counter() - began) * 1000)
    return times, response


def check(response, expected: list[int], expected_count: int, sorted_header: str | None = None) -> None:
    """The page shows what the query says: its rows, its count and, when sorted, the sorted column."""
    cl = response.context_data["cl"]
    shown = [claim.pk for claim in cl.result_list]
    assert shown == expected, f"rows differ: {shown[:5]}… != {expected[:5]}…"
    # The list counts at most COUNT_CAP claims, then says "more than".
    assert cl.result_count == min(expected_count, COUNT_CAP + 1), (cl.result_count, expected_count)
    if sorted_header is not None:
        headers = [h["text"] for h in result_headers(cl) if h.get("sorted")]
        assert headers == [sorted_header], f"sorted by {headers}, not {sorted_header}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--word", default="missile", help="the word searched")
    args = parser.parse_args()
    claims = Claim.objects.count()
    with_counts = ClaimAdmin(Claim, admin.site)
    baseline = ClaimAdminWithoutCounts(Claim, admin.site)
    render(with_counts, "")  # warm up: templates, connections, caches
    column = with_counts.list_display.index("independent") + 1  # the action checkbox is column 0
    cases = [
        ("first page", with_counts, "", Claim.objects.order_by("-id"), None, 150),
        ("baseline, without count columns", baseline, "", Claim.objects.order_by("-id"), None, None),
        (
            "sorted by independent voices",
            with_counts,
            f"?o=-{column}",
            Claim.objects.order_by("-independent_sources", "-id"),
            "independent voices",
            200,
        ),
        (
            "filtered: one or more independent voices",
            with_counts,
            "?independence=some",
            Claim.objects.filter(independent_sources__gte=1).order_by("-id"),
            None,
            200,
        ),
        (
            f"word search ?q={args.word}",
            with_counts,
            f"?q={args.word}",
            search_claims(Claim.objects.all(), args.word).order_by("-id"),
            None,
            300,
        ),
    ]
    results = []
    for name, model_admin, query, expected, header, target in cases:
        times, response = timings_ms(model_admin, query, args.runs)
        check(response, list(expected.values_list("pk", flat=True)[:100]), expected[: COUNT_CAP + 1].count(), header)
        results.append((name, times, target))
    print(f"claim admin list, {claims:,} claims, 100 a page, load average {os.getloadavg()[0]:.2f}:")
    for name, times, target in results:
        goal = f" (target {target} ms)" if target else ""
        median, fastest = statistics.median(times), min(times)
        print(f"  {name}: median {median:.1f} ms, fastest {fastest:.1f} ms ({len(times)} runs){goal}")
    ratio = statistics.median(results[0][1]) / statistics.median(results[1][1])
    print(f"  ratio of medians, first page with / without count columns: {ratio:.2f}x")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
