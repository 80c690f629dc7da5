"""The PostgreSQL export outside a transaction: one COPY on the export's one connection, in one snapshot.

These run as TransactionTestCase, with everything committed, so that other connections see what the test wrote.
"""

import csv
import datetime
import io
import threading
import unittest
from unittest import mock

from django.db import connection, connections
from django.test import TransactionTestCase

from claims.exchange import columns
from claims.exchange.columns import claims_csv
from claims.models import Claim
from claims.services import create_claim, link_claims
from sources.models import Agent
from sources.services import create_source

TEXT = "The minister said the bridge would open in May. Critics said it would not. The mayor agreed with the critics."


def in_another_connection(work) -> None:
    """Run `work` in a thread of its own, on its own connection, committed when it returns."""

    def run():
        try:
            work()
        finally:
            connections["default"].close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def sessions() -> int:
    """The connections to the test database, counted from one of its own (the export's may be busy)."""
    counted = []

    def count():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            counted.append(cursor.fetchone()[0])

    in_another_connection(count)
    return counted[0]


@unittest.skipUnless(connection.vendor == "postgresql", "COPY is PostgreSQL's")
class CommittedExportTests(TransactionTestCase):
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

    def test_an_export_reads_on_its_one_connection_and_writes_what_the_iterator_writes(self):
        before = sessions()
        with mock.patch.object(columns, "CHUNK_ROWS", 1):
            export = claims_csv()
            copied = [next(export), next(export)]  # the header and the first claim: the COPY is under way
            during = sessions()
            copied += list(export)
        self.assertEqual(during, before)
        self.assertEqual(b"".join(copied), b"".join(claims_csv(use_copy=False)))
        self.assertEqual(len(copied), 1 + len(self.claims))

    def test_a_filtered_export_with_chosen_columns_is_the_same_on_both_paths(self):
        claims = Claim.objects.filter(source=self.second)
        chosen = ["id", "quote", "authors", "tags", "corroborated_by", "contradicted_by", "pages"]
        copied = b"".join(claims_csv(claims, columns=chosen))
        self.assertEqual(copied, b"".join(claims_csv(claims, columns=chosen, use_copy=False)))
        self.assertEqual(len(copied.decode().splitlines()), 1 + 3)

    def test_what_is_committed_while_an_export_runs_is_not_in_it(self):
        before = b"".join(claims_csv(use_copy=False))

        def change():
            last = Claim.objects.get(pk=self.claims[-1].pk)
            link_claims(claim_a=last, claim_b=Claim.objects.get(pk=self.claims[2].pk))
            Claim.objects.filter(pk=last.pk).update(statement="Changed while the export ran")
            create_claim(source=self.first, quote="Critics said")

        with mock.patch.object(columns, "CHUNK_ROWS", 1):
            export = claims_csv()
            started = [next(export), next(export)]  # the header and the first claim
            in_another_connection(change)
            rest = list(export)
        self.assertEqual(Claim.objects.filter(statement="Changed while the export ran").count(), 1)
        self.assertEqual(b"".join(started + rest), before)

    def test_an_export_closed_early_leaves_its_connections_settings_as_they_were(self):
        def settings() -> tuple:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
                return cursor.fetchone()

        before = settings()
        with mock.patch.object(columns, "CHUNK_ROWS", 1):  # a chunk a claim
            export = claims_csv()
            next(export), next(export)
            export.close()
        self.assertEqual(settings(), before)

    def test_the_export_writes_moments_in_utc_whatever_the_servers_time_zone(self):
        Claim.objects.update(created_at=datetime.datetime(2017, 6, 1, 9, 30, 59, tzinfo=datetime.UTC))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            database = cursor.fetchone()[0]
            cursor.execute(f"ALTER DATABASE \"{database}\" SET TimeZone = 'Asia/Tokyo'")  # new connections' default
        connection.close()
        try:
            rows = list(csv.DictReader(io.StringIO(b"".join(claims_csv()).decode())))
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER DATABASE "{database}" RESET TimeZone')
        self.assertEqual({row["created_at"] for row in rows}, {"2017-06-01T09:30:59Z"})
        self.assertEqual(len(rows), len(self.claims))
