"""Writing behind (common.overlap): an import's writes run on a second thread, on the caller's connection and in its
transaction, while the caller reads the next part of the file (issue 26)."""

import threading
import unittest
from unittest import mock

from django.contrib.auth.models import User
from django.db import connection

from claims.exchange import importing
from claims.exchange.reading import ClaimReader
from claims.models import Claim
from common.history import recorded_as, recorded_person, recorded_reason
from common.overlap import writing_behind
from sources.models import Agent
from tests.base import BaseTestCase
from tests.test_csv_import import csv_text, import_text, numbered_source

postgresql_only = unittest.skipUnless(
    connection.vendor == "postgresql", "the writer thread shares PostgreSQL's connection; SQLite writes at once"
)


@postgresql_only
class WriterThreadTests(BaseTestCase):
    def test_a_write_runs_on_another_thread_in_the_callers_transaction_and_context(self):
        seen = {}

        def write():
            seen["thread"] = threading.get_ident()
            seen["person"], seen["reason"] = recorded_person(), recorded_reason()
            Agent.objects.create(name="Written behind", kind=Agent.Kind.PERSON)

        with recorded_as(user=self.alice, reason="a test import"), writing_behind() as behind:
            behind.write(write)
            behind.wait()
        self.assertNotEqual(seen["thread"], threading.get_ident())
        self.assertEqual((seen["person"], seen["reason"]), (self.alice, "a test import"))
        # Seen here, in the same transaction (the test's, never committed).
        self.assertTrue(Agent.objects.filter(name="Written behind").exists())

    def test_the_caller_cannot_query_while_a_write_is_behind(self):
        may_finish = threading.Event()
        with writing_behind() as behind:
            behind.write(may_finish.wait, 10)
            with self.assertRaisesMessage(RuntimeError, "No query may run while a write is behind"):
                User.objects.count()
            may_finish.set()
            behind.wait()
            self.assertEqual(User.objects.filter(username="alice").count(), 1)  # the connection is the caller's again

    def test_what_the_writer_raised_is_raised_when_the_caller_waits(self):
        def fail():
            raise ValueError("the write failed")

        with self.assertRaisesMessage(ValueError, "the write failed"), writing_behind() as behind:
            behind.write(fail)
            behind.wait()

    def test_the_block_ends_after_the_last_write_even_when_it_raises(self):
        finished = threading.Event()

        def slow_write():
            threading.Event().wait(0.2)
            finished.set()

        with self.assertRaisesMessage(KeyError, "the caller failed"), writing_behind() as behind:
            behind.write(slow_write)
            raise KeyError("the caller failed")
        self.assertTrue(finished.is_set())
        # The connection is the caller's again: its queries are no longer refused.
        self.assertEqual(User.objects.filter(username="alice").count(), 1)

    def test_an_import_writes_one_part_while_it_reads_the_next(self):
        source = numbered_source(6)
        rows = [[str(source.pk), f"phrase {i:05d}."] for i in range(1, 7)]
        reads, next_read = [], threading.Event()
        write, read = importing._store, ClaimReader.read

        def reading(reader, part):
            reads.append(threading.get_ident())
            if len(reads) == 2:
                next_read.set()
            return read(reader, part)

        overlapped = []

        def writing(*args, **kwargs):
            if not overlapped:  # the first part is not written until the second is being read
                overlapped.append(next_read.wait(5))
            return write(*args, **kwargs)

        with mock.patch.object(ClaimReader, "read", reading), mock.patch.object(importing, "_store", writing):
            report = import_text(csv_text(["source_id", "quote"], rows), user=self.root, batch_size=2)
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(overlapped, [True])
        self.assertEqual(report.created, 6)
        self.assertEqual(Claim.objects.filter(source=source).count(), 6)
        self.assertEqual(Claim.history.filter(source=source, history_user=self.root).count(), 6)

    def test_a_bad_row_in_a_later_part_leaves_nothing_written(self):
        source = numbered_source(6)
        rows = [[str(source.pk), f"phrase {i:05d}."] for i in range(1, 6)] + [[str(source.pk), "not in the text"]]
        report = import_text(csv_text(["source_id", "quote"], rows), user=self.root, batch_size=2)
        self.assertFalse(report.ok)
        self.assertEqual([problem.line for problem in report.problems], [7])
        self.assertFalse(Claim.objects.filter(source=source).exists())
        self.assertFalse(Claim.history.filter(source=source).exists())


class InlineWriteTests(BaseTestCase):
    @unittest.skipIf(connection.vendor == "postgresql", "PostgreSQL writes on the writer thread")
    def test_elsewhere_a_write_runs_at_once_in_the_callers_thread(self):
        seen = []
        with writing_behind() as behind:
            behind.write(lambda: seen.append(threading.get_ident()))
            self.assertEqual(seen, [threading.get_ident()])
