"""Server time of the claim admin's list (first page, 100 claims) with its independence columns.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_bench .venv/bin/python benchmarks/claim_list.py

Run it against a database already holding many claims (benchmarks/csv.py seeds 1,000,000): it only reads.
It renders the changelist through ClaimAdmin.changelist_view (query, count, template) as a superuser, and,
in the same run, the baseline: the same list without the three source-count columns (corroborating,
independent and contradicting sources). Prints the median and fastest of each and the ratio of the medians.
With --sorted it also times the list sorted by, and filtered on, independent sources once each: those
compute the count for every claim, so they cost about what the CSV export's column does.
Other work on the machine inflates the figures: the load average is printed with them.
"""

import argparse
import os
import statistics
import time

import harness  # noqa: F401  sets Django up: import it before anything of Django

from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

from claims.admin import ClaimAdmin
from claims.models import Claim

SOURCE_COUNTS = ["corroborating", "independent", "contradicting"]


class ClaimAdminWithoutSourceCounts(ClaimAdmin):
    """The baseline: the claim list as it would be without the independence columns."""

    list_display = [column for column in ClaimAdmin.list_display if column not in SOURCE_COUNTS]
    list_filter = [f for f in ClaimAdmin.list_filter if getattr(f, "parameter_name", None) != "independence"]

    def get_queryset(self, request):
        return super(ClaimAdmin, self).get_queryset(request).with_link_counts()


def timings_ms(model_admin: ClaimAdmin, query: str, runs: int) -> list[float]:
    request = RequestFactory().get("/admin/claims/claim/" + query)
    request.user = User(username="bench", is_staff=True, is_superuser=True, is_active=True)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = model_admin.changelist_view(request)
        response.render()
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sorted", action="store_true", help="also time sorting and filtering by independence")
    args = parser.parse_args()
    claims = Claim.objects.count()
    with_counts = ClaimAdmin(Claim, admin.site)
    baseline = ClaimAdminWithoutSourceCounts(Claim, admin.site)
    timings_ms(with_counts, "", 1)  # warm up: templates, connections, caches
    measured = [
        ("first page, with source counts", timings_ms(with_counts, "", args.runs)),
        ("baseline, without them", timings_ms(baseline, "", args.runs)),
    ]
    if args.sorted:
        column = with_counts.list_display.index("independent")
        measured += [
            ("sorted by independent sources", timings_ms(with_counts, f"?o=-{column}", 1)),
            ("filtered: one or more independent", timings_ms(with_counts, "?independence=some", 1)),
        ]
    print(f"claim admin list, {claims:,} claims, 100 a page, load average {os.getloadavg()[0]:.2f}:")
    for name, times in measured:
        print(f"  {name}: median {statistics.median(times):.1f} ms, fastest {min(times):.1f} ms ({len(times)} runs)")
    ratio = statistics.median(measured[0][1]) / statistics.median(measured[1][1])
    print(f"  ratio of medians, with / without source counts: {ratio:.2f}x")


if __name__ == "__main__":
    main()
