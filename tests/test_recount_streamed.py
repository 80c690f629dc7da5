"""The full recount on PostgreSQL (issue 26): the claims stream in from one COPY with their links gathered, and are
decided by the same rule, in the same counts, as the recount a stretch of claims at a time that SQLite runs."""

import json
from unittest import mock, skipUnless

from django.db import connection, transaction

from claims.corroboration import counting
from claims.corroboration.counting import gathered_query, recount_all
from claims.models import Claim, Link
from claims.services import create_claim, link_claims
from sources.models import Agent, DistinctPublishers
from sources.services import create_source
from tests.base import BaseTestCase

PLANNER_SETTINGS = tuple(counting.STREAMED_PLAN)  # each SET for the recount, and RESET after


def nodes(plan: dict) -> list[dict]:
    """Every node of an EXPLAIN (FORMAT JSON) plan, the top one first."""
    return [plan, *(node for child in plan.get("Plans", ()) for node in nodes(child))]


def gathered_plan() -> dict:
    """The plan PostgreSQL gives the recount's query, under the settings the recount reads it with."""
    sql, params = gathered_query()
    with connection.cursor() as cursor:
        for name, value in counting.STREAMED_PLAN.items():
            cursor.execute(f"SET LOCAL {name} = {value}")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


@skipUnless(connection.vendor == "postgresql", "the streamed recount is PostgreSQL's (COPY, arrays)")
class StreamedRecountTests(BaseTestCase):
    check_counts = False  # the tests break counts on purpose, and repair them before they end

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Four more sources: one with no metadata (unverified), two sharing an author, one sharing a domain with the
        # ledger under a publisher marked distinct from the ledger's.
        cls.anon = create_source(title="Anonymous", text="Moscow rejected any American base.")
        writer = Agent.objects.create(name="J. Writer", kind=Agent.Kind.PERSON)
        cls.first = create_source(title="First", text="Moscow rejected any base.", url="https://one.example/a")
        cls.second = create_source(title="Second", text="Moscow rejected any base.", url="https://two.example/b")
        cls.first.authors.add(writer)
        cls.second.authors.add(writer)
        apart = Agent.objects.create(name="Apart Press", kind=Agent.Kind.ORGANISATION)
        cls.cousin = create_source(
            title="Cousin", text="Moscow rejected any base.", url="https://news.example.net/c", publisher=apart
        )
        DistinctPublishers.objects.create(first=cls.ledger_press, second=apart)

    def a_story_with_every_kind_of_link(self) -> list[Claim]:
        """Claims linked to one, two and four other sources, and as contradicting."""
        made = [create_claim(source=source, quote="Moscow") for source in (self.anon, self.first, self.second)]
        made.append(create_claim(source=self.cousin, quote="Moscow"))
        for other in made[:4]:
            link_claims(claim_a=self.rejected, claim_b=other)
        link_claims(claim_a=self.unacceptable, claim_b=made[1])
        link_claims(claim_a=self.unacceptable, claim_b=made[3])  # the ledger's domain, a publisher marked distinct
        link_claims(claim_a=self.unacceptable, claim_b=made[0], relation=Link.Relation.CONTRADICTS)
        return made

    def test_a_streamed_recount_finds_the_same_drift_as_the_stretches(self):
        made = self.a_story_with_every_kind_of_link()
        lone = create_claim(source=self.anon, quote="American")  # no link, yet it stores counts and lists
        Claim.objects.update(independent_voices=7, unverified_sources=3, corroborated_by_ids="1; 2")
        Claim.objects.filter(pk=lone.pk).update(contradicting_sources=2, contradicted_by_ids="9")
        Claim.objects.filter(pk=made[0].pk).update(undecided_duplicates="1 if A is B")

        with transaction.atomic():
            streamed = counting._recount_streamed()
            stretched = counting._recount_stretches()

        self.assertEqual(streamed, stretched)
        self.assertEqual(set(streamed), set(Claim.objects.values_list("pk", flat=True)))
        self.assertEqual(streamed[self.rejected.pk][1][:4], (4, 2, 1, 0))  # the writer's two sources are one voice
        self.assertEqual(streamed[self.unacceptable.pk][1][:4], (2, 2, 0, 1))
        self.assertEqual(streamed[lone.pk][1], counting.ZERO)
        recount_all()
        self.assertEqual(recount_all(repair=False), {})

    def test_claims_read_ahead_in_many_lists_are_decided_as_in_one(self):
        self.a_story_with_every_kind_of_link()
        Claim.objects.update(independent_voices=7, corroborated_by_ids="1; 2")
        with transaction.atomic():
            at_once = counting._recount_streamed()
            with mock.patch.object(counting, "RECOUNTED_AT_ONCE", 2):  # read on while two at a time are decided
                in_twos = counting._recount_streamed()
        self.assertEqual(in_twos, at_once)
        self.assertEqual(set(in_twos), set(Claim.objects.values_list("pk", flat=True)))

    def test_the_claims_stream_along_their_primary_key_with_no_hash_to_build_first(self):
        plan = gathered_plan()
        self.assertEqual(plan["Node Type"], "Merge Join", plan)
        self.assertFalse([node for node in nodes(plan) if node["Node Type"] in ("Hash", "Hash Join")], plan)
        claims_side = [
            node
            for node in nodes(plan)
            if node.get("Relation Name") == "claims_claim" and node.get("Index Name") == "claims_claim_pkey"
        ]
        self.assertTrue(claims_side, plan)

    def test_the_recount_leaves_the_connections_planner_settings_as_they_were(self):
        self.a_story_with_every_kind_of_link()
        with connection.cursor() as cursor:
            before = {}
            for name in PLANNER_SETTINGS:
                cursor.execute(f"SHOW {name}")
                before[name] = cursor.fetchone()[0]
            recount_all()
            for name in PLANNER_SETTINGS:
                cursor.execute(f"SHOW {name}")
                self.assertEqual(cursor.fetchone()[0], before[name], name)
