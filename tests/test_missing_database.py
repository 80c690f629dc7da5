"""`migrate` against a DATABASE_URL whose PostgreSQL database does not exist says how to create it."""

import os
import subprocess
import sys
import unittest

from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase


@unittest.skipUnless(connection.vendor == "postgresql", "PostgreSQL only: SQLite creates a missing database file")
class MissingDatabaseTests(SimpleTestCase):
    def test_migrate_says_to_create_the_database_instead_of_a_traceback(self):
        server = connection.settings_dict
        address = f"{server['HOST'] or 'localhost'}:{server['PORT'] or 5432}"
        url = f"postgres://{server['USER']}@{address}/claimtrail_no_such_db"
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input"],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DATABASE_URL": url, "DEBUG": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 1)
        self.assertIn('The database "claimtrail_no_such_db" does not exist', result.stderr)
        self.assertIn("createdb -h", result.stderr)
        self.assertNotIn("Traceback", result.stderr)
