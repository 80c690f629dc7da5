"""The full-text expression is written once (claims.fulltext) and is the one the index claim_search_english was
built on, so that the claim list's search and the suggestions read the index instead of every claim."""

import importlib
import unittest

from django.db import connection

from claims.corroboration import suggestions
from claims.fulltext import claim_words
from claims.models import Claim
from claims.search import words_match
from tests.base import BaseTestCase

postgresql_only = unittest.skipUnless(
    connection.vendor == "postgresql", "the full-text index exists on PostgreSQL only (SQLite searches without it)"
)


def index_expression(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [name])
        definition = cursor.fetchone()[0]
    return definition.split(" USING gin ", 1)[1]


def plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: the index only when it can serve
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


class FullTextExpressionTests(BaseTestCase):
    def test_migration_0004_builds_the_index_on_the_expression_search_and_suggestions_use(self):
        migration = importlib.import_module("claims.migrations.0004_independence_suggestions")
        self.assertIn(f"USING gin ({claim_words()})", migration.SEARCH_INDEX)
        self.assertEqual(suggestions.SEARCH_VECTOR, claim_words())

    @postgresql_only
    def test_the_index_in_the_database_holds_the_live_expression(self):
        # PostgreSQL prints both in its own normal form: an index built now on the live expression, over a table
        # with the claims table's columns, reads the same.
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE claims_now (LIKE claims_claim)")
            cursor.execute(f"CREATE INDEX claim_words_now ON claims_now USING gin ({claim_words()})")
        self.assertEqual(index_expression("claim_search_english"), index_expression("claim_words_now"))

    @postgresql_only
    def test_a_word_search_of_the_claim_list_reads_the_index(self):
        # The list asks for the claims matching the words first (claims.search.listed), then the page by their ids.
        matching = Claim.objects.filter(words_match("unacceptable")).order_by().values_list("pk", flat=True)
        sql, params = matching.query.sql_with_params()
        self.assertIn("claim_search_english", plan(sql, params))

    @postgresql_only
    def test_suggestions_find_candidates_through_the_index(self):
        params = ["'missil'", self.ledger.pk, self.ledger.project_id, 10]
        self.assertIn("claim_search_english", plan(suggestions.MATCHING_SQL, params))
