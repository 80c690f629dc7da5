"""The CSV cells a claim repeats from its source and its people, kept on the claim by PostgreSQL's triggers
(claims.exchange.stored_cells, issue 26): every way of changing what they show changes them, and the export reads
them from the claims alone."""

import json
from unittest import skipUnless

from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from claims.exchange import stored_cells
from claims.exchange.columns import claims_csv, copy_query
from claims.models import Claim
from claims.services import create_claim
from sources.models import Agent, Source
from sources.services import create_source
from tests.base import BaseTestCase
from tests.test_csv_import import csv_text, import_text

INSTALLED_BY_MISSING = "INSTALLED_BY names a migration this database has not applied"


def cells(claim: Claim) -> dict[str, str | None]:
    """What the claim stores, by the CSV's column."""
    stored = {f"stored_{name}": cell for name, cell in stored_cells.stored_columns().items()}
    row = Claim.objects.filter(pk=claim.pk).annotate(**stored).values(*stored).get()
    return {name.removeprefix("stored_"): cell for name, cell in row.items()}


def row_version(claim: Claim) -> str:
    """The claim's row version in PostgreSQL (xmin): it changes whenever the row is written."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM claims_claim WHERE id = %s", [claim.pk])
        return cursor.fetchone()[0]


def claims_updated_in_this_transaction() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_get_xact_tuples_updated('claims_claim'::regclass)")
        return cursor.fetchone()[0]


def nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", ()) for node in nodes(child))]


@skipUnless(connection.vendor == "postgresql", "the cells are kept by PostgreSQL's triggers; SQLite computes them")
class StoredCellsTests(BaseTestCase):
    def test_a_new_claim_stores_its_sources_and_peoples_cells(self):
        claim = create_claim(source=self.ledger, quote="Talks on joint projects", speaker=self.putin)

        self.assertEqual(
            cells(claim),
            {
                "source_title": "Ledger on missile defence",
                "source_url": "https://example.net/ledger",
                "publisher": "Northern Ledger",
                "authors": None,
                "published_on": "2017-06-02",
                "pages": None,
                "speaker": "Vladimir Putin",
                "annotator": None,
            },
        )

    def test_renaming_a_source_changes_its_claims_cells_and_no_other_claims_row(self):
        other_row = row_version(self.rejected)

        Source.objects.filter(pk=self.ledger.pk).update(title="=Ledger renamed")

        self.assertEqual(cells(self.unacceptable)["source_title"], "'=Ledger renamed")  # escaped for spreadsheets
        self.assertEqual(row_version(self.rejected), other_row)

    def test_a_change_a_cell_does_not_show_leaves_the_claims_rows_alone(self):
        before = row_version(self.unacceptable)
        self.ledger.notes = "Checked against the print edition."
        self.ledger.save()

        self.assertEqual(row_version(self.unacceptable), before)

    def test_renaming_a_person_changes_the_claims_they_speak_publish_or_write(self):
        self.ledger.authors.add(self.putin)
        self.assertEqual(cells(self.unacceptable)["authors"], "Vladimir Putin")

        self.putin.name = "V. Putin"
        self.putin.save()
        self.ledger_press.name = "Ledger Press"
        self.ledger_press.save()

        self.assertEqual(cells(self.unacceptable)["speaker"], "V. Putin")
        self.assertEqual(cells(self.unacceptable)["authors"], "V. Putin")
        self.assertEqual(cells(self.unacceptable)["publisher"], "Ledger Press")
        self.assertEqual(cells(self.rejected)["speaker"], "V. Putin")
        self.assertEqual(cells(self.rejected)["publisher"], "Harbour Times")

    def test_adding_and_removing_authors_changes_the_list(self):
        writer = Agent.objects.create(name="Anna; Ivanova", kind=Agent.Kind.PERSON)
        self.ledger.authors.add(self.putin, writer)
        self.assertEqual(cells(self.unacceptable)["authors"], "Anna\\; Ivanova; Vladimir Putin")

        self.ledger.authors.remove(self.putin)
        self.assertEqual(cells(self.unacceptable)["authors"], "Anna\\; Ivanova")

    def test_renaming_an_account_changes_the_annotator_of_its_claims(self):
        claim = create_claim(source=self.ledger, quote="Talks on joint projects", created_by=self.alice)
        User.objects.filter(pk=self.alice.pk).update(username="alice.k")

        self.assertEqual(cells(claim)["annotator"], "alice.k")

    def test_a_claim_moved_to_another_span_and_source_takes_their_cells(self):
        pdf = create_source(title="Statement", text="Page one.\nPage two.", page_starts=[0, 10])
        claim = create_claim(source=pdf, quote="Page two")
        self.assertEqual(cells(claim)["pages"], "2")

        Claim.objects.filter(pk=claim.pk).update(start=0, end=8)
        self.assertEqual(cells(claim)["pages"], "1")
        Source.objects.filter(pk=pdf.pk).update(page_starts=[0, 5])
        self.assertEqual(cells(claim)["pages"], "1; 2")
        Claim.objects.filter(pk=claim.pk).update(source=self.harbour, speaker=self.putin, start=0, end=8)
        self.assertEqual(cells(claim)["source_title"], "Harbour on the Kurils")
        self.assertEqual(cells(claim)["pages"], None)
        self.assertEqual(cells(claim)["speaker"], "Vladimir Putin")

    def test_the_csv_import_writes_new_claims_with_their_cells_so_none_is_written_twice(self):
        self.ledger.authors.add(self.putin)
        # The import is a new statement's work: the count of rows updated in this transaction starts here.
        updated_before = claims_updated_in_this_transaction()
        rows = [
            [str(self.ledger.pk), "Talks on joint projects", "Vladimir Putin"],
            [str(self.harbour.pk), "Moscow", ""],
        ]
        report = import_text(csv_text(["source_id", "quote", "speaker"], rows), user=self.root)
        self.assertTrue(report.ok, report.problems)

        self.assertEqual(claims_updated_in_this_transaction(), updated_before)  # nothing written again
        talks = Claim.objects.get(quote="Talks on joint projects")
        self.assertEqual(cells(talks)["authors"], "Vladimir Putin")
        self.assertEqual(cells(talks)["speaker"], "Vladimir Putin")
        self.assertEqual(cells(talks)["annotator"], "root")
        self.assertEqual(cells(Claim.objects.get(quote="Moscow"))["source_title"], "Harbour on the Kurils")

    def test_a_new_claim_given_wrong_cells_is_written_again_with_the_right_ones(self):
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO claims_claim (quote, start, "end", statement, claimed_on_precision, kind, status, '
                "created_at, updated_at, version, source_id, anchor_state, corroborating_sources, independent_voices, "
                "unverified_sources, contradicting_sources, corroborated_by_ids, contradicted_by_ids, tag_names, "
                'undecided_duplicates, project_id, cell_source_title) SELECT quote, start + 1000, "end" + 1000, '
                "statement, claimed_on_precision, kind, status, created_at, updated_at, version, source_id, "
                "anchor_state, 0, 0, 0, 0, '', '', '', '', project_id, 'a title of my own' FROM claims_claim "
                "WHERE id = %s RETURNING id",
                [self.rejected.pk],
            )
            (made,) = cursor.fetchone()

        self.assertEqual(cells(Claim(pk=made))["source_title"], "Harbour on the Kurils")
        Claim.objects.filter(pk=made).delete()

    def test_the_export_writes_the_stored_cells_as_the_computed_ones(self):
        self.ledger.authors.add(self.putin)
        Agent.objects.filter(pk=self.putin.pk).update(name="+Putin")

        copied = b"".join(claims_csv(use_copy=True))
        computed = b"".join(claims_csv(use_copy=False))

        self.assertEqual(copied, computed)
        self.assertIn(b"'+Putin", copied)

    def test_the_export_reads_the_claims_alone(self):
        sql, params = copy_query(None, None)
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            (plan,) = cursor.fetchone()
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        read = {node.get("Relation Name") for node in nodes(plan)} - {None}

        self.assertEqual(read, {"claims_claim"}, plan)
        self.assertFalse([node for node in nodes(plan) if "Join" in node["Node Type"] or "Nested" in node["Node Type"]])

    def test_a_drifted_cell_is_found(self):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE claims_claim SET cell_speaker = 'someone else' WHERE id = %s", [self.rejected.pk])

        drifted = {self.rejected.pk: {"speaker": ("someone else", "Vladimir Putin")}}
        self.assertEqual(stored_cells.stale_cells(), drifted)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE claims_claim SET speaker_id = speaker_id WHERE id = %s", [self.rejected.pk])
        self.assertEqual(stored_cells.stale_cells(), {})

    def test_the_triggers_sql_is_what_the_last_migration_to_install_them_wrote(self):
        app, migration, digest = stored_cells.INSTALLED_BY
        self.assertEqual(
            stored_cells.install_sql_digest(connection),
            digest,
            "the cells' SQL changed (the export's expressions did): add a migration that calls "
            "claims.exchange.stored_cells.install, and record it and this digest in INSTALLED_BY",
        )
        self.assertTrue(
            MigrationRecorder(connection).migration_qs.filter(app=app, name=migration).exists(), INSTALLED_BY_MISSING
        )
