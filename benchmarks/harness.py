"""What the page benchmarks share: Django set up for a run, a throwaway test database, and request timings.

Import this first in a benchmark script (`from harness import ...`), before any Django model.
"""

import os
import secrets
import statistics
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ENV_FILE"] = ""  # a development .env would turn DEBUG on (every query's SQL kept): measure as served
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway key: DEBUG is off
os.environ.setdefault("HTTPS", "0")
warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: collectstatic has not run

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

# Benchmarks do not run collectstatic: static files are found in the apps.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def engine() -> str:
    return settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]


@contextmanager
def throwaway_database() -> Iterator[None]:
    """A fresh test database (migrated, with the roles) for the length of the run."""
    setup_test_environment()
    runner = DiscoverRunner(verbosity=0)
    databases = runner.setup_databases()
    try:
        yield
    finally:
        runner.teardown_databases(databases)


def request_times_ms(client: Client, url: str, runs: int) -> list[float]:
    """Milliseconds for each of `runs` GET requests through the whole stack, after one warm-up."""
    assert client.get(url).status_code == 200
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return times


def median_ms(client: Client, url: str, runs: int) -> float:
    return statistics.median(request_times_ms(client, url, runs))
