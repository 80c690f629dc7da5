"""What the project relies on in django-simple-history and Django beyond their documented use, each pinned here, so
that an upgrade that changes it fails a test naming it: the history rows a bulk import COPYs in are the ones the
library writes itself; the hooks common/history.py uses behave as it expects; a new claim built from positional
values (common.copy_insert.new_instances) is the claim keyword arguments build; Django's compiled SELECT of claims
has the shape the COPY export splits (claims.exchange.columns.copy_query)."""

import unittest

import psycopg
from django.conf import settings
from django.db import connection
from django.urls import reverse

from claims.models import Claim, Link, Tag
from claims.services import create_claim, link_claims
from claims.tagging import refresh_tag_names
from common.copy_insert import new_instances
from common.history import (
    RECORD_COLUMNS,
    KeptHistory,
    bulk_history,
    many_to_many_records,
    one_history_record,
    record_columns,
    record_stored_rows,
    recorded_as,
)
from tests.base import HARBOUR_TEXT, BaseTestCase
from tests.test_links import claim_form_data


def stored(record) -> dict:
    """A history record's columns but its primary key."""
    return {f.attname: getattr(record, f.attname) for f in type(record)._meta.concrete_fields if not f.primary_key}


class HistoryRowsCopiedInTests(BaseTestCase):
    def test_a_history_row_written_from_the_stored_row_is_the_row_the_library_writes_for_the_same_save(self):
        claim = create_claim(source=self.harbour, quote="the president said on 1 June", speaker=self.putin)
        record = claim.history.get()
        person, when, reason = record.history_user, record.history_date, record.history_change_reason
        written = record_stored_rows(Claim, [claim.pk], kind="+", user=person, when=when, reason=reason)
        copied = Claim.history.model.objects.get(pk=written[claim.pk])
        self.assertEqual(stored(copied), stored(record))

    def test_a_history_row_written_from_the_stored_row_reads_back_in_the_objects_history(self):
        claim = create_claim(source=self.harbour, quote="the president said on 1 June")
        record = claim.history.get()
        written = record_stored_rows(
            Claim, [claim.pk], kind="~", user=self.bob, when=record.history_date, reason="Changed by an import"
        )
        copied = Claim.history.model.objects.get(pk=written[claim.pk])
        expected = stored(record) | {"history_type": "~", "history_user_id": self.bob.pk}
        self.assertEqual(stored(copied), expected | {"history_change_reason": "Changed by an import"})
        self.assertEqual(list(claim.history.all()), [copied, record])  # the claim's history lists it, newest first

    def test_every_history_table_has_only_tracked_columns_and_the_library_columns_a_bulk_record_fills(self):
        for model in KeptHistory.by_model:
            with self.subTest(model=model.__name__):
                tracked = record_columns(model)  # raises, naming the columns, when the library added one
                history = model.history.model._meta
                columns = {f.attname for f in history.concrete_fields if not f.primary_key}
                self.assertEqual(columns, {*tracked, *RECORD_COLUMNS})

    def test_a_history_records_tags_are_rows_of_the_through_table_with_the_record_id(self):
        through = Claim.tags.through._meta
        history_tags = many_to_many_records(Claim, "tags")._meta
        columns = {f.attname for f in history_tags.concrete_fields if not f.primary_key}
        self.assertEqual(columns, {"history_id", *(f.attname for f in through.concrete_fields)})

    def test_tags_copied_into_a_bulk_record_are_the_tags_the_library_copies_at_a_save(self):
        tag = Tag.objects.create(name="islands")
        with one_history_record(self.rejected):
            self.rejected.tags.add(tag)
        refresh_tag_names([self.rejected.pk])  # as every write path that tags a claim does
        by_library = self.rejected.history.first()
        [by_us] = bulk_history(Claim, [self.rejected], reason="Tagged in bulk")

        def tag_rows(record):
            return [{**row, "history_id": None} for row in record.tags.values("id", "claim_id", "tag_id")]

        self.assertEqual(tag_rows(by_us), tag_rows(by_library))
        self.assertEqual(len(tag_rows(by_us)), 1)


class HistoryHooksTests(BaseTestCase):
    def test_a_save_names_the_person_and_reason_given_by_recorded_as(self):
        with recorded_as(user=self.bob, reason="Checked against the transcript"):
            self.rejected.statement = "Moscow said no."
            self.rejected.save()
        record = self.rejected.history.first()
        self.assertEqual(
            (record.history_user, record.history_change_reason), (self.bob, "Checked against the transcript")
        )

    def test_a_reason_set_on_the_object_is_kept(self):
        self.rejected._change_reason = "Merged speaker"
        self.rejected.save()
        self.assertEqual(self.rejected.history.first().history_change_reason, "Merged speaker")

    def test_a_request_records_its_logged_in_user_through_our_own_middleware(self):
        self.assertIn("common.history.RecordingMiddleware", settings.MIDDLEWARE)
        self.assertNotIn("simple_history.middleware.HistoryRequestMiddleware", settings.MIDDLEWARE)
        self.client.force_login(self.alice)
        data = claim_form_data(self.rejected) | {"statement": "Moscow said no."}
        response = self.client.post(reverse("admin:claims_claim_change", args=[self.rejected.pk]), data)
        self.assertEqual(response.status_code, 302)
        record = self.rejected.history.first()
        self.assertEqual((record.history_user, record.history_change_reason), (self.alice, "Changed in the admin"))

    def test_a_save_while_history_is_held_writes_no_record_until_the_block_ends(self):
        before = self.rejected.history.count()
        with one_history_record(self.rejected):
            self.rejected.save()
            self.rejected.tags.add(Tag.objects.create(name="islands"))
            self.assertEqual(self.rejected.history.count(), before)
        self.assertEqual(self.rejected.history.count(), before + 1)
        refresh_tag_names([self.rejected.pk])  # as every write path that tags a claim does

    def test_a_new_instance_is_adding_until_saved_as_djangos_state_says(self):
        start = HARBOUR_TEXT.index("the president said")
        claim = Claim(source=self.harbour, quote="the president said", start=start, end=start + 18, kind="reported")
        self.assertTrue(claim._state.adding)
        with one_history_record(claim):
            claim.save()
        self.assertFalse(claim._state.adding)
        self.assertFalse(Claim.objects.get(pk=claim.pk)._state.adding)
        self.assertEqual(claim.history.get().history_type, "+")


class CopyCursorTests(BaseTestCase):
    @unittest.skipUnless(connection.vendor == "postgresql", "COPY is PostgreSQL's (SQLite inserts with bulk_create)")
    def test_djangos_cursor_wrapper_holds_the_psycopg_cursor_that_copy_insert_hands_its_writer(self):
        with connection.cursor() as cursor:
            self.assertIsInstance(cursor.cursor, psycopg.Cursor)
            self.assertIs(cursor.cursor.connection, connection.connection)


class NewInstancesTests(BaseTestCase):
    def test_a_claim_built_from_positional_values_is_the_claim_keywords_build(self):
        by_keywords = Claim(created_by=self.alice)
        by_position = new_instances(Claim, created_by=self.alice)()
        for field in Claim._meta.concrete_fields:
            with self.subTest(field=field.name):
                if field.generated:  # computed by the database: unset on both until saved
                    self.assertIn(field.attname, by_position.get_deferred_fields())
                    self.assertIn(field.attname, by_keywords.get_deferred_fields())
                else:
                    self.assertEqual(getattr(by_position, field.attname), getattr(by_keywords, field.attname))
        self.assertTrue(by_position._state.adding)
        self.assertIsNone(by_position.pk)

    def test_each_claim_built_is_a_new_object(self):
        new_claim = new_instances(Claim)
        first, second = new_claim(), new_claim()
        first.quote = "the president said"
        self.assertEqual(second.quote, "")


class DuplicateLinkTests(BaseTestCase):
    def test_a_duplicate_link_added_on_a_claims_page_is_refused_by_the_pair_constraint_once(self):
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable)
        self.client.force_login(self.alice)
        form = claim_form_data(self.unacceptable) | {
            "links_from-TOTAL_FORMS": "1",
            "links_from-INITIAL_FORMS": "0",
            "links_from-0-claim_b": str(self.rejected.pk),
            "links_from-0-relation": "contradicts",
        }
        response = self.client.post(reverse("admin:claims_claim_change", args=[self.unacceptable.pk]), form)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content.decode().count("These two claims are already linked."), 1)
        self.assertEqual(Link.objects.count(), 1)
