"""Dates typed as a year, a month or a day in one box, everywhere; and the defaults a new claim starts from."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import SimpleTestCase
from django.urls import reverse

from claims.corroboration.clusters import cluster_of
from claims.editor.forms import EditorClaimForm
from claims.forms import ClaimForm
from claims.models import Claim
from claims.services import create_claim, link_claims
from sources.dates import Precision
from sources.forms import DateWithPrecisionField
from tests.base import LEDGER_TEXT, BaseTestCase
from tests.test_csv_import import csv_text, import_text
from tests.test_editor_views import claim_data
from tests.test_links import claim_form_data
from tests.test_roles import new_claim_data
from tests.test_sources import source_form_data


class DateFieldTests(SimpleTestCase):
    def test_a_year_a_month_and_a_day_are_each_kept_at_their_precision(self):
        field = DateWithPrecisionField(required=False)
        self.assertEqual(field.clean("2017"), (datetime.date(2017, 1, 1), Precision.YEAR))
        self.assertEqual(field.clean("2017-06"), (datetime.date(2017, 6, 1), Precision.MONTH))
        self.assertEqual(field.clean("2017-06-14"), (datetime.date(2017, 6, 14), Precision.DAY))
        self.assertEqual(field.clean(""), (None, Precision.DAY))

    def test_anything_else_is_refused_naming_the_forms_accepted(self):
        field = DateWithPrecisionField(required=False)
        for text in ["June 2017", "2017-13", "2017-02-30", "17-06", "2017-6"]:
            with self.subTest(text), self.assertRaisesMessage(ValidationError, "is not a date as YYYY, YYYY-MM or"):
                field.clean(text)

    def test_a_stored_date_is_shown_at_its_precision(self):
        field = DateWithPrecisionField()
        self.assertEqual(field.prepare_value((datetime.date(2017, 6, 1), Precision.MONTH)), "2017-06")


class ClaimDateTests(BaseTestCase):
    def setUp(self):
        self.client.force_login(self.alice)

    def test_the_admin_takes_a_month_in_one_box(self):
        response = self.client.post(
            reverse("admin:claims_claim_add"), new_claim_data(self.ledger, "Talks on joint", claimed_on="2017-06")
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Claim.objects.get(quote="Talks on joint").claimed_on_iso, "2017-06")

    def test_the_admin_shows_a_year_as_a_year_in_one_box(self):
        claim = create_claim(
            source=self.ledger, quote="Talks", claimed_on=datetime.date(2016, 3, 3), claimed_on_precision="year"
        )
        response = self.client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
        self.assertContains(response, 'name="claimed_on" value="2016"')
        self.assertNotContains(response, 'name="claimed_on_precision"')

    def test_saving_a_claim_unchanged_keeps_its_month(self):
        claim = create_claim(
            source=self.ledger, quote="Talks", claimed_on=datetime.date(2017, 6, 1), claimed_on_precision="month"
        )
        url = reverse("admin:claims_claim_change", args=[claim.pk])
        self.client.post(url, claim_form_data(claim) | {"statement": "Talks go on"})
        claim.refresh_from_db()
        self.assertEqual((claim.statement, claim.claimed_on_iso), ("Talks go on", "2017-06"))

    def test_the_admin_refuses_a_date_it_cannot_read_on_the_field(self):
        response = self.client.post(
            reverse("admin:claims_claim_add"), new_claim_data(self.ledger, "Talks on joint", claimed_on="June 2017")
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("claimed_on", response.context["adminform"].form.errors)

    def test_the_editor_takes_a_year_in_one_box(self):
        data = claim_data("Talks", LEDGER_TEXT.index("Talks"), claimed_on="2017")
        response = self.client.post(reverse("annotate:add_claim", args=[self.ledger.pk]), data)
        self.assertEqual(Claim.objects.get(pk=response.json()["claim"]).claimed_on_iso, "2017")

    def test_the_editor_shows_a_month_as_a_month(self):
        self.unacceptable.claimed_on_precision = Precision.MONTH
        self.unacceptable.save()
        html = EditorClaimForm(instance=self.unacceptable, user=self.alice).as_div()
        self.assertIn('name="claimed_on" value="2017-06"', html)
        self.assertNotIn('type="date"', html)

    def test_the_source_admin_takes_a_year_in_one_box(self):
        self.client.force_login(self.root)
        url = reverse("admin:sources_source_change", args=[self.harbour.pk])
        response = self.client.post(url, source_form_data(self.harbour, published_on="2016"))
        self.assertEqual(response.status_code, 302)
        self.harbour.refresh_from_db()
        self.assertEqual(self.harbour.published_on_iso, "2016")

    def test_the_source_title_box_is_wide_enough_for_a_headline(self):
        self.client.force_login(self.root)
        response = self.client.get(reverse("admin:sources_source_change", args=[self.ledger.pk]))
        self.assertContains(response, 'class="vTextField source-title"')
        self.assertContains(response, "sources/admin.css")

    def test_the_csv_and_the_forms_refuse_a_bad_date_with_the_same_words(self):
        row = [str(self.ledger.pk), "Talks", "2017-13"]
        report = import_text(csv_text(["source_id", "quote", "claimed_on"], [row]))
        form = ClaimForm(data={"claimed_on": "2017-13"}, user=self.alice)
        form.is_valid()
        self.assertEqual(report.problems[0].errors["claimed_on"], form.errors["claimed_on"])


class NewClaimDefaultTests(BaseTestCase):
    def test_a_claim_without_a_speaker_is_the_authors_assertion(self):
        claim = create_claim(source=self.ledger, quote="Talks on joint")
        self.assertEqual(claim.kind, Claim.Kind.AUTHOR_ASSERTION)

    def test_a_claim_with_a_speaker_is_a_direct_quote(self):
        claim = create_claim(source=self.ledger, quote="Talks on joint", speaker=self.putin)
        self.assertEqual(claim.kind, Claim.Kind.DIRECT_QUOTE)

    def test_a_kind_given_is_kept(self):
        claim = create_claim(source=self.ledger, quote="Talks on joint", speaker=self.putin, kind="paraphrase")
        self.assertEqual(claim.kind, Claim.Kind.PARAPHRASE)

    def test_the_admin_form_offers_the_kind_that_follows_the_speaker_first(self):
        self.client.force_login(self.alice)
        response = self.client.get(reverse("admin:claims_claim_add"))
        self.assertContains(response, f'<option value="" selected>{Claim.KIND_FROM_SPEAKER}</option>', html=True)

    def test_the_admin_gives_a_claim_with_a_speaker_the_direct_quote_kind(self):
        self.client.force_login(self.alice)
        data = new_claim_data(self.ledger, "Talks on joint", kind="", speaker=str(self.putin.pk))
        self.client.post(reverse("admin:claims_claim_add"), data)
        self.assertEqual(Claim.objects.get(quote="Talks on joint").kind, Claim.Kind.DIRECT_QUOTE)

    def test_the_editor_gives_a_claim_with_a_new_speaker_the_direct_quote_kind(self):
        self.client.force_login(self.root)
        data = claim_data("Talks", LEDGER_TEXT.index("Talks"), kind="", new_speaker="Shinzo Abe")
        response = self.client.post(reverse("annotate:add_claim", args=[self.ledger.pk]), data)
        claim = Claim.objects.get(pk=response.json()["claim"])
        self.assertEqual((claim.speaker.name, claim.kind), ("Shinzo Abe", Claim.Kind.DIRECT_QUOTE))

    def test_the_editor_gives_a_claim_without_a_speaker_the_authors_assertion_kind(self):
        self.client.force_login(self.alice)
        data = claim_data("Talks", LEDGER_TEXT.index("Talks"), kind="")
        response = self.client.post(reverse("annotate:add_claim", args=[self.ledger.pk]), data)
        self.assertEqual(Claim.objects.get(pk=response.json()["claim"]).kind, Claim.Kind.AUTHOR_ASSERTION)

    def test_a_csv_row_without_a_kind_follows_its_speaker(self):
        rows = [[str(self.ledger.pk), "Talks on joint", ""], [str(self.ledger.pk), "the islands", "Vladimir Putin"]]
        report = import_text(csv_text(["source_id", "quote", "speaker"], rows))
        self.assertTrue(report.ok, report.problems)
        self.assertEqual(Claim.objects.get(quote="Talks on joint").kind, Claim.Kind.AUTHOR_ASSERTION)
        self.assertEqual(Claim.objects.get(quote="the islands").kind, Claim.Kind.DIRECT_QUOTE)

    def test_the_database_refuses_a_claim_without_a_kind(self):
        start = LEDGER_TEXT.index("Talks")
        with self.assertRaises(IntegrityError):  # a save past clean() and the manager's normalising create
            Claim(source=self.ledger, quote="Talks", start=start, end=start + 5).save()

    def test_a_new_claim_in_the_editor_starts_at_its_sources_date_and_precision(self):
        self.ledger.published_on_precision = Precision.MONTH
        self.ledger.save()
        form = EditorClaimForm(instance=Claim(source=self.ledger), user=self.alice)
        self.assertEqual(form["claimed_on"].value(), "2017-06")

    def test_the_admin_add_page_for_a_source_starts_at_its_date(self):
        self.client.force_login(self.alice)
        response = self.client.get(reverse("admin:claims_claim_add") + f"?source={self.ledger.pk}")
        self.assertContains(response, 'name="claimed_on" value="2017-06-02"')

    def test_a_claim_of_an_undated_source_starts_undated(self):
        form = EditorClaimForm(instance=Claim(source=self.harbour), user=self.alice)
        self.assertIn(form["claimed_on"].value(), ("", None))

    def test_an_existing_claim_keeps_its_own_date(self):
        form = EditorClaimForm(instance=self.unacceptable, user=self.alice)
        self.assertEqual(form["claimed_on"].value(), "2017-06-01")


class DatesAtTheirPrecisionTests(BaseTestCase):
    """June 2017 is shown as 2017-06 and 2016 as 2016 wherever a date is shown, never as a first day."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.ledger.published_on_precision = Precision.MONTH
        cls.ledger.save()
        cls.harbour.published_on, cls.harbour.published_on_precision = datetime.date(2016, 1, 1), Precision.YEAR
        cls.harbour.save()
        cls.unacceptable.claimed_on_precision = Precision.MONTH
        cls.unacceptable.save()

    def setUp(self):
        self.client.force_login(self.bob)

    def assertShowsMonthNotDay(self, response) -> None:
        self.assertContains(response, "2017-06")
        self.assertNotContains(response, "2017-06-01")
        self.assertNotContains(response, "June 1, 2017")

    def test_the_cluster_axis_labels_each_end_at_its_precision(self):
        link_claims(claim_a=self.unacceptable, claim_b=self.rejected)
        cluster = cluster_of(self.unacceptable)
        self.assertEqual((cluster.first_label, cluster.last_label), ("2016", "2017-06"))

    def test_the_claim_list_shows_the_month(self):
        response = self.client.get(reverse("admin:claims_claim_changelist"))
        self.assertContains(response, '<td class="field-claimed">2017-06</td>', html=True)

    def test_the_claim_page_shows_the_month(self):
        self.assertShowsMonthNotDay(self.client.get(reverse("claims:detail", args=[self.unacceptable.pk])))

    def test_the_provenance_page_shows_the_month(self):
        self.assertShowsMonthNotDay(self.client.get(reverse("sources:provenance", args=[self.ledger.pk])))

    def test_the_annotate_panel_shows_the_month(self):
        url = reverse("annotate:claim", args=[self.unacceptable.pk])
        self.assertShowsMonthNotDay(self.client.get(url))

    def test_the_source_list_shows_each_source_at_its_precision(self):
        response = self.client.get(reverse("admin:sources_source_changelist"))
        self.assertContains(response, '<td class="field-published">2017-06</td>', html=True)
        self.assertContains(response, '<td class="field-published">2016</td>', html=True)
