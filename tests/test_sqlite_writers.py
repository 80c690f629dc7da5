"""SQLite lets one writer in at a time: two requests that read and then write at once both succeed, one after the
other, instead of one failing with "database is locked" (config/settings.py: transaction_mode IMMEDIATE)."""

import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from django.db import connection
from django.test import SimpleTestCase

from tests.serving import BASE_DIR, server_env

READ_THEN_WRITE = """
import time
from django.db import connection, transaction
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tally")
        time.sleep(0.5)
        cursor.execute("INSERT INTO tally VALUES (1)")
"""


@unittest.skipUnless(connection.vendor == "sqlite", "about SQLite's own locking (run without DATABASE_URL)")
class SqliteWriterTests(SimpleTestCase):
    def test_two_transactions_that_read_then_write_at_once_both_commit(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "writers.sqlite3"
            with sqlite3.connect(path) as db:
                db.execute("CREATE TABLE tally (n integer)")
            env = server_env(f"sqlite:///{path}")
            command = [sys.executable, "manage.py", "shell", "-c", READ_THEN_WRITE]
            writers = [
                subprocess.Popen(command, cwd=BASE_DIR, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)
            ]
            errors = [writer.communicate(timeout=120)[1] for writer in writers]
            self.assertEqual([writer.returncode for writer in writers], [0, 0], errors)
            with sqlite3.connect(path) as db:
                self.assertEqual(db.execute("SELECT count(*) FROM tally").fetchone()[0], 2)
