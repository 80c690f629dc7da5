"""Every sortable column of the claim, source and people lists is read in the order of an index, both ways: the page
query's plan, on PostgreSQL with sorting and table scans priced out, holds no Sort (it would if no index served the
order, as Django's "-pk" tie-breaker once made every ascending sort)."""

from unittest import skipUnless

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.base import BaseTestCase


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        try:
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")
            cursor.execute("SET LOCAL enable_sort = on")
            cursor.execute("SET LOCAL enable_incremental_sort = on")


def page_query(queries, table: str) -> str:
    """The list's query of its page of rows."""
    start = f'SELECT "{table}"."id", '
    return [q["sql"] for q in queries if q["sql"].startswith(start) and "ORDER BY" in q["sql"]][-1]


@skipUnless(connection.vendor == "postgresql", "reads PostgreSQL's query plans")
class SortedListsReadAnIndexTests(BaseTestCase):
    def assert_every_sort_reads_an_index(self, changelist: str, table: str, columns: int) -> None:
        self.client.force_login(self.root)
        url = reverse(changelist)
        headers = self.client.get(url).context["result_headers"]
        sortable = [number for number, header in enumerate(headers) if header["sortable"]]
        self.assertEqual(len(sortable), columns)
        for number in sortable:
            for way in ("", "-"):
                with self.subTest(column=headers[number]["text"], descending=bool(way)):
                    with CaptureQueriesContext(connection) as queries:
                        self.assertEqual(self.client.get(url, {"o": f"{way}{number}"}).status_code, 200)
                    shown = plan(page_query(queries, table))
                    self.assertNotIn("Sort", shown)
                    self.assertIn("Index", shown)

    def test_every_sortable_claim_column_reads_an_index_both_ways(self):
        self.assert_every_sort_reads_an_index("admin:claims_claim_changelist", "claims_claim", 8)

    def test_every_sortable_source_column_reads_an_index_both_ways(self):
        self.assert_every_sort_reads_an_index("admin:sources_source_changelist", "sources_source", 4)

    def test_every_sortable_people_column_reads_an_index_both_ways(self):
        self.assert_every_sort_reads_an_index("admin:sources_agent_changelist", "sources_agent", 3)

    def test_the_source_lists_default_order_reads_an_index(self):
        self.client.force_login(self.root)
        with CaptureQueriesContext(connection) as queries:
            self.client.get(reverse("admin:sources_source_changelist"))
        self.assertNotIn("Sort", plan(page_query(queries, "sources_source")))
