"""What got in an annotator's way in their first hour: the admin's lists, links and messages."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from claims.services import create_claim, link_claims
from sources.dates import Precision
from sources.models import Agent
from sources.services import create_source
from tests.base import BaseTestCase
from tests.test_roles import new_claim_data


class OtherClaimChoiceTests(BaseTestCase):
    """Choosing the other claim of a link shows the quote with its speaker, date and source."""

    def setUp(self):
        self.client.force_login(self.alice)

    def autocomplete(self, term: str, field: str = "claim_b") -> list[str]:
        query = {"term": term, "app_label": "claims", "model_name": "link", "field_name": field}
        response = self.client.get(reverse("admin:autocomplete"), query)
        self.assertEqual(response.status_code, 200)
        return [result["text"] for result in response.json()["results"]]

    def test_the_autocomplete_shows_speaker_date_and_source(self):
        self.unacceptable.claimed_on_precision = Precision.MONTH
        self.unacceptable.save()
        self.assertEqual(
            self.autocomplete("absolutely"),
            ["“would be “absolutely unacceptable”” — Vladimir Putin, 2017-06 · Ledger on missile defence"],
        )

    def test_a_claim_without_speaker_or_date_is_the_authors(self):
        create_claim(source=self.harbour, quote="the president said on 1 June")
        expected = "“the president said on 1 June” — the author · Harbour on the Kurils"
        self.assertEqual(self.autocomplete("president said on"), [expected])

    def test_the_autocomplete_takes_the_same_queries_for_one_result_or_many(self):
        for n in range(6):
            source = create_source(title=f"Paper {n}", text=f"The islands were discussed ({n}).")
            create_claim(source=source, quote="The islands were discussed", speaker=self.putin)
        url = reverse("admin:autocomplete")
        query = {"app_label": "claims", "model_name": "link", "field_name": "claim_b"}
        with CaptureQueriesContext(connection) as queries_for_one:
            one = self.client.get(url, {**query, "term": "Moscow"}).json()["results"]
        with self.assertNumQueries(len(queries_for_one.captured_queries)):
            many = self.client.get(url, {**query, "term": "islands"}).json()["results"]
        self.assertEqual((len(one), len(many)), (1, 6))

    def test_the_links_on_a_claims_page_name_the_other_claims_speaker_date_and_source(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        response = self.client.get(reverse("admin:claims_claim_change", args=[self.unacceptable.pk]))
        self.assertContains(
            response, "“Moscow rejected any American anti-missile base on the Kurils” — Vladimir Putin · Harbour"
        )

    def test_the_list_of_links_names_both_claims_speaker_date_and_source(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        response = self.client.get(reverse("admin:claims_link_changelist"))
        self.assertContains(response, "— Vladimir Putin, 2017-06-01 · Ledger on missile defence")
        self.assertContains(response, "— Vladimir Putin · Harbour on the Kurils")

    def test_the_list_of_links_is_a_fixed_number_of_queries(self):
        url = reverse("admin:claims_link_changelist")
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        self.client.get(url)  # warm the content types cache
        with CaptureQueriesContext(connection) as one:
            self.client.get(url)
        for n in range(4):
            source = create_source(title=f"Paper {n}", text=f"The islands were discussed ({n}).")
            other = create_claim(source=source, quote="The islands were discussed", speaker=self.putin)
            link_claims(claim_a=self.unacceptable, claim_b=other)
        with self.assertNumQueries(len(one.captured_queries)):
            response = self.client.get(url)
        self.assertEqual(response.context["cl"].result_count, 5)

    def test_the_links_in_the_annotate_panel_name_the_other_claims_speaker_date_and_source(self):
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable)
        response = self.client.get(reverse("annotate:claim", args=[self.rejected.pk]))
        self.assertContains(response, "Vladimir Putin, 2017-06-01 · <cite>Ledger on missile defence</cite>", html=False)

    def test_the_links_on_the_claim_page_name_the_other_claims_speaker_and_date(self):
        link_claims(claim_a=self.rejected, claim_b=self.unacceptable)
        response = self.client.get(reverse("claims:detail", args=[self.rejected.pk]))
        self.assertContains(response, "</a> — Vladimir Putin, 2017-06-01, in <a")


class PublisherFilterTests(BaseTestCase):
    def test_the_publisher_filter_lists_only_those_who_publish(self):
        Agent.objects.create(name="Fumio Kishida")
        Agent.objects.create(name="Idle Press", kind=Agent.Kind.ORGANISATION)
        self.client.force_login(self.vera)
        response = self.client.get(reverse("admin:sources_source_changelist"))
        changelist = response.context["cl"]
        choices = [c["display"] for spec in changelist.filter_specs for c in spec.choices(changelist)]
        self.assertIn("Northern Ledger", choices)
        self.assertIn("Harbour Times", choices)
        for name in ("Vladimir Putin", "Fumio Kishida", "Idle Press"):
            self.assertNotIn(name, choices)


class SuccessMessageTests(BaseTestCase):
    def test_the_added_message_quotes_the_claim_once(self):
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("admin:claims_claim_add"), new_claim_data(self.ledger, "Talks on joint"), follow=True
        )
        message = strip_tags(str(list(response.context["messages"])[0]))
        self.assertIn("The claim “Talks on joint” was added", message)
        self.assertNotIn("““", message)


class AnnotateLinkTests(BaseTestCase):
    def test_the_claim_list_links_each_claim_to_its_place_in_the_annotate_page(self):
        self.client.force_login(self.vera)
        response = self.client.get(reverse("admin:claims_claim_changelist"))
        url = reverse("annotate:source", args=[self.ledger.pk]) + f"?claim={self.unacceptable.pk}"
        self.assertContains(response, f'href="{url}"')

    def test_the_claims_admin_page_links_to_the_annotate_page(self):
        self.client.force_login(self.alice)
        response = self.client.get(reverse("admin:claims_claim_change", args=[self.rejected.pk]))
        url = reverse("annotate:source", args=[self.harbour.pk]) + f"?claim={self.rejected.pk}"
        self.assertContains(response, f'href="{url}"')

    def test_the_claim_page_links_to_the_annotate_page(self):
        self.client.force_login(self.vera)
        response = self.client.get(reverse("claims:detail", args=[self.rejected.pk]))
        url = reverse("annotate:source", args=[self.harbour.pk]) + f"?claim={self.rejected.pk}"
        self.assertContains(response, f'href="{url}"')
