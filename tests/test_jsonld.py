"""Claims as W3C Web Annotations, and reviewed claims as schema.org ClaimReview, in JSON-LD."""

import datetime
import json
import tempfile
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from claims.exchange.jsonld import claim_review, web_annotation
from claims.models import Claim
from claims.services import create_claim, set_status
from tests.base import LEDGER_TEXT, BaseTestCase


class WebAnnotationTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.unacceptable.created_by = cls.alice
        cls.unacceptable.save()

    def annotation(self) -> dict:
        return web_annotation(Claim.objects.select_related("source", "created_by").get(pk=self.unacceptable.pk))

    def selector(self, kind: str) -> dict:
        return next(s for s in self.annotation()["target"]["selector"] if s["type"] == kind)

    def test_an_annotation_has_the_web_annotation_context_id_and_type(self):
        annotation = self.annotation()
        self.assertEqual(annotation["@context"], "http://www.w3.org/ns/anno.jsonld")
        self.assertEqual(annotation["type"], "Annotation")
        self.assertTrue(annotation["id"])

    def test_the_target_is_the_source(self):
        self.assertEqual(self.annotation()["target"]["source"], "https://example.net/ledger")

    def test_the_quote_selector_has_the_exact_words_with_prefix_and_suffix(self):
        selector = self.selector("TextQuoteSelector")
        self.assertEqual(selector["exact"], "would be “absolutely unacceptable”")
        at = LEDGER_TEXT.index(selector["exact"])
        self.assertTrue(LEDGER_TEXT[:at].endswith(selector["prefix"]))
        self.assertTrue(LEDGER_TEXT[at + len(selector["exact"]) :].startswith(selector["suffix"]))
        self.assertEqual(selector["prefix"], "le-defence sites on the islands ")
        self.assertEqual(selector["suffix"], ".\nTalks on joint projects would ")

    def test_the_position_selector_gives_start_and_end_in_the_source_text(self):
        selector = self.selector("TextPositionSelector")
        self.assertEqual(LEDGER_TEXT[selector["start"] : selector["end"]], "would be “absolutely unacceptable”")

    def test_the_annotation_names_its_creator_and_when_it_was_created(self):
        annotation = self.annotation()
        self.assertEqual(annotation["creator"], {"type": "Person", "nickname": "alice"})
        self.assertEqual(
            datetime.datetime.fromisoformat(annotation["created"]),
            Claim.objects.get(pk=self.unacceptable.pk).created_at,
        )

    def test_a_quote_at_the_start_of_the_text_has_an_empty_prefix(self):
        claim = create_claim(source=self.ledger, quote="On 1 June 2017")
        selector = web_annotation(claim)["target"]["selector"][0]
        self.assertEqual(selector["prefix"], "")


class ClaimReviewTests(BaseTestCase):
    def review(self) -> dict | None:
        return claim_review(Claim.objects.select_related("source__publisher", "speaker").get(pk=self.unacceptable.pk))

    def mark_reviewed(self) -> None:
        set_status(Claim.objects.filter(pk=self.unacceptable.pk), Claim.Status.REVIEWED, user=None)

    def test_a_draft_claim_has_no_claim_review(self):
        self.assertIsNone(self.review())

    def test_a_reviewed_claim_is_a_claim_review_of_a_schema_org_claim(self):
        self.mark_reviewed()
        review = self.review()
        self.assertEqual(review["@context"], "https://schema.org")
        self.assertEqual(review["@type"], "ClaimReview")
        self.assertEqual(review["claimReviewed"], "would be “absolutely unacceptable”")
        self.assertEqual(review["itemReviewed"]["@type"], "Claim")
        self.assertNotIn("reviewRating", review)  # reviewed is not a verdict

    def test_a_fact_checkers_rating_is_the_review_rating_on_a_scale_with_its_name(self):
        Claim.objects.filter(pk=self.unacceptable.pk).update(rating=Claim.Rating.MOSTLY_FALSE)
        self.assertEqual(
            self.review()["reviewRating"],
            {"@type": "Rating", "ratingValue": 2, "bestRating": 5, "worstRating": 1, "alternateName": "mostly false"},
        )

    @override_settings(CLAIMREVIEW_AUTHOR_NAME="Harbour Fact Check", CLAIMREVIEW_AUTHOR_URL="https://check.example.org")
    def test_the_reviewing_organisation_from_the_settings_is_the_author(self):
        self.mark_reviewed()
        self.assertEqual(
            self.review()["author"],
            {"@type": "Organization", "name": "Harbour Fact Check", "url": "https://check.example.org"},
        )

    @override_settings(PUBLIC_URL="https://check.example.org")
    def test_the_review_links_to_the_claims_public_page_not_the_admin(self):
        self.mark_reviewed()
        self.assertEqual(self.review()["url"], f"https://check.example.org/claims/{self.unacceptable.pk}/")

    def test_without_a_public_url_the_review_has_no_link_into_the_admin(self):
        self.mark_reviewed()
        self.assertNotIn("/admin/", json.dumps(self.review()))

    def test_a_reviewer_sets_the_rating_on_the_claims_admin_page_and_an_annotator_cannot(self):
        url = reverse("admin:claims_claim_change", args=[self.unacceptable.pk])
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get(url), 'name="rating"')
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(url), 'name="rating"')

    def test_the_speaker_is_the_claims_author(self):
        self.mark_reviewed()
        self.assertEqual(self.review()["itemReviewed"]["author"], {"@type": "Person", "name": "Vladimir Putin"})

    def test_claimed_on_is_the_claims_date_published(self):
        self.mark_reviewed()
        self.assertEqual(self.review()["itemReviewed"]["datePublished"], "2017-06-01")

    def test_the_source_is_the_claims_appearance(self):
        self.mark_reviewed()
        appearance = self.review()["itemReviewed"]["appearance"]
        self.assertEqual(appearance["url"], "https://example.net/ledger")
        self.assertEqual(appearance["headline"], "Ledger on missile defence")
        self.assertEqual(appearance["publisher"], {"@type": "Organization", "name": "Northern Ledger"})


class JsonLdLinkTests(BaseTestCase):
    def test_the_claims_page_links_to_its_json_ld(self):
        self.client.force_login(self.vera)
        response = self.client.get(reverse("admin:claims_claim_change", args=[self.unacceptable.pk]))
        self.assertContains(response, reverse("admin:claims_claim_jsonld", args=[self.unacceptable.pk]))

    def test_the_json_ld_link_serves_the_annotation_and_the_review(self):
        set_status(Claim.objects.filter(pk=self.unacceptable.pk), Claim.Status.REVIEWED, user=None)
        self.client.force_login(self.vera)
        response = self.client.get(reverse("admin:claims_claim_jsonld", args=[self.unacceptable.pk]))
        self.assertEqual(response["Content-Type"], "application/ld+json")
        self.assertEqual([doc.get("type") or doc["@type"] for doc in response.json()], ["Annotation", "ClaimReview"])

    def test_the_json_ld_needs_a_login(self):
        response = self.client.get(reverse("admin:claims_claim_jsonld", args=[self.unacceptable.pk]))
        self.assertEqual(response.status_code, 302)

    def test_the_json_ld_is_not_found_by_staff_who_cannot_view_claims(self):
        # In no project, they find no claim: it answers as another project's does (404, issue 27).
        outsider = User.objects.create_user("otto", password="pw", is_staff=True)
        self.client.force_login(outsider)
        response = self.client.get(reverse("admin:claims_claim_jsonld", args=[self.unacceptable.pk]))
        self.assertEqual(response.status_code, 404)


class JsonLdExportTests(BaseTestCase):
    def test_export_claims_writes_every_claim_as_json_ld(self):
        set_status(Claim.objects.filter(pk=self.unacceptable.pk), Claim.Status.REVIEWED, user=None)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "claims.exchange.jsonld"
            call_command("export_claims", "--format", "jsonld", "-o", str(path))
            documents = json.loads(path.read_text(encoding="utf-8"))
        annotated = {doc["target"]["selector"][0]["exact"] for doc in documents if doc.get("type") == "Annotation"}
        self.assertEqual(annotated, {self.unacceptable.quote, self.rejected.quote})
        reviews = [doc for doc in documents if doc.get("@type") == "ClaimReview"]
        self.assertEqual([review["claimReviewed"] for review in reviews], [self.unacceptable.quote])
