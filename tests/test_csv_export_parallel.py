"""The PostgreSQL export outside a transaction: stretches of ids read on several connections at once, in one snapshot.

These run as TransactionTestCase, with everything committed: inside a test's transaction the export keeps to the
test's own connection, the only one that sees what the test wrote.
"""

import contextlib
import csv
import datetime
import io
import threading
import time
import unittest
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections
from django.test import TransactionTestCase

from claims.exchange import columns
from claims.exchange.columns import claims_csv
from claims.models import Claim
from claims.services import create_claim, link_claims
from sources.models import Agent
from sources.services import create_source

TEXT = "The minister said the bridge would open in May. Critics said it would not. The mayor agreed with the critics."
# Every claim a stretch of its own, every row a chunk of its own, and a reader at most one chunk ahead: the later
# stretches are read only as the export is consumed.
ONE_AT_A_TIME = {"CHUNK_IDS": 1, "CHUNK_ROWS": 1, "QUEUED_CHUNKS": 1}


def settings_for_test(**values):
    return mock.patch.multiple(columns, **values)


def other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def reader_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("claims-csv-")]


@unittest.skipUnless(connection.vendor == "postgresql", "COPY and exported snapshots are PostgreSQL's")
class ParallelExportTests(TransactionTestCase):
    def setUp(self):
        minister = Agent.objects.create(name="The minister", kind=Agent.Kind.PERSON)
        press = Agent.objects.create(name="Bridge Gazette", kind=Agent.Kind.ORGANISATION)
        self.first = create_source(title="Bridge", text=TEXT, url="https://example.org/bridge", publisher=press)
        self.second = create_source(title="Bridge, again", text=TEXT, url="https://example.net/bridge")
        self.second.authors.add(minister)
        self.claims = [
            create_claim(source=source, quote=quote, tags=[f"tag {n}"])
            for n, (source, quote) in enumerate(
                (source, quote)
                for source in (self.first, self.second)
                for quote in ("The minister said", "Critics said it would not", "The mayor agreed")
            )
        ]
        link_claims(claim_a=self.claims[0], claim_b=self.claims[3])
        link_claims(claim_a=self.claims[1], claim_b=self.claims[4], relation="contradicts")

    def test_an_export_of_several_stretches_is_read_on_connections_of_its_own_and_writes_the_same_bytes(self):
        with (
            settings_for_test(CHUNK_IDS=2),
            mock.patch.object(columns, "_read_stretches", wraps=columns._read_stretches) as reader,
        ):
            copied = b"".join(claims_csv())
        self.assertEqual(reader.call_count, columns.READERS)
        self.assertEqual(copied, b"".join(claims_csv(use_copy=False)))
        self.assertEqual(len(copied.decode().splitlines()), 1 + len(self.claims))

    def test_a_filtered_export_with_chosen_columns_is_the_same_on_connections_of_its_own(self):
        claims = Claim.objects.filter(source=self.second)
        chosen = ["id", "quote", "authors", "tags", "corroborated_by", "contradicted_by"]
        with settings_for_test(CHUNK_IDS=1):
            copied = b"".join(claims_csv(claims, columns=chosen))
        self.assertEqual(copied, b"".join(claims_csv(claims, columns=chosen, use_copy=False)))
        self.assertEqual(len(copied.decode().splitlines()), 1 + 3)

    def test_what_is_committed_while_an_export_runs_is_not_in_it(self):
        before = b"".join(claims_csv(use_copy=False))
        with settings_for_test(**ONE_AT_A_TIME):
            export = claims_csv()
            started = [next(export), next(export)]  # the header and the first claim
            last = self.claims[-1]
            link_claims(claim_a=last, claim_b=self.claims[2])
            Claim.objects.filter(pk=last.pk).update(statement="Changed while the export ran")
            create_claim(source=self.first, quote="Critics said")
            rest = list(export)
        self.assertEqual(b"".join(started + rest), before)

    def test_the_readers_see_the_claims_as_they_were_when_the_export_began(self):
        before = b"".join(claims_csv(use_copy=False))
        read_stretches, first = columns._read_stretches, threading.Lock()

        def commit_a_change_then_read(*args):
            if first.acquire(blocking=False):  # the first reader, before its first query
                Claim.objects.update(statement="Changed as the readers began")
                connections["default"].close()  # this thread's own connection
            read_stretches(*args)

        with settings_for_test(CHUNK_IDS=1), mock.patch.object(columns, "_read_stretches", commit_a_change_then_read):
            copied = b"".join(claims_csv())
        self.assertEqual(copied, before)
        self.assertEqual(Claim.objects.filter(statement="Changed as the readers began").count(), len(self.claims))

    def test_an_export_closed_early_on_one_connection_leaves_its_settings_behind_it(self):
        def settings() -> tuple:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
                return cursor.fetchone()

        before = settings()
        with settings_for_test(CHUNK_ROWS=1):  # one stretch, a chunk a claim
            export = claims_csv()
            next(export), next(export)
            export.close()
        self.assertEqual(settings(), before)

    def test_the_readers_write_moments_in_utc_whatever_the_servers_time_zone(self):
        Claim.objects.update(created_at=datetime.datetime(2017, 6, 1, 9, 30, 59, tzinfo=datetime.UTC))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            database = cursor.fetchone()[0]
            cursor.execute(f"ALTER DATABASE \"{database}\" SET TimeZone = 'Asia/Tokyo'")  # new connections' default
        try:
            with settings_for_test(CHUNK_IDS=1):
                rows = list(csv.DictReader(io.StringIO(b"".join(claims_csv()).decode())))
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER DATABASE "{database}" RESET TimeZone')
        self.assertEqual({row["created_at"] for row in rows}, {"2017-06-01T09:30:59Z"})
        self.assertEqual(len(rows), len(self.claims))

    def test_an_export_closed_early_stops_its_readers_and_closes_their_connections(self):
        with settings_for_test(**ONE_AT_A_TIME):
            export = claims_csv()
            next(export), next(export)
            self.assertEqual(len(reader_threads()), columns.READERS)
            export.close()
        self.assertEqual(reader_threads(), [])
        for _ in range(50):  # a server process ends a moment after its client has gone
            if other_sessions() == 0:
                break
            time.sleep(0.1)
        self.assertEqual(other_sessions(), 0)

    def test_an_error_on_a_reader_stops_the_export_with_that_error(self):
        in_stretch = columns._in_stretch

        def failing_on_the_fourth_claim(sql, ids):
            sql = in_stretch(sql, ids)
            return f"SELECT 1 / 0 FROM ({sql}) AS rows" if ids[0] == self.claims[3].pk else sql

        with (
            settings_for_test(CHUNK_IDS=1),
            mock.patch.object(columns, "_in_stretch", failing_on_the_fourth_claim),
            self.assertRaises(psycopg.errors.DivisionByZero),
        ):
            written = []
            for chunk in claims_csv():
                written.append(chunk)
        self.assertEqual(len(b"".join(written).decode().splitlines()), 1 + 3)  # the header and the claims before it
        self.assertEqual(reader_threads(), [])

    @pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the vanishing, on purpose
    def test_a_reader_that_ends_without_a_word_stops_the_export_instead_of_hanging_it(self):
        read_stretches = columns._read_stretches

        def second_reader_vanishes(reader, queries, chunks, stop):
            if threading.current_thread().name.endswith("-1"):
                raise SystemExit  # ends the thread, handing nothing on
            read_stretches(reader, queries, chunks, stop)

        with settings_for_test(CHUNK_IDS=1), mock.patch.object(columns, "_read_stretches", second_reader_vanishes):
            with self.assertRaisesMessage(RuntimeError, "reader claims-csv-1 stopped before the end"):
                b"".join(claims_csv())
        self.assertEqual(reader_threads(), [])

    def test_a_lock_asked_for_between_the_readers_first_queries_does_not_hang_the_export(self):
        """A migration (ALTER TABLE, ACCESS EXCLUSIVE) asked for after one reader's first COPY and before the
        other's queues behind the first reader's transaction, and the second reader queues behind it. The export
        then waits for the second reader, the second reader for the migration, the migration for the first
        reader's transaction, which ends only when the export does: a wait through the export's queues that
        PostgreSQL cannot see as a deadlock. Every later query on claims_claim queues behind the migration too."""
        read_stretches, second_may_start = columns._read_stretches, threading.Event()

        def second_reader_a_moment_late(reader, queries, chunks, stop):
            if threading.current_thread().name.endswith("-1"):
                second_may_start.wait(10)  # as a busy machine may schedule it a moment after the first
            read_stretches(reader, queries, chunks, stop)

        def waiting_for_the_lock() -> bool:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock' "
                    "AND relation = 'claims_claim'::regclass"
                )
                return cursor.fetchone()[0] > 0

        migration = psycopg.connect(**connection.get_connection_params())
        migrated = []
        locker = threading.Thread(
            target=lambda: migrated.append(
                _attempt(lambda: migration.execute("LOCK TABLE claims_claim IN ACCESS EXCLUSIVE MODE"))
            )
        )
        with (
            settings_for_test(CHUNK_IDS=2),
            mock.patch.object(columns, "_read_stretches", second_reader_a_moment_late),
        ):
            export = claims_csv()
            written = [next(export), next(export)]  # the header and the first reader's first chunk
            locker.start()
            for _ in range(100):
                if waiting_for_the_lock():
                    break
                time.sleep(0.05)
            second_may_start.set()
            consumer = threading.Thread(target=lambda: written.extend(export), daemon=True)
            consumer.start()
            consumer.join(15)
            hung = consumer.is_alive()
            migration.cancel_safe()  # undo the hang, whatever happened
            locker.join()
            migration.rollback()
            migration.close()
            consumer.join(15)
            finished_once_cancelled = not consumer.is_alive()
        self.assertFalse(
            hung,
            f"the export and the migration still waited after 15 s (migration: {migrated}; the export finished once "
            f"the migration was cancelled: {finished_once_cancelled}, {len(b''.join(written))} bytes)",
        )
        self.assertEqual(len(b"".join(written).decode().splitlines()), 1 + len(self.claims))

    def test_an_export_that_cannot_have_its_readers_connections_reads_on_its_own_instead_of_failing(self):
        """Near max_connections (or a role's connection limit) the second reader cannot connect: the export, which
        has sent its header already (HTTP 200 for the admin's), reads on Django's connection rather than stop."""
        before = b"".join(claims_csv(use_copy=False))
        connect, tries = psycopg.connect, []

        def the_second_has_no_room(*args, **kwargs):
            tries.append(1)
            if len(tries) == 2:
                raise psycopg.OperationalError('FATAL:  too many connections for role "claimtrail"')
            return connect(*args, **kwargs)

        with settings_for_test(CHUNK_IDS=2), mock.patch.object(columns.psycopg, "connect", the_second_has_no_room):
            copied = b"".join(claims_csv())
        self.assertEqual(len(tries), 2)
        self.assertEqual(copied, before)
        self.assertEqual(reader_threads(), [])

    def test_a_migration_waiting_for_the_export_leaves_it_to_read_on_one_connection(self):
        """A migration that asks for a table while the export sets up waits for the export; the readers, whose
        locks would queue behind it, give up after LOCK_SECONDS and the export reads on its own connection."""
        before = b"".join(claims_csv(use_copy=False))
        migrated = []

        def migrate(connect, *args, **kwargs):
            with connect(*args, **kwargs) as migration:
                migrated.append(_attempt(lambda: migration.execute("LOCK TABLE claims_tag IN ACCESS EXCLUSIVE MODE")))

        with (
            settings_for_test(CHUNK_IDS=2, LOCK_SECONDS=1),
            migration_as_the_first_reader_connects(migrate) as migration,  # it waits for the export's locks
        ):
            copied = b"".join(claims_csv())
        migration.join(10)
        self.assertEqual(copied, before)
        self.assertEqual(migrated, ["granted"])
        self.assertEqual(reader_threads(), [])


@contextlib.contextmanager
def migration_as_the_first_reader_connects(migrate):
    """While it is open, the export's first reader to connect starts `migrate(connect, *its connection arguments)`
    in a thread and gives it a second before connecting itself; yields that thread."""
    connect, arguments = psycopg.connect, {}
    migration = threading.Thread(
        target=lambda: migrate(connect, *arguments["args"], **arguments["kwargs"]), daemon=True
    )

    def connect_after_the_migration(*args, **kwargs):
        if not migration.ident:
            arguments.update(args=args, kwargs=kwargs)
            migration.start()
            migration.join(1)
        return connect(*args, **kwargs)

    with mock.patch.object(columns.psycopg, "connect", connect_after_the_migration):
        yield migration


def _attempt(action) -> str:
    try:
        action()
        return "granted"
    except psycopg.Error as error:
        return f"{type(error).__name__}: {error}"


@unittest.skipUnless(connection.vendor == "postgresql", "COPY and exported snapshots are PostgreSQL's")
class ParallelExportAndTableRewriteTests(TransactionTestCase):
    def test_a_table_rewritten_after_the_snapshot_and_before_the_readers_first_query_is_not_read_as_empty(self):
        """The snapshot is taken (the ids' aggregate) before the readers connect and lock anything: a table
        rewrite committed in between (a migration's ALTER TABLE that rewrites claims_corroboration, here a column
        with a volatile default) is not MVCC-safe, and readers in the older snapshot see the rewritten table as
        empty. The export then lists no links at all, silently."""
        source = create_source(title="Bridge", text=TEXT, url="https://example.org/bridge")
        other = create_source(title="Bridge, again", text=TEXT, url="https://example.net/bridge")
        a = create_claim(source=source, quote="The minister said")
        b = create_claim(source=other, quote="Critics said it would not")
        create_claim(source=other, quote="The mayor agreed")
        link_claims(claim_a=a, claim_b=b)
        before = b"".join(claims_csv(use_copy=False))
        rewritten = []

        def migrate(connect, *args, **kwargs):
            with connect(*args, **kwargs, autocommit=True) as migration:
                migration.execute("ALTER TABLE claims_corroboration ADD COLUMN attack_x float DEFAULT random()")
            rewritten.append(True)

        try:
            # Done at once, unless the export holds a lock it needs (then after the export).
            with settings_for_test(CHUNK_IDS=1), migration_as_the_first_reader_connects(migrate) as migration:
                copied = b"".join(claims_csv())
        finally:
            migration.join(10)
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE claims_corroboration DROP COLUMN IF EXISTS attack_x")
        self.assertEqual(rewritten, [True])
        self.assertEqual(copied.decode(), before.decode())
