from django.urls import reverse

from claims.models import Claim
from tests.base import BaseTestCase
from tests.test_links import claim_form_data
from tests.test_sources import source_form_data


def new_claim_data(source, quote: str, **changes) -> dict:
    data = {
        "source": str(source.pk),
        "quote": quote,
        "start": "",
        "end": "",
        "statement": "",
        "speaker": "",
        "claimed_on": "",
        "kind": "reported",
        "status": "draft",
        "links_from-TOTAL_FORMS": "0",
        "links_from-INITIAL_FORMS": "0",
        "links_to-TOTAL_FORMS": "0",
        "links_to-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


class AnonymousTests(BaseTestCase):
    def test_an_anonymous_visitor_is_sent_to_log_in(self):
        response = self.client.get(reverse("admin:claims_claim_changelist"))
        self.assertRedirects(response, reverse("admin:login") + "?next=" + reverse("admin:claims_claim_changelist"))


class ViewerTests(BaseTestCase):
    def setUp(self):
        self.client.force_login(self.vera)

    def test_a_viewer_reads_claims_sources_and_links(self):
        for name in ["claims_claim", "claims_link", "sources_source", "sources_agent"]:
            self.assertEqual(self.client.get(reverse(f"admin:{name}_changelist")).status_code, 200, name)
        self.assertEqual(
            self.client.get(reverse("admin:claims_claim_change", args=[self.rejected.pk])).status_code, 200
        )

    def test_a_viewer_cannot_add_a_claim(self):
        response = self.client.post(
            reverse("admin:claims_claim_add"), new_claim_data(self.ledger, "Talks on joint projects")
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Claim.objects.count(), 2)

    def test_a_viewer_cannot_change_a_claim(self):
        data = claim_form_data(self.rejected) | {"statement": "changed"}
        self.client.post(reverse("admin:claims_claim_change", args=[self.rejected.pk]), data)
        self.rejected.refresh_from_db()
        self.assertEqual(self.rejected.statement, "")

    def test_a_viewer_cannot_edit_a_source(self):
        url = reverse("admin:sources_source_change", args=[self.harbour.pk])
        self.client.post(url, source_form_data(self.harbour, title="Renamed"))
        self.harbour.refresh_from_db()
        self.assertEqual(self.harbour.title, "Harbour on the Kurils")


class AnnotatorTests(BaseTestCase):
    def setUp(self):
        self.client.force_login(self.alice)

    def test_an_annotator_adds_a_claim_located_by_its_quote(self):
        response = self.client.post(
            reverse("admin:claims_claim_add"), new_claim_data(self.ledger, "Talks on joint projects")
        )
        self.assertEqual(response.status_code, 302)
        claim = Claim.objects.get(quote="Talks on joint projects")
        self.assertEqual(self.ledger.text[claim.start : claim.end], claim.quote)
        self.assertEqual(claim.created_by, self.alice)

    def test_an_annotator_cannot_create_a_reviewed_claim(self):
        data = new_claim_data(self.ledger, "Talks on joint projects", status="reviewed")
        self.client.post(reverse("admin:claims_claim_add"), data)
        self.assertEqual(Claim.objects.get(quote="Talks on joint projects").status, Claim.Status.DRAFT)

    def test_an_annotator_cannot_mark_a_claim_reviewed_in_the_form(self):
        data = claim_form_data(self.rejected) | {"status": "reviewed", "statement": "checked"}
        response = self.client.post(reverse("admin:claims_claim_change", args=[self.rejected.pk]), data)
        self.assertEqual(response.status_code, 302)
        self.rejected.refresh_from_db()
        self.assertEqual((self.rejected.statement, self.rejected.status), ("checked", Claim.Status.DRAFT))

    def test_an_annotator_is_not_offered_the_review_actions(self):
        response = self.client.get(reverse("admin:claims_claim_changelist"))
        self.assertNotContains(response, "mark_reviewed")
        self.client.post(
            reverse("admin:claims_claim_changelist"),
            {"action": "mark_reviewed", "_selected_action": [self.rejected.pk]},
        )
        self.rejected.refresh_from_db()
        self.assertEqual(self.rejected.status, Claim.Status.DRAFT)

    def test_an_annotator_cannot_edit_a_source(self):
        url = reverse("admin:sources_source_change", args=[self.harbour.pk])
        self.client.post(url, source_form_data(self.harbour, title="Renamed"))
        self.harbour.refresh_from_db()
        self.assertEqual(self.harbour.title, "Harbour on the Kurils")

    def test_an_annotator_cannot_delete_a_claim(self):
        response = self.client.post(reverse("admin:claims_claim_delete", args=[self.rejected.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 403)
        self.assertTrue(Claim.objects.filter(pk=self.rejected.pk).exists())


class ReviewerTests(BaseTestCase):
    def setUp(self):
        self.client.force_login(self.bob)

    def test_a_reviewer_marks_claims_reviewed_from_the_list(self):
        response = self.client.post(
            reverse("admin:claims_claim_changelist"),
            {"action": "mark_reviewed", "_selected_action": [self.rejected.pk, self.unacceptable.pk]},
            follow=True,
        )
        self.assertContains(response, "2 claim(s) marked reviewed.")
        self.assertEqual(set(Claim.objects.values_list("status", flat=True)), {"reviewed"})

    def test_a_reviewer_marks_a_claim_disputed(self):
        self.client.post(
            reverse("admin:claims_claim_changelist"),
            {"action": "mark_disputed", "_selected_action": [self.rejected.pk]},
        )
        self.rejected.refresh_from_db()
        self.assertEqual(self.rejected.status, Claim.Status.DISPUTED)

    def test_a_reviewer_sets_the_status_in_the_form(self):
        data = claim_form_data(self.rejected) | {"status": "retracted"}
        self.client.post(reverse("admin:claims_claim_change", args=[self.rejected.pk]), data)
        self.rejected.refresh_from_db()
        self.assertEqual(self.rejected.status, Claim.Status.RETRACTED)

    def test_a_reviewer_edits_a_source(self):
        url = reverse("admin:sources_source_change", args=[self.harbour.pk])
        response = self.client.post(url, source_form_data(self.harbour, title="Renamed"))
        self.assertEqual(response.status_code, 302)
        self.harbour.refresh_from_db()
        self.assertEqual(self.harbour.title, "Renamed")
