from django.urls import reverse

from tests.base import BaseTestCase
from tests.test_links import claim_form_data


class ConcurrentEditTests(BaseTestCase):
    def test_a_save_from_a_stale_page_is_refused_with_a_message(self):
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        alices_page = claim_form_data(self.rejected)
        bobs_page = claim_form_data(self.rejected)

        self.client.force_login(self.bob)
        self.assertEqual(self.client.post(url, bobs_page | {"statement": "Bob's wording"}).status_code, 302)

        self.client.force_login(self.alice)
        response = self.client.post(url, alices_page | {"statement": "Alice's wording"})
        self.assertContains(response, "Someone else saved this claim after you opened it")
        self.rejected.refresh_from_db()
        self.assertEqual(self.rejected.statement, "Bob's wording")

    def test_each_save_moves_the_claim_to_a_new_version(self):
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        self.client.force_login(self.alice)
        self.client.post(url, claim_form_data(self.rejected) | {"statement": "first"})
        self.rejected.refresh_from_db()
        self.client.post(url, claim_form_data(self.rejected) | {"statement": "second"})
        self.rejected.refresh_from_db()
        self.assertEqual((self.rejected.statement, self.rejected.version), ("second", 2))

    def test_a_status_change_by_a_reviewer_makes_an_open_page_stale(self):
        url = reverse("admin:claims_claim_change", args=[self.rejected.pk])
        alices_page = claim_form_data(self.rejected)
        self.client.force_login(self.bob)
        self.client.post(
            reverse("admin:claims_claim_changelist"),
            {"action": "mark_disputed", "_selected_action": [self.rejected.pk]},
        )
        self.client.force_login(self.alice)
        response = self.client.post(url, alices_page | {"statement": "late"})
        self.assertContains(response, "Someone else saved this claim")
