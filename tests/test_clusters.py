"""Claims joined by corroborates links form a cluster, shown as a timeline of who reported first."""

import datetime

from django.template.loader import render_to_string
from django.urls import reverse

from claims.corroboration.clusters import cluster_of
from claims.models import Link
from claims.services import create_claim, link_claims
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase

WIRE_TEXT = "The islands survey was agreed, the wire reported first."
LATE_TEXT = "A weekly summed it up a month later: the islands survey was agreed."


class ClusterStory(BaseTestCase):
    """The Ledger (2 June 2017) and an undated Harbour piece; a wire (1 June) and a weekly (3 July) join in."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wire_press = Agent.objects.create(name="Wire Service", kind=Agent.Kind.ORGANISATION)
        cls.wire = create_source(
            title="Wire flash", text=WIRE_TEXT, publisher=cls.wire_press, published_on=datetime.date(2017, 6, 1)
        )
        cls.weekly = create_source(title="Weekly digest", text=LATE_TEXT, published_on=datetime.date(2017, 7, 3))
        cls.wire_claim = create_claim(source=cls.wire, quote="The islands survey was agreed")
        cls.weekly_claim = create_claim(source=cls.weekly, quote="the islands survey was agreed")


class ClusterTests(ClusterStory):
    def test_claims_joined_through_another_claim_are_one_cluster(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.wire_claim)
        link_claims(claim_a=self.wire_claim, claim_b=self.weekly_claim)
        members = {claim.pk for claim in cluster_of(self.weekly_claim).claims}
        self.assertEqual(members, {self.unacceptable.pk, self.wire_claim.pk, self.weekly_claim.pk})

    def test_a_contradicts_link_does_not_join_a_cluster(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.wire_claim)
        link_claims(claim_a=self.wire_claim, claim_b=self.rejected, relation=Link.Relation.CONTRADICTS)
        members = {claim.pk for claim in cluster_of(self.unacceptable).claims}
        self.assertEqual(members, {self.unacceptable.pk, self.wire_claim.pk})

    def test_a_claim_without_links_is_a_cluster_of_one(self):
        self.assertEqual(cluster_of(self.rejected).claims, [self.rejected])

    def test_the_timeline_puts_whoever_reported_first_first_and_undated_sources_last(self):
        link_claims(claim_a=self.weekly_claim, claim_b=self.unacceptable)
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        link_claims(claim_a=self.rejected, claim_b=self.wire_claim)
        order = [claim.pk for claim in cluster_of(self.rejected).claims]
        self.assertEqual(order, [self.wire_claim.pk, self.unacceptable.pk, self.weekly_claim.pk, self.rejected.pk])

    def test_the_timeline_places_dates_left_to_right_along_the_axis(self):
        link_claims(claim_a=self.weekly_claim, claim_b=self.unacceptable)
        link_claims(claim_a=self.unacceptable, claim_b=self.wire_claim)
        xs = [entry.x for entry in cluster_of(self.unacceptable).entries]
        self.assertLess(xs[0], xs[1])
        self.assertLess(xs[1], xs[2])

    def test_a_cluster_takes_a_fixed_number_of_queries_however_large(self):
        previous = self.unacceptable
        for n in range(8):
            source = create_source(title=f"Follow-up {n}", text=WIRE_TEXT + f" ({n})")
            claim = create_claim(source=source, quote="The islands survey was agreed")
            source.authors.add(self.putin)
            link_claims(claim_a=previous, claim_b=claim)
            previous = claim
        with self.assertNumQueries(3):
            cluster = cluster_of(self.unacceptable)
            rendered = render_to_string("claims/_cluster.html", {"cluster": cluster})
        self.assertEqual(len(cluster.claims), 9)
        self.assertIn("Vladimir Putin", rendered)

    def test_the_picture_is_an_inline_svg_that_fetches_nothing(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.wire_claim)
        rendered = render_to_string("claims/_cluster.html", {"cluster": cluster_of(self.unacceptable)})
        self.assertIn("<svg", rendered)
        self.assertEqual(rendered.count("<circle"), 2)
        for fetching in ("href=", "src=", "url(", "@import"):
            self.assertNotIn(fetching, rendered)

    def test_the_claims_admin_page_shows_the_cluster_with_sources_authors_publishers_and_dates(self):
        self.wire.authors.add(Agent.objects.create(name="Wanda Wire"))
        link_claims(claim_a=self.unacceptable, claim_b=self.wire_claim)
        self.client.force_login(self.vera)
        response = self.client.get(reverse("admin:claims_claim_change", args=[self.unacceptable.pk]))
        self.assertContains(response, "Cluster: 2 claims, who reported first")
        for shown in ("Wire flash", "Wanda Wire", "Wire Service", "2017-06-01", "Northern Ledger", "2017-06-02"):
            self.assertContains(response, shown)


class ClaimPageClusterTests(ClusterStory):
    def test_the_claim_page_shows_the_cluster_timeline_counts_and_a_json_ld_link(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.wire_claim)
        self.client.force_login(self.vera)
        response = self.client.get(reverse("claims:detail", args=[self.unacceptable.pk]))
        self.assertContains(response, "Cluster: 2 claims, who reported first")
        self.assertContains(response, "<svg")
        self.assertContains(response, "Independent voices")
        self.assertContains(response, reverse("admin:claims_claim_jsonld", args=[self.unacceptable.pk]))
