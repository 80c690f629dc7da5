"""Server time of the API's claim list (first page) against the claim admin's list, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrail_bench .venv/bin/python benchmarks/api_list.py

Run it against a database already holding many claims (benchmarks/csv.py seeds 1,000,000): it only reads.
Both lists are asked for 100 claims as a superuser through their views (query, serialisation or template),
the admin's being the baseline; each run checks that both answered 100 rows. It also times the API's page
after the first (through the cursor the first page gives) and a filtered page. Prints the median and fastest
of each and the ratio of the medians; the load average is printed with them.
"""

import argparse
import os
import statistics
import time
from urllib.parse import parse_qs, urlsplit

import harness  # noqa: F401  sets Django up: import it before anything of Django

from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from rest_framework.test import APIRequestFactory, force_authenticate

from claims.admin import ClaimAdmin
from claims.api.views import ClaimViewSet
from claims.models import Claim

ROWS = 100
USER = User(username="bench", is_staff=True, is_superuser=True, is_active=True)


def admin_page_ms(runs: int) -> list[float]:
    model_admin = ClaimAdmin(Claim, admin.site)
    request = RequestFactory().get("/admin/claims/claim/")
    request.user = USER
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = model_admin.changelist_view(request)
        response.render()
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
        assert len(response.context_data["cl"].result_list) == ROWS
    return times


def api_page_ms(runs: int, query: dict) -> tuple[list[float], dict]:
    view = ClaimViewSet.as_view({"get": "list"})
    times, body = [], {}
    for _ in range(runs):
        request = APIRequestFactory().get("/api/claims/", {"page_size": ROWS, **query}, HTTP_HOST="localhost")
        force_authenticate(request, user=USER)
        began = time.perf_counter()
        response = view(request)
        response.render()
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.data
        body = response.data
        assert len(body["results"]) == ROWS, len(body["results"])
    return times, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    claims = Claim.objects.count()
    admin_page_ms(1)  # warm up: templates, connections, caches
    first, body = api_page_ms(args.runs, {})
    cursor = parse_qs(urlsplit(body["next"]).query)["cursor"][0]
    measured = [
        ("admin list, first page (baseline)", admin_page_ms(args.runs)),
        ("API list, first page", first),
        ("API list, second page (cursor)", api_page_ms(args.runs, {"cursor": cursor})[0]),
        ("API list, status=draft", api_page_ms(args.runs, {"status": "draft"})[0]),
    ]
    print(f"claim lists, {claims:,} claims, {ROWS} a page, load average {os.getloadavg()[0]:.2f}:")
    for name, times in measured:
        print(f"  {name}: median {statistics.median(times):.1f} ms, fastest {min(times):.1f} ms ({len(times)} runs)")
    ratio = statistics.median(measured[1][1]) / statistics.median(measured[0][1])
    print(f"  ratio of medians, API first page / admin first page: {ratio:.2f}x")


if __name__ == "__main__":
    main()
