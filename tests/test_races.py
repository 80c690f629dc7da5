"""Double clicks for real: threads posting the same claim and the same link at once, on PostgreSQL."""

import threading
import unittest

from django.contrib.auth.models import Permission, User
from django.db import connection, connections
from django.test import Client, TransactionTestCase
from django.urls import reverse

from claims.models import Claim, Link
from claims.services import create_claim
from sources.services import create_source
from tests.test_editor_views import claim_data

THREADS = 6
TEXT = "The minister said the bridge would open in May. Critics said it would not."


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "SQLite lets one writer in at a time, so concurrent requests cannot race; this needs PostgreSQL (DATABASE_URL).",
)
class RaceTests(TransactionTestCase):
    def setUp(self):
        # A TransactionTestCase empties the tables, the roles' groups with them: the permissions are given here.
        self.annotator = User.objects.create_user("alice", password="pw", is_staff=True)
        codenames = ["view_claim", "add_claim", "change_claim", "view_link", "add_link"]
        self.annotator.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        self.source = create_source(title="Bridge", text=TEXT, url="https://example.org/bridge")
        self.other = create_source(title="Bridge 2", text="The bridge opens in May.", url="https://example.org/b2")
        self.claim = create_claim(source=self.source, quote="Critics said it would not")
        self.other_claim = create_claim(source=self.other, quote="The bridge opens in May")

    def at_once(self, url: str, data: dict) -> list[int]:
        """POST the same form from THREADS sessions released together; their status codes."""
        barrier = threading.Barrier(THREADS)
        statuses: list[int] = []

        def post():
            try:
                client = Client()
                client.force_login(self.annotator)
                barrier.wait()
                statuses.append(client.post(url, data).status_code)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=post) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return statuses

    def test_the_same_quote_posted_at_once_makes_one_claim_and_no_server_error(self):
        quote = "The minister said the bridge would open in May"
        statuses = self.at_once(reverse("annotate:add_claim", args=[self.source.pk]), claim_data(quote, 0))
        self.assertEqual(sorted(set(statuses)), [200, 422], statuses)
        self.assertEqual(statuses.count(200), 1)
        self.assertEqual(Claim.objects.filter(source=self.source, quote=quote).count(), 1)

    def test_the_same_link_posted_at_once_makes_one_link_and_no_server_error(self):
        url = reverse("annotate:add_link", args=[self.claim.pk])
        statuses = self.at_once(url, {"other": self.other_claim.pk, "relation": "contradicts"})
        self.assertEqual(statuses.count(200), 1, statuses)
        self.assertEqual(set(statuses) - {200}, {422}, statuses)
        self.assertEqual(Link.objects.count(), 1)

    def test_the_same_suggestion_linked_at_once_makes_one_link_and_no_server_error(self):
        url = reverse("annotate:suggestion", args=[self.claim.pk, self.other_claim.pk, "contradicts"])
        statuses = self.at_once(url, {})
        self.assertEqual(statuses.count(200), 1, statuses)
        self.assertEqual(set(statuses) - {200}, {422}, statuses)
        self.assertEqual(Link.objects.count(), 1)
