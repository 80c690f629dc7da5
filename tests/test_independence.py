"""A corroborating source counts as independent only when it shares no author and no publisher."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from claims.exchange.columns import claims_csv
from claims.models import Claim, Link, Republication
from claims.services import create_claim, link_claims, record_republication
from sources.models import MAX_PARENT_DEPTH, Agent, Source
from sources.services import create_source, merge_agents
from tests.base import BaseTestCase

REPORT = "The minister said the survey trip to the islands would start in June."


class IndependenceStory(BaseTestCase):
    """The story's `unacceptable` claim sits in the Ledger (publisher Northern Ledger); others corroborate it."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.ann = Agent.objects.create(name="Ann Writer")
        cls.ledger.authors.add(cls.ann)

    def corroborating_source(self, title: str, *, publisher=None, authors=(), text: str = REPORT) -> Source:
        """A new source whose one claim corroborates the Ledger's `unacceptable` claim."""
        source = create_source(title=title, text=text, publisher=publisher, authors=authors)
        claim = create_claim(source=source, quote=text[:40])
        link_claims(claim_a=claim, claim_b=self.unacceptable)
        return source

    def independent_voices(self) -> int:
        return Claim.objects.get(pk=self.unacceptable.pk).independent_voices


class IndependenceTests(IndependenceStory):
    def test_a_source_with_the_same_author_is_not_independent(self):
        self.corroborating_source("Ann again", authors=[self.ann], publisher=self.harbour_press)
        self.assertEqual(self.independent_voices(), 0)

    def test_a_source_with_the_same_publisher_is_not_independent(self):
        self.corroborating_source("Ledger's other story", publisher=self.ledger_press)
        self.assertEqual(self.independent_voices(), 0)

    def test_a_desk_of_the_same_parent_organisation_is_the_same_publisher(self):
        group = Agent.objects.create(name="Ledger Group", kind=Agent.Kind.ORGANISATION)
        self.ledger_press.parent = group
        self.ledger_press.save()
        sport_desk = Agent.objects.create(name="Ledger Sport", kind=Agent.Kind.ORGANISATION, parent=group)
        self.corroborating_source("From the sport desk", publisher=sport_desk)
        self.assertEqual(self.independent_voices(), 0)

    def test_the_parent_organisation_itself_is_the_same_publisher(self):
        group = Agent.objects.create(name="Ledger Group", kind=Agent.Kind.ORGANISATION)
        self.ledger_press.parent = group
        self.ledger_press.save()
        self.corroborating_source("From the group", publisher=group)
        self.assertEqual(self.independent_voices(), 0)

    def test_a_grandparent_organisation_is_the_same_publisher(self):
        holding = Agent.objects.create(name="Ledger Holding", kind=Agent.Kind.ORGANISATION)
        group = Agent.objects.create(name="Ledger Group", kind=Agent.Kind.ORGANISATION, parent=holding)
        self.ledger_press.parent = group
        self.ledger_press.save()
        radio = Agent.objects.create(name="Holding Radio", kind=Agent.Kind.ORGANISATION, parent=holding)
        self.corroborating_source("On the radio", publisher=radio)
        self.assertEqual(self.independent_voices(), 0)

    def test_a_republished_copy_of_the_claims_source_is_not_independent(self):
        syndicator = Agent.objects.create(name="Wire Mirror", kind=Agent.Kind.ORGANISATION)
        copy = self.corroborating_source("Mirror of the Ledger", publisher=syndicator)
        record_republication(copy=copy, original=self.ledger)
        self.assertEqual(self.independent_voices(), 0)

    def test_a_copy_speaks_with_its_originals_author(self):
        original = create_source(title="Ann's first report", text=REPORT, authors=[self.ann])
        syndicator = Agent.objects.create(name="Wire Mirror", kind=Agent.Kind.ORGANISATION)
        copy = self.corroborating_source("Mirror of Ann's report", publisher=syndicator)
        record_republication(copy=copy, original=original)
        self.assertEqual(self.independent_voices(), 0)

    def test_an_original_and_its_copy_count_as_one_independent_source(self):
        other_paper = Agent.objects.create(name="Valley Courier", kind=Agent.Kind.ORGANISATION)
        syndicator = Agent.objects.create(name="Wire Mirror", kind=Agent.Kind.ORGANISATION)
        original = self.corroborating_source("Courier report", publisher=other_paper)
        copy = self.corroborating_source("Mirror of the Courier", publisher=syndicator)
        record_republication(copy=copy, original=original)
        self.assertEqual(self.independent_voices(), 1)

    def test_a_truly_independent_source_counts(self):
        bea = Agent.objects.create(name="Bea Reporter")
        self.corroborating_source("Harbour follows up", publisher=self.harbour_press, authors=[bea])
        self.assertEqual(self.independent_voices(), 1)

    def test_each_claim_counts_corroborating_independent_and_contradicting_sources(self):
        self.corroborating_source("Ledger's other story", publisher=self.ledger_press)
        self.corroborating_source("Harbour follows up", publisher=self.harbour_press)
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable, relation=Link.Relation.CONTRADICTS)
        claim = Claim.objects.get(pk=self.unacceptable.pk)
        self.assertEqual(
            (claim.corroborating_sources, claim.independent_voices, claim.contradicting_sources), (2, 1, 1)
        )


class IndependenceInTheCsvTests(IndependenceStory):
    """Not a new rule: the CSV's `independent_voices` column is the same database computation."""

    def test_the_claims_csv_counts_a_sister_desk_and_a_copy_as_not_independent(self):
        group = Agent.objects.create(name="Ledger Group", kind=Agent.Kind.ORGANISATION)
        self.ledger_press.parent = group
        self.ledger_press.save()
        desk = Agent.objects.create(name="Ledger Sport", kind=Agent.Kind.ORGANISATION, parent=group)
        self.corroborating_source("From the sport desk", publisher=desk)
        mirror = Agent.objects.create(name="Wire Mirror", kind=Agent.Kind.ORGANISATION)
        copy = self.corroborating_source("Mirror of the Ledger", publisher=mirror)
        record_republication(copy=copy, original=self.ledger)
        self.corroborating_source("Harbour follows up", publisher=self.harbour_press)
        text = b"".join(claims_csv(columns=["id", "independent_voices"])).decode()
        counts = dict(line.split(",") for line in text.splitlines()[1:])
        self.assertEqual(counts[str(self.unacceptable.pk)], "1")


class IndependenceInTheClaimListTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        courier = Agent.objects.create(name="Valley Courier", kind=Agent.Kind.ORGANISATION)
        source = create_source(title="Courier report", text=REPORT, publisher=courier)
        cls.courier_claim = create_claim(source=source, quote=REPORT[:40])
        link_claims(claim_a=cls.courier_claim, claim_b=cls.unacceptable)

    def changelist(self, query: str = ""):
        self.client.force_login(self.vera)
        return self.client.get(reverse("admin:claims_claim_changelist") + query)

    def test_the_claim_list_shows_independent_sources(self):
        response = self.changelist()
        self.assertContains(response, "independent voices")
        self.assertContains(response, '<td class="field-independent">1</td>', html=True)

    def test_the_claim_list_sorts_by_independent_sources(self):
        column = str(response_column(self.changelist(), "independent"))
        fewest_first = [claim.pk for claim in self.changelist("?o=" + column).context["cl"].result_list]
        most_first = [claim.pk for claim in self.changelist("?o=-" + column).context["cl"].result_list]
        self.assertEqual(fewest_first[0], self.rejected.pk)
        self.assertEqual(most_first[-1], self.rejected.pk)

    def test_the_claim_list_filters_claims_with_no_independent_source(self):
        response = self.changelist("?independence=none")
        shown = {claim.pk for claim in response.context["cl"].result_list}
        self.assertEqual(shown, {self.rejected.pk})

    def test_the_claim_list_filters_independently_corroborated_claims(self):
        response = self.changelist("?independence=some")
        shown = {claim.pk for claim in response.context["cl"].result_list}
        self.assertEqual(shown, {self.unacceptable.pk, self.courier_claim.pk})


def response_column(response, field_name: str) -> int:
    """The index Django's changelist uses in `?o=` for a list_display column."""
    return response.context["cl"].list_display.index(field_name)


class RepublicationRuleTests(BaseTestCase):
    def test_a_copy_must_point_at_the_original_not_at_another_copy(self):
        copy = create_source(title="Mirror", text=REPORT)
        record_republication(copy=copy, original=self.ledger)
        copy_of_copy = Republication(copy=create_source(title="Mirror of mirror", text=REPORT), original=copy)
        with self.assertRaises(ValidationError) as caught:
            copy_of_copy.full_clean()
        self.assertEqual(caught.exception.error_dict["original"][0].code, "original_is_copy")

    def test_a_source_cannot_republish_itself(self):
        with self.assertRaises(IntegrityError):
            Republication.objects.create(copy=self.ledger, original=self.ledger)


class PublisherChainRuleTests(BaseTestCase):
    """Independence compares the tops of publisher chains with a fixed number of joins, so chains are capped."""

    def chain(self, length: int) -> list[Agent]:
        """`length` organisations, each the parent of the next; the first is the top."""
        chain = [Agent.objects.create(name="Level 0", kind=Agent.Kind.ORGANISATION)]
        for level in range(1, length):
            chain.append(Agent.objects.create(name=f"Level {level}", kind=Agent.Kind.ORGANISATION, parent=chain[-1]))
        return chain

    def test_an_organisation_may_sit_at_the_deepest_allowed_level(self):
        deepest = self.chain(MAX_PARENT_DEPTH + 1)[-1]
        deepest.full_clean()

    def test_an_organisation_below_the_deepest_allowed_level_is_refused(self):
        too_deep = Agent(
            name="One level too many", kind=Agent.Kind.ORGANISATION, parent=self.chain(MAX_PARENT_DEPTH + 1)[-1]
        )
        with self.assertRaises(ValidationError) as caught:
            too_deep.full_clean()
        self.assertEqual(caught.exception.error_dict["parent"][0].code, "parent_too_deep")

    def test_hanging_an_organisation_with_desks_under_a_chain_counts_the_desks(self):
        newspaper = self.chain(2)[0]
        group = self.chain(MAX_PARENT_DEPTH)[-1]
        newspaper.parent = group
        with self.assertRaises(ValidationError) as caught:
            newspaper.full_clean()
        self.assertEqual(caught.exception.error_dict["parent"][0].code, "parent_too_deep")

    def test_merging_an_organisation_with_desks_into_one_deep_in_a_chain_is_refused_when_the_desks_would_sit_too_deep(
        self,
    ):
        deep = self.chain(MAX_PARENT_DEPTH + 1)[-1]
        newspaper, desk = self.chain(2)
        with self.assertRaises(ValidationError) as caught:
            merge_agents(keep=deep, others=[newspaper])
        self.assertEqual(caught.exception.error_dict["parent"][0].code, "parent_too_deep")
        desk.refresh_from_db()
        self.assertEqual(desk.parent, newspaper)

    def test_merging_an_organisation_with_desks_into_one_deep_in_a_chain_keeps_the_desks_at_the_deepest_level(self):
        deep = self.chain(MAX_PARENT_DEPTH)[-1]
        newspaper, desk = self.chain(2)
        merge_agents(keep=deep, others=[newspaper])
        desk.refresh_from_db()
        self.assertEqual(desk.parent, deep)

    def test_the_top_of_the_deepest_allowed_chain_is_the_same_publisher(self):
        chain = self.chain(MAX_PARENT_DEPTH + 1)
        original = create_source(title="From the top", text=REPORT, publisher=chain[0])
        far_desk = create_source(title="From the deepest desk", text=REPORT, publisher=chain[-1])
        link_claims(
            claim_a=create_claim(source=original, quote=REPORT[:40]),
            claim_b=create_claim(source=far_desk, quote=REPORT[:40]),
        )
        counts = Claim.objects.filter(source__in=[original, far_desk])
        self.assertEqual([(c.corroborating_sources, c.independent_voices) for c in counts], [(1, 0), (1, 0)])
