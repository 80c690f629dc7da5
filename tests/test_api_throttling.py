"""API throttling counts per person across worker processes and hosts: the counts live in the database's cache."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import TestCase

# One "worker": asks the user throttle N times for person #7 and prints how many were let through.
WORKER = """
import sys, django
django.setup()
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import UserRateThrottle

class Person:
    is_authenticated = True
    pk = 7

request = APIRequestFactory().get("/api/claims/")
request.user = Person()
print(sum(UserRateThrottle().allow_request(request, None) for _ in range(int(sys.argv[1]))))
"""


class SharedThrottleTests(TestCase):
    def run_manage(self, env, *args) -> str:
        result = subprocess.run(
            [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def test_two_worker_processes_share_one_persons_count(self):
        with tempfile.TemporaryDirectory() as folder:
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'shared.sqlite3'}",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "API_USER_RATE": "3/minute",
            }
            self.run_manage(env, "manage.py", "createcachetable")
            first = self.run_manage(env, "-c", WORKER, "2")
            second = self.run_manage(env, "-c", WORKER, "2")
        self.assertEqual((first, second), ("2", "1"), "3 a minute in all, whichever worker answers")

    def test_migrate_creates_the_cache_table(self):
        from importlib import import_module

        migration = import_module("claims.migrations.0016_api_throttle_cache_table")
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE claimtrail_cache")
        self.assertNotIn("claimtrail_cache", connection.introspection.table_names())
        migration.create_cache_table(None, SimpleNamespace(connection=connection))  # all it reads of the editor
        self.assertIn("claimtrail_cache", connection.introspection.table_names())
        cache.set("a-key", "kept")
        self.assertEqual(cache.get("a-key"), "kept")
