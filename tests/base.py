"""Shared test setup: a few named people and a small story to annotate."""

import datetime

from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import F
from django.test import TestCase

from claims.corroboration.counting import recount_all
from claims.exchange.stored_cells import stale_cells
from claims.models import Claim
from claims.services import create_claim
from claims.tagging import stale_tag_names
from common.projects import sole_project
from sources.models import Agent, Membership
from sources.services import create_source

LEDGER_TEXT = (
    "On 1 June 2017 the president said that US missile-defence sites on the islands "
    "would be “absolutely unacceptable”.\nTalks on joint projects would go on."
)
HARBOUR_TEXT = "Moscow rejected any American anti-missile base on the Kurils, the president said on 1 June."


def make_member(user: User, role: str, project=None) -> Membership:
    """Give the user `role` (a role group's name) in the project (the server's only one when not given)."""
    return Membership.objects.create(project=project or sole_project(), user=user, role=Group.objects.get(name=role))


class BaseTestCase(TestCase):
    """Alice annotates, Bob reviews, Vera only reads; Root is a superuser."""

    @classmethod
    def setUpTestData(cls):
        cls.alice = cls.make_user("alice", "Annotator")
        cls.bob = cls.make_user("bob", "Reviewer")
        cls.vera = cls.make_user("vera", "Viewer")
        cls.root = User.objects.create_superuser("root", password="pw")

        cls.putin = Agent.objects.create(name="Vladimir Putin", kind=Agent.Kind.PERSON)
        cls.ledger_press = Agent.objects.create(name="Northern Ledger", kind=Agent.Kind.ORGANISATION)
        cls.harbour_press = Agent.objects.create(name="Harbour Times", kind=Agent.Kind.ORGANISATION)
        cls.ledger = create_source(
            title="Ledger on missile defence",
            text=LEDGER_TEXT,
            raw_text="<nav>menu</nav>" + LEDGER_TEXT,
            url="https://example.net/ledger",
            publisher=cls.ledger_press,
            published_on=datetime.date(2017, 6, 2),
        )
        cls.harbour = create_source(
            title="Harbour on the Kurils",
            text=HARBOUR_TEXT,
            url="https://example.org/harbour",
            publisher=cls.harbour_press,
        )
        cls.unacceptable = create_claim(
            source=cls.ledger,
            quote="would be “absolutely unacceptable”",
            speaker=cls.putin,
            claimed_on=datetime.date(2017, 6, 1),
        )
        cls.rejected = create_claim(
            source=cls.harbour, quote="Moscow rejected any American anti-missile base on the Kurils", speaker=cls.putin
        )

    # Every write path must keep the stored corroboration counts, link lists, tag names and (on PostgreSQL) the CSV
    # cells repeated from sources and people right: each test ends by recomputing them all from scratch and comparing
    # (a test that makes drift on purpose sets this to False).
    check_counts = True

    def tearDown(self):
        # (A test that broke the transaction on purpose, asserting a database refusal, has nothing to check.)
        if self.check_counts and not connection.needs_rollback:
            drift = recount_all(repair=False)
            self.assertEqual(drift, {}, "stored corroboration counts drifted: {claim id: (stored, right)}")
            self.assertEqual(stale_tag_names(), {}, "stored tag names drifted: {claim id: (stored, right)}")
            if connection.vendor == "postgresql":
                self.assertEqual(stale_cells(), {}, "stored CSV cells drifted: {claim id: {column: (stored, right)}}")
            misplaced = Claim.objects.exclude(project=F("source__project")).values_list("pk", flat=True)
            self.assertEqual(list(misplaced), [], "claims whose stored project is not their source's")
        super().tearDown()

    @staticmethod
    def make_user(username: str, role: str, project=None) -> User:
        """A staff account holding `role` (Viewer, Annotator, Reviewer, Manager) in the project (the only one)."""
        user = User.objects.create_user(username, password="pw", is_staff=True)
        make_member(user, role, project)
        return user
