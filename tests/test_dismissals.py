"""A dismissed suggestion can be brought back from the claim's admin page, by whoever may dismiss it."""

from django.urls import reverse

from claims.corroboration.suggestions import suggestions_for
from claims.models import DismissedSuggestion
from claims.services import dismiss_suggestion
from tests.test_suggestions import SuggestionStory


class UndoDismissalTests(SuggestionStory):
    def undo(self, user, claim=None, other=None):
        self.client.force_login(user)
        url = reverse("admin:claims_claim_undo_dismissal", args=[(claim or self.visit).pk, (other or self.echo).pk])
        return self.client.post(url)

    def test_the_claims_page_lists_its_dismissed_suggestions_with_an_undo_button(self):
        dismiss_suggestion(claim=self.echo, suggested=self.visit, dismissed_by=self.bob)
        self.client.force_login(self.alice)
        response = self.client.get(reverse("admin:claims_claim_change", args=[self.visit.pk]))
        self.assertContains(response, "Dismissed suggestions")
        self.assertContains(response, "by bob")
        url = reverse("admin:claims_claim_undo_dismissal", args=[self.visit.pk, self.echo.pk])
        self.assertContains(response, f'formaction="{url}"')

    def test_undoing_a_dismissal_brings_the_suggestion_back(self):
        dismiss_suggestion(claim=self.visit, suggested=self.echo, dismissed_by=self.alice)
        self.assertNotIn(self.echo.pk, self.suggested())
        response = self.undo(self.alice)
        self.assertRedirects(
            response,
            reverse("admin:claims_claim_change", args=[self.visit.pk]) + "#dismissed-suggestions",
            fetch_redirect_response=False,
        )
        self.assertFalse(DismissedSuggestion.objects.exists())
        self.assertEqual(suggestions_for(self.visit)[0].claim, self.echo)

    def test_a_dismissal_made_from_the_other_claim_is_undone_too(self):
        dismiss_suggestion(claim=self.echo, suggested=self.visit, dismissed_by=self.alice)
        self.undo(self.alice)
        self.assertFalse(DismissedSuggestion.objects.exists())

    def test_a_viewer_cannot_undo_a_dismissal_nor_sees_the_button(self):
        dismiss_suggestion(claim=self.visit, suggested=self.echo, dismissed_by=self.alice)
        self.assertEqual(self.undo(self.vera).status_code, 403)
        self.assertTrue(DismissedSuggestion.objects.exists())
        self.client.force_login(self.vera)
        response = self.client.get(reverse("admin:claims_claim_change", args=[self.visit.pk]))
        self.assertContains(response, "Dismissed suggestions")
        self.assertNotContains(response, "Undo dismissal")

    def test_undo_only_accepts_post(self):
        self.client.force_login(self.alice)
        url = reverse("admin:claims_claim_undo_dismissal", args=[self.visit.pk, self.echo.pk])
        self.assertEqual(self.client.get(url).status_code, 405)
